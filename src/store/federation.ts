import type { Queryable } from './db.ts';

/**
 * Rows of the federation with other states' accounts (migration 007): the partners' metadata as
 * last fetched and verified, the AuthnRequests sent to them (single-use), and the federated
 * accounts.
 */

// ---- partner metadata ------------------------------------------------------------------

export interface MetadataRow {
  readonly partnerId: string;
  readonly entityId: string;
  readonly source: 'url' | 'file';
  readonly xml: string;
  readonly digest: string;
  readonly etag: string | null;
  readonly lastModified: string | null;
  readonly fetchedAt: number;
  readonly validUntil: number | null;
  readonly useUntil: number;
  readonly nextRefreshAt: number;
  readonly checkedAt: number;
  readonly lastAttemptAt: number | null;
  readonly lastError: string | null;
  readonly lastErrorAt: number | null;
}

interface MetadataDbRow {
  partner_id: string;
  entity_id: string;
  source: string;
  xml: string;
  digest: string;
  etag: string | null;
  last_modified: string | null;
  fetched_at: number;
  valid_until: number | null;
  use_until: number;
  next_refresh_at: number;
  checked_at: number;
  last_attempt_at: number | null;
  last_error: string | null;
  last_error_at: number | null;
}

const num = (v: number | null): number | null => (v === null ? null : Number(v));

function fromMetadataRow(r: MetadataDbRow): MetadataRow {
  return {
    partnerId: r.partner_id,
    entityId: r.entity_id,
    source: r.source === 'file' ? 'file' : 'url',
    xml: r.xml,
    digest: r.digest,
    etag: r.etag,
    lastModified: r.last_modified,
    fetchedAt: Number(r.fetched_at),
    validUntil: num(r.valid_until),
    useUntil: Number(r.use_until),
    nextRefreshAt: Number(r.next_refresh_at),
    checkedAt: Number(r.checked_at),
    lastAttemptAt: num(r.last_attempt_at),
    lastError: r.last_error,
    lastErrorAt: num(r.last_error_at),
  };
}

export async function readMetadataRow(q: Queryable, partnerId: string): Promise<MetadataRow | undefined> {
  const r = await q<MetadataDbRow>('federation_metadata').where({ partner_id: partnerId }).first();
  return r && fromMetadataRow(r);
}

/** Every row without its document (cheap: what `trust status` and the change check need). */
export async function metadataStates(q: Queryable): Promise<Omit<MetadataRow, 'xml'>[]> {
  const rows = await q<MetadataDbRow>('federation_metadata').select(
    'partner_id',
    'entity_id',
    'source',
    'digest',
    'etag',
    'last_modified',
    'fetched_at',
    'valid_until',
    'use_until',
    'next_refresh_at',
    'checked_at',
    'last_attempt_at',
    'last_error',
    'last_error_at',
  );
  return rows.map((r) => {
    const { xml: _xml, ...rest } = fromMetadataRow({ ...r, xml: '' });
    return rest;
  });
}

/** Stores a verified copy (replacing the previous one) and clears the last error. */
export async function saveMetadata(q: Queryable, row: Omit<MetadataRow, 'lastError' | 'lastErrorAt'>): Promise<void> {
  const values = {
    partner_id: row.partnerId,
    entity_id: row.entityId,
    source: row.source,
    xml: row.xml,
    digest: row.digest,
    etag: row.etag,
    last_modified: row.lastModified,
    fetched_at: row.fetchedAt,
    valid_until: row.validUntil,
    use_until: row.useUntil,
    next_refresh_at: row.nextRefreshAt,
    checked_at: row.checkedAt,
    last_attempt_at: row.lastAttemptAt,
    last_error: null,
    last_error_at: null,
  };
  await q('federation_metadata').insert(values).onConflict('partner_id').merge();
}

/** A fetch answered 304 Not Modified: the copy stays, its checks and next refresh move on. */
export async function markMetadataUnchanged(
  q: Queryable,
  partnerId: string,
  fields: { checkedAt: number; nextRefreshAt: number; useUntil: number; etag: string | null; lastModified: string | null },
): Promise<void> {
  await q('federation_metadata').where({ partner_id: partnerId }).update({
    checked_at: fields.checkedAt,
    last_attempt_at: fields.checkedAt,
    next_refresh_at: fields.nextRefreshAt,
    use_until: fields.useUntil,
    etag: fields.etag,
    last_modified: fields.lastModified,
    last_error: null,
    last_error_at: null,
  });
}

/** A refresh failed: the last good copy (if any) keeps serving; the error is recorded. */
export async function recordMetadataError(q: Queryable, partnerId: string, error: string, at: number, retryAt: number): Promise<void> {
  const updated = await q('federation_metadata')
    .where({ partner_id: partnerId })
    .update({ last_error: error.slice(0, 2000), last_error_at: at, last_attempt_at: at, next_refresh_at: retryAt });
  if (updated === 0) {
    // Never fetched successfully: a row without a document, so status and retry timing show.
    await q('federation_metadata')
      .insert({
        partner_id: partnerId,
        entity_id: '',
        source: 'url',
        xml: '',
        digest: '',
        etag: null,
        last_modified: null,
        fetched_at: 0,
        valid_until: null,
        use_until: 0,
        next_refresh_at: retryAt,
        checked_at: 0,
        last_attempt_at: at,
        last_error: error.slice(0, 2000),
        last_error_at: at,
      })
      .onConflict('partner_id')
      .merge(['last_error', 'last_error_at', 'last_attempt_at', 'next_refresh_at']);
  }
}

/** Rows of partners no longer configured. */
export async function deleteMetadataExcept(q: Queryable, partnerIds: readonly string[]): Promise<number> {
  return q('federation_metadata')
    .whereNotIn('partner_id', partnerIds.length > 0 ? [...partnerIds] : [''])
    .delete();
}

// ---- requests sent to partners ---------------------------------------------------------

export interface UpstreamRequestRow {
  readonly relayHash: string;
  readonly requestId: string;
  readonly partnerId: string;
  readonly browserHash: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
  readonly expiresAt: number;
}

interface UpstreamRequestDbRow {
  relay_hash: string;
  request_id: string;
  partner_id: string;
  browser_hash: string;
  payload: string;
  created_at: number;
  expires_at: number;
}

export async function insertUpstreamRequest(q: Queryable, r: UpstreamRequestRow): Promise<void> {
  await q('federation_requests').insert({
    relay_hash: r.relayHash,
    request_id: r.requestId,
    partner_id: r.partnerId,
    browser_hash: r.browserHash,
    payload: JSON.stringify(r.payload),
    created_at: r.createdAt,
    expires_at: r.expiresAt,
  });
}

/**
 * Takes the request out of the store: it is returned once, to whichever process deletes it
 * first, and only while it has not expired.
 */
export async function consumeUpstreamRequest(q: Queryable, relayHash: string, now: number): Promise<UpstreamRequestRow | undefined> {
  const row = await q<UpstreamRequestDbRow>('federation_requests').where({ relay_hash: relayHash }).first();
  if (!row) return undefined;
  const deleted = await q('federation_requests').where({ relay_hash: relayHash }).delete();
  if (deleted !== 1 || Number(row.expires_at) <= now) return undefined;
  let payload: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(row.payload);
    if (typeof parsed === 'object' && parsed !== null) payload = parsed as Record<string, unknown>;
  } catch {
    payload = {};
  }
  return {
    relayHash: row.relay_hash,
    requestId: row.request_id,
    partnerId: row.partner_id,
    browserHash: row.browser_hash,
    payload,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
}

export async function purgeUpstreamRequests(q: Queryable, now: number): Promise<number> {
  return q('federation_requests').where('expires_at', '<=', now).delete();
}

// ---- validated answers waiting for their browser ------------------------------------------

export async function insertResult(
  q: Queryable,
  r: { tokenHash: string; browserHash: string; sealed: string; expiresAt: number },
): Promise<void> {
  await q('federation_results').insert({ token_hash: r.tokenHash, browser_hash: r.browserHash, sealed: r.sealed, expires_at: r.expiresAt });
}

/** Takes a result out (once, while it has not expired). */
export async function consumeResult(
  q: Queryable,
  tokenHash: string,
  now: number,
): Promise<{ browserHash: string; sealed: string } | undefined> {
  const row = await q<{ token_hash: string; browser_hash: string; sealed: string; expires_at: number }>('federation_results')
    .where({ token_hash: tokenHash })
    .first();
  if (!row) return undefined;
  const deleted = await q('federation_results').where({ token_hash: tokenHash }).delete();
  if (deleted !== 1 || Number(row.expires_at) <= now) return undefined;
  return { browserHash: row.browser_hash, sealed: row.sealed };
}

export async function purgeResults(q: Queryable, now: number): Promise<number> {
  return q('federation_results').where('expires_at', '<=', now).delete();
}

// ---- federated accounts ----------------------------------------------------------------

export interface FederatedAccountRow {
  readonly accountId: string;
  readonly partnerId: string;
  readonly subjectKey: string;
  readonly createdAt: number;
  readonly lastLoginAt: number;
}

interface FederatedAccountDbRow {
  account_id: string;
  partner_id: string;
  subject_key: string;
  created_at: number;
  last_login_at: number;
}

function fromFederated(r: FederatedAccountDbRow): FederatedAccountRow {
  return {
    accountId: r.account_id,
    partnerId: r.partner_id,
    subjectKey: r.subject_key,
    createdAt: Number(r.created_at),
    lastLoginAt: Number(r.last_login_at),
  };
}

export async function findFederatedAccount(q: Queryable, partnerId: string, subjectKey: string): Promise<FederatedAccountRow | undefined> {
  const r = await q<FederatedAccountDbRow>('federated_accounts').where({ partner_id: partnerId, subject_key: subjectKey }).first();
  return r && fromFederated(r);
}

export async function federatedAccountOf(q: Queryable, accountId: string): Promise<FederatedAccountRow | undefined> {
  const r = await q<FederatedAccountDbRow>('federated_accounts').where({ account_id: accountId }).first();
  return r && fromFederated(r);
}

export async function insertFederatedAccount(q: Queryable, r: FederatedAccountRow): Promise<void> {
  await q('federated_accounts').insert({
    account_id: r.accountId,
    partner_id: r.partnerId,
    subject_key: r.subjectKey,
    created_at: r.createdAt,
    last_login_at: r.lastLoginAt,
  });
}

export async function touchFederatedAccount(q: Queryable, accountId: string, now: number): Promise<void> {
  await q('federated_accounts').where({ account_id: accountId }).update({ last_login_at: now });
}

export async function deleteFederatedAccount(q: Queryable, accountId: string): Promise<void> {
  await q('federated_accounts').where({ account_id: accountId }).delete();
}
