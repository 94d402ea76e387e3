import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';

/**
 * Which database a test runs on: SQLite by default; PostgreSQL when TEST_DATABASE_URL (or DATABASE_URL) is set
 * (CI's second run). Each PostgreSQL user gets a schema of its own, dropped afterwards.
 */
export interface TestDatabase {
  readonly kind: 'sqlite' | 'postgres';
  readonly databaseUrl: string;
  readonly schema: string | undefined;
  drop(): Promise<void>;
}

export function testDatabaseUrl(): string | undefined {
  const url = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  return url === undefined || url === '' ? undefined : url;
}

export function newTestDatabase(): TestDatabase {
  const url = testDatabaseUrl();
  if (url === undefined) return { kind: 'sqlite', databaseUrl: '', schema: undefined, drop: async () => undefined };
  const schema = `t_${randomBytes(6).toString('hex')}`;
  return {
    kind: 'postgres',
    databaseUrl: url,
    schema,
    async drop() {
      const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
      try {
        await db.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await db.destroy();
      }
    },
  };
}
