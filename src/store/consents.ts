import type { Queryable } from './db.ts';

/** Consents: which attribute set an account agreed to send to a portal, and when. */
export interface Consent {
  readonly portalId: string;
  readonly attributes: readonly string[];
  readonly grantedAt: number;
}

interface ConsentRow {
  account_id: string;
  portal_id: string;
  attributes: string;
  granted_at: number;
}

function key(attributes: readonly string[]): string {
  return [...new Set(attributes)].sort().join(',');
}

export async function findConsent(q: Queryable, accountId: string, portalId: string): Promise<Consent | undefined> {
  const row = await q<ConsentRow>('consents').where({ account_id: accountId, portal_id: portalId }).first();
  return (
    row && {
      portalId: row.portal_id,
      attributes: row.attributes === '' ? [] : row.attributes.split(','),
      grantedAt: Number(row.granted_at),
    }
  );
}

/** True when the stored consent covers exactly this set (a changed set asks again). */
export async function hasConsent(q: Queryable, accountId: string, portalId: string, attributes: readonly string[]): Promise<boolean> {
  const c = await findConsent(q, accountId, portalId);
  return c !== undefined && key(c.attributes) === key(attributes);
}

export async function saveConsent(
  q: Queryable,
  accountId: string,
  portalId: string,
  attributes: readonly string[],
  now: number,
): Promise<void> {
  await q('consents')
    .insert({ account_id: accountId, portal_id: portalId, attributes: key(attributes), granted_at: now })
    .onConflict(['account_id', 'portal_id'])
    .merge(['attributes', 'granted_at']);
}

export async function listConsents(q: Queryable, accountId: string): Promise<Consent[]> {
  const rows = await q<ConsentRow>('consents').where({ account_id: accountId }).orderBy('portal_id');
  return rows.map((r) => ({
    portalId: r.portal_id,
    attributes: r.attributes === '' ? [] : r.attributes.split(','),
    grantedAt: Number(r.granted_at),
  }));
}

export async function revokeConsent(q: Queryable, accountId: string, portalId: string): Promise<boolean> {
  return (await q('consents').where({ account_id: accountId, portal_id: portalId }).delete()) > 0;
}

export async function deleteConsents(q: Queryable, accountId: string): Promise<void> {
  await q('consents').where({ account_id: accountId }).delete();
}
