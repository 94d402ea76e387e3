import type { Queryable } from './db.ts';

function day(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** Counts one answered login for a portal (one statement, safe with several processes). */
export async function countPortalLogin(q: Queryable, portalId: string, now: number): Promise<void> {
  await q('portal_login_counts')
    .insert({ portal_id: portalId, day: day(now), count: 1 })
    .onConflict(['portal_id', 'day'])
    .merge({ count: q.raw('?? + 1', ['portal_login_counts.count']) });
}

/** Logins per portal today and over the last seven days (UTC days). */
export async function portalLoginCounts(q: Queryable, now: number): Promise<Record<string, { today: number; last7Days: number }>> {
  const since = day(now - 6 * 86_400_000);
  const rows = await q<{ portal_id: string; day: string; count: number }>('portal_login_counts').where('day', '>=', since);
  const out: Record<string, { today: number; last7Days: number }> = {};
  for (const r of rows) {
    const entry = (out[r.portal_id] ??= { today: 0, last7Days: 0 });
    entry.last7Days += Number(r.count);
    if (r.day === day(now)) entry.today += Number(r.count);
  }
  return out;
}
