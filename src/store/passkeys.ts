import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isLoa, type Loa } from '../core/loa.ts';
import type { Queryable } from './db.ts';

/**
 * The Servicekonto.Pass tables (migration 005): passkeys, the WebAuthn user handle of each
 * account, and the single-use enrolment links for a second device. An enrolment link's token is
 * `<selector>.<verifier>`, like the mailed tokens: the selector finds the row, the verifier is
 * stored only as a SHA-256 hash and compared in constant time.
 */

/** The key a passkey is stored and named under: SHA-256 (hex) of its raw credential id. */
export function passkeyKey(credentialId: string): string {
  return createHash('sha256').update(Buffer.from(credentialId, 'base64url')).digest('hex');
}

export interface Passkey {
  /** `passkeyKey(credentialId)`. */
  readonly id: string;
  readonly accountId: string;
  /** base64url, as the authenticator gave it. */
  readonly credentialId: string;
  /** COSE public key, base64url. */
  readonly publicKey: string;
  readonly counter: number;
  readonly transports: readonly string[];
  readonly deviceType: string;
  readonly backedUp: boolean;
  readonly aaguid: string;
  readonly name: string;
  /** What a login with it yields, fixed at registration (DECISIONS 14). */
  readonly loa: Loa;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly counterRegressionAt: number | null;
}

interface PasskeyRow {
  id: string;
  account_id: string;
  credential_id: string;
  public_key: string;
  counter: number;
  transports: string;
  device_type: string;
  backed_up: boolean | number;
  aaguid: string;
  name: string;
  loa: string;
  created_at: number;
  last_used_at: number | null;
  counter_regression_at: number | null;
}

function parseTransports(text: string): string[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function passkeyOf(r: PasskeyRow): Passkey {
  return {
    id: r.id,
    accountId: r.account_id,
    credentialId: r.credential_id,
    publicKey: r.public_key,
    counter: Number(r.counter),
    transports: parseTransports(r.transports),
    deviceType: r.device_type,
    backedUp: Boolean(r.backed_up),
    aaguid: r.aaguid,
    name: r.name,
    // A value this code did not write is read as the lowest level a passkey can give.
    loa: isLoa(r.loa) ? r.loa : 'low',
    createdAt: Number(r.created_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
    counterRegressionAt: r.counter_regression_at === null ? null : Number(r.counter_regression_at),
  };
}

export type NewPasskey = Omit<Passkey, 'id' | 'lastUsedAt' | 'counterRegressionAt'>;

/** Stores a new passkey; a credential id already stored fails with the database's unique violation. */
export async function insertPasskey(q: Queryable, p: NewPasskey): Promise<Passkey> {
  const id = passkeyKey(p.credentialId);
  await q('passkeys').insert({
    id,
    account_id: p.accountId,
    credential_id: p.credentialId,
    public_key: p.publicKey,
    counter: p.counter,
    transports: JSON.stringify(p.transports),
    device_type: p.deviceType,
    backed_up: p.backedUp,
    aaguid: p.aaguid,
    name: p.name,
    loa: p.loa,
    created_at: p.createdAt,
    last_used_at: null,
    counter_regression_at: null,
  });
  return { ...p, id, lastUsedAt: null, counterRegressionAt: null };
}

export async function listPasskeys(q: Queryable, accountId: string): Promise<Passkey[]> {
  const rows = await q<PasskeyRow>('passkeys').where({ account_id: accountId }).orderBy('created_at', 'asc').orderBy('id', 'asc');
  return rows.map(passkeyOf);
}

export async function countPasskeys(q: Queryable, accountId: string): Promise<number> {
  const row = await q('passkeys').where({ account_id: accountId }).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/** The passkey an authenticator presented, by its credential id. */
export async function findPasskeyByCredential(q: Queryable, credentialId: string): Promise<Passkey | undefined> {
  const row = await q<PasskeyRow>('passkeys')
    .where({ id: passkeyKey(credentialId) })
    .first();
  return row && row.credential_id === credentialId ? passkeyOf(row) : undefined;
}

/** One passkey of an account (forms name it by its key). */
export async function findPasskey(q: Queryable, accountId: string, id: string): Promise<Passkey | undefined> {
  const row = await q<PasskeyRow>('passkeys').where({ id, account_id: accountId }).first();
  return row && passkeyOf(row);
}

export async function renamePasskey(q: Queryable, accountId: string, id: string, name: string): Promise<boolean> {
  return (await q('passkeys').where({ id, account_id: accountId }).update({ name })) === 1;
}

export async function deletePasskey(q: Queryable, accountId: string, id: string): Promise<boolean> {
  return (await q('passkeys').where({ id, account_id: accountId }).delete()) === 1;
}

/**
 * Records a login: the new signature counter and the moment. The update only applies while the
 * stored counter is still the one the login was checked against, so of two parallel logins with
 * the same counter value only one succeeds (the other is a replay or a clone).
 */
export async function recordPasskeyUse(
  q: Queryable,
  p: { id: string; expectedCounter: number; newCounter: number; backedUp: boolean; now: number },
): Promise<boolean> {
  const updated = await q('passkeys')
    .where({ id: p.id, counter: p.expectedCounter })
    .update({ counter: p.newCounter, backed_up: p.backedUp, last_used_at: p.now });
  return updated === 1;
}

/** Notes that a login presented a counter that did not increase; returns whether it is the first time. */
export async function recordCounterRegression(q: Queryable, id: string, now: number): Promise<boolean> {
  const first = await q('passkeys').where({ id }).whereNull('counter_regression_at').update({ counter_regression_at: now });
  return first === 1;
}

export async function deletePasskeyRows(q: Queryable, accountId: string): Promise<void> {
  await q('passkey_enrolments').where({ account_id: accountId }).delete();
  await q('passkeys').where({ account_id: accountId }).delete();
  await q('passkey_users').where({ account_id: accountId }).delete();
}

// ---- user handles ---------------------------------------------------------------------------

interface UserRow {
  account_id: string;
  user_handle: string;
}

/** The account's WebAuthn user handle (base64url), made on first use. */
export async function userHandleFor(q: Queryable, accountId: string): Promise<string> {
  const row = await q<UserRow>('passkey_users').where({ account_id: accountId }).first();
  if (row) return row.user_handle;
  const handle = randomBytes(32).toString('base64url');
  await q('passkey_users').insert({ account_id: accountId, user_handle: handle }).onConflict('account_id').ignore();
  // A parallel request may have been first; its handle is the one.
  const stored = await q<UserRow>('passkey_users').where({ account_id: accountId }).first();
  return stored?.user_handle ?? handle;
}

export async function findUserHandle(q: Queryable, accountId: string): Promise<string | undefined> {
  const row = await q<UserRow>('passkey_users').where({ account_id: accountId }).first();
  return row?.user_handle;
}

// ---- enrolment links ----------------------------------------------------------------------

export interface Enrolment {
  readonly selector: string;
  readonly accountId: string;
  readonly sessionLoa: Loa;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export type EnrolmentCheck =
  { readonly ok: true; readonly enrolment: Enrolment } | { readonly ok: false; readonly reason: 'invalid' | 'expired' };

interface EnrolmentRow {
  selector: string;
  verifier_hash: string;
  account_id: string;
  session_loa: string;
  created_at: number;
  expires_at: number;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function splitToken(token: string): { selector: string; verifier: string } | undefined {
  const m = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(token);
  return m ? { selector: m[1] as string, verifier: m[2] as string } : undefined;
}

/** Makes a new enrolment link for the account; any earlier one stops working (only the newest counts). */
export async function createEnrolment(
  q: Queryable,
  e: { accountId: string; sessionLoa: Loa; now: number; expiresAt: number },
): Promise<string> {
  const selector = randomBytes(16).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  await q('passkey_enrolments').where({ account_id: e.accountId }).delete();
  await q('passkey_enrolments').insert({
    selector,
    verifier_hash: sha256(verifier).toString('hex'),
    account_id: e.accountId,
    session_loa: e.sessionLoa,
    created_at: e.now,
    expires_at: e.expiresAt,
  });
  return `${selector}.${verifier}`;
}

/** Checks an enrolment token without using it up. */
export async function peekEnrolment(q: Queryable, token: string, now: number): Promise<EnrolmentCheck> {
  const parts = splitToken(token);
  if (!parts) return { ok: false, reason: 'invalid' };
  const row = await q<EnrolmentRow>('passkey_enrolments').where({ selector: parts.selector }).first();
  if (!row || !timingSafeEqual(Buffer.from(row.verifier_hash, 'hex'), sha256(parts.verifier))) return { ok: false, reason: 'invalid' };
  if (now >= Number(row.expires_at)) return { ok: false, reason: 'expired' };
  return {
    ok: true,
    enrolment: {
      selector: row.selector,
      accountId: row.account_id,
      sessionLoa: isLoa(row.session_loa) ? row.session_loa : 'low',
      createdAt: Number(row.created_at),
      expiresAt: Number(row.expires_at),
    },
  };
}

/**
 * Checks and deletes an enrolment token in one step: of two devices using the same link, only
 * the one whose delete removed the row succeeds.
 */
export async function consumeEnrolment(q: Queryable, token: string, now: number): Promise<EnrolmentCheck> {
  const check = await peekEnrolment(q, token, now);
  if (!check.ok) return check;
  const deleted = await q('passkey_enrolments').where({ selector: check.enrolment.selector }).delete();
  return deleted === 1 ? check : { ok: false, reason: 'invalid' };
}

export async function purgeExpiredEnrolments(q: Queryable, now: number): Promise<number> {
  return q('passkey_enrolments').where('expires_at', '<=', now).delete();
}
