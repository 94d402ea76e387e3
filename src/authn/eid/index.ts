import type { Logger } from 'pino';
import type { AccountService } from '../../accounts/service.ts';
import type { Throttles } from '../../accounts/throttles.ts';
import type { HubConfig } from '../../config/schema.ts';
import { MINUTE, SECOND, type Clock } from '../../core/clock.ts';
import type { Loa } from '../../core/loa.ts';
import type { Login, LoginMethod } from '../../login/login.ts';
import type { Mailer } from '../../mail/mailer.ts';
import type { Db } from '../../store/db.ts';
import { deleteBinding } from '../../store/eid.ts';
import type { HubRouter } from '../../web/app.ts';
import { eidAuthenticator, freshEidGate, registerEidAccount } from './account.ts';
import { EidServerClient } from './client.ts';
import type { EidContext } from './common.ts';
import { loadEidCredentials } from './credentials.ts';
import { EidFlow } from './flow.ts';
import { eidMethod, registerEidLogin } from './login.ts';
import { eidRegistrationChoice, registerEidRegistration } from './registration.ts';
import { EidSimulator } from './simulator/simulator.ts';

/**
 * The eID module (issue 5): login and registration with the Online-Ausweisfunktion through an
 * eID-Server (BSI TR-03130), adding a card to a password account, the fresh eID login for
 * sensitive changes, and the simulator for development and tests. main.ts calls `createEid` and
 * registers what it returns; everything else reaches the rest of the hub through the registries
 * of `accounts` (section, gate, registration choice, deletion step) and `login` (the method).
 */

export interface EidSetup {
  readonly config: HubConfig['eid'];
  readonly production: boolean;
  /** Resolves a configured path against the project folder. */
  readonly resolve: (p: string) => string;
  readonly publicUrl: string;
  readonly operatorName: string;
  readonly minimumAge: number;
  readonly passwordLoa: Loa;
  readonly accounts: AccountService;
  readonly login: Login;
  readonly throttles: Throttles;
  readonly db: Db;
  readonly clock: Clock;
  readonly mailer: Mailer;
  readonly hmacKey: Buffer;
  readonly log: Logger;
}

export interface EidModule {
  readonly method: LoginMethod;
  /** The running simulator, when configured. */
  readonly simulator: EidSimulator | undefined;
  registerRoutes(router: HubRouter): void;
  close(): Promise<void>;
}

export async function createEid(s: EidSetup): Promise<EidModule> {
  const cfg = s.config;
  if (cfg.simulator.enabled && s.production) throw new Error('the eID-Server simulator must not run in production');
  // The simulator answers when no real eID-Server is named; with one, it is not started.
  const simulatorOn = cfg.simulator.enabled && cfg.serverUrl === '';
  const loaded = await loadEidCredentials({
    files: {
      serverCertificateFile: s.resolve(cfg.serverCertificateFile),
      serverSigningCertificateFile: cfg.serverSigningCertificateFile === '' ? '' : s.resolve(cfg.serverSigningCertificateFile),
      clientKeyFile: s.resolve(cfg.clientKeyFile),
      clientCertificateFile: s.resolve(cfg.clientCertificateFile),
    },
    simulatorKeyFile: simulatorOn ? s.resolve(cfg.simulator.keyFile) : undefined,
    generate: simulatorOn && !s.production,
  });
  for (const file of loaded.generated) s.log.warn({ file }, 'generated a development key for the eID link');

  let simulator: EidSimulator | undefined;
  if (simulatorOn && loaded.simulator) {
    simulator = new EidSimulator({
      host: cfg.simulator.host,
      serverPort: cfg.simulator.serverPort,
      clientPort: cfg.simulator.clientPort,
      identity: loaded.simulator,
      hubCertificate: loaded.credentials.client.certificate,
      requireSignedRequests: cfg.simulator.requireSignedRequests,
      clock: s.clock,
      log: s.log.child({ component: 'eid-simulator' }),
    });
    await simulator.start();
    s.log.info({ server: simulator.serverUrl, client: simulator.clientUrl }, 'eID-Server simulator listening');
  }
  const sim = simulator;

  const client = new EidServerClient({
    endpoint: () => (cfg.serverUrl !== '' ? cfg.serverUrl : (sim?.serverUrl ?? '')),
    credentials: loaded.credentials,
    wsSecurity: cfg.wsSecurity,
    timeoutMs: cfg.timeoutSeconds * SECOND,
    clock: s.clock,
  });
  const flow = new EidFlow({
    db: s.db,
    client,
    clock: s.clock,
    log: s.log,
    hmacKey: s.hmacKey,
    publicUrl: s.publicUrl,
    clientUrl: () => sim?.clientUrl ?? cfg.clientUrl,
    eCardServerUrl: cfg.eCardServerUrl,
    transactionMs: cfg.transactionMinutes * MINUTE,
    minimumAge: s.minimumAge,
    startsPerAddress: { kind: 'rate', max: cfg.startsPerAddress.max, windowMs: cfg.startsPerAddress.windowMinutes * MINUTE },
  });
  const context: EidContext = {
    accounts: s.accounts,
    login: s.login,
    db: s.db,
    clock: s.clock,
    mailer: s.mailer,
    log: s.log,
    flow,
    operatorName: s.operatorName,
    minimumAge: s.minimumAge,
    passwordLoa: s.passwordLoa,
  };

  s.accounts.addAuthenticatorSection(eidAuthenticator(context));
  s.accounts.addActionGate(freshEidGate(context));
  s.accounts.addRegistrationChoice(eidRegistrationChoice());
  s.accounts.addDeletionStep((trx, account) => deleteBinding(trx, account.id));

  return {
    method: eidMethod(),
    simulator,
    registerRoutes(router) {
      flow.registerRoutes(router);
      registerEidLogin(router, context, s.throttles);
      registerEidRegistration(router, context, s.throttles);
      registerEidAccount(router, context);
    },
    async close() {
      await simulator?.close();
    },
  };
}
