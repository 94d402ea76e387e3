import type { Logger } from 'pino';
import type { AccountService } from '../../accounts/service.ts';
import type { Clock } from '../../core/clock.ts';
import type { Loa } from '../../core/loa.ts';
import type { Login, LoginMethod } from '../../login/login.ts';
import type { Mailer } from '../../mail/mailer.ts';
import type { Db } from '../../store/db.ts';
import { deletePasskeyRows, purgeExpiredEnrolments } from '../../store/passkeys.ts';
import type { HubRouter } from '../../web/app.ts';
import { passAuthenticator, registerPassAccount } from './account.ts';
import { registerLibraryRoute, type PassContext } from './common.ts';
import { registerPassEnrolment } from './enrolment.ts';
import { passMethod, registerPassLogin } from './login.ts';
import { passMaxLoa } from './level.ts';
import { relyingParty } from './webauthn.ts';

/**
 * The Servicekonto.Pass (issue 5, DECISIONS 14): passkeys (WebAuthn) as a login method of level
 * "substanziell" at most, managed on "Meine Authentifizierungsmittel", with an enrolment QR code
 * for a second device. main.ts calls `createPass` and registers what it returns; the module reaches
 * the rest of the hub through `login` (the method) and the registries of `accounts` (its section,
 * the deletion step, the gate that tells how to step up, the ended-sessions listeners).
 */

export interface PassSetup {
  readonly publicUrl: string;
  readonly operatorName: string;
  /** eid.enabled: without ID cards a passkey gives niedrig at most. */
  readonly eidEnabled: boolean;
  /** login.passwordLoa: a passkey added in a session of less than niedrig gives that (DECISIONS 2). */
  readonly passwordLoa: Loa;
  readonly accounts: AccountService;
  readonly login: Login;
  readonly db: Db;
  readonly clock: Clock;
  readonly mailer: Mailer;
  readonly log: Logger;
}

export interface PassModule {
  readonly method: LoginMethod;
  registerRoutes(router: HubRouter): void;
  /** Housekeeping: deletes enrolment links past their 10 minutes. */
  purgeExpired(): Promise<number>;
}

export function createPass(s: PassSetup): PassModule {
  const context: PassContext = {
    accounts: s.accounts,
    login: s.login,
    db: s.db,
    clock: s.clock,
    mailer: s.mailer,
    log: s.log,
    rp: relyingParty(s.publicUrl, s.operatorName),
    publicUrl: s.publicUrl,
    operatorName: s.operatorName,
    eidEnabled: s.eidEnabled,
    passwordLoa: s.passwordLoa,
  };
  s.accounts.addAuthenticatorSection(passAuthenticator(context));
  s.accounts.addDeletionStep((trx, account) => deletePasskeyRows(trx, account.id));
  return {
    method: passMethod(passMaxLoa({ eidEnabled: s.eidEnabled, passwordLoa: s.passwordLoa })),
    registerRoutes(router) {
      registerLibraryRoute(router);
      registerPassLogin(router, context);
      registerPassAccount(router, context);
      registerPassEnrolment(router, context);
    },
    purgeExpired: () => purgeExpiredEnrolments(s.db, s.clock.now()),
  };
}
