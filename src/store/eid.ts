import { createHash } from 'node:crypto';
import type { Queryable } from './db.ts';

/**
 * The eID tables (migration 004): the binding of an ID card to an account and the online
 * authentications under way. A card is stored only as the SHA-256 of its RestrictedID.
 */

export function restrictedIdHash(restrictedId: string): string {
  return createHash('sha256').update(restrictedId.toUpperCase()).digest('hex');
}

export interface EidBinding {
  readonly accountId: string;
  readonly restrictedIdHash: string;
  readonly documentType: string | null;
  readonly boundAt: number;
  readonly lastUsedAt: number;
}

interface BindingRow {
  account_id: string;
  restricted_id_hash: string;
  document_type: string | null;
  bound_at: number;
  last_used_at: number;
}

function bindingOf(r: BindingRow): EidBinding {
  return {
    accountId: r.account_id,
    restrictedIdHash: r.restricted_id_hash,
    documentType: r.document_type,
    boundAt: Number(r.bound_at),
    lastUsedAt: Number(r.last_used_at),
  };
}

export async function findBindingByCard(q: Queryable, restrictedIdHash: string): Promise<EidBinding | undefined> {
  const row = await q<BindingRow>('eid_bindings').where({ restricted_id_hash: restrictedIdHash }).first();
  return row && bindingOf(row);
}

export async function findBindingByAccount(q: Queryable, accountId: string): Promise<EidBinding | undefined> {
  const row = await q<BindingRow>('eid_bindings').where({ account_id: accountId }).first();
  return row && bindingOf(row);
}

/** Binds a card to an account, replacing the account's previous card. */
export async function bindCard(
  q: Queryable,
  b: { accountId: string; restrictedIdHash: string; documentType: string | null; now: number },
): Promise<void> {
  await q('eid_bindings').where({ account_id: b.accountId }).delete();
  await q('eid_bindings').insert({
    account_id: b.accountId,
    restricted_id_hash: b.restrictedIdHash,
    document_type: b.documentType,
    bound_at: b.now,
    last_used_at: b.now,
  });
}

export async function touchBinding(q: Queryable, accountId: string, now: number): Promise<void> {
  await q('eid_bindings').where({ account_id: accountId }).update({ last_used_at: now });
}

export async function deleteBinding(q: Queryable, accountId: string): Promise<void> {
  await q('eid_bindings').where({ account_id: accountId }).delete();
}

// ---- transactions ---------------------------------------------------------------------------

export interface EidTransaction {
  readonly refHash: string;
  readonly serverAddress: string;
  readonly pskId: string;
  readonly pskKey: string | null;
  readonly refreshHash: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
}

interface TransactionRow {
  ref_hash: string;
  server_address: string;
  psk_id: string;
  psk_key: string | null;
  refresh_hash: string | null;
  created_at: number;
  expires_at: number;
}

export async function insertTransaction(q: Queryable, t: Omit<EidTransaction, 'refreshHash'>): Promise<void> {
  await q('eid_transactions').insert({
    ref_hash: t.refHash,
    server_address: t.serverAddress,
    psk_id: t.pskId,
    psk_key: t.pskKey,
    refresh_hash: null,
    created_at: t.createdAt,
    expires_at: t.expiresAt,
  });
}

/**
 * Hands out the PSK of a transaction once: returns it and, in the same step, replaces it by the
 * hash of the RefreshAddress secret. A second fetch (or an expired one) gets nothing.
 */
export async function takeTcToken(
  q: Queryable,
  refHash: string,
  refreshHash: string,
  now: number,
): Promise<{ serverAddress: string; pskId: string; pskKey: string } | undefined> {
  const row = await q<TransactionRow>('eid_transactions').where({ ref_hash: refHash }).first();
  if (!row || row.psk_key === null || Number(row.expires_at) <= now) return undefined;
  const taken = await q('eid_transactions')
    .where({ ref_hash: refHash })
    .whereNotNull('psk_key')
    .update({ psk_key: null, refresh_hash: refreshHash });
  if (taken !== 1) return undefined;
  return { serverAddress: row.server_address, pskId: row.psk_id, pskKey: row.psk_key };
}

/** Ends a transaction and returns it, once: the RefreshAddress works a single time. */
export async function finishTransaction(q: Queryable, refHash: string, now: number): Promise<EidTransaction | undefined> {
  const row = await q<TransactionRow>('eid_transactions').where({ ref_hash: refHash }).first();
  if (!row) return undefined;
  const gone = await q('eid_transactions').where({ ref_hash: refHash }).delete();
  if (gone !== 1 || Number(row.expires_at) <= now) return undefined;
  return {
    refHash: row.ref_hash,
    serverAddress: row.server_address,
    pskId: row.psk_id,
    pskKey: row.psk_key,
    refreshHash: row.refresh_hash,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
}

export async function purgeEidTransactions(q: Queryable, now: number): Promise<number> {
  return q('eid_transactions').where('expires_at', '<=', now).delete();
}
