import type { Clock } from '../../core/clock.ts';
import type { Loa } from '../../core/loa.ts';
import { currentLevel, TR03160_LIMITS, type LevelsReached } from '../../core/session-levels.ts';
import type { Db } from '../../store/db.ts';
import { loadPrincipalSessions } from '../../store/sessions.ts';
import type { Session } from '../../web/session.ts';

/**
 * What the OIDC edge keeps in the hub's session (DECISIONS 4: the hub session is the one SSO
 * session; oidc-provider's session, grants and tokens hang off it):
 *
 * - `session`: the uid of the provider session bound to this hub session. A provider session
 *   is used only while the hub session names it (checked in the login prompt, policy.ts).
 * - `grants`: client id → the grant issued in this hub session. A grant (and with it every code
 *   and token issued under it) is valid only while a live hub session lists it: when the hub
 *   session ends by logout, timeout, password reset, account switch or deletion, the grant is
 *   gone for every hub process at once (adapter.ts checks it on every lookup).
 * - `outcomes`: interaction uid → the login's outcome, between `answer` and `/interaction/<uid>/fertig`.
 *
 * Nothing claim-valued is kept here: claims are read from the account when a token is issued.
 */
export interface StoredOutcome {
  readonly ok: boolean;
  readonly at: number;
  /** ok */
  readonly accountId?: string;
  readonly acr?: string;
  readonly amr?: readonly string[];
  /** Epoch seconds of the authentication (auth_time). */
  readonly ts?: number;
  readonly grantId?: string;
  readonly sid?: string;
  /** not ok */
  readonly error?: string;
  readonly description?: string;
}

export interface HubOidcState {
  readonly session?: string;
  readonly grants: Readonly<Record<string, string>>;
  readonly outcomes: Readonly<Record<string, StoredOutcome>>;
}

export const HUB_KEY = 'oidc';
const MAX_OUTCOMES = 5;
const OUTCOME_LIFETIME_MS = 10 * 60_000;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseState(raw: unknown): HubOidcState {
  if (!isRecord(raw)) return { grants: {}, outcomes: {} };
  const grants = isRecord(raw.grants) ? (raw.grants as Record<string, string>) : {};
  const outcomes = isRecord(raw.outcomes) ? (raw.outcomes as Record<string, StoredOutcome>) : {};
  return { ...(typeof raw.session === 'string' ? { session: raw.session } : {}), grants, outcomes };
}

export function readState(session: Session): HubOidcState {
  return parseState(session.get<unknown>(HUB_KEY));
}

function write(session: Session, state: HubOidcState): void {
  session.set(HUB_KEY, state);
}

export function bindProviderSession(session: Session, uid: string): void {
  const state = readState(session);
  if (state.session !== uid) write(session, { ...state, session: uid });
}

/** Records the grant of a login; returns the one it replaces (to be revoked). */
export function recordGrant(session: Session, clientId: string, grantId: string): string | undefined {
  const state = readState(session);
  const previous = state.grants[clientId];
  write(session, { ...state, grants: { ...state.grants, [clientId]: grantId } });
  return previous !== grantId ? previous : undefined;
}

export function storeOutcome(session: Session, uid: string, outcome: StoredOutcome, now: number): void {
  const state = readState(session);
  const kept = Object.entries(state.outcomes)
    .filter(([, o]) => now - o.at < OUTCOME_LIFETIME_MS)
    .sort(([, a], [, b]) => b.at - a.at)
    .slice(0, MAX_OUTCOMES - 1);
  write(session, { ...state, outcomes: { ...Object.fromEntries(kept), [uid]: outcome } });
}

export function takeOutcome(session: Session, uid: string, now: number): StoredOutcome | undefined {
  const state = readState(session);
  const outcome = state.outcomes[uid];
  if (!outcome) return undefined;
  const { [uid]: _taken, ...rest } = state.outcomes;
  write(session, { ...state, outcomes: rest });
  return now - outcome.at < OUTCOME_LIFETIME_MS ? outcome : undefined;
}

/** When the hub session's levels all lapse at the latest (TR-03160 absolute limits), epoch ms. */
export function absoluteEnd(levels: LevelsReached): number | undefined {
  let end: number | undefined;
  for (const [loa, at] of Object.entries(levels) as [Loa, number][]) {
    const until = at + TR03160_LIMITS[loa].absoluteMs;
    end = end === undefined ? until : Math.max(end, until);
  }
  return end;
}

/** Seconds from now until the hub session ends at the latest; `fallback` when nobody is logged in. */
export function secondsLeft(session: Session | undefined, now: number, fallback: number): number {
  if (!session || session.principalId === undefined) return fallback;
  const end = absoluteEnd(session.levelsReached);
  return end === undefined ? fallback : Math.max(1, Math.floor((end - now) / 1000));
}

/**
 * True when a live hub session of the principal (an account, or a login through a partner
 * without an account, DECISIONS 8) lists the grant. Live means what the session middleware
 * means: some level has not lapsed (TR-03160 absolute and idle limits).
 */
export async function isGrantAlive(db: Db, clock: Clock, accountId: string, grantId: string): Promise<boolean> {
  const now = clock.now();
  for (const record of await loadPrincipalSessions(db, accountId)) {
    if (currentLevel(record.levels, record.lastSeenAt, now) === undefined) continue;
    if (Object.values(parseState(record.data[HUB_KEY]).grants).includes(grantId)) return true;
  }
  return false;
}
