/**
 * Throttling policy, as pure functions over a small counter state. The store keeps one state
 * per key (a keyed hash of "what and who"), shared by every hub process (DECISIONS 16).
 *
 * Attempts are counted before the work they guard (a password check, a mail), so parallel
 * requests cannot slip past the limit; a successful login clears its account's counter.
 */

/** Failed logins: a few free tries, then a growing wait, then a temporary lock. */
export interface BackoffRule {
  readonly kind: 'backoff';
  readonly freeAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly lockAfter: number;
  readonly lockMs: number;
  /** A counter with no attempt for this long starts again from zero. */
  readonly forgetAfterMs: number;
}

/** Registrations, reset mails: at most `max` per fixed window. */
export interface RateRule {
  readonly kind: 'rate';
  readonly max: number;
  readonly windowMs: number;
}

export type ThrottleRule = BackoffRule | RateRule;

export interface ThrottleState {
  readonly count: number;
  readonly windowStart: number;
  readonly lastAt: number;
  readonly lockedUntil: number | null;
}

export type ThrottleVerdict = { readonly allowed: true } | { readonly allowed: false; readonly retryAt: number; readonly locked: boolean };

/** The state as it stands at `now`, after forgetting what has expired. */
function live(rule: ThrottleRule, state: ThrottleState | undefined, now: number): ThrottleState | undefined {
  if (state === undefined) return undefined;
  if (rule.kind === 'rate') return now >= state.windowStart + rule.windowMs ? undefined : state;
  if (state.lockedUntil !== null && now >= state.lockedUntil) return undefined;
  if (state.lockedUntil === null && now - state.lastAt >= rule.forgetAfterMs) return undefined;
  return state;
}

export function backoffDelay(rule: BackoffRule, attempts: number): number {
  if (attempts < rule.freeAttempts) return 0;
  return Math.min(rule.baseDelayMs * 2 ** (attempts - rule.freeAttempts), rule.maxDelayMs);
}

export function judge(rule: ThrottleRule, state: ThrottleState | undefined, now: number): ThrottleVerdict {
  const s = live(rule, state, now);
  if (s === undefined) return { allowed: true };
  if (rule.kind === 'rate') {
    return s.count < rule.max ? { allowed: true } : { allowed: false, retryAt: s.windowStart + rule.windowMs, locked: false };
  }
  if (s.lockedUntil !== null) return { allowed: false, retryAt: s.lockedUntil, locked: true };
  const retryAt = s.lastAt + backoffDelay(rule, s.count);
  return now >= retryAt ? { allowed: true } : { allowed: false, retryAt, locked: false };
}

/** The state after one more attempt at `now`. */
export function countAttempt(rule: ThrottleRule, state: ThrottleState | undefined, now: number): ThrottleState {
  const s = live(rule, state, now);
  const count = (s?.count ?? 0) + 1;
  const windowStart = s?.windowStart ?? now;
  const lockedUntil = rule.kind === 'backoff' && count >= rule.lockAfter ? now + rule.lockMs : null;
  return { count, windowStart, lastAt: now, lockedUntil };
}
