import type { Logger } from 'pino';
import type { FederatedAccounts } from '../accounts/federated.ts';
import type { AccountService } from '../accounts/service.ts';
import type { HubKeys } from '../config/keys.ts';
import type { HubConfig } from '../config/schema.ts';
import type { TrustRegistry } from '../config/trust.ts';
import { SECOND, type Clock } from '../core/clock.ts';
import type { Login, LoginMethod } from '../login/login.ts';
import type { Db } from '../store/db.ts';
import { metadataStates, purgeResults, purgeUpstreamRequests } from '../store/federation.ts';
import type { Job } from '../store/scheduler.ts';
import type { HubRouter } from '../web/app.ts';
import { federatedAccountGate, federatedAccountSection, registerFederatedAccountRoutes } from './account.ts';
import { Broker } from './broker.ts';
import { registerDiscoveryRoutes, upstreamMethod } from './discovery.ts';
import { eidasMethod, registerEidasRoutes } from './eidas.ts';
import { PartnerLogout, SP_SLO_PATH } from './logout.ts';
import { MetadataService } from './metadata/service.ts';
import { partnerStatus, type PartnerStatus } from './status.ts';
import { installCryptoPolicy } from './upstream/crypto-policy.ts';

/**
 * The federation edge: the hub as SP towards other states' accounts ("Anmelden mit anderem
 * deutschen Nutzerkonto"), from federation/trust.yaml. It registers a login method and the
 * upstream logout with `login`, a section and a gate with `accounts`, its routes, its jobs and
 * a trust-reload participant; it imports no other edge. See README.md.
 */

export interface FederationEndpoints {
  readonly entityId: string;
  readonly acsUrl: string;
  readonly sloUrl: string;
}

/** The hub's SP endpoints (published in its metadata by the SAML edge). */
export function federationEndpoints(publicUrl: string): FederationEndpoints {
  const base = publicUrl.replace(/\/+$/, '');
  return { entityId: `${base}/saml/metadata`, acsUrl: `${base}/saml/acs`, sloUrl: `${base}${SP_SLO_PATH}` };
}

export interface FederationDeps {
  readonly login: Login;
  readonly accounts: AccountService;
  readonly federated: FederatedAccounts;
  readonly trust: TrustRegistry;
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  readonly keys: HubKeys;
  readonly config: HubConfig;
  readonly production: boolean;
}

export interface Federation {
  readonly endpoints: FederationEndpoints;
  readonly metadata: MetadataService;
  readonly method: LoginMethod;
  /** "Anmelden mit einem ausländischen eID-Mittel (eIDAS)": the trust entry of kind eidas. */
  readonly eidasMethod: LoginMethod;
  registerRoutes(router: HubRouter): void;
  readonly jobs: readonly Job[];
  /** A new trust.yaml: prepared (stored metadata checked against the new pins), applied by the commit. */
  prepareReload(next: TrustRegistry): Promise<() => void>;
  /** Loads the stored metadata and starts watching for copies other processes store. */
  start(): Promise<void>;
  /** Fetches every partner's metadata now (tests, the operator). */
  refreshNow(): Promise<void>;
  /** Fetches what is due (new partners after a reload) in the background. */
  refreshSoon(): void;
  /** Per partner: metadata in use, validUntil, last refresh, last error. */
  status(): Promise<PartnerStatus[]>;
  close(): Promise<void>;
}

export function createFederation(deps: FederationDeps): Federation {
  installCryptoPolicy();
  const { config } = deps;
  const endpoints = federationEndpoints(config.server.publicUrl);
  const metadata = new MetadataService(deps.trust, {
    db: deps.db,
    clock: deps.clock,
    log: deps.log,
    production: deps.production,
    fetchTimeoutMs: config.federation.fetchTimeoutSeconds * SECOND,
    maxBytes: config.federation.maxMetadataMegabytes * 1024 * 1024,
  });
  const broker = new Broker({
    login: deps.login,
    federated: deps.federated,
    metadata,
    db: deps.db,
    clock: deps.clock,
    log: deps.log,
    keys: deps.keys,
    entityId: endpoints.entityId,
    acsUrl: endpoints.acsUrl,
    operatorName: config.web.operatorName,
    clockSkewMs: config.saml.clockSkewSeconds * SECOND,
    requestLifetimeMs: config.federation.requestMinutes * 60 * SECOND,
    choiceCookie: {
      name: config.federation.choiceCookieName,
      secure: config.server.publicUrl.startsWith('https://'),
    },
  });
  const logout = new PartnerLogout({
    login: deps.login,
    metadata,
    db: deps.db,
    clock: deps.clock,
    keys: deps.keys,
    entityId: endpoints.entityId,
    sloUrl: endpoints.sloUrl,
    clockSkewMs: config.saml.clockSkewSeconds * SECOND,
  });
  deps.login.setUpstreamLogout(logout);
  const ui = { federated: deps.federated, metadata };
  deps.accounts.addSection(federatedAccountSection(ui));
  deps.accounts.addActionGate(federatedAccountGate(ui));
  deps.accounts.addDeletionStep(deps.federated.deletionStep);
  const method = upstreamMethod({ login: deps.login, broker, metadata });
  const eidas = eidasMethod({ login: deps.login, broker, metadata });

  let timer: NodeJS.Timeout | undefined;
  let refreshing: Promise<void> | undefined;
  let syncing: Promise<void> | undefined;
  const sync = (): void => {
    if (syncing) return;
    syncing = metadata
      .sync()
      .catch((err: unknown) => deps.log.error({ err }, 'reading partner metadata from the store failed'))
      .finally(() => {
        syncing = undefined;
      });
  };

  return {
    endpoints,
    metadata,
    method,
    eidasMethod: eidas,
    registerRoutes(router) {
      registerDiscoveryRoutes(router, { login: deps.login, broker, metadata });
      registerEidasRoutes(router, { login: deps.login, broker, metadata });
      router.post('/saml/acs', (ctx) => broker.acs(ctx));
      router.get('/saml/acs/weiter', (ctx) => broker.resume(ctx));
      logout.registerRoutes(router);
      registerFederatedAccountRoutes(router, ui);
    },
    jobs: [
      { name: 'federation-metadata-refresh', run: () => metadata.refreshDue() },
      {
        name: 'purge-federation-requests',
        run: async () => (await purgeUpstreamRequests(deps.db, deps.clock.now())) + (await purgeResults(deps.db, deps.clock.now())),
      },
    ],
    prepareReload: (next) => metadata.prepare(next),
    async start() {
      await metadata.start();
      timer = setInterval(sync, config.federation.statusPollSeconds * SECOND);
      timer.unref();
    },
    refreshNow: () => metadata.refreshDue(true),
    refreshSoon() {
      const before = refreshing ?? Promise.resolve();
      refreshing = before
        .then(() => metadata.refreshDue())
        .catch((err: unknown) => deps.log.error({ err }, 'partner metadata refresh after a reload failed'));
    },
    async status() {
      return partnerStatus(metadata.trust, await metadataStates(deps.db), metadata, deps.clock.now());
    },
    async close() {
      if (timer) clearInterval(timer);
      await syncing;
      await refreshing;
    },
  };
}
