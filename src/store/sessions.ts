import type { LevelsReached } from '../core/session-levels.ts';
import type { Queryable } from './db.ts';

/** Server-side session rows. The cookie holds a random id; the table holds only its hash. */
export interface SessionRecord {
  readonly idHash: string;
  readonly accountId: string | null;
  /**
   * The principal of a login without an account here (a partner's citizen, `link_accounts:
   * false`, DECISIONS 8): a random id, never personal data; null otherwise.
   */
  readonly subject?: string | null;
  readonly data: Readonly<Record<string, unknown>>;
  readonly levels: LevelsReached;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  /** When the row may be purged; checked again on every read. */
  readonly expiresAt: number;
}

interface SessionRow {
  id_hash: string;
  account_id: string | null;
  subject: string | null;
  data: string;
  levels: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function toRecord(r: SessionRow): SessionRecord {
  return {
    idHash: r.id_hash,
    accountId: r.account_id,
    subject: r.subject ?? null,
    data: parseJson(r.data),
    levels: parseJson(r.levels) as LevelsReached,
    createdAt: Number(r.created_at),
    lastSeenAt: Number(r.last_seen_at),
    expiresAt: Number(r.expires_at),
  };
}

export async function loadSession(q: Queryable, idHash: string): Promise<SessionRecord | undefined> {
  const r = await q<SessionRow>('sessions').where({ id_hash: idHash }).first();
  return r ? toRecord(r) : undefined;
}

/** Every session row of an account (the caller decides which are still valid). */
export async function loadAccountSessions(q: Queryable, accountId: string): Promise<SessionRecord[]> {
  const rows = await q<SessionRow>('sessions').where({ account_id: accountId });
  return rows.map(toRecord);
}

export async function saveSession(q: Queryable, s: SessionRecord): Promise<void> {
  await q('sessions')
    .insert({
      id_hash: s.idHash,
      account_id: s.accountId,
      subject: s.subject ?? null,
      data: JSON.stringify(s.data),
      levels: JSON.stringify(s.levels),
      created_at: s.createdAt,
      last_seen_at: s.lastSeenAt,
      expires_at: s.expiresAt,
    })
    .onConflict('id_hash')
    .merge(['account_id', 'subject', 'data', 'levels', 'last_seen_at', 'expires_at']);
}

/** The session rows of a principal: an account id, or the random subject of a login without an account. */
export async function loadPrincipalSessions(q: Queryable, principalId: string): Promise<SessionRecord[]> {
  const rows = await q<SessionRow>('sessions').where({ account_id: principalId }).orWhere({ subject: principalId });
  return rows.map(toRecord);
}

/** The session rows of a login without an account (its random subject), for OIDC grants. */
export async function loadSubjectSessions(q: Queryable, subject: string): Promise<SessionRecord[]> {
  const rows = await q<SessionRow>('sessions').where({ subject });
  return rows.map(toRecord);
}

export async function deleteSession(q: Queryable, idHash: string): Promise<void> {
  await q('sessions').where({ id_hash: idHash }).delete();
}

/**
 * Ends every session of an account, except optionally the one making the change. Returns the
 * data of the ended sessions, so the portals they were used with can be told (DECISIONS 5).
 */
export async function deleteAccountSessions(
  q: Queryable,
  accountId: string,
  exceptIdHash?: string,
): Promise<{ data: Readonly<Record<string, unknown>> }[]> {
  const select = q<SessionRow>('sessions').where({ account_id: accountId });
  if (exceptIdHash !== undefined) select.whereNot({ id_hash: exceptIdHash });
  const rows = await select.select('id_hash', 'data');
  if (rows.length > 0)
    await q('sessions')
      .whereIn(
        'id_hash',
        rows.map((r) => r.id_hash),
      )
      .delete();
  return rows.map((r) => ({ data: parseJson(r.data) }));
}

export async function purgeExpiredSessions(q: Queryable, now: number): Promise<number> {
  return q('sessions').where('expires_at', '<=', now).delete();
}
