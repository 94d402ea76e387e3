import type { Knex } from 'knex';
import * as m001 from './001_foundation.ts';

/** Every migration, in order. Listed in code so tsx, tests and production load the same set. */
const MIGRATIONS: readonly { name: string; module: Knex.Migration }[] = [{ name: '001_foundation', module: m001 }];

export const migrationSource: Knex.MigrationSource<{ name: string; module: Knex.Migration }> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: (m) => m.name,
  getMigration: async (m) => m.module,
};
