import { HOUR, MINUTE } from './clock.ts';
import { LOA_LEVELS, type Loa, loaAndBelow } from './loa.ts';

/**
 * The SSO session's levels (DECISIONS 4). A session records when each level was last reached;
 * each level lapses by its own BSI TR-03160-1 limits, and the session falls back to the highest
 * level still valid. When none is valid the session is over.
 */

export interface LevelLimits {
  /** Longest a level lasts after it was reached. */
  readonly absoluteMs: number;
  /** Longest a level survives without activity. */
  readonly idleMs: number;
}

export const TR03160_LIMITS: Readonly<Record<Loa, LevelLimits>> = {
  // No TR-03160 level; it cannot outlast the lowest one.
  basic: { absoluteMs: 12 * HOUR, idleMs: 60 * MINUTE },
  low: { absoluteMs: 12 * HOUR, idleMs: 60 * MINUTE },
  substantial: { absoluteMs: 2 * HOUR, idleMs: 30 * MINUTE },
  high: { absoluteMs: 30 * MINUTE, idleMs: 5 * MINUTE },
};

/** Epoch milliseconds at which each level was last reached. */
export type LevelsReached = Readonly<Partial<Record<Loa, number>>>;

/** Reaching a level also proves every level below it, at the same moment. */
export function recordLevel(reached: LevelsReached, loa: Loa, at: number): LevelsReached {
  const next: Partial<Record<Loa, number>> = { ...reached };
  for (const l of loaAndBelow(loa)) next[l] = Math.max(next[l] ?? 0, at);
  return next;
}

function validUntil(reachedAt: number, lastActivity: number, limits: LevelLimits): number {
  return Math.min(reachedAt + limits.absoluteMs, lastActivity + limits.idleMs);
}

/** The highest level still valid at `now`, or `undefined` when the session is over. */
export function currentLevel(
  reached: LevelsReached,
  lastActivity: number,
  now: number,
  limits: Readonly<Record<Loa, LevelLimits>> = TR03160_LIMITS,
): Loa | undefined {
  for (const loa of [...LOA_LEVELS].reverse()) {
    const at = reached[loa];
    if (at !== undefined && now < validUntil(at, lastActivity, limits[loa])) return loa;
  }
  return undefined;
}

/** When the last level lapses if nothing happens before; the session row may go after that. */
export function sessionEnd(
  reached: LevelsReached,
  lastActivity: number,
  limits: Readonly<Record<Loa, LevelLimits>> = TR03160_LIMITS,
): number | undefined {
  let end: number | undefined;
  for (const loa of LOA_LEVELS) {
    const at = reached[loa];
    if (at === undefined) continue;
    const until = validUntil(at, lastActivity, limits[loa]);
    end = end === undefined ? until : Math.max(end, until);
  }
  return end;
}

/** Forget levels that have lapsed, so a later step-up starts from what is still true. */
export function dropLapsed(
  reached: LevelsReached,
  lastActivity: number,
  now: number,
  limits: Readonly<Record<Loa, LevelLimits>> = TR03160_LIMITS,
): LevelsReached {
  const next: Partial<Record<Loa, number>> = {};
  for (const loa of LOA_LEVELS) {
    const at = reached[loa];
    if (at !== undefined && now < validUntil(at, lastActivity, limits[loa])) next[loa] = at;
  }
  return next;
}
