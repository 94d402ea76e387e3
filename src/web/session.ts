import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Loa } from '../core/loa.ts';
import { currentLevel, dropLapsed, recordLevel, sessionEnd, type LevelsReached } from '../core/session-levels.ts';
import type { Db } from '../store/db.ts';
import { deleteSession, saveSession, type SessionRecord } from '../store/sessions.ts';

/**
 * The server-side session: one row per browser, found by the hash of the random id in the
 * cookie. It holds the SSO state (account, the levels reached and when, DECISIONS 4), the CSRF
 * secret and short-lived flow data (a registration in progress). Read once per request; written
 * only when something changed or the activity stamp is worth refreshing.
 */

export interface SessionOptions {
  readonly cookieName: string;
  readonly secure: boolean;
  /** Idle limit of a session nobody is logged in to. */
  readonly anonymousIdleMs: number;
}

/** Activity is recorded at this granularity; a level's idle limit is never shorter than 5 min. */
const TOUCH_INTERVAL_MS = 30_000;

export function hashSessionId(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

function newId(): string {
  return randomBytes(32).toString('base64url');
}

export type SessionEndReason = 'timeout';

/** Session key of the one-time notice that the previous session ended. */
export const SESSION_ENDED = 'sessionEnded';

/** The part of a response the session writes to. */
export interface CookieSink {
  append(field: string, value: string): void;
}

export class Session {
  private id: string | undefined;
  private record: SessionRecord | undefined;
  private data: Record<string, unknown>;
  private levels: LevelsReached;
  private accountIdValue: string | null;
  /** The principal of a login without an account here (see SessionRecord.subject). */
  private subjectValue: string | null;
  private dirty = false;
  private destroyed = false;
  /** Row of a previous id to delete on commit (login rotates the id). */
  private staleIdHash: string | undefined;
  readonly endedBecause: SessionEndReason | undefined;

  constructor(
    private readonly now: number,
    id: string | undefined,
    record: SessionRecord | undefined,
    endedBecause: SessionEndReason | undefined,
  ) {
    this.id = record ? id : undefined;
    this.record = record;
    this.data = { ...(record?.data ?? {}) };
    this.accountIdValue = record?.accountId ?? null;
    this.subjectValue = record?.subject ?? null;
    this.levels = record ? dropLapsed(record.levels, record.lastSeenAt, now) : {};
    this.endedBecause = endedBecause;
    // Kept across the redirect to the login page, so the citizen learns why they are there.
    if (endedBecause) this.set(SESSION_ENDED, endedBecause);
  }

  get accountId(): string | undefined {
    return this.accountIdValue ?? undefined;
  }

  /**
   * The random principal of a login through another state's account that keeps no account here
   * (DECISIONS 8); undefined for account logins and anonymous sessions.
   */
  get subject(): string | undefined {
    return this.subjectValue ?? undefined;
  }

  /** Who is logged in: the account, or the principal of a login without an account. */
  get principalId(): string | undefined {
    return this.accountIdValue ?? this.subjectValue ?? undefined;
  }

  /** The level of this session now, or `undefined` when nobody is logged in. */
  get loa(): Loa | undefined {
    if (this.accountIdValue === null && this.subjectValue === null) return undefined;
    return currentLevel(this.levels, this.now, this.now);
  }

  get levelsReached(): LevelsReached {
    return this.levels;
  }

  get<T>(key: string): T | undefined {
    return this.data[key] as T | undefined;
  }

  set(key: string, value: unknown): void {
    this.data[key] = value;
    this.dirty = true;
  }

  delete(key: string): void {
    if (key in this.data) {
      delete this.data[key];
      this.dirty = true;
    }
  }

  /** Reads and removes a one-time value (a notice for the next page). */
  take<T>(key: string): T | undefined {
    const value = this.get<T>(key);
    this.delete(key);
    return value;
  }

  /** The CSRF secret of this session, created on first use. */
  csrfToken(): string {
    let token = this.get<string>('csrf');
    if (typeof token !== 'string') {
      token = randomBytes(32).toString('base64url');
      this.set('csrf', token);
    }
    return token;
  }

  checkCsrf(candidate: string): boolean {
    const token = this.get<string>('csrf');
    if (typeof token !== 'string' || candidate.length !== token.length) return false;
    return timingSafeEqual(Buffer.from(candidate), Buffer.from(token));
  }

  /**
   * Records a successful authentication: a new session id (the old one stops working), the
   * level reached now, and a fresh CSRF secret. Another account's session data is dropped.
   */
  authenticated(accountId: string, loa: Loa): void {
    if ((this.accountIdValue !== null && this.accountIdValue !== accountId) || this.subjectValue !== null) {
      this.data = {};
      this.levels = {};
    }
    this.accountIdValue = accountId;
    this.subjectValue = null;
    this.levels = recordLevel(this.levels, loa, this.now);
    this.rotate();
    delete this.data.csrf;
    this.dirty = true;
  }

  /**
   * Records a login without an account here (a partner's citizen, DECISIONS 8) under a new
   * random principal: like `authenticated`, and whatever an earlier login left is dropped.
   * `exactLevel` (a temporary login, issue 9): only the level reached is recorded, not the ones
   * below it, so the session ends when that level lapses (hoch: 5 minutes idle, 30 in all)
   * instead of falling back to a lower one.
   */
  authenticatedWithoutAccount(subject: string, loa: Loa, exactLevel = false): void {
    if (this.accountIdValue !== null || (this.subjectValue !== null && this.subjectValue !== subject)) {
      this.data = {};
      this.levels = {};
    }
    this.accountIdValue = null;
    this.subjectValue = subject;
    this.levels = exactLevel ? { [loa]: this.now } : recordLevel(this.levels, loa, this.now);
    this.rotate();
    delete this.data.csrf;
    this.dirty = true;
  }

  /**
   * Ends the login but keeps a (new, anonymous) session for what follows in this browser, such
   * as notifying portals of the logout: a new id, no account, no levels, no data.
   */
  restart(): void {
    this.accountIdValue = null;
    this.subjectValue = null;
    this.levels = {};
    this.data = {};
    this.rotate();
    this.dirty = true;
  }

  /** Ends the session: the row goes and the cookie is cleared. */
  destroy(): void {
    this.destroyed = true;
    this.dirty = true;
    this.accountIdValue = null;
    this.subjectValue = null;
    this.levels = {};
    this.data = {};
  }

  /** The row's id hash, to spare this session when the account's others are ended. */
  get idHash(): string | undefined {
    return this.record?.idHash;
  }

  private rotate(): void {
    if (this.record) this.staleIdHash = this.record.idHash;
    this.record = undefined;
    this.id = undefined;
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /** Writes what changed and sets or clears the cookie. */
  async commit(db: Db, ctx: CookieSink, options: SessionOptions): Promise<void> {
    if (this.staleIdHash) await deleteSession(db, this.staleIdHash);
    if (this.destroyed) {
      if (this.record) await deleteSession(db, this.record.idHash);
      if (this.record || this.staleIdHash) setCookie(ctx, options, '', 0);
      return;
    }
    const touched = this.record !== undefined && this.now - this.record.lastSeenAt >= TOUCH_INTERVAL_MS;
    if (!this.dirty && !touched) return;
    // Nothing worth a row yet (a page view that set nothing): keep the visitor anonymous.
    if (!this.record && Object.keys(this.data).length === 0 && this.accountIdValue === null && this.subjectValue === null) return;

    const isNew = this.record === undefined;
    if (isNew) this.id = newId();
    const loggedIn = this.accountIdValue !== null || this.subjectValue !== null;
    const expiresAt = loggedIn ? (sessionEnd(this.levels, this.now) ?? this.now) : this.now + options.anonymousIdleMs;
    const record: SessionRecord = {
      idHash: this.record?.idHash ?? hashSessionId(this.id as string),
      accountId: this.accountIdValue,
      subject: this.subjectValue,
      data: this.data,
      levels: this.levels,
      createdAt: this.record?.createdAt ?? this.now,
      lastSeenAt: this.now,
      expiresAt,
    };
    await saveSession(db, record);
    if (isNew) setCookie(ctx, options, this.id as string, undefined);
    this.record = record;
  }
}

export function cookieName(options: SessionOptions): string {
  // __Host- binds the cookie to this exact origin, path / and https.
  return options.secure ? `__Host-${options.cookieName}` : options.cookieName;
}

function setCookie(ctx: CookieSink, options: SessionOptions, value: string, maxAge: number | undefined): void {
  const parts = [`${cookieName(options)}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (options.secure) parts.push('Secure');
  if (maxAge !== undefined) parts.push(`Max-Age=${maxAge}`);
  ctx.append('Set-Cookie', parts.join('; '));
}
