import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { MINUTE } from '../../src/core/clock.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import {
  deleteOidcGrant,
  deleteOidcModelsOfAccount,
  OidcModelAdapter,
  oidcModelsOfAccount,
  purgeExpiredOidcModels,
} from '../../src/store/oidc-adapter.ts';
import { TestClock } from '../helpers/clock.ts';
import { newTestDatabase, type TestDatabase } from '../helpers/database.ts';

/**
 * The knex adapter behind oidc-provider, on SQLite (a file, so two stores can share it) and on
 * PostgreSQL when DATABASE_URL is set (a schema of this file's own). Two `Store`s on the same
 * database stand for two hub processes.
 */
let database: TestDatabase;
let dir: string;
let a: Store;
let b: Store;
const clock = new TestClock(Date.parse('2026-11-23T10:00:00Z'));

test.before(async () => {
  database = newTestDatabase();
  dir = mkdtempSync(path.join(os.tmpdir(), 'skh-oidc-adapter-'));
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

const adapter = (store: Store, model: string): OidcModelAdapter => new OidcModelAdapter(store.db, clock, model);
let n = 0;
const id = (): string => `id-${++n}-${Math.random().toString(36).slice(2)}`;

test.serial('a payload written by one process is found by another, under its model only', async (t) => {
  const key = id();
  const payload = { jti: key, kind: 'AuthorizationCode', accountId: 'acc-1', grantId: 'g-1', scope: 'openid', exp: 1 };
  await adapter(a, 'AuthorizationCode').upsert(key, payload, 60);
  t.deepEqual(await adapter(b, 'AuthorizationCode').find(key), payload);
  t.is(await adapter(b, 'AccessToken').find(key), undefined, 'another model with the same id is another row');
  t.is(await adapter(b, 'AuthorizationCode').find('nope'), undefined);
});

test.serial('consume marks the row used for every process (epoch seconds, as oidc-provider reads it)', async (t) => {
  const key = id();
  await adapter(a, 'RefreshToken').upsert(key, { jti: key, grantId: 'g-2' }, 3600);
  t.is((await adapter(b, 'RefreshToken').find(key))?.consumed, undefined);
  await adapter(a, 'RefreshToken').consume(key);
  t.is((await adapter(b, 'RefreshToken').find(key))?.consumed, Math.floor(clock.now() / 1000));
  await adapter(b, 'RefreshToken').upsert(key, { jti: key, grantId: 'g-2' }, 3600);
  t.is((await adapter(a, 'RefreshToken').find(key))?.consumed, undefined, 'a new payload starts unconsumed');
});

test.serial('rows past their expiry are not found, and the purge deletes them', async (t) => {
  const shortLived = id();
  const longLived = id();
  const forever = id();
  await adapter(a, 'Interaction').upsert(shortLived, { jti: shortLived }, 60);
  await adapter(a, 'Interaction').upsert(longLived, { jti: longLived }, 3600);
  await adapter(a, 'ReplayDetection').upsert(forever, { jti: forever });
  clock.advance(2 * MINUTE);
  t.is(await adapter(b, 'Interaction').find(shortLived), undefined);
  t.truthy(await adapter(b, 'Interaction').find(longLived));
  t.truthy(await adapter(b, 'ReplayDetection').find(forever), 'no expiry: kept');
  const purged = await purgeExpiredOidcModels(b.db, clock.now());
  t.true(purged >= 1);
  t.is(await a.db('oidc_models').where({ id: shortLived }).first(), undefined, 'the row is gone');
  t.truthy(await a.db('oidc_models').where({ id: longLived }).first());
});

test.serial('sessions are found by their uid and device codes by their user code', async (t) => {
  const cookieId = id();
  await adapter(a, 'Session').upsert(cookieId, { jti: cookieId, uid: 'uid-abc', accountId: 'acc-3' }, 600);
  t.is((await adapter(b, 'Session').findByUid('uid-abc'))?.jti, cookieId);
  t.is(await adapter(b, 'Session').findByUid('uid-other'), undefined);
  const dc = id();
  await adapter(a, 'DeviceCode').upsert(dc, { jti: dc, userCode: 'ABCD-EFGH', grantId: 'g-dc' }, 600);
  t.is((await adapter(b, 'DeviceCode').findByUserCode('ABCD-EFGH'))?.jti, dc);
});

test.serial(
  'revokeByGrantId removes that model’s rows of the grant; deleteOidcGrant removes every code and token and the grant',
  async (t) => {
    const grant = `g-${id()}`;
    const at = id();
    const rt = id();
    const code = id();
    const other = id();
    const interaction = id();
    await adapter(a, 'AccessToken').upsert(at, { jti: at, grantId: grant }, 600);
    await adapter(a, 'RefreshToken').upsert(rt, { jti: rt, grantId: grant }, 600);
    await adapter(a, 'AuthorizationCode').upsert(code, { jti: code, grantId: grant }, 60);
    await adapter(a, 'AccessToken').upsert(other, { jti: other, grantId: 'another-grant' }, 600);
    // An interaction may name the grant it started from; revoking the grant must not end it.
    await adapter(a, 'Interaction').upsert(interaction, { jti: interaction, grantId: grant }, 600);
    await adapter(a, 'Grant').upsert(grant, { jti: grant, accountId: 'acc-4', clientId: 'c' }, 600);

    await adapter(b, 'AccessToken').revokeByGrantId(grant);
    t.is(await adapter(a, 'AccessToken').find(at), undefined);
    t.truthy(await adapter(a, 'RefreshToken').find(rt), 'other models are revoked by their own call');
    t.truthy(await adapter(a, 'AccessToken').find(other));

    await deleteOidcGrant(b.db, grant);
    t.is(await adapter(a, 'RefreshToken').find(rt), undefined);
    t.is(await adapter(a, 'AuthorizationCode').find(code), undefined);
    t.is(await adapter(a, 'Grant').find(grant), undefined);
    t.truthy(await adapter(a, 'Interaction').find(interaction));
    t.truthy(await adapter(a, 'AccessToken').find(other));
  },
);

test.serial('destroy removes one row', async (t) => {
  const key = id();
  await adapter(a, 'Session').upsert(key, { jti: key, uid: `u-${key}` }, 600);
  await adapter(b, 'Session').destroy(key);
  t.is(await adapter(a, 'Session').find(key), undefined);
});

test.serial('each row remembers its account, so deleting an account removes its sessions, grants, tokens and interactions', async (t) => {
  const acc = `acc-${n}`;
  const s = id();
  const g = id();
  const i = id();
  const i2 = id();
  const keep = id();
  await adapter(a, 'Session').upsert(s, { jti: s, uid: `u-${s}`, accountId: acc, authorizations: { c: { grantId: g, sid: 'x' } } }, 600);
  await adapter(a, 'Grant').upsert(g, { jti: g, accountId: acc }, 600);
  await adapter(a, 'Interaction').upsert(i, { jti: i, session: { uid: 'u', accountId: acc } }, 600);
  await adapter(a, 'Interaction').upsert(i2, { jti: i2, result: { login: { accountId: acc } } }, 600);
  await adapter(a, 'Session').upsert(keep, { jti: keep, uid: `u-${keep}`, accountId: 'someone-else' }, 600);
  const sessions = await oidcModelsOfAccount(b.db, 'Session', acc, clock.now());
  t.deepEqual(
    sessions.map((r) => r.id),
    [s],
  );
  t.deepEqual(sessions[0]!.payload.authorizations, { c: { grantId: g, sid: 'x' } });
  t.is(await deleteOidcModelsOfAccount(b.db, acc), 4);
  for (const [model, key] of [
    ['Session', s],
    ['Grant', g],
    ['Interaction', i],
    ['Interaction', i2],
  ] as const) {
    t.is(await adapter(a, model).find(key), undefined, `${model} ${key}`);
  }
  t.truthy(await adapter(a, 'Session').find(keep));
});
