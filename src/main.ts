import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { registerAuthenticatorsPage } from './accounts/authenticators.ts';
import { registerAccountRoutes, registerStartPage } from './accounts/routes-account.ts';
import { registerRecoveryRoutes } from './accounts/routes-recovery.ts';
import { registerRegistrationRoutes } from './accounts/routes-registration.ts';
import { AccountService } from './accounts/service.ts';
import { Throttles } from './accounts/throttles.ts';
import { passwordMethod, registerPasswordRoutes } from './authn/password/password-method.ts';
import { createEid, type EidModule } from './authn/eid/index.ts';
import { createPass } from './authn/pass/index.ts';
import { loadHubKeys, type HubKeys } from './config/keys.ts';
import { loadHubConfig, type Env } from './config/load.ts';
import type { HubConfig } from './config/schema.ts';
import { DAY, HOUR, MINUTE, SECOND, systemClock, type Clock } from './core/clock.ts';
import { ConfigError, formatConfigProblem } from './core/errors.ts';
import { Login } from './login/login.ts';
import { createDemoPortal } from './demo/app.ts';
import { prepareDemo } from './demo/prepare.ts';
import { consentSection, registerConsentRoutes } from './login/consent.ts';
import { registerStepUpRoutes } from './login/step-up.ts';
import { createMailbox, POSTKORB_NAVIGATION, type MailboxModule } from './mailbox/index.ts';
import { createSamlEdge } from './portals/saml/edge.ts';
import { createFederation, type Federation } from './federation/index.ts';
import { FederatedAccounts } from './accounts/federated.ts';
import { loadTrust, type TrustRegistry } from './config/trust.ts';
import { createOidcEdge } from './portals/oidc/edge.ts';
import { loadPortals, type PortalRegistry, type TrustReloadParticipant } from './config/portals.ts';
import { deleteConsents } from './store/consents.ts';
import { deletePairwiseIds } from './store/pairwise.ts';
import { purgeReplayCache } from './store/replay.ts';
import { portalLoginCounts } from './store/login-counts.ts';
import { createMailer, type Mailer } from './mail/mailer.ts';
import { purgeAudit } from './store/audit.ts';
import { openStore, type Store } from './store/db.ts';
import { Scheduler } from './store/scheduler.ts';
import { purgeExpiredSessions } from './store/sessions.ts';
import { purgeThrottle } from './store/throttle.ts';
import { purgeExpiredTokens } from './store/tokens.ts';
import { createWebApp, type WebApp } from './web/app.ts';
import { loadContentPages, registerContentPages } from './web/content-pages.ts';
import { registerHealth } from './web/health.ts';
import { configureFrame } from './web/layout.ts';

/**
 * The composition root: the only module that knows every other one. It loads configuration and
 * keys, opens the store, builds the web app, registers each edge with `login` and mounts its
 * routes, and starts the housekeeping jobs.
 */

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface HubOptions {
  /** Project folder; relative paths in the configuration resolve against it. */
  readonly root?: string;
  readonly env?: Env;
  readonly configFiles?: readonly string[];
  /** Merged over the files and environment; tests use it. */
  readonly overrides?: unknown;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export type TrustReloadResult =
  { readonly ok: true; readonly version: string } | { readonly ok: false; readonly problems: readonly string[] };

export interface Hub {
  readonly config: HubConfig;
  /**
   * Reads the trust configuration again and applies it atomically: when the file or any module
   * refuses it, the previous configuration keeps serving and the problems are logged.
   */
  reloadTrust(): Promise<TrustReloadResult>;
  /** Modules holding state derived from the portals register here (parsed metadata, clients). */
  onTrustReload(participant: TrustReloadParticipant): void;
  readonly keys: HubKeys;
  readonly login: Login;
  readonly portals: () => PortalRegistry;
  readonly store: Store;
  readonly web: WebApp;
  readonly accounts: AccountService;
  readonly mailer: Mailer;
  readonly scheduler: Scheduler;
  readonly log: Logger;
  /** Other states' accounts (src/federation). */
  readonly federation: Federation;
  readonly trust: () => TrustRegistry;
  /** The eID module (and its simulator), when eid.enabled. */
  readonly eid: EidModule | undefined;
  /** Starts listening; resolves with the address in use. */
  listen(): Promise<{ server: Server; url: string }>;
  close(): Promise<void>;
}

function version(root: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function createHub(options: HubOptions = {}): Promise<Hub> {
  const root = options.root ?? PROJECT_ROOT;
  const clock = options.clock ?? systemClock;
  const { config, production } = loadHubConfig({
    root,
    ...(options.env ? { env: options.env } : {}),
    ...(options.configFiles ? { files: options.configFiles } : {}),
    ...(options.overrides !== undefined ? { overrides: options.overrides } : {}),
  });
  const log =
    options.logger ??
    pino({
      level: config.log.level,
      // Belt and braces: none of these should ever be logged, but if one is, it is masked.
      redact: ['password', '*.password', 'passwordHash', '*.passwordHash', 'token', '*.token', 'req.headers.cookie', 'headers.cookie'],
    });
  const resolve = (p: string): string => (path.isAbsolute(p) ? p : path.join(root, p));

  const { keys, generated, expired } = await loadHubKeys(resolve(config.keys.dir), {
    production,
    commonName: new URL(config.server.publicUrl).hostname,
    now: clock.now(),
    retiredEncryptionMs: config.keys.retiredEncryptionDays * DAY,
    retiredOidcMs: config.keys.retiredOidcHours * HOUR,
  });
  for (const file of generated) log.warn({ file }, 'generated a development key');
  for (const file of expired) log.info({ file }, 'a retired key past its keeping time is no longer loaded; it may be deleted');

  const store = await openStore({
    databaseUrl: config.store.databaseUrl,
    sqliteFile: config.store.sqliteFile === ':memory:' ? ':memory:' : resolve(config.store.sqliteFile),
    schema: config.store.schema,
  });

  const mailer = createMailer({ from: config.mail.from, smtpUrl: config.mail.smtpUrl, outboxDir: resolve(config.mail.outboxDir) }, log);
  const throttles = new Throttles(store.db, clock, keys.hmacKey, config.throttle);
  const accounts = new AccountService(
    store.db,
    clock,
    mailer,
    keys.hmacKey,
    {
      publicUrl: config.server.publicUrl,
      operatorName: config.web.operatorName,
      confirmationMs: config.accounts.confirmationHours * HOUR,
      resetLinkMs: config.accounts.resetLinkMinutes * MINUTE,
    },
    log,
  );

  configureFrame({
    operatorName: config.web.operatorName,
    ...(config.postkorb.enabled ? { accountLinks: [POSTKORB_NAVIGATION] } : {}),
  });
  const web = createWebApp({
    store,
    clock,
    log,
    publicUrl: config.server.publicUrl,
    trustedProxies: config.server.trustedProxies,
    defaultLanguage: config.web.defaultLanguage,
    session: { cookieName: config.session.cookieName, anonymousIdleMs: config.session.anonymousIdleMinutes * MINUTE },
    // Protocol endpoints that another party posts to carry no CSRF token of ours.
    csrfExemptPrefixes: ['/saml/'],
    // oidc-provider reads its own request bodies; so does the Postkorb sending API (JSON, bearer tokens, no CSRF).
    untouchedBodyPrefixes: ['/oidc/', '/api/postkorb/'],
  });

  // The demo portal's metadata and secret must exist before the portals file that names them is read.
  const demoMaterial = config.demo.enabled ? await prepareDemo(resolve(config.demo.dir), config.demo.publicUrl) : undefined;
  const readPortals = (): PortalRegistry =>
    loadPortals({ root, file: config.federation.portalsFile, ...(options.env ? { env: options.env } : {}), production });
  let portals = readPortals();
  // Other states' accounts (src/federation): federation/trust.yaml, checked like the portals file.
  const readTrust = (): TrustRegistry => loadTrust({ root, file: config.federation.trustFile, production, now: clock.now() });
  let trust = readTrust();
  const reloadParticipants: TrustReloadParticipant[] = [];
  const login = new Login({ accounts, portals: () => portals, db: store.db, clock, log, pseudonymKey: keys.pseudonymKey });
  accounts.onSessionsEnded((ended) => login.notifyEndedSessions(ended));
  accounts.addDeletionStep(async (trx, account) => {
    await deleteConsents(trx, account.id);
    await deletePairwiseIds(trx, account.id);
  });
  const consentDeps = { login, accounts, db: store.db, clock } as const;
  accounts.addSection(consentSection(consentDeps));
  const passwordDeps = { accounts, throttles, login, clock, loa: config.login.passwordLoa } as const;
  login.addMethod(passwordMethod(passwordDeps));
  // Online-Ausweisfunktion (src/authn/eid): LoA high; starts the eID-Server simulator when configured.
  const eid: EidModule | undefined = config.eid.enabled
    ? await createEid({
        config: config.eid,
        production,
        resolve,
        publicUrl: config.server.publicUrl,
        operatorName: config.web.operatorName,
        minimumAge: config.accounts.minimumAge,
        passwordLoa: config.login.passwordLoa,
        accounts,
        login,
        throttles,
        db: store.db,
        clock,
        mailer,
        hmacKey: keys.hmacKey,
        log,
      })
    : undefined;
  if (eid) login.addMethod(eid.method);
  // Servicekonto.Pass (src/authn/pass): passkeys, LoA substantial at most (DECISIONS 14).
  const pass = createPass({
    publicUrl: config.server.publicUrl,
    operatorName: config.web.operatorName,
    eidEnabled: config.eid.enabled,
    passwordLoa: config.login.passwordLoa,
    accounts,
    login,
    db: store.db,
    clock,
    mailer,
    log,
  });
  login.addMethod(pass.method);
  // Other states' accounts (src/federation): "Anmelden mit anderem deutschen Nutzerkonto", the
  // hub as SAML SP towards them, federated accounts (link_accounts) or none (DECISIONS 8).
  const federated = new FederatedAccounts(store.db, clock, keys.hmacKey, (id) => accounts.accountRef(id), log);
  const federation: Federation = createFederation({
    login,
    accounts,
    federated,
    trust,
    db: store.db,
    clock,
    log,
    keys,
    config,
    production,
  });
  login.addMethod(federation.method);
  login.addMethod(federation.eidasMethod);
  await federation.start();

  const router = web.router;
  const startedAt = clock.now();
  registerHealth(router, store, { version: version(root), startedAt }, async () => ({
    trust: {
      portalsFile: config.federation.portalsFile,
      version: portals.version,
      portals: portals.portals.length,
      trustFile: config.federation.trustFile,
      trustVersion: trust.version,
      partners: trust.partners.length,
      partnersUsable: trust.partners.filter((p) => federation.metadata.current(p.id) !== undefined).length,
    },
    logins: await portalLoginCounts(store.db, clock.now()),
  }));
  registerStartPage(router);
  registerContentPages(router, loadContentPages(config.web.contentDir === '' ? undefined : resolve(config.web.contentDir)));
  registerRegistrationRoutes(router, { accounts, throttles, clock, minimumAge: config.accounts.minimumAge });
  registerRecoveryRoutes(router, { accounts, throttles });
  registerAccountRoutes(router, { accounts, throttles, clock, minimumAge: config.accounts.minimumAge });
  // "Meine Authentifizierungsmittel": the page shell and the password; eID and Pass add their sections.
  registerAuthenticatorsPage(router, { accounts, passwordLoa: config.login.passwordLoa });
  login.registerRoutes(router);
  // Step-up for the hub's own pages (a Postkorb message that needs a higher level).
  registerStepUpRoutes(router, login);
  registerConsentRoutes(router, consentDeps);
  registerPasswordRoutes(router, passwordDeps);
  eid?.registerRoutes(router);
  pass.registerRoutes(router);
  federation.registerRoutes(router);

  // ---- portal edges (each registers with login and mounts its routes) ----
  // SAML 2.0 IdP for portals (src/portals/saml): metadata, SSO, single logout.
  const samlEdge = await (async () => {
    try {
      return createSamlEdge({
        login,
        portals: () => portals,
        db: store.db,
        clock,
        keys,
        log,
        config,
        production,
        sp: { acsUrl: federation.endpoints.acsUrl, sloUrl: federation.endpoints.sloUrl },
      });
    } catch (err) {
      // Bad portal metadata stops the start; what was opened above must not keep the process alive.
      await eid?.close();
      await store.close();
      throw err;
    }
  })();
  login.addEdge(samlEdge);
  reloadParticipants.push(samlEdge.reload);
  samlEdge.registerRoutes(router);
  // OpenID Connect provider for portals (src/portals/oidc): oidc-provider under /oidc/ and discovery.
  const oidcEdge = await createOidcEdge({
    issuer: config.server.publicUrl,
    keys: keys.oidc,
    portals: () => portals,
    portalsFile: config.federation.portalsFile,
    login,
    accounts,
    db: store.db,
    clock,
    log,
    proxy: config.server.trustedProxies.length > 0,
  }).catch(async (err: unknown) => {
    // A client oidc-provider refuses stops the start; what was opened above must not keep the process alive.
    await eid?.close();
    await store.close();
    throw err;
  });
  login.addEdge(oidcEdge);
  accounts.addDeletionStep(oidcEdge.deletionStep);
  reloadParticipants.push(oidcEdge.reload);
  oidcEdge.registerRoutes(router);
  web.app.use(oidcEdge.middleware);

  // ---- Postkorb (src/mailbox): the citizen's pages and the sending API for portals ----
  // Its bearer tokens come from the OIDC edge's token endpoint, checked through the edge's port.
  const mailbox: MailboxModule | undefined = config.postkorb.enabled
    ? createMailbox({
        settings: config.postkorb,
        accounts,
        login,
        portals: () => portals,
        verifier: oidcEdge.accessTokenVerifier,
        db: store.db,
        clock,
        mailer,
        hmacKey: keys.hmacKey,
        publicUrl: config.server.publicUrl,
        operatorName: config.web.operatorName,
        log,
      })
    : undefined;
  if (mailbox) {
    mailbox.registerRoutes(router);
    web.app.use(mailbox.api);
  }

  web.finish();

  const scheduler = new Scheduler(store.db, clock, log, [
    { name: 'purge-unconfirmed-registrations', run: () => accounts.purgeUnconfirmed() },
    { name: 'purge-expired-sessions', run: () => purgeExpiredSessions(store.db, clock.now()) },
    { name: 'purge-expired-tokens', run: () => purgeExpiredTokens(store.db, clock.now()) },
    { name: 'purge-throttle', run: () => purgeThrottle(store.db, clock.now()) },
    { name: 'purge-audit', run: () => purgeAudit(store.db, clock.now() - 90 * DAY) },
    { name: 'purge-replay-cache', run: () => purgeReplayCache(store.db, clock.now()) },
    { name: 'purge-oidc-models', run: () => oidcEdge.purgeExpired() },
    { name: 'purge-passkey-enrolments', run: () => pass.purgeExpired() },
    ...federation.jobs,
    ...(mailbox?.jobs ?? []),
  ]);

  let server: Server | undefined;
  let demoServer: Server | undefined;
  async function reloadTrust(): Promise<TrustReloadResult> {
    let next: PortalRegistry;
    let nextTrust: TrustRegistry;
    try {
      next = readPortals();
      nextTrust = readTrust();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const problems = err.problems.map(formatConfigProblem);
      log.error({ problems }, 'trust configuration refused; the previous one keeps serving');
      return { ok: false, problems };
    }
    const commits: (() => void)[] = [];
    for (const participant of reloadParticipants) {
      try {
        commits.push(await participant.prepare(next));
      } catch (err) {
        const problems = err instanceof ConfigError ? err.problems.map(formatConfigProblem) : [(err as Error).message];
        log.error({ problems }, 'trust configuration refused; the previous one keeps serving');
        return { ok: false, problems };
      }
    }
    const federationCommit = await federation.prepareReload(nextTrust);
    portals = next;
    trust = nextTrust;
    for (const commit of commits) commit();
    federationCommit();
    log.info(
      { version: next.version, portals: next.portals.length, trustVersion: nextTrust.version, partners: nextTrust.partners.length },
      'trust configuration reloaded',
    );
    // New partners' metadata is fetched at once, not at the next job run.
    federation.refreshSoon();
    return { ok: true, version: `${next.version}+${nextTrust.version}` };
  }

  return {
    config,
    reloadTrust,
    onTrustReload: (participant) => reloadParticipants.push(participant),
    keys,
    login,
    portals: () => portals,
    store,
    web,
    accounts,
    mailer,
    scheduler,
    log,
    eid,
    federation,
    trust: () => trust,
    async listen() {
      const s = web.app.listen(config.server.port, config.server.host);
      server = s;
      await new Promise<void>((ok, fail) => {
        s.once('listening', ok);
        s.once('error', fail);
      });
      const address = s.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      scheduler.start(config.jobs.intervalSeconds * SECOND);
      if (demoMaterial) {
        const demoPortal = portals.portals.find((p) => p.id === 'demo');
        demoServer = await createDemoPortal({
          demoUrl: config.demo.publicUrl,
          hubUrl: config.server.publicUrl,
          hubSigningCertificatePem: keys.saml.signing.certificatePem as string,
          material: demoMaterial,
          clientId: demoPortal?.oidc?.clientId ?? 'demo-portal',
        }).listen(config.demo.port, config.server.host);
      }
      return { server: s, url: `http://${host}:${address.port}` };
    },
    async close() {
      await scheduler.stop();
      if (demoServer) {
        const d = demoServer;
        await new Promise<void>((ok) => {
          d.close(() => ok());
          d.closeAllConnections();
        });
      }
      if (server) {
        const s = server;
        await new Promise<void>((ok) => {
          s.close(() => ok());
          s.closeAllConnections();
        });
      }
      await eid?.close();
      await federation.close();
      await accounts.settled();
      mailer.close();
      await store.close();
    },
  };
}

async function main(): Promise<void> {
  let hub: Hub;
  try {
    hub = await createHub();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(
        `The hub cannot start; its configuration has problems:\n${err.problems.map((p) => `  ${formatConfigProblem(p)}`).join('\n')}\n`,
      );
      process.exit(1);
    }
    throw err;
  }
  const { url } = await hub.listen();
  const publicUrl = hub.config.server.publicUrl;
  process.stdout.write(
    [
      '',
      `Servicekonto hub listening on ${url}`,
      `  Start page:   ${publicUrl}/`,
      `  Register:     ${publicUrl}/registrieren`,
      `  Health:       ${publicUrl}/healthz`,
      hub.eid?.simulator ? `  eID:          simulator on (AusweisApp stand-in at ${hub.eid.simulator.clientUrl}; not for production)` : '',
      hub.config.demo.enabled ? `  Demo portal:  ${hub.config.demo.publicUrl}/  (Login via SAML / OIDC)` : '',
      hub.mailer.kind === 'file' ? `  Mail outbox:  ${path.resolve(PROJECT_ROOT, hub.config.mail.outboxDir)} (links are also logged)` : '',
      '',
    ]
      .filter((l) => l !== '')
      .join('\n') + '\n',
  );
  const stop = (signal: string): void => {
    hub.log.info({ signal }, 'shutting down');
    hub.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  // SIGHUP (systemctl reload, `npm run hub -- trust reload`): re-read the trust configuration.
  process.on('SIGHUP', () => {
    void hub.reloadTrust();
  });
  const pidFile = path.resolve(PROJECT_ROOT, hub.config.server.pidFile);
  mkdirSync(path.dirname(pidFile), { recursive: true });
  writeFileSync(pidFile, `${process.pid}\n`);
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void main();
}
