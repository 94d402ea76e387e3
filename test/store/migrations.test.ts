import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { openStore, type Store } from '../../src/store/db.ts';
import { migrationSource } from '../../src/store/migrations/index.ts';
import { newTestDatabase } from '../helpers/database.ts';

const EXPECTED_TABLES = ['accounts', 'account_attributes', 'account_tokens', 'sessions', 'throttle', 'audit_events', 'job_leases'];

async function tables(store: Store): Promise<string[]> {
  const db = store.db;
  if (store.kind === 'sqlite') {
    return ((await db.raw(`SELECT name FROM sqlite_master WHERE type = 'table'`)) as { name: string }[]).map((r) => r.name);
  }
  return (
    (await db.raw(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`)) as {
      rows: { name: string }[];
    }
  ).rows.map((r) => r.name);
}

test('two hub processes starting together on one store both come up with one complete schema', async (t) => {
  const database = newTestDatabase();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skh-migrate-'));
  const options = { databaseUrl: database.databaseUrl, sqliteFile: path.join(dir, 'hub.sqlite'), schema: database.schema };
  try {
    const [a, b] = await Promise.all([openStore(options), openStore(options)]);
    for (const table of EXPECTED_TABLES) t.true((await tables(a)).includes(table), table);
    const applied = await a.db('knex_migrations').select('name');
    const all = (await migrationSource.getMigrations([])).map((m) => migrationSource.getMigrationName(m));
    t.deepEqual(
      applied.map((r: { name: string }) => r.name),
      all,
      'each migration ran exactly once',
    );
    t.truthy(await b.db('accounts').count({ n: '*' }).first(), 'the second process can use the store');
    await Promise.all([a.close(), b.close()]);
    const again = await openStore(options);
    t.deepEqual((await again.db('knex_migrations').select('name')).length, all.length, 'a restart migrates nothing');
    await again.close();
  } finally {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a DATABASE_URL that is not PostgreSQL is refused with a clear message', async (t) => {
  await t.throwsAsync(openStore({ databaseUrl: 'mysql://localhost/x', sqliteFile: ':memory:' }), { message: /postgres:\/\//i });
});

test('an unreachable PostgreSQL server fails the start instead of hanging', async (t) => {
  const error = await t.throwsAsync(openStore({ databaseUrl: 'postgres://nobody@127.0.0.1:1/none', sqliteFile: ':memory:' }));
  t.regex(error!.message, /ECONNREFUSED|connect/);
});
