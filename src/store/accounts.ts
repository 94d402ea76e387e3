import type { AttributeName, Attributes, AttributeSource, AttributeValue } from '../core/attributes.ts';
import { isAttributeName } from '../core/attributes.ts';
import { isLoa } from '../core/loa.ts';
import type { Queryable } from './db.ts';

export type AccountStatus = 'pending' | 'active';

export interface Account {
  readonly id: string;
  readonly username: string;
  readonly usernameKey: string;
  readonly passwordHash: string | null;
  readonly status: AccountStatus;
  readonly email: string;
  readonly emailKey: string;
  readonly demailKey: string | null;
  readonly locale: 'de' | 'en';
  readonly createdAt: number;
  readonly confirmedAt: number | null;
  readonly pendingUntil: number | null;
  readonly updatedAt: number;
}

interface AccountRow {
  id: string;
  username: string;
  username_key: string;
  password_hash: string | null;
  status: string;
  email: string;
  email_key: string;
  demail_key: string | null;
  locale: string;
  created_at: number;
  confirmed_at: number | null;
  pending_until: number | null;
  updated_at: number;
}

function fromRow(r: AccountRow): Account {
  return {
    id: r.id,
    username: r.username,
    usernameKey: r.username_key,
    passwordHash: r.password_hash,
    status: r.status === 'active' ? 'active' : 'pending',
    email: r.email,
    emailKey: r.email_key,
    demailKey: r.demail_key,
    locale: r.locale === 'en' ? 'en' : 'de',
    createdAt: Number(r.created_at),
    confirmedAt: r.confirmed_at === null ? null : Number(r.confirmed_at),
    pendingUntil: r.pending_until === null ? null : Number(r.pending_until),
    updatedAt: Number(r.updated_at),
  };
}

function toRow(a: Account): AccountRow {
  return {
    id: a.id,
    username: a.username,
    username_key: a.usernameKey,
    password_hash: a.passwordHash,
    status: a.status,
    email: a.email,
    email_key: a.emailKey,
    demail_key: a.demailKey,
    locale: a.locale,
    created_at: a.createdAt,
    confirmed_at: a.confirmedAt,
    pending_until: a.pendingUntil,
    updated_at: a.updatedAt,
  };
}

export async function insertAccount(q: Queryable, account: Account, attributes: Attributes): Promise<void> {
  await q('accounts').insert(toRow(account));
  await writeAttributes(q, account.id, attributes, account.createdAt);
}

export async function findAccountById(q: Queryable, id: string): Promise<Account | undefined> {
  const row = await q<AccountRow>('accounts').where({ id }).first();
  return row && fromRow(row);
}

export async function findAccountByUsernameKey(q: Queryable, usernameKey: string): Promise<Account | undefined> {
  const row = await q<AccountRow>('accounts').where({ username_key: usernameKey }).first();
  return row && fromRow(row);
}

export async function findActiveAccountsByEmailKey(q: Queryable, emailKey: string): Promise<Account[]> {
  const rows = await q<AccountRow>('accounts').where({ email_key: emailKey, status: 'active' }).orderBy('username_key');
  return rows.map(fromRow);
}

export async function isUsernameTaken(q: Queryable, usernameKey: string): Promise<boolean> {
  return (await q('accounts').where({ username_key: usernameKey }).first('id')) !== undefined;
}

export async function isDeMailTaken(q: Queryable, demailKey: string, exceptAccountId?: string): Promise<boolean> {
  const query = q('accounts').where({ demail_key: demailKey });
  if (exceptAccountId !== undefined) query.whereNot({ id: exceptAccountId });
  return (await query.first('id')) !== undefined;
}

export async function updateAccount(
  q: Queryable,
  id: string,
  changes: Partial<
    Pick<Account, 'passwordHash' | 'status' | 'email' | 'emailKey' | 'demailKey' | 'locale' | 'confirmedAt' | 'pendingUntil'>
  >,
  now: number,
): Promise<void> {
  const row: Partial<AccountRow> = { updated_at: now };
  if (changes.passwordHash !== undefined) row.password_hash = changes.passwordHash;
  if (changes.status !== undefined) row.status = changes.status;
  if (changes.email !== undefined) row.email = changes.email;
  if (changes.emailKey !== undefined) row.email_key = changes.emailKey;
  if (changes.demailKey !== undefined) row.demail_key = changes.demailKey;
  if (changes.locale !== undefined) row.locale = changes.locale;
  if (changes.confirmedAt !== undefined) row.confirmed_at = changes.confirmedAt;
  if (changes.pendingUntil !== undefined) row.pending_until = changes.pendingUntil;
  await q('accounts').where({ id }).update(row);
}

interface AttributeRow {
  account_id: string;
  name: string;
  value: string;
  loa: string;
  source: string;
  updated_at: number;
}

export async function readAttributes(q: Queryable, accountId: string): Promise<Attributes> {
  const rows = await q<AttributeRow>('account_attributes').where({ account_id: accountId });
  const out: Partial<Record<AttributeName, AttributeValue>> = {};
  for (const r of rows) {
    if (!isAttributeName(r.name) || !isLoa(r.loa)) continue; // written by a newer version: ignore
    out[r.name] = { value: r.value, loa: r.loa, source: r.source as AttributeSource };
  }
  return out;
}

/** Sets the given attributes; a name mapped to `null` is removed. */
export async function writeAttributes(
  q: Queryable,
  accountId: string,
  attributes: Readonly<Partial<Record<AttributeName, AttributeValue | null>>>,
  now: number,
): Promise<void> {
  for (const [name, v] of Object.entries(attributes)) {
    if (v === undefined) continue;
    if (v === null) {
      await q('account_attributes').where({ account_id: accountId, name }).delete();
      continue;
    }
    await q('account_attributes')
      .insert({ account_id: accountId, name, value: v.value, loa: v.loa, source: v.source, updated_at: now })
      .onConflict(['account_id', 'name'])
      .merge(['value', 'loa', 'source', 'updated_at']);
  }
}

/** Deletes the account row and every row that hangs on it; call inside a transaction. */
export async function deleteAccountRows(q: Queryable, accountId: string): Promise<void> {
  // Anonymous sessions that mention the account (a login waiting for confirmation) go too.
  await q('sessions').where('data', 'like', `%${accountId}%`).delete();
  await q('account_tokens').where({ account_id: accountId }).delete();
  await q('account_attributes').where({ account_id: accountId }).delete();
  await q('accounts').where({ id: accountId }).delete();
}

export async function findExpiredPendingAccounts(q: Queryable, now: number): Promise<string[]> {
  const rows = await q<AccountRow>('accounts').where({ status: 'pending' }).andWhere('pending_until', '<=', now).select('id');
  return rows.map((r) => r.id);
}
