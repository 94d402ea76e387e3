import { randomBytes } from 'node:crypto';
import { isUniqueViolation, type Queryable } from './db.ts';

/**
 * Pairwise identifiers: one random value per account and sector, stored, never derived from a
 * key (DECISIONS 12), so a key rotation or leak changes nothing and portals of different sectors
 * cannot link their citizens.
 */
interface PairwiseRow {
  account_id: string;
  sector: string;
  value: string;
  created_at: number;
}

export async function pairwiseId(q: Queryable, accountId: string, sector: string, now: number): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const row = await q<PairwiseRow>('pairwise_ids').where({ account_id: accountId, sector }).first('value');
    if (row) return row.value;
    const value = randomBytes(20).toString('hex');
    try {
      await q('pairwise_ids').insert({ account_id: accountId, sector, value, created_at: now });
      return value;
    } catch (err) {
      // A parallel login of the same account created it first: read that one.
      if (!isUniqueViolation(err)) throw err;
    }
  }
  throw new Error('could not create a pairwise identifier');
}

/** The account behind a pairwise identifier (for SAML logout requests naming it). */
export async function accountOfPairwiseId(q: Queryable, value: string): Promise<{ accountId: string; sector: string } | undefined> {
  const row = await q<PairwiseRow>('pairwise_ids').where({ value }).first();
  return row && { accountId: row.account_id, sector: row.sector };
}

export async function deletePairwiseIds(q: Queryable, accountId: string): Promise<void> {
  await q('pairwise_ids').where({ account_id: accountId }).delete();
}
