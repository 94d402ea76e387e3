import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Queryable } from './db.ts';

/**
 * Single-use tokens mailed to citizens (confirmation, e-mail change, password reset). A token is
 * `<selector>.<verifier>`: the selector finds the row, the verifier is stored only as a SHA-256
 * hash and compared in constant time, so neither a database reader nor a timing probe learns a
 * usable token.
 */

export type TokenPurpose = 'confirm' | 'email' | 'reset';

export type TokenCheck =
  | { readonly ok: true; readonly accountId: string; readonly payload: string | null; readonly expiresAt: number }
  | { readonly ok: false; readonly reason: 'invalid' | 'expired' };

interface TokenRow {
  selector: string;
  verifier_hash: string;
  account_id: string;
  purpose: string;
  payload: string | null;
  created_at: number;
  expires_at: number;
}

const SELECTOR_BYTES = 16;
const VERIFIER_BYTES = 32;

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function split(token: string): { selector: string; verifier: string } | undefined {
  const m = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(token);
  return m ? { selector: m[1] as string, verifier: m[2] as string } : undefined;
}

export async function createToken(
  q: Queryable,
  t: { accountId: string; purpose: TokenPurpose; payload?: string; now: number; expiresAt: number },
): Promise<string> {
  const selector = randomBytes(SELECTOR_BYTES).toString('base64url');
  const verifier = randomBytes(VERIFIER_BYTES).toString('base64url');
  await q('account_tokens').insert({
    selector,
    verifier_hash: sha256(verifier).toString('hex'),
    account_id: t.accountId,
    purpose: t.purpose,
    payload: t.payload ?? null,
    created_at: t.now,
    expires_at: t.expiresAt,
  });
  return `${selector}.${verifier}`;
}

async function find(q: Queryable, token: string, purpose: TokenPurpose, now: number): Promise<{ row?: TokenRow; check: TokenCheck }> {
  const parts = split(token);
  if (!parts) return { check: { ok: false, reason: 'invalid' } };
  const row = await q<TokenRow>('account_tokens').where({ selector: parts.selector }).first();
  if (!row || row.purpose !== purpose) return { check: { ok: false, reason: 'invalid' } };
  if (!timingSafeEqual(Buffer.from(row.verifier_hash, 'hex'), sha256(parts.verifier))) {
    return { check: { ok: false, reason: 'invalid' } };
  }
  if (now >= Number(row.expires_at)) return { row, check: { ok: false, reason: 'expired' } };
  return { row, check: { ok: true, accountId: row.account_id, payload: row.payload, expiresAt: Number(row.expires_at) } };
}

/** Checks a token without using it up (to show the form a reset link leads to). */
export async function peekToken(q: Queryable, token: string, purpose: TokenPurpose, now: number): Promise<TokenCheck> {
  return (await find(q, token, purpose, now)).check;
}

/**
 * Checks and deletes a token in one step. Two requests with the same token cannot both succeed:
 * only the one whose delete removed the row wins.
 */
export async function consumeToken(q: Queryable, token: string, purpose: TokenPurpose, now: number): Promise<TokenCheck> {
  const { row, check } = await find(q, token, purpose, now);
  if (!check.ok || !row) return check;
  const deleted = await q('account_tokens').where({ selector: row.selector }).delete();
  return deleted === 1 ? check : { ok: false, reason: 'invalid' };
}

export async function deleteTokens(q: Queryable, accountId: string, purpose?: TokenPurpose): Promise<void> {
  const query = q('account_tokens').where({ account_id: accountId });
  if (purpose !== undefined) query.andWhere({ purpose });
  await query.delete();
}

export async function purgeExpiredTokens(q: Queryable, now: number): Promise<number> {
  return q('account_tokens').where('expires_at', '<=', now).delete();
}

/** The newest unexpired token of a purpose (e.g. an e-mail change waiting for confirmation). */
export async function findPendingToken(
  q: Queryable,
  accountId: string,
  purpose: TokenPurpose,
  now: number,
): Promise<{ payload: string | null; expiresAt: number } | undefined> {
  const row = await q<TokenRow>('account_tokens')
    .where({ account_id: accountId, purpose })
    .andWhere('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .first();
  return row && { payload: row.payload, expiresAt: Number(row.expires_at) };
}
