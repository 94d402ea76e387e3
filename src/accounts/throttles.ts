import type { HubConfig } from '../config/schema.ts';
import { MINUTE, SECOND, type Clock } from '../core/clock.ts';
import { HubError } from '../core/errors.ts';
import type { BackoffRule, RateRule, ThrottleVerdict } from '../core/throttle.ts';
import type { Db } from '../store/db.ts';
import { keyedHash } from '../store/keyed-hash.ts';
import { clearAttempts, refundAttempt, takeAttempt } from '../store/throttle.ts';

type Config = HubConfig['throttle'];

function backoff(r: Config['loginPerAccount']): BackoffRule {
  return {
    kind: 'backoff',
    freeAttempts: r.freeAttempts,
    baseDelayMs: r.baseDelaySeconds * SECOND,
    maxDelayMs: r.maxDelaySeconds * SECOND,
    lockAfter: r.lockAfter,
    lockMs: r.lockMinutes * MINUTE,
    forgetAfterMs: r.forgetAfterMinutes * MINUTE,
  };
}

function rate(r: Config['registrationPerAddress']): RateRule {
  return { kind: 'rate', max: r.max, windowMs: r.windowMinutes * MINUTE };
}

export type Refused = Extract<ThrottleVerdict, { allowed: false }>;

/**
 * The hub's throttles by name. Keys are keyed hashes, so the table holds neither usernames nor
 * addresses. A refusal says when to try again and whether it is a lock.
 */
export class Throttles {
  private readonly rules;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly hmacKey: Buffer,
    config: Config,
  ) {
    this.rules = {
      loginAccount: backoff(config.loginPerAccount),
      loginAddress: backoff(config.loginPerAddress),
      registrationAddress: rate(config.registrationPerAddress),
      resetAddress: rate(config.resetPerAddress),
      resetAccount: rate(config.resetPerAccount),
    } as const;
  }

  key(kind: keyof Throttles['rules'], subject: string): string {
    return keyedHash(this.hmacKey, 'throttle', kind, subject);
  }

  async take(kind: keyof Throttles['rules'], subject: string): Promise<Refused | undefined> {
    const verdict = await takeAttempt(this.db, this.key(kind, subject), this.rules[kind], this.clock.now());
    return verdict.allowed ? undefined : verdict;
  }

  /** Both login counters; the address first, so a locked account does not hide a busy address. */
  async takeLogin(address: string, usernameKey: string): Promise<Refused | undefined> {
    return (await this.take('loginAddress', address)) ?? (await this.take('loginAccount', usernameKey));
  }

  async loginSucceeded(address: string, usernameKey: string): Promise<void> {
    await clearAttempts(this.db, this.key('loginAccount', usernameKey));
    await refundAttempt(this.db, this.key('loginAddress', address));
  }

  /** A password reset proves control of the mailbox and lifts the account's lock. */
  async clearAccountLock(usernameKey: string): Promise<void> {
    await clearAttempts(this.db, this.key('loginAccount', usernameKey));
  }

  /** Throws the page error for a refusal that has no form of its own to show it on. */
  async takeOrThrow(kind: keyof Throttles['rules'], subject: string): Promise<void> {
    const refused = await this.take(kind, subject);
    if (refused) throw throttledError(refused, this.clock.now());
  }
}

export function throttledError(refused: Refused, now: number): HubError {
  const waitMs = Math.max(0, refused.retryAt - now);
  return new HubError('throttled', `throttled for ${waitMs} ms`, { params: { waitMs, retryAfterSeconds: Math.ceil(waitMs / 1000) } });
}
