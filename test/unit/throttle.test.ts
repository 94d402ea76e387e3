import test from 'ava';
import { HOUR, MINUTE, SECOND } from '../../src/core/clock.ts';
import {
  backoffDelay,
  countAttempt,
  judge,
  type BackoffRule,
  type RateRule,
  type ThrottleRule,
  type ThrottleState,
  type ThrottleVerdict,
} from '../../src/core/throttle.ts';

const T0 = Date.UTC(2024, 4, 10, 9, 0, 0);

/** The hub's default for failed logins per account. */
const LOGIN: BackoffRule = {
  kind: 'backoff',
  freeAttempts: 3,
  baseDelayMs: 2 * SECOND,
  maxDelayMs: 60 * SECOND,
  lockAfter: 10,
  lockMs: 15 * MINUTE,
  forgetAfterMs: 24 * HOUR,
};

const MAILS: RateRule = { kind: 'rate', max: 3, windowMs: HOUR };

/** Tries as the store does: judge, and count only what is allowed. */
class Door {
  state: ThrottleState | undefined;
  constructor(readonly rule: ThrottleRule) {}
  attempt(now: number): ThrottleVerdict {
    const verdict = judge(this.rule, this.state, now);
    if (verdict.allowed) this.state = countAttempt(this.rule, this.state, now);
    return verdict;
  }
}

test('a first attempt is always allowed', (t) => {
  t.deepEqual(judge(LOGIN, undefined, T0), { allowed: true });
  t.deepEqual(judge(MAILS, undefined, T0), { allowed: true });
});

test('the free attempts need no wait; the next one waits the base delay', (t) => {
  const door = new Door(LOGIN);
  for (let i = 1; i <= 3; i++) t.deepEqual(door.attempt(T0), { allowed: true }, `attempt ${i}`);
  t.deepEqual(door.attempt(T0), { allowed: false, retryAt: T0 + 2 * SECOND, locked: false });
  t.deepEqual(door.attempt(T0 + 2 * SECOND - 1), { allowed: false, retryAt: T0 + 2 * SECOND, locked: false });
  t.deepEqual(door.attempt(T0 + 2 * SECOND), { allowed: true });
});

test('a refused attempt does not count and does not lengthen the wait', (t) => {
  const door = new Door(LOGIN);
  for (let i = 0; i < 3; i++) door.attempt(T0);
  for (let i = 0; i < 20; i++) door.attempt(T0 + i);
  t.is(door.state?.count, 3);
  t.deepEqual(judge(LOGIN, door.state, T0 + SECOND), { allowed: false, retryAt: T0 + 2 * SECOND, locked: false });
});

test('the delay doubles with each further attempt and stops at the maximum', (t) => {
  t.deepEqual(
    Array.from({ length: 11 }, (_, attempts) => backoffDelay(LOGIN, attempts) / SECOND),
    [0, 0, 0, 2, 4, 8, 16, 32, 60, 60, 60],
  );
});

test('a citizen who retries as soon as allowed waits 2, 4, 8, 16, 32 and then 60 seconds', (t) => {
  const door = new Door(LOGIN);
  let now = T0;
  const waits: number[] = [];
  while ((door.state?.count ?? 0) < 9) {
    const verdict = door.attempt(now);
    if (!verdict.allowed) {
      waits.push((verdict.retryAt - now) / SECOND);
      now = verdict.retryAt;
    }
  }
  t.deepEqual(waits, [2, 4, 8, 16, 32, 60]);
});

test('the tenth counted attempt locks for 15 minutes, and the lock is announced as a lock', (t) => {
  let state: ThrottleState | undefined;
  for (let i = 0; i < 9; i++) state = countAttempt(LOGIN, state, T0 + i * MINUTE);
  t.is(state?.lockedUntil, null, 'nine attempts do not lock');
  state = countAttempt(LOGIN, state, T0 + 9 * MINUTE);
  t.is(state.lockedUntil, T0 + 9 * MINUTE + 15 * MINUTE);
  t.deepEqual(judge(LOGIN, state, T0 + 10 * MINUTE), { allowed: false, retryAt: T0 + 24 * MINUTE, locked: true });
  t.deepEqual(judge(LOGIN, state, T0 + 24 * MINUTE - 1), { allowed: false, retryAt: T0 + 24 * MINUTE, locked: true });
});

test('after the lock expires the counter starts fresh, with all free attempts back', (t) => {
  let state: ThrottleState | undefined;
  for (let i = 0; i < 10; i++) state = countAttempt(LOGIN, state, T0);
  const unlocked = T0 + 15 * MINUTE;
  t.deepEqual(judge(LOGIN, state, unlocked), { allowed: true });
  const next = countAttempt(LOGIN, state, unlocked);
  t.deepEqual(next, { count: 1, windowStart: unlocked, lastAt: unlocked, lockedUntil: null });
  const door = new Door(LOGIN);
  door.state = next;
  t.deepEqual(door.attempt(unlocked), { allowed: true });
  t.deepEqual(door.attempt(unlocked), { allowed: true });
  t.false(door.attempt(unlocked).allowed, 'the fourth attempt after the lock waits again');
});

test('a counter without attempts for forgetAfterMs is forgotten', (t) => {
  let state: ThrottleState | undefined;
  for (let i = 0; i < 8; i++) state = countAttempt(LOGIN, state, T0);
  t.is(state?.count, 8);
  t.true(judge(LOGIN, state, T0 + 24 * HOUR - 1).allowed, 'the 32-second wait has long passed');
  t.is(countAttempt(LOGIN, state, T0 + 24 * HOUR - 1).count, 9, 'just before: still counted on');
  t.is(countAttempt(LOGIN, state, T0 + 24 * HOUR).count, 1, 'after a day: starts from zero');
});

test('forgetting does not cut a lock short', (t) => {
  const rule: BackoffRule = { ...LOGIN, forgetAfterMs: MINUTE, lockMs: HOUR };
  let state: ThrottleState | undefined;
  for (let i = 0; i < 10; i++) state = countAttempt(rule, state, T0);
  t.deepEqual(judge(rule, state, T0 + 30 * MINUTE), { allowed: false, retryAt: T0 + HOUR, locked: true });
  t.deepEqual(judge(rule, state, T0 + HOUR), { allowed: true });
});

test('a rate rule allows max attempts per window, then refuses until the window ends', (t) => {
  const door = new Door(MAILS);
  t.deepEqual(door.attempt(T0), { allowed: true });
  t.deepEqual(door.attempt(T0 + 10 * MINUTE), { allowed: true });
  t.deepEqual(door.attempt(T0 + 20 * MINUTE), { allowed: true });
  t.deepEqual(door.attempt(T0 + 30 * MINUTE), { allowed: false, retryAt: T0 + HOUR, locked: false });
  t.deepEqual(door.attempt(T0 + HOUR - 1), { allowed: false, retryAt: T0 + HOUR, locked: false });
  t.is(door.state?.count, 3);
});

test('a rate window is fixed from its first attempt and a new one starts after it', (t) => {
  const door = new Door(MAILS);
  for (let i = 0; i < 3; i++) door.attempt(T0 + i * 20 * MINUTE);
  t.deepEqual(door.attempt(T0 + HOUR), { allowed: true }, 'the window started at T0, not at the last attempt');
  t.deepEqual(door.state, { count: 1, windowStart: T0 + HOUR, lastAt: T0 + HOUR, lockedUntil: null });
  door.attempt(T0 + HOUR + 1);
  door.attempt(T0 + HOUR + 2);
  t.deepEqual(door.attempt(T0 + HOUR + 3), { allowed: false, retryAt: T0 + 2 * HOUR, locked: false });
});

test('a rate rule never locks', (t) => {
  let state: ThrottleState | undefined;
  for (let i = 0; i < 100; i++) state = countAttempt(MAILS, state, T0);
  t.is(state?.lockedUntil, null);
  t.deepEqual(judge(MAILS, state, T0 + HOUR), { allowed: true });
});
