import { isUniqueViolation, type Queryable } from './db.ts';

/**
 * Job leases: a housekeeping job runs in one hub process at a time. Taking a lease is a single
 * conditional UPDATE (or the first INSERT), so two processes cannot both win it.
 */
export async function tryLease(q: Queryable, name: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
  const updated = await q('job_leases')
    .where({ name })
    .andWhere((w) => w.where('lease_until', '<=', now).orWhere({ owner }))
    .update({ owner, lease_until: now + leaseMs });
  if (updated === 1) return true;
  const exists = await q('job_leases').where({ name }).first('name');
  if (exists) return false;
  try {
    await q('job_leases').insert({ name, owner, lease_until: now + leaseMs, last_run_at: null });
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

export async function finishLease(q: Queryable, name: string, owner: string, now: number): Promise<void> {
  await q('job_leases').where({ name, owner }).update({ lease_until: now, last_run_at: now });
}
