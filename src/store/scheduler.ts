import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import type { Db } from './db.ts';
import { finishLease, tryLease } from './jobs.ts';

/**
 * Housekeeping jobs inside the hub process. Every tick each job is offered to this process; it
 * runs only where the lease in the store was won, so with several processes it runs once.
 */
export interface Job {
  readonly name: string;
  run(): Promise<unknown>;
}

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly owner = randomBytes(8).toString('hex');

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly jobs: readonly Job[],
    /** Longest a job may hold its lease before another process may take over. */
    private readonly leaseMs = 5 * 60_000,
  ) {}

  /** Runs every job whose lease this process wins; one pass, awaited. */
  async runDue(): Promise<void> {
    for (const job of this.jobs) {
      if (!(await tryLease(this.db, job.name, this.owner, this.clock.now(), this.leaseMs))) continue;
      try {
        await job.run();
      } catch (err) {
        this.log.error({ err, job: job.name }, 'job failed');
      } finally {
        await finishLease(this.db, job.name, this.owner, this.clock.now());
      }
    }
  }

  start(intervalMs: number): void {
    const tick = (): void => {
      if (this.running) return; // the previous pass is still busy
      this.running = this.runDue()
        .catch((err: unknown) => this.log.error({ err }, 'job pass failed'))
        .finally(() => {
          this.running = undefined;
        });
    };
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
