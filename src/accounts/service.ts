import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { selfDeclared, type AttributeName, type Attributes, type AttributeValue } from '../core/attributes.ts';
import { DAY, MINUTE, type Clock } from '../core/clock.ts';
import { PERSONAL_FIELDS, usernameKey, type PersonalData } from '../core/personal-data.ts';
import type { Mailer, MailMessage } from '../mail/mailer.ts';
import {
  deleteAccountRows,
  findAccountById,
  findAccountByUsernameKey,
  findActiveAccountsByEmailKey,
  findExpiredPendingAccounts,
  insertAccount,
  isDeMailTaken,
  isUsernameTaken,
  readAttributes,
  updateAccount,
  writeAttributes,
  type Account,
} from '../store/accounts.ts';
import { auditForAccount, deleteAuditForAccount, recordAudit, type AuditEvent, type AuditRecord } from '../store/audit.ts';
import { isUniqueViolation, type Db, type Queryable } from '../store/db.ts';
import { keyedHash } from '../store/keyed-hash.ts';
import { deleteAccountSessions } from '../store/sessions.ts';
import { consumeToken, createToken, deleteTokens, findPendingToken, peekToken, type TokenCheck } from '../store/tokens.ts';
import type { HubContext } from '../web/context.ts';
import type { Html } from '../web/html.ts';
import type { Lang } from '../web/i18n.ts';
import {
  accountDeletedMail,
  confirmRegistrationMail,
  emailChangeConfirmMail,
  emailChangeNoticeMail,
  maskEmail,
  passwordChangedMail,
  passwordResetMail,
  usernameReminderMail,
  type MailContext,
} from './mails.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

/**
 * Local accounts: registration, confirmation, recovery, data changes and deletion. Every change
 * that touches several rows runs in one transaction; mails go out after it committed. No HTTP
 * here: the pages in ./routes-*.ts call these functions.
 */

export interface AccountSettings {
  readonly publicUrl: string;
  readonly operatorName: string;
  readonly confirmationMs: number;
  readonly resetLinkMs: number;
}

/** Work another module does inside the deletion transaction (DECISIONS 6). */
export type DeletionStep = (trx: Queryable, account: Account) => Promise<void>;

/** Sessions ended outside the citizen's browser (password reset, deletion), after commit. */
export type SessionsEndedListener = (ended: readonly { data: Readonly<Record<string, unknown>> }[]) => Promise<void>;

/** A section another module adds to "Mein Servicekonto" (authenticators, Postkorb, consents). */
export interface AccountSection {
  readonly order: number;
  render(ctx: HubContext, account: Account): Promise<Html>;
}

/** A change on the account pages that another module may put a condition on (DECISIONS 6). */
export type SensitiveAction = 'changeData' | 'deleteAccount' | 'setPassword' | 'changeAuthenticators';

/**
 * What a gate says about a sensitive change: `open` (no objection), `confirmed` (a fresh strong
 * authentication covers it; no password needs re-entering) or `redirect` (authenticate there first).
 */
export type GateVerdict = { readonly kind: 'open' } | { readonly kind: 'confirmed' } | { readonly kind: 'redirect'; readonly url: string };

export type ActionGate = (ctx: HubContext, account: Account, action: SensitiveAction) => Promise<GateVerdict>;

/**
 * A means of authentication shown on "Meine Authentifizierungsmittel" (password, ID card,
 * Servicekonto.Pass): a line for the summary on "Mein Servicekonto" and a section on the page.
 */
export interface AuthenticatorSection {
  readonly order: number;
  summary(ctx: HubContext, account: Account): Promise<Html>;
  render(ctx: HubContext, account: Account): Promise<Html>;
}

/** Another way to register, offered on the first registration page (e.g. with the ID card). */
export interface RegistrationChoice {
  readonly order: number;
  render(ctx: HubContext): Html;
}

/**
 * A choice another module offers at registration (the Postkorb checkbox, DECISIONS 6): a checkbox
 * on the credentials step, a line on the review page, and work in the registration's transaction
 * when the citizen ticked it.
 */
export interface RegistrationOption {
  /** Field name of the checkbox and the id the registration carries in `options`. */
  readonly name: string;
  readonly order: number;
  label(lang: Lang): string;
  /** Shown under the checkbox. */
  hint(lang: Lang): string;
  /** Runs in the registration's transaction once the account row exists. */
  apply(trx: Queryable, accountId: string): Promise<void>;
}

/**
 * Attributes another module keeps for an account (the Postkorb handle). They join the stored
 * ones in `attributes()`; a stored value of a name a source owns is never used.
 */
export interface AttributeSource {
  readonly names: readonly AttributeName[];
  read(accountId: string): Promise<Attributes>;
}

/** A registration whose personal data were verified elsewhere (an ID card) and are stored as they are. */
export interface VerifiedRegistration {
  readonly username: string;
  readonly email: string;
  /** `null`: no password; the account logs in with the authenticator that verified it. */
  readonly passwordHash: string | null;
  readonly attributes: Attributes;
  readonly lang: Lang;
  /** Runs in the registration's transaction once the account row exists (e.g. binding the card). */
  readonly link: (trx: Queryable, accountId: string) => Promise<void>;
  /** Names of the registration options the citizen ticked. */
  readonly options?: readonly string[];
}

export interface Registration {
  readonly personal: PersonalData;
  readonly username: string;
  readonly passwordHash: string;
  readonly lang: Lang;
  /** Names of the registration options the citizen ticked. */
  readonly options?: readonly string[];
}

export type RegistrationResult =
  { ok: true; accountId: string; mailSent: boolean } | { ok: false; problem: 'usernameTaken' | 'deMailTaken' };

export type PasswordLogin =
  { ok: true; account: Account } | { ok: false; reason: 'invalid' } | { ok: false; reason: 'pending'; account: Account };

/** Personal data as account attributes; self-declared, hence `basic` (DECISIONS 2). */
export function personalAttributes(p: PersonalData): Partial<Record<AttributeName, AttributeValue | null>> {
  const opt = (v: string | undefined): AttributeValue | null => (v === undefined ? null : selfDeclared(v));
  return {
    givenName: selfDeclared(p.givenName),
    familyName: selfDeclared(p.familyName),
    dateOfBirth: selfDeclared(p.dateOfBirth),
    placeOfBirth: opt(p.placeOfBirth),
    street: selfDeclared(p.street),
    postalCode: selfDeclared(p.postalCode),
    locality: selfDeclared(p.locality),
    country: selfDeclared('DE'),
    email: selfDeclared(p.email),
    deMail: opt(p.deMail),
    birthName: opt(p.birthName),
    doctoralDegree: opt(p.doctoralDegree),
  };
}

/** The form values of an account's attributes. */
export function personalDataOf(attributes: Attributes): Partial<Record<keyof PersonalData, string>> {
  const out: Partial<Record<keyof PersonalData, string>> = {};
  for (const key of PERSONAL_FIELDS) {
    const v = attributes[key];
    if (v) out[key] = v.value;
  }
  return out;
}

function emailKey(address: string): string {
  return address.toLowerCase();
}

export class AccountService {
  private readonly deletionSteps: DeletionStep[] = [];
  private readonly sessionListeners: SessionsEndedListener[] = [];
  private readonly sectionList: AccountSection[] = [];
  private readonly authenticatorList: AuthenticatorSection[] = [];
  private readonly gates: ActionGate[] = [];
  private readonly choices: RegistrationChoice[] = [];
  private readonly optionList: RegistrationOption[] = [];
  private readonly attributeSources: AttributeSource[] = [];
  private readonly deletePageList: AccountSection[] = [];
  private readonly outgoing = new Set<Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly mailer: Mailer,
    private readonly hmacKey: Buffer,
    private readonly settings: AccountSettings,
    private readonly log: Logger,
  ) {}

  /** Registers work that must run when an account is deleted (other modules' rows). */
  addDeletionStep(step: DeletionStep): void {
    this.deletionSteps.push(step);
  }

  /** Registers who must hear of sessions ended by a reset, a deletion or a password change. */
  onSessionsEnded(listener: SessionsEndedListener): void {
    this.sessionListeners.push(listener);
  }

  private async sessionsEnded(ended: readonly { data: Readonly<Record<string, unknown>> }[]): Promise<void> {
    if (ended.length === 0) return;
    for (const listener of this.sessionListeners) {
      await listener(ended).catch((err: unknown) => this.log.warn({ err }, 'session end listener failed'));
    }
  }

  addSection(section: AccountSection): void {
    this.sectionList.push(section);
    this.sectionList.sort((a, b) => a.order - b.order);
  }

  get sections(): readonly AccountSection[] {
    return this.sectionList;
  }

  /** Registers a section of "Meine Authentifizierungsmittel" (./authenticators.ts renders the page). */
  addAuthenticatorSection(section: AuthenticatorSection): void {
    this.authenticatorList.push(section);
    this.authenticatorList.sort((a, b) => a.order - b.order);
  }

  get authenticatorSections(): readonly AuthenticatorSection[] {
    return this.authenticatorList;
  }

  /**
   * Another module ended sessions of an account in its own transaction (an authenticator removed,
   * DECISIONS 5): after commit, the listeners tell the portals of those sessions.
   */
  async announceEndedSessions(ended: readonly { data: Readonly<Record<string, unknown>> }[]): Promise<void> {
    await this.sessionsEnded(ended);
  }

  addActionGate(gate: ActionGate): void {
    this.gates.push(gate);
  }

  /** Asks every gate; a redirect wins over a confirmation, which wins over no objection. */
  async gateAction(ctx: HubContext, account: Account, action: SensitiveAction): Promise<GateVerdict> {
    let verdict: GateVerdict = { kind: 'open' };
    for (const gate of this.gates) {
      const v = await gate(ctx, account, action);
      if (v.kind === 'redirect') return v;
      if (v.kind === 'confirmed') verdict = v;
    }
    return verdict;
  }

  addRegistrationChoice(choice: RegistrationChoice): void {
    this.choices.push(choice);
    this.choices.sort((a, b) => a.order - b.order);
  }

  get registrationChoices(): readonly RegistrationChoice[] {
    return this.choices;
  }

  addRegistrationOption(option: RegistrationOption): void {
    this.optionList.push(option);
    this.optionList.sort((a, b) => a.order - b.order);
  }

  get registrationOptions(): readonly RegistrationOption[] {
    return this.optionList;
  }

  /** Runs the ticked options in the registration's transaction; unknown names are ignored. */
  private async applyRegistrationOptions(trx: Queryable, accountId: string, chosen: readonly string[] | undefined): Promise<void> {
    for (const option of this.optionList) if (chosen?.includes(option.name)) await option.apply(trx, accountId);
  }

  addAttributeSource(source: AttributeSource): void {
    this.attributeSources.push(source);
  }

  /** A section of the page "Servicekonto löschen" (e.g. the Postkorb's download before it is gone). */
  addDeletePageSection(section: AccountSection): void {
    this.deletePageList.push(section);
    this.deletePageList.sort((a, b) => a.order - b.order);
  }

  get deletePageSections(): readonly AccountSection[] {
    return this.deletePageList;
  }

  /** The keyed hash audit rows use for an account (DECISIONS 6). */
  accountRef(accountId: string): string {
    return keyedHash(this.hmacKey, 'account', accountId);
  }

  link(path: string, token: string): string {
    return `${this.settings.publicUrl.replace(/\/$/, '')}${path}?t=${encodeURIComponent(token)}`;
  }

  private mailContext(lang: Lang, to: string): MailContext {
    return { lang, to, operatorName: this.settings.operatorName };
  }

  /**
   * Sends a mail without making the request wait for it, so response times do not reveal
   * whether an address or username exists. Failures are logged; `settled()` waits for all.
   */
  private sendInBackground(message: MailMessage): void {
    const p = this.mailer
      .send(message)
      .catch((err: unknown) => this.log.error({ err }, 'mail could not be sent'))
      .finally(() => this.outgoing.delete(p));
    this.outgoing.add(p);
  }

  /** Sends a mail the citizen waits for; a failure is logged and reported, never thrown. */
  private async trySend(message: MailMessage): Promise<boolean> {
    try {
      await this.mailer.send(message);
      return true;
    } catch (err) {
      this.log.error({ err }, 'mail could not be sent');
      return false;
    }
  }

  /** Resolves when every mail started so far has been handed over. */
  async settled(): Promise<void> {
    while (this.outgoing.size > 0) await Promise.all([...this.outgoing]);
  }

  private async audit(q: Queryable, event: AuditEvent, accountId: string | null, detail: AuditRecord['detail'] = {}): Promise<void> {
    await recordAudit(q, { at: this.clock.now(), accountRef: accountId === null ? null : this.accountRef(accountId), event, detail });
  }

  // ---- reading -------------------------------------------------------------------------

  findById(id: string): Promise<Account | undefined> {
    return findAccountById(this.db, id);
  }

  /** The stored attributes, joined by those of the registered sources (e.g. the Postkorb handle). */
  async attributes(accountId: string): Promise<Attributes> {
    const stored = await readAttributes(this.db, accountId);
    if (this.attributeSources.length === 0) return stored;
    const out: Partial<Record<AttributeName, AttributeValue>> = { ...stored };
    for (const source of this.attributeSources) {
      const values = await source.read(accountId);
      for (const name of source.names) {
        const v = values[name];
        if (v === undefined) delete out[name];
        else out[name] = v;
      }
    }
    return out;
  }

  isUsernameTaken(username: string): Promise<boolean> {
    return isUsernameTaken(this.db, usernameKey(username));
  }

  isDeMailTaken(deMail: string, exceptAccountId?: string): Promise<boolean> {
    return isDeMailTaken(this.db, emailKey(deMail), exceptAccountId);
  }

  pendingEmailChange(accountId: string): Promise<{ payload: string | null; expiresAt: number } | undefined> {
    return findPendingToken(this.db, accountId, 'email', this.clock.now());
  }

  /** Logins and data changes of the last 90 days, newest first (DECISIONS 17). */
  recentActivity(accountId: string): Promise<AuditRecord[]> {
    return auditForAccount(this.db, this.accountRef(accountId), this.clock.now() - 90 * DAY, [
      'login.succeeded',
      'password.changed',
      'password.reset',
      'data.changed',
      'email.changed',
      'eid.bound',
      'passkey.added',
      'passkey.removed',
      'passkey.counterRegression',
    ]);
  }

  // ---- registration --------------------------------------------------------------------

  async register(r: Registration): Promise<RegistrationResult> {
    const demailKey = r.personal.deMail ? emailKey(r.personal.deMail) : null;
    const attributes = Object.fromEntries(Object.entries(personalAttributes(r.personal)).filter(([, v]) => v !== null)) as Attributes;
    return this.createPending(
      { username: r.username, passwordHash: r.passwordHash, email: r.personal.email, demailKey, lang: r.lang, attributes },
      {
        before: async (trx) => {
          if (demailKey && (await isDeMailTaken(trx, demailKey))) throw new Conflict('deMailTaken');
        },
        after: (trx, id) => this.applyRegistrationOptions(trx, id, r.options),
      },
      'deMailTaken',
    );
  }

  /**
   * Registers an account whose data were verified (an ID card): the attributes are stored as
   * given, the e-mail address is added as the citizen's own, `link` runs in the same transaction.
   * Then the same confirmation as any registration (24 h, or the purge deletes everything).
   */
  async registerVerified(
    r: VerifiedRegistration,
  ): Promise<{ ok: true; accountId: string; mailSent: boolean } | { ok: false; problem: 'usernameTaken' | 'linkTaken' }> {
    return this.createPending(
      {
        username: r.username,
        passwordHash: r.passwordHash,
        email: r.email,
        demailKey: null,
        lang: r.lang,
        attributes: { ...r.attributes, email: selfDeclared(r.email) },
      },
      {
        after: async (trx, id) => {
          await r.link(trx, id);
          await this.applyRegistrationOptions(trx, id, r.options);
        },
      },
      'linkTaken',
    );
  }

  /**
   * Both registrations: a pending account and its confirmation token in one transaction (with the
   * caller's checks before and its own rows after the insert), then the confirmation mail. A unique index that
   * refuses the insert (a parallel registration won the race) becomes `usernameTaken` or `other`.
   */
  private async createPending<P extends string>(
    a: { username: string; passwordHash: string | null; email: string; demailKey: string | null; lang: Lang; attributes: Attributes },
    steps: { before?: (trx: Queryable) => Promise<void>; after?: (trx: Queryable, accountId: string) => Promise<void> },
    other: P,
  ): Promise<{ ok: true; accountId: string; mailSent: boolean } | { ok: false; problem: 'usernameTaken' | P }> {
    const now = this.clock.now();
    const id = randomUUID();
    const pendingUntil = now + this.settings.confirmationMs;
    const account: Account = {
      id,
      username: a.username,
      usernameKey: usernameKey(a.username),
      passwordHash: a.passwordHash,
      status: 'pending',
      email: a.email,
      emailKey: emailKey(a.email),
      demailKey: a.demailKey,
      locale: a.lang,
      createdAt: now,
      confirmedAt: null,
      pendingUntil,
      updatedAt: now,
    };
    let token: string;
    try {
      token = await this.db.transaction(async (trx) => {
        if (await isUsernameTaken(trx, account.usernameKey)) throw new Conflict('usernameTaken');
        await steps.before?.(trx);
        await insertAccount(trx, account, a.attributes);
        await steps.after?.(trx, id);
        await this.audit(trx, 'account.registered', id);
        return createToken(trx, { accountId: id, purpose: 'confirm', now, expiresAt: pendingUntil });
      });
    } catch (err) {
      if (err instanceof Conflict) return { ok: false, problem: err.problem === 'usernameTaken' ? 'usernameTaken' : other };
      if (isUniqueViolation(err)) {
        return { ok: false, problem: (await isUsernameTaken(this.db, account.usernameKey)) ? 'usernameTaken' : other };
      }
      throw err;
    }
    const mailSent = await this.trySend(
      confirmRegistrationMail(
        this.mailContext(a.lang, account.email),
        account.username,
        this.link('/registrieren/bestaetigen', token),
        pendingUntil,
      ),
    );
    return { ok: true, accountId: id, mailSent };
  }

  /** A new confirmation link for a pending account; it expires with the registration. */
  async resendConfirmation(accountId: string): Promise<void> {
    const now = this.clock.now();
    const account = await findAccountById(this.db, accountId);
    if (!account || account.status !== 'pending' || account.pendingUntil === null || account.pendingUntil <= now) return;
    const token = await this.db.transaction(async (trx) => {
      await deleteTokens(trx, accountId, 'confirm');
      return createToken(trx, { accountId, purpose: 'confirm', now, expiresAt: account.pendingUntil as number });
    });
    this.sendInBackground(
      confirmRegistrationMail(
        this.mailContext(account.locale, account.email),
        account.username,
        this.link('/registrieren/bestaetigen', token),
        account.pendingUntil,
      ),
    );
  }

  async confirmRegistration(token: string): Promise<TokenCheck> {
    const now = this.clock.now();
    return this.db.transaction(async (trx) => {
      const check = await consumeToken(trx, token, 'confirm', now);
      if (!check.ok) return check;
      const account = await findAccountById(trx, check.accountId);
      if (!account || account.status !== 'pending') return { ok: false, reason: 'invalid' } as const;
      await updateAccount(trx, account.id, { status: 'active', confirmedAt: now, pendingUntil: null }, now);
      await this.audit(trx, 'account.confirmed', account.id);
      return check;
    });
  }

  /** Deletes registrations not confirmed in time, completely. Returns how many. */
  async purgeUnconfirmed(): Promise<number> {
    const ids = await findExpiredPendingAccounts(this.db, this.clock.now());
    for (const id of ids) {
      await this.db.transaction(async (trx) => {
        const account = await findAccountById(trx, id);
        if (!account || account.status !== 'pending') return;
        await this.deleteEverything(trx, account);
        await this.audit(trx, 'account.deleted', null, { reason: 'unconfirmed' });
      });
    }
    if (ids.length > 0) this.log.info({ count: ids.length }, 'unconfirmed registrations deleted');
    return ids.length;
  }

  // ---- login ---------------------------------------------------------------------------

  async checkPassword(username: string, password: string): Promise<PasswordLogin> {
    const account = await findAccountByUsernameKey(this.db, usernameKey(username));
    const ok = await verifyPassword(account?.passwordHash, password);
    if (!ok || !account) return { ok: false, reason: 'invalid' };
    if (account.status === 'pending') return { ok: false, reason: 'pending', account };
    return { ok: true, account };
  }

  async recordLogin(accountId: string, detail: AuditRecord['detail']): Promise<void> {
    await this.audit(this.db, 'login.succeeded', accountId, detail);
  }

  async recordLogout(accountId: string): Promise<void> {
    await this.audit(this.db, 'logout', accountId);
  }

  async recordFailedLogin(username: string): Promise<void> {
    const account = await findAccountByUsernameKey(this.db, usernameKey(username));
    await this.audit(this.db, 'login.failed', account?.id ?? null, { method: 'pwd' });
  }

  // ---- recovery ------------------------------------------------------------------------

  /** Mails every active username registered with this address; silent when there is none. */
  async sendUsernameReminder(address: string): Promise<void> {
    const accounts = await findActiveAccountsByEmailKey(this.db, emailKey(address));
    const first = accounts[0];
    if (!first) return;
    this.sendInBackground(
      usernameReminderMail(
        this.mailContext(first.locale, first.email),
        accounts.map((a) => a.username),
        `${this.settings.publicUrl.replace(/\/$/, '')}/anmelden`,
      ),
    );
  }

  /** Mails a single-use reset link to an active account; silent when there is none. */
  async sendPasswordReset(username: string): Promise<void> {
    const now = this.clock.now();
    const account = await findAccountByUsernameKey(this.db, usernameKey(username));
    if (!account || account.status !== 'active') return;
    const token = await this.db.transaction(async (trx) => {
      // Only the newest link works.
      await deleteTokens(trx, account.id, 'reset');
      return createToken(trx, { accountId: account.id, purpose: 'reset', now, expiresAt: now + this.settings.resetLinkMs });
    });
    this.sendInBackground(
      passwordResetMail(
        this.mailContext(account.locale, account.email),
        account.username,
        this.link('/passwort-zuruecksetzen', token),
        Math.round(this.settings.resetLinkMs / MINUTE),
      ),
    );
  }

  checkResetToken(token: string): Promise<TokenCheck> {
    return peekToken(this.db, token, 'reset', this.clock.now());
  }

  /**
   * Sets a new password with a reset link. The link is used up, and every session of the
   * account ends (whoever knew the old password is out).
   */
  async resetPassword(token: string, newPassword: string): Promise<TokenCheck & { account?: Account }> {
    const now = this.clock.now();
    const hash = await hashPassword(newPassword);
    const result = await this.db.transaction(async (trx) => {
      const check = await consumeToken(trx, token, 'reset', now);
      if (!check.ok) return check;
      const account = await findAccountById(trx, check.accountId);
      if (!account) return { ok: false, reason: 'invalid' } as const;
      await updateAccount(trx, account.id, { passwordHash: hash }, now);
      const ended = await deleteAccountSessions(trx, account.id);
      await this.audit(trx, 'password.reset', account.id);
      return { ...check, account, ended };
    });
    if (result.ok && 'ended' in result) await this.sessionsEnded(result.ended);
    if (result.ok && 'account' in result && result.account) {
      this.sendInBackground(passwordChangedMail(this.mailContext(result.account.locale, result.account.email), result.account.username));
    }
    return result;
  }

  /** Changes the password of a logged-in citizen; other sessions end, this one stays. */
  async changePassword(account: Account, newPassword: string, keepSessionIdHash: string | undefined): Promise<void> {
    const now = this.clock.now();
    const hash = await hashPassword(newPassword);
    const ended = await this.db.transaction(async (trx) => {
      await updateAccount(trx, account.id, { passwordHash: hash }, now);
      const gone = await deleteAccountSessions(trx, account.id, keepSessionIdHash);
      await deleteTokens(trx, account.id, 'reset');
      await this.audit(trx, 'password.changed', account.id);
      return gone;
    });
    await this.sessionsEnded(ended);
    this.sendInBackground(passwordChangedMail(this.mailContext(account.locale, account.email), account.username));
  }

  // ---- data changes --------------------------------------------------------------------

  /**
   * Stores changed personal data. A new e-mail address is not used until its link is opened:
   * the attribute keeps the old address and a token carries the new one.
   */
  async changePersonalData(
    account: Account,
    data: PersonalData,
    lang: Lang,
  ): Promise<{ ok: true; emailChangePending: boolean; mailSent: boolean } | { ok: false; problem: 'deMailTaken' }> {
    const now = this.clock.now();
    const current = await readAttributes(this.db, account.id);
    const wanted = personalAttributes(data);
    const changes: Partial<Record<AttributeName, AttributeValue | null>> = {};
    const changedNames: string[] = [];
    for (const [name, v] of Object.entries(wanted) as [AttributeName, AttributeValue | null][]) {
      if (name === 'email') continue;
      const before = current[name];
      if ((v?.value ?? undefined) === before?.value) continue;
      // Data read from the ID card is not the citizen's to edit.
      if (before && before.source !== 'self') continue;
      changes[name] = v;
      changedNames.push(name);
    }
    const emailChanged = emailKey(data.email) !== account.emailKey;
    const demailKey = data.deMail ? emailKey(data.deMail) : null;
    let token: string | undefined;
    const expiresAt = now + this.settings.confirmationMs;
    try {
      token = await this.db.transaction(async (trx) => {
        if (demailKey && (await isDeMailTaken(trx, demailKey, account.id))) throw new Conflict('deMailTaken');
        await writeAttributes(trx, account.id, changes, now);
        if (demailKey !== account.demailKey) await updateAccount(trx, account.id, { demailKey }, now);
        if (changedNames.length > 0) await this.audit(trx, 'data.changed', account.id, { fields: changedNames });
        if (!emailChanged) return undefined;
        await deleteTokens(trx, account.id, 'email');
        return createToken(trx, { accountId: account.id, purpose: 'email', payload: data.email, now, expiresAt });
      });
    } catch (err) {
      if (err instanceof Conflict || isUniqueViolation(err)) return { ok: false, problem: 'deMailTaken' };
      throw err;
    }
    let mailSent = true;
    if (token !== undefined) {
      mailSent = await this.trySend(
        emailChangeConfirmMail(
          this.mailContext(lang, data.email),
          account.username,
          this.link('/konto/email-bestaetigen', token),
          expiresAt,
        ),
      );
      this.sendInBackground(
        emailChangeNoticeMail(this.mailContext(account.locale, account.email), account.username, maskEmail(data.email)),
      );
    }
    return { ok: true, emailChangePending: token !== undefined, mailSent };
  }

  async confirmEmailChange(token: string): Promise<TokenCheck> {
    const now = this.clock.now();
    return this.db.transaction(async (trx) => {
      const check = await consumeToken(trx, token, 'email', now);
      if (!check.ok || check.payload === null) return check.ok ? ({ ok: false, reason: 'invalid' } as const) : check;
      const address = check.payload;
      await updateAccount(trx, check.accountId, { email: address, emailKey: emailKey(address) }, now);
      await writeAttributes(trx, check.accountId, { email: selfDeclared(address) }, now);
      await this.audit(trx, 'email.changed', check.accountId);
      return check;
    });
  }

  // ---- deletion ------------------------------------------------------------------------

  private async deleteEverything(trx: Queryable, account: Account): Promise<{ data: Readonly<Record<string, unknown>> }[]> {
    for (const step of this.deletionSteps) await step(trx, account);
    const ended = await deleteAccountSessions(trx, account.id);
    await deleteAuditForAccount(trx, this.accountRef(account.id));
    await deleteAccountRows(trx, account.id);
    return ended;
  }

  /** Deletes the account and all its rows in one transaction; a notice goes to its address. */
  async deleteAccount(account: Account): Promise<void> {
    const ended = await this.db.transaction(async (trx) => {
      const gone = await this.deleteEverything(trx, account);
      await this.audit(trx, 'account.deleted', null, { reason: 'citizen' });
      return gone;
    });
    await this.sessionsEnded(ended);
    // A federated account (src/accounts/federated.ts) has no address of its own to tell.
    if (account.email !== '') this.sendInBackground(accountDeletedMail(this.mailContext(account.locale, account.email), account.username));
  }

  async verifyAccountPassword(account: Account, password: string): Promise<boolean> {
    return verifyPassword(account.passwordHash, password);
  }
}

class Conflict extends Error {
  constructor(readonly problem: 'usernameTaken' | 'deMailTaken') {
    super(problem);
  }
}
