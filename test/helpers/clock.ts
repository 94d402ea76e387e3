import type { Clock } from '../../src/core/clock.ts';

/** A clock the test moves by hand, to walk through link expiry, session limits and purges. */
export class TestClock implements Clock {
  private t: number;
  constructor(start = Date.parse('2026-11-23T09:00:00Z')) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
