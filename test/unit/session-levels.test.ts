import test from 'ava';
import { HOUR, MINUTE, SECOND } from '../../src/core/clock.ts';
import { TR03160_LIMITS, currentLevel, dropLapsed, recordLevel, sessionEnd, type LevelsReached } from '../../src/core/session-levels.ts';

const T0 = Date.UTC(2024, 4, 10, 9, 0, 0);

test('the limits are those of BSI TR-03160-1', (t) => {
  t.deepEqual(TR03160_LIMITS.low, { absoluteMs: 12 * HOUR, idleMs: 60 * MINUTE });
  t.deepEqual(TR03160_LIMITS.substantial, { absoluteMs: 2 * HOUR, idleMs: 30 * MINUTE });
  t.deepEqual(TR03160_LIMITS.high, { absoluteMs: 30 * MINUTE, idleMs: 5 * MINUTE });
  t.deepEqual(TR03160_LIMITS.basic, TR03160_LIMITS.low, 'basic cannot outlast low');
});

test('reaching high also proves substantial, low and basic at the same moment', (t) => {
  t.deepEqual(recordLevel({}, 'high', T0), { basic: T0, low: T0, substantial: T0, high: T0 });
});

test('reaching low records low and basic only', (t) => {
  t.deepEqual(recordLevel({}, 'low', T0), { basic: T0, low: T0 });
  t.deepEqual(recordLevel({}, 'basic', T0), { basic: T0 });
});

test('a step-up keeps the lower levels and refreshes them', (t) => {
  const low = recordLevel({}, 'low', T0);
  const high = recordLevel(low, 'high', T0 + 10 * MINUTE);
  t.deepEqual(high, { basic: T0 + 10 * MINUTE, low: T0 + 10 * MINUTE, substantial: T0 + 10 * MINUTE, high: T0 + 10 * MINUTE });
  t.deepEqual(low, { basic: T0, low: T0 }, 'the earlier record is not changed');
});

test('reaching a lower level later does not move the time a higher level was reached', (t) => {
  const high = recordLevel({}, 'high', T0);
  t.deepEqual(recordLevel(high, 'low', T0 + MINUTE), { basic: T0 + MINUTE, low: T0 + MINUTE, substantial: T0, high: T0 });
});

test('a record with an earlier time than the one stored keeps the later one', (t) => {
  const later = recordLevel({}, 'low', T0 + HOUR);
  t.deepEqual(recordLevel(later, 'low', T0), later);
});

test('a session with no level reached is over', (t) => {
  t.is(currentLevel({}, T0, T0), undefined);
  t.is(sessionEnd({}, T0), undefined);
});

test('an idle high session falls to substantial after 5 minutes, to low after 30, and ends after 60', (t) => {
  const reached = recordLevel({}, 'high', T0);
  const at = (ms: number) => currentLevel(reached, T0, T0 + ms);
  t.is(at(0), 'high');
  t.is(at(5 * MINUTE - 1), 'high');
  t.is(at(5 * MINUTE), 'substantial');
  t.is(at(30 * MINUTE - 1), 'substantial');
  t.is(at(30 * MINUTE), 'low');
  t.is(at(60 * MINUTE - 1), 'low');
  t.is(at(60 * MINUTE), undefined);
  t.is(sessionEnd(reached, T0), T0 + 60 * MINUTE);
});

test('activity keeps high for at most 30 minutes, substantial for 2 hours and low for 12 hours', (t) => {
  const reached = recordLevel({}, 'high', T0);
  // The citizen clicks every minute.
  const at = (ms: number) => currentLevel(reached, T0 + ms - MINUTE, T0 + ms);
  t.is(at(29 * MINUTE), 'high');
  t.is(at(30 * MINUTE - 1), 'high');
  t.is(at(30 * MINUTE), 'substantial');
  t.is(at(2 * HOUR - 1), 'substantial');
  t.is(at(2 * HOUR), 'low');
  t.is(at(12 * HOUR - 1), 'low');
  t.is(at(12 * HOUR), undefined, 'even an active session ends after 12 hours');
});

test('a low session ends after 60 minutes without activity', (t) => {
  const reached = recordLevel({}, 'low', T0);
  t.is(currentLevel(reached, T0 + 2 * HOUR, T0 + 3 * HOUR - SECOND), 'low');
  t.is(currentLevel(reached, T0 + 2 * HOUR, T0 + 3 * HOUR), undefined);
  t.is(sessionEnd(reached, T0 + 2 * HOUR), T0 + 3 * HOUR);
});

test('the idle limit runs from the last activity, not from when the level was reached', (t) => {
  const reached = recordLevel({}, 'substantial', T0);
  t.is(currentLevel(reached, T0 + 50 * MINUTE, T0 + 79 * MINUTE), 'substantial');
  t.is(currentLevel(reached, T0 + 50 * MINUTE, T0 + 80 * MINUTE), 'low');
});

test('a level reached again after it lapsed is valid again', (t) => {
  let reached = recordLevel({}, 'high', T0);
  t.is(currentLevel(reached, T0, T0 + 10 * MINUTE), 'substantial');
  reached = recordLevel(reached, 'high', T0 + 10 * MINUTE);
  t.is(currentLevel(reached, T0 + 10 * MINUTE, T0 + 10 * MINUTE), 'high');
  t.is(currentLevel(reached, T0 + 10 * MINUTE, T0 + 15 * MINUTE), 'substantial');
});

test('the session ends at the latest time any level is still valid', (t) => {
  const reached = recordLevel({}, 'high', T0);
  t.is(sessionEnd(reached, T0 + 11 * HOUR + 30 * MINUTE), T0 + 12 * HOUR, 'the absolute limit of low wins over its idle limit');
  t.is(currentLevel(reached, T0 + 11 * HOUR + 30 * MINUTE, T0 + 12 * HOUR - 1), 'low');
  t.is(currentLevel(reached, T0 + 11 * HOUR + 30 * MINUTE, T0 + 12 * HOUR), undefined);
});

test('other limits can be passed in', (t) => {
  const limits = {
    basic: { absoluteMs: HOUR, idleMs: HOUR },
    low: { absoluteMs: HOUR, idleMs: HOUR },
    substantial: { absoluteMs: HOUR, idleMs: HOUR },
    high: { absoluteMs: HOUR, idleMs: 2 * MINUTE },
  };
  const reached = recordLevel({}, 'high', T0);
  t.is(currentLevel(reached, T0, T0 + 2 * MINUTE, limits), 'substantial');
  t.is(currentLevel(reached, T0, T0 + 2 * MINUTE), 'high', 'the TR-03160 limit is 5 minutes');
  t.is(sessionEnd(reached, T0, limits), T0 + HOUR);
});

test('dropLapsed forgets exactly the levels that are no longer valid', (t) => {
  const reached = recordLevel({}, 'high', T0);
  t.deepEqual(dropLapsed(reached, T0, T0 + MINUTE), reached);
  t.deepEqual(dropLapsed(reached, T0, T0 + 5 * MINUTE), { basic: T0, low: T0, substantial: T0 });
  t.deepEqual(dropLapsed(reached, T0, T0 + 30 * MINUTE), { basic: T0, low: T0 });
  t.deepEqual(dropLapsed(reached, T0, T0 + 60 * MINUTE), {});
});

test('after dropLapsed a step-up to substantial does not bring back a lapsed high', (t) => {
  const reached = recordLevel({}, 'high', T0);
  const now = T0 + 10 * MINUTE;
  const stepped = recordLevel(dropLapsed(reached, T0, now), 'substantial', now);
  t.false('high' in stepped);
  t.is(currentLevel(stepped, now, now), 'substantial');
});

test('levels are checked independently: a recorded higher level with an older time does not hide a valid lower one', (t) => {
  const reached: LevelsReached = { basic: T0 + HOUR, low: T0 + HOUR, high: T0 };
  t.is(currentLevel(reached, T0 + HOUR, T0 + HOUR), 'low', 'high lapsed by its absolute limit');
  t.deepEqual(dropLapsed(reached, T0 + HOUR, T0 + HOUR), { basic: T0 + HOUR, low: T0 + HOUR });
});
