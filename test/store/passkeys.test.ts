import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { MINUTE } from '../../src/core/clock.ts';
import { openStore, isUniqueViolation, type Store } from '../../src/store/db.ts';
import {
  consumeEnrolment,
  createEnrolment,
  deletePasskeyRows,
  findPasskeyByCredential,
  insertPasskey,
  listPasskeys,
  passkeyKey,
  peekEnrolment,
  purgeExpiredEnrolments,
  recordCounterRegression,
  recordPasskeyUse,
  userHandleFor,
} from '../../src/store/passkeys.ts';
import { newTestDatabase, type TestDatabase } from '../helpers/database.ts';

/**
 * The Pass tables on SQLite and, with DATABASE_URL, on PostgreSQL; two `Store`s on one database
 * stand for two hub processes racing for the same enrolment link or counter value.
 */

let database: TestDatabase;
let dir: string;
let a: Store;
let b: Store;
const now = Date.parse('2026-11-23T10:00:00Z');

test.before(async () => {
  database = newTestDatabase();
  dir = mkdtempSync(path.join(os.tmpdir(), 'skh-passkeys-'));
  const options = { databaseUrl: database.databaseUrl, sqliteFile: path.join(dir, 'hub.sqlite'), schema: database.schema };
  a = await openStore(options);
  b = await openStore(options);
});
test.after.always(async () => {
  await a?.close();
  await b?.close();
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function account(): Promise<string> {
  const id = randomUUID();
  await a.db('accounts').insert({
    id,
    username: id,
    username_key: id,
    password_hash: null,
    status: 'active',
    email: `${id}@example.org`,
    email_key: `${id}@example.org`,
    demail_key: null,
    locale: 'de',
    created_at: now,
    confirmed_at: now,
    pending_until: null,
    updated_at: now,
  });
  return id;
}

function credential(accountId: string, counter = 1) {
  const credentialId = Buffer.from(randomUUID()).toString('base64url');
  return {
    accountId,
    credentialId,
    publicKey: 'pQECAyYgASFYIA',
    counter,
    transports: ['internal', 'hybrid'],
    deviceType: 'singleDevice',
    backedUp: false,
    aaguid: '00000000-0000-0000-0000-000000000000',
    name: 'Telefon',
    loa: 'substantial' as const,
    createdAt: now,
  };
}

test.serial('a passkey is stored under the hash of its credential id and read back as written', async (t) => {
  const acc = await account();
  const c = credential(acc);
  const stored = await insertPasskey(a.db, c);
  t.is(stored.id, passkeyKey(c.credentialId));
  t.regex(stored.id, /^[0-9a-f]{64}$/);
  const found = await findPasskeyByCredential(b.db, c.credentialId);
  t.like(found, { ...c, transports: ['internal', 'hybrid'], backedUp: false, lastUsedAt: null, counterRegressionAt: null });
  t.deepEqual(await listPasskeys(b.db, acc), [found!]);
  const error = await t.throwsAsync(insertPasskey(b.db, { ...c, accountId: await account() }));
  t.true(isUniqueViolation(error), 'a credential id belongs to one account only');
});

test.serial('of two logins presenting the same counter value, only one is recorded', async (t) => {
  const acc = await account();
  const p = await insertPasskey(a.db, credential(acc, 7));
  const results = await Promise.all([
    recordPasskeyUse(a.db, { id: p.id, expectedCounter: 7, newCounter: 8, backedUp: true, now }),
    recordPasskeyUse(b.db, { id: p.id, expectedCounter: 7, newCounter: 8, backedUp: true, now }),
  ]);
  t.deepEqual(results.sort(), [false, true]);
  const after = await findPasskeyByCredential(a.db, p.credentialId);
  t.is(after?.counter, 8);
  t.is(after?.lastUsedAt, now);
  t.true(after?.backedUp);
  t.true(await recordCounterRegression(a.db, p.id, now + 1));
  t.false(await recordCounterRegression(b.db, p.id, now + 2), 'the first regression is kept');
  t.is((await findPasskeyByCredential(a.db, p.credentialId))?.counterRegressionAt, now + 1);
});

test.serial('an account keeps one random user handle, even when two processes ask at once', async (t) => {
  const acc = await account();
  const [x, y] = await Promise.all([userHandleFor(a.db, acc), userHandleFor(b.db, acc)]);
  t.is(x, y);
  t.regex(x, /^[A-Za-z0-9_-]{43}$/);
  t.false(x.includes(acc));
  t.is(await userHandleFor(a.db, acc), x);
});

test.serial('an enrolment link is valid 10 minutes, hashed at rest, and used up by exactly one of two processes', async (t) => {
  const acc = await account();
  const token = await createEnrolment(a.db, { accountId: acc, sessionLoa: 'substantial', now, expiresAt: now + 10 * MINUTE });
  const [selector, verifier] = token.split('.');
  const row = await a.db('passkey_enrolments').where({ selector }).first();
  t.not(row.verifier_hash, verifier);
  t.false(JSON.stringify(row).includes(verifier!));
  t.like(await peekEnrolment(b.db, token, now + 10 * MINUTE - 1), { ok: true, enrolment: { accountId: acc, sessionLoa: 'substantial' } });
  t.deepEqual(await peekEnrolment(b.db, token, now + 10 * MINUTE), { ok: false, reason: 'expired' });
  t.deepEqual(await peekEnrolment(b.db, `${selector}.${'A'.repeat(43)}`, now), { ok: false, reason: 'invalid' }, 'wrong verifier');
  t.deepEqual(await peekEnrolment(b.db, 'nonsense', now), { ok: false, reason: 'invalid' });
  const results = await Promise.all([consumeEnrolment(a.db, token, now), consumeEnrolment(b.db, token, now)]);
  t.is(results.filter((r) => r.ok).length, 1);
  t.deepEqual(await peekEnrolment(a.db, token, now), { ok: false, reason: 'invalid' }, 'used');
});

test.serial('a new enrolment link replaces the older one; expired links are purged; deletion removes every Pass row', async (t) => {
  const acc = await account();
  const first = await createEnrolment(a.db, { accountId: acc, sessionLoa: 'low', now, expiresAt: now + 10 * MINUTE });
  const second = await createEnrolment(a.db, { accountId: acc, sessionLoa: 'low', now, expiresAt: now + 10 * MINUTE });
  t.false((await peekEnrolment(a.db, first, now)).ok);
  t.true((await peekEnrolment(a.db, second, now)).ok);
  t.true((await purgeExpiredEnrolments(a.db, now + 10 * MINUTE)) >= 1);
  t.false((await peekEnrolment(a.db, second, now)).ok);

  await createEnrolment(a.db, { accountId: acc, sessionLoa: 'low', now, expiresAt: now + 10 * MINUTE });
  await insertPasskey(a.db, credential(acc));
  await userHandleFor(a.db, acc);
  await deletePasskeyRows(a.db, acc);
  for (const table of ['passkeys', 'passkey_users', 'passkey_enrolments']) {
    t.is((await a.db(table).where({ account_id: acc })).length, 0, table);
  }
});
