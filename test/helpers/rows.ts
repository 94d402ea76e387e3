import type { TestHub } from './hub.ts';

/** Rows in the account tables that belong to `username` (account, attributes, tokens, sessions). */
export async function countAccountRows(h: TestHub, username: string): Promise<number> {
  const db = h.hub.store.db;
  const account = await db('accounts').where({ username_key: username.toLowerCase() }).first<{ id: string } | undefined>('id');
  if (!account) return 0;
  let total = 1;
  for (const table of ['account_attributes', 'account_tokens', 'sessions']) {
    const row = await db(table).where({ account_id: account.id }).count({ n: '*' }).first();
    total += Number(row?.n ?? 0);
  }
  return total;
}

/** Every table of the store with all its rows, for tests that look for leftovers. */
export async function dumpAllTables(h: TestHub): Promise<Record<string, unknown[]>> {
  const db = h.hub.store.db;
  const tables =
    h.hub.store.kind === 'sqlite'
      ? ((await db.raw(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)) as { name: string }[]).map(
          (r) => r.name,
        )
      : (
          (await db.raw(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`)) as {
            rows: { name: string }[];
          }
        ).rows.map((r) => r.name);
  const out: Record<string, unknown[]> = {};
  for (const table of tables) out[table] = await db(table).select('*');
  return out;
}
