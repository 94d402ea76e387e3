import { isUniqueViolation, type Queryable } from './db.ts';

/**
 * A replay cache in the shared store: `remember` succeeds once per key until the key expires,
 * in whichever hub process it is called (request IDs, assertion IDs).
 */
export async function remember(q: Queryable, key: string, expiresAt: number, now: number): Promise<boolean> {
  // An expired entry no longer protects anything; let the key be used again.
  await q('replay_cache').where({ key }).andWhere('expires_at', '<=', now).delete();
  try {
    await q('replay_cache').insert({ key, expires_at: expiresAt });
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

export async function purgeReplayCache(q: Queryable, now: number): Promise<number> {
  return q('replay_cache').where('expires_at', '<=', now).delete();
}
