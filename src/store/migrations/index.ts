import type { Knex } from 'knex';
import * as m001 from './001_foundation.ts';
import * as m002 from './002_portals.ts';
import * as m003 from './003_login_counts.ts';
import * as m004 from './004_eid.ts';
import * as m005 from './005_passkeys.ts';
import * as m006 from './006_postkorb.ts';
import * as m007 from './007_federation.ts';

/** Every migration, in order. Listed in code so tsx, tests and production load the same set. */
const MIGRATIONS: readonly { name: string; module: Knex.Migration }[] = [
  { name: '001_foundation', module: m001 },
  { name: '002_portals', module: m002 },
  { name: '003_login_counts', module: m003 },
  { name: '004_eid', module: m004 },
  { name: '005_passkeys', module: m005 },
  { name: '006_postkorb', module: m006 },
  { name: '007_federation', module: m007 },
];

export const migrationSource: Knex.MigrationSource<{ name: string; module: Knex.Migration }> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: (m) => m.name,
  getMigration: async (m) => m.module,
};
