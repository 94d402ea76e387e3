import { randomBytes } from 'node:crypto';
import type { AuthnRequestContext } from '../core/authn-request.ts';
import { MINUTE } from '../core/clock.ts';
import type { Session } from '../web/session.ts';

/**
 * Portal requests waiting in the session while the citizen logs in and consents. Several tabs
 * may each run one; the oldest go when there are too many, and each lapses after an hour
 * (long enough to register on the way).
 */
const KEY = 'authnRequests';
const MAX_OPEN = 5;
export const REQUEST_LIFETIME_MS = 60 * MINUTE;

type Open = Record<string, AuthnRequestContext>;

export function newRequestId(): string {
  return randomBytes(16).toString('base64url');
}

function open(session: Session, now: number): Open {
  const all = session.get<Open>(KEY) ?? {};
  const live = Object.fromEntries(Object.entries(all).filter(([, r]) => now - r.createdAt < REQUEST_LIFETIME_MS));
  return live;
}

export function saveRequest(session: Session, request: AuthnRequestContext, now: number): void {
  const live = open(session, now);
  live[request.id] = request;
  const newest = Object.values(live)
    .sort((a, b) => b.createdAt - a.createdAt)
    .slice(0, MAX_OPEN);
  session.set(KEY, Object.fromEntries(newest.map((r) => [r.id, r])));
}

export function findRequest(session: Session, id: string | undefined, now: number): AuthnRequestContext | undefined {
  if (!id) return undefined;
  return open(session, now)[id];
}

export function dropRequest(session: Session, id: string): void {
  const all = session.get<Open>(KEY);
  if (!all || !(id in all)) return;
  const { [id]: _gone, ...rest } = all;
  session.set(KEY, rest);
}

/**
 * Marks that the citizen authenticated for this request (ForceAuthn is then satisfied), and
 * whether the partner they logged in with asked their consent for its portal (DECISIONS 7).
 */
export function markAuthenticated(session: Session, id: string, consentByPartner = false): void {
  const all = session.get<Open>(KEY);
  const r = all?.[id];
  if (!all || !r) return;
  session.set(KEY, { ...all, [id]: { ...r, forceAuthn: false, ...(consentByPartner ? { consentByPartner: true } : {}) } });
}
