import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { migrationSource } from './migrations/index.ts';

// Times are bigint epoch milliseconds; they fit a JS number, so read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));

export type Db = Knex;
/** A connection or a transaction: repository functions accept either. */
export type Queryable = Knex | Knex.Transaction;

export interface StoreOptions {
  /** postgres://… or empty for SQLite. */
  readonly databaseUrl: string;
  /** Absolute path of the SQLite file (ignored for PostgreSQL); ':memory:' works for tests. */
  readonly sqliteFile: string;
  /** PostgreSQL schema; created when missing. */
  readonly schema?: string | undefined;
}

export interface Store {
  readonly db: Db;
  readonly kind: 'sqlite' | 'postgres';
  /** Resolves when the database answers; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

function sqliteKnex(file: string): Knex {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  return knexFactory({
    client: 'sqlite3',
    connection: { filename: file },
    useNullAsDefault: true,
    // One connection: SQLite serialises writers anyway, and a second connection would only
    // wait on the file lock.
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn: { run(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null) => void) => {
        conn.run('PRAGMA foreign_keys = ON', (e1) => {
          if (e1) return done(e1);
          conn.run('PRAGMA journal_mode = WAL', (e2) => {
            if (e2) return done(e2);
            conn.run('PRAGMA busy_timeout = 5000', (e3) => {
              if (e3) return done(e3);
              // In WAL mode NORMAL keeps the file consistent on a crash and fsyncs only at
              // checkpoints instead of at every commit (SQLite is the single-machine default;
              // production runs on PostgreSQL).
              conn.run('PRAGMA synchronous = NORMAL', done);
            });
          });
        });
      },
    },
  });
}

function postgresKnex(url: string, schema: string | undefined): Knex {
  return knexFactory({
    client: 'pg',
    connection: url,
    searchPath: schema === undefined ? undefined : [schema],
    pool: { min: 0, max: 10 },
  });
}

/** Stable 31-bit number for the advisory lock of one schema. */
function lockId(schema: string): number {
  let h = 0;
  for (const ch of `servicekonto-hub:migrate:${schema}`) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h & 0x7fffffff;
}

/**
 * Runs the migrations. On PostgreSQL a session-level advisory lock, held on a connection of its
 * own, makes a second hub process starting at the same moment wait until the first is done, so
 * two processes never race on the schema (knex's own lock table would make the second fail).
 */
async function migrate(db: Knex, kind: Store['kind'], options: StoreOptions): Promise<void> {
  const config: Knex.MigratorConfig = { migrationSource, ...(options.schema ? { schemaName: options.schema } : {}) };
  if (kind === 'sqlite') {
    // SQLite has no advisory lock; a second process on the same file meets the first one's
    // migration table or lock and simply tries again once that one is done.
    for (let attempt = 0; ; attempt++) {
      try {
        await db.migrate.latest(config);
        return;
      } catch (err) {
        const racing = /already exists|already locked|SQLITE_BUSY/i.test((err as Error).message);
        if (!racing || attempt >= 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  const schema = options.schema ?? 'public';
  const lockClient = new pg.Client({ connectionString: options.databaseUrl });
  await lockClient.connect();
  try {
    await lockClient.query('SELECT pg_advisory_lock($1)', [lockId(schema)]);
    await lockClient.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    // Holding the advisory lock, nobody else is migrating: a lock row left by a process that
    // died mid-migration is stale and would otherwise block every start.
    const lockTable = await db.schema.hasTable('knex_migrations_lock');
    if (lockTable) await db.migrate.forceFreeMigrationsLock(config);
    await db.migrate.latest(config);
  } finally {
    await lockClient.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    await lockClient.end();
  }
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const kind: Store['kind'] = options.databaseUrl === '' ? 'sqlite' : 'postgres';
  if (kind === 'postgres' && !/^postgres(ql)?:\/\//.test(options.databaseUrl)) {
    throw new Error('DATABASE_URL must start with postgres:// or postgresql://');
  }
  if (options.schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(options.schema)) {
    throw new Error(`invalid schema name ${JSON.stringify(options.schema)}`);
  }
  const db = kind === 'sqlite' ? sqliteKnex(options.sqliteFile) : postgresKnex(options.databaseUrl, options.schema);
  try {
    await migrate(db, kind, options);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return {
    db,
    kind,
    ping: async () => {
      await db.raw('SELECT 1');
    },
    close: () => db.destroy(),
  };
}

/** A UNIQUE constraint refused the write (two registrations racing for one username). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; errno?: number; message?: string };
  return e?.code === '23505' || (e?.code === 'SQLITE_CONSTRAINT' && /UNIQUE/i.test(e.message ?? ''));
}
