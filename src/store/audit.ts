import type { Queryable } from './db.ts';

/**
 * Audit events: what happened, when, to which account (by keyed hash). `detail` holds no
 * personal data: method and level of a login, the names (never the values) of changed fields.
 */
export type AuditEvent =
  | 'account.registered'
  | 'account.confirmed'
  | 'account.deleted'
  | 'login.succeeded'
  | 'login.failed'
  | 'logout'
  | 'password.changed'
  | 'password.reset'
  | 'data.changed'
  | 'email.changed'
  | 'eid.bound'
  | 'passkey.added'
  | 'passkey.removed'
  | 'passkey.counterRegression'
  | 'data.released';

export interface AuditRecord {
  readonly at: number;
  readonly accountRef: string | null;
  readonly event: AuditEvent;
  readonly detail: Readonly<Record<string, string | number | boolean | readonly string[]>>;
}

export async function recordAudit(q: Queryable, r: AuditRecord): Promise<void> {
  await q('audit_events').insert({ at: r.at, account_ref: r.accountRef, event: r.event, detail: JSON.stringify(r.detail) });
}

export async function auditForAccount(
  q: Queryable,
  accountRef: string,
  since: number,
  events: readonly AuditEvent[],
): Promise<AuditRecord[]> {
  const rows = await q<{ at: number; account_ref: string; event: AuditEvent; detail: string }>('audit_events')
    .where({ account_ref: accountRef })
    .andWhere('at', '>=', since)
    .whereIn('event', events)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(50);
  return rows.map((r) => ({
    at: Number(r.at),
    accountRef: r.account_ref,
    event: r.event,
    detail: JSON.parse(r.detail) as AuditRecord['detail'],
  }));
}

export async function deleteAuditForAccount(q: Queryable, accountRef: string): Promise<void> {
  await q('audit_events').where({ account_ref: accountRef }).delete();
}

export async function purgeAudit(q: Queryable, olderThan: number): Promise<number> {
  return q('audit_events').where('at', '<', olderThan).delete();
}
