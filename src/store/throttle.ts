import { countAttempt, judge, type ThrottleRule, type ThrottleState, type ThrottleVerdict } from '../core/throttle.ts';
import { isUniqueViolation, type Db, type Queryable } from './db.ts';

/** Throttle counters in the shared store, so every hub process sees the same count. */

interface ThrottleRow {
  key: string;
  count: number;
  window_start: number;
  last_at: number;
  locked_until: number | null;
  expires_at: number;
}

function expiry(rule: ThrottleRule, s: ThrottleState): number {
  if (rule.kind === 'rate') return s.windowStart + rule.windowMs;
  return Math.max(s.lockedUntil ?? 0, s.lastAt + rule.forgetAfterMs);
}

async function attempt(db: Db, key: string, rule: ThrottleRule, now: number): Promise<ThrottleVerdict> {
  return db.transaction(async (trx) => {
    const query = trx<ThrottleRow>('throttle').where({ key });
    if (db.client.config.client === 'pg') query.forUpdate();
    const row = await query.first();
    const state: ThrottleState | undefined = row && {
      count: Number(row.count),
      windowStart: Number(row.window_start),
      lastAt: Number(row.last_at),
      lockedUntil: row.locked_until === null ? null : Number(row.locked_until),
    };
    const verdict = judge(rule, state, now);
    if (!verdict.allowed) return verdict;
    const next = countAttempt(rule, state, now);
    const values = {
      count: next.count,
      window_start: next.windowStart,
      last_at: next.lastAt,
      locked_until: next.lockedUntil,
      expires_at: expiry(rule, next),
    };
    if (row) await trx('throttle').where({ key }).update(values);
    else await trx('throttle').insert({ key, ...values });
    return verdict;
  });
}

/**
 * Counts one attempt under `key` if the rule allows it now. The check and the count happen in
 * one transaction (row-locked on PostgreSQL), so parallel requests cannot all pass.
 */
export async function takeAttempt(db: Db, key: string, rule: ThrottleRule, now: number): Promise<ThrottleVerdict> {
  try {
    return await attempt(db, key, rule, now);
  } catch (err) {
    // Two first attempts raced to insert the row; the loser tries once more against it.
    if (isUniqueViolation(err)) return attempt(db, key, rule, now);
    throw err;
  }
}

export async function clearAttempts(q: Queryable, key: string): Promise<void> {
  await q('throttle').where({ key }).delete();
}

export async function purgeThrottle(q: Queryable, now: number): Promise<number> {
  return q('throttle').where('expires_at', '<=', now).delete();
}

/** Takes back one counted attempt (a login that succeeded should not count against its address). */
export async function refundAttempt(q: Queryable, key: string): Promise<void> {
  await q('throttle').where({ key }).andWhere('count', '>', 0).decrement('count', 1);
}
