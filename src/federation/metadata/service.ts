import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { PartnerConfig, TrustRegistry } from '../../config/trust.ts';
import { MINUTE, HOUR, type Clock } from '../../core/clock.ts';
import type { Db } from '../../store/db.ts';
import {
  deleteMetadataExcept,
  markMetadataUnchanged,
  metadataStates,
  readMetadataRow,
  recordMetadataError,
  saveMetadata,
  type MetadataRow,
} from '../../store/federation.ts';
import { FetchFailure, fetchMetadata } from './fetch.ts';
import { MetadataRefusal, verifyPartnerMetadata, type IdpMetadata, type MetadataPolicy } from './partner-metadata.ts';

/**
 * The partners' metadata in use, per process: verified documents indexed by partner in memory,
 * so the login path only looks them up (DESIGN: never parsed on the login path).
 *
 * - `refreshDue` is the scheduler job (it runs in one process at a time, by lease): each enabled
 *   partner whose copy is due is fetched with a conditional request (or read from its file),
 *   verified and stored; a failure is recorded with the partner and logged, and the last good
 *   copy keeps serving until it runs out (validUntil, or the partner's maxCacheHours when the
 *   metadata has none). cacheDuration shortens the refresh interval.
 * - `sync` runs in every process (at start and every few seconds): a copy another process stored
 *   is read and verified again here before it is used.
 * - A trust reload prepares the index for the new entries (stored copies verified against the
 *   new pins) and commits it with the rest of the configuration, or not at all.
 */

export interface ActiveMetadata {
  readonly metadata: IdpMetadata;
  /** After this the copy no longer serves. */
  readonly useUntil: number;
  readonly fetchedAt: number;
}

export interface MetadataServiceDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  readonly production: boolean;
  readonly fetchTimeoutMs: number;
  readonly maxBytes: number;
}

const RETRY_MS = 5 * MINUTE;

export function metadataPolicy(p: PartnerConfig, deps: Pick<MetadataServiceDeps, 'production' | 'maxBytes'>): MetadataPolicy {
  return {
    entityId: p.metadata.entityId,
    certificates: p.metadata.certificates,
    requireValidUntil: p.metadata.requireValidUntil,
    maxValidityDays: p.metadata.maxValidityDays,
    production: deps.production,
    maxBytes: deps.maxBytes,
  };
}

/** How long a verified copy serves: to its validUntil, or (without one) the partner's maximum cache age. */
export function useUntilOf(p: PartnerConfig, metadata: IdpMetadata, checkedAt: number): number {
  return metadata.validUntil ?? checkedAt + p.metadata.maxCacheHours * HOUR;
}

/** When to fetch again: the partner's interval, shortened by cacheDuration, and before the copy runs out. */
export function nextRefreshOf(p: PartnerConfig, metadata: IdpMetadata, checkedAt: number): number {
  const interval = Math.min(p.metadata.refreshMinutes * MINUTE, metadata.cacheDurationMs ?? Infinity);
  const useUntil = useUntilOf(p, metadata, checkedAt);
  // Leave a tenth of the remaining validity for retries before the copy runs out.
  return Math.min(checkedAt + Math.max(interval, MINUTE), checkedAt + Math.max((useUntil - checkedAt) * 0.9, MINUTE));
}

export class MetadataService {
  private registry: TrustRegistry;
  private active: Map<string, ActiveMetadata>;

  constructor(
    registry: TrustRegistry,
    private readonly deps: MetadataServiceDeps,
  ) {
    this.registry = registry;
    this.active = new Map();
  }

  /** The trust configuration in force. */
  get trust(): TrustRegistry {
    return this.registry;
  }

  /** The verified metadata of a partner that may be used now. */
  current(partnerId: string): IdpMetadata | undefined {
    const a = this.active.get(partnerId);
    return a && a.useUntil > this.deps.clock.now() ? a.metadata : undefined;
  }

  activeEntry(partnerId: string): ActiveMetadata | undefined {
    return this.active.get(partnerId);
  }

  private verify(p: PartnerConfig, xml: string): IdpMetadata {
    return verifyPartnerMetadata(xml, metadataPolicy(p, this.deps), this.deps.clock.now());
  }

  /** Verifies stored copies for `registry` (at start and for a reload); returns the index. */
  private async loadFromStore(registry: TrustRegistry): Promise<Map<string, ActiveMetadata>> {
    const out = new Map<string, ActiveMetadata>();
    for (const p of registry.partners) {
      const row = await readMetadataRow(this.deps.db, p.id);
      if (!row || row.digest === '' || row.entityId !== p.metadata.entityId) continue;
      try {
        out.set(p.id, { metadata: this.verify(p, row.xml), useUntil: row.useUntil, fetchedAt: row.fetchedAt });
      } catch (err) {
        if (!(err instanceof MetadataRefusal)) throw err;
        this.deps.log.warn(
          { partner: p.id, reason: err.message },
          'the stored metadata copy of a partner is not usable under its trust entry',
        );
      }
    }
    return out;
  }

  /** Loads what the store holds (at start). */
  async start(): Promise<void> {
    this.active = await this.loadFromStore(this.registry);
  }

  /** For a trust reload: the index for the new entries, to be applied by the returned commit. */
  async prepare(next: TrustRegistry): Promise<() => void> {
    const active = await this.loadFromStore(next);
    return () => {
      this.registry = next;
      this.active = active;
    };
  }

  /** Picks up copies another process stored (cheap: compares digests, parses only what changed). */
  async sync(): Promise<void> {
    const states = new Map((await metadataStates(this.deps.db)).map((s) => [s.partnerId, s]));
    for (const p of this.registry.partners) {
      const s = states.get(p.id);
      const mine = this.active.get(p.id);
      if (!s || s.digest === '' || s.entityId !== p.metadata.entityId) continue;
      if (mine && mine.metadata.digest === s.digest) {
        if (mine.useUntil !== s.useUntil) this.active.set(p.id, { ...mine, useUntil: s.useUntil, fetchedAt: s.fetchedAt });
        continue;
      }
      const row = await readMetadataRow(this.deps.db, p.id);
      if (!row) continue;
      try {
        this.active.set(p.id, { metadata: this.verify(p, row.xml), useUntil: row.useUntil, fetchedAt: row.fetchedAt });
      } catch (err) {
        if (!(err instanceof MetadataRefusal)) throw err;
        this.deps.log.warn({ partner: p.id, reason: err.message }, 'a stored metadata copy was refused');
      }
    }
  }

  /** The scheduler job: refreshes what is due (or everything with `force`). */
  async refreshDue(force = false): Promise<void> {
    const now = this.deps.clock.now();
    await deleteMetadataExcept(
      this.deps.db,
      this.registry.partners.map((p) => p.id),
    );
    for (const p of this.registry.partners) {
      if (!p.enabled) continue;
      const row = await readMetadataRow(this.deps.db, p.id);
      const due = force || !row || row.digest === '' || row.nextRefreshAt <= now;
      if (!due) continue;
      await this.refreshOne(p, row);
    }
  }

  private async refreshOne(p: PartnerConfig, row: MetadataRow | undefined): Promise<void> {
    const now = this.deps.clock.now();
    const good = row !== undefined && row.digest !== '' && row.entityId === p.metadata.entityId ? row : undefined;
    const fail = async (reason: string): Promise<void> => {
      this.deps.log.error(
        { partner: p.id, reason, servingUntil: this.current(p.id) ? new Date(this.active.get(p.id)!.useUntil).toISOString() : null },
        'partner metadata refresh failed; the last good copy (if any) keeps serving',
      );
      await recordMetadataError(this.deps.db, p.id, reason, now, now + Math.min(RETRY_MS, p.metadata.refreshMinutes * MINUTE));
    };
    const accept = async (xml: string, source: 'url' | 'file', etag: string | null, lastModified: string | null): Promise<void> => {
      const metadata = this.verify(p, xml);
      const useUntil = useUntilOf(p, metadata, now);
      await saveMetadata(this.deps.db, {
        partnerId: p.id,
        entityId: p.metadata.entityId,
        source,
        xml,
        digest: metadata.digest,
        etag,
        lastModified,
        fetchedAt: now,
        validUntil: metadata.validUntil ?? null,
        useUntil,
        nextRefreshAt: nextRefreshOf(p, metadata, now),
        checkedAt: now,
        lastAttemptAt: now,
      });
      this.active.set(p.id, { metadata, useUntil, fetchedAt: now });
      this.deps.log.info(
        { partner: p.id, source, validUntil: metadata.validUntil ? new Date(metadata.validUntil).toISOString() : null },
        'partner metadata verified and stored',
      );
    };
    try {
      if (p.metadata.url !== undefined) {
        let outcome;
        try {
          outcome = await fetchMetadata(p.metadata.url, {
            timeoutMs: this.deps.fetchTimeoutMs,
            maxBytes: this.deps.maxBytes,
            production: this.deps.production,
            etag: good?.etag,
            lastModified: good?.lastModified,
          });
        } catch (err) {
          if (!(err instanceof FetchFailure)) throw err;
          // Nothing usable yet: an operator-provided file bridges the gap.
          if (!good && p.metadata.filePath !== undefined) {
            await accept(readFileSync(p.metadata.filePath, 'utf8'), 'file', null, null);
            await recordMetadataError(this.deps.db, p.id, `fetch failed (the file serves): ${err.message}`, now, now + RETRY_MS);
            return;
          }
          return await fail(`fetch failed: ${err.message}`);
        }
        if (outcome.kind === 'unchanged') {
          if (!good) return await fail('the server answered 304 Not Modified, but no copy is stored');
          // Unchanged, but still held to its policy: an expired copy is not revived by a 304.
          const metadata = this.active.get(p.id)?.metadata ?? this.verify(p, (await readMetadataRow(this.deps.db, p.id))!.xml);
          if (metadata.validUntil !== undefined && metadata.validUntil <= now)
            return await fail('the metadata has expired and the server still serves it unchanged');
          const useUntil = useUntilOf(p, metadata, now);
          await markMetadataUnchanged(this.deps.db, p.id, {
            checkedAt: now,
            nextRefreshAt: nextRefreshOf(p, metadata, now),
            useUntil,
            etag: outcome.etag,
            lastModified: outcome.lastModified,
          });
          this.active.set(p.id, { metadata, useUntil, fetchedAt: this.active.get(p.id)?.fetchedAt ?? now });
          return;
        }
        await accept(outcome.xml, 'url', outcome.etag, outcome.lastModified);
        return;
      }
      if (p.metadata.filePath !== undefined) {
        const xml = readFileSync(p.metadata.filePath, 'utf8');
        if (good && good.source === 'file' && this.active.get(p.id)?.metadata.digest === good.digest && good.xml === xml) {
          const metadata = this.active.get(p.id)!.metadata;
          if (metadata.validUntil !== undefined && metadata.validUntil <= now)
            return await fail('the metadata file has expired (validUntil)');
          await markMetadataUnchanged(this.deps.db, p.id, {
            checkedAt: now,
            nextRefreshAt: nextRefreshOf(p, metadata, now),
            useUntil: useUntilOf(p, metadata, now),
            etag: null,
            lastModified: null,
          });
          this.active.set(p.id, { metadata, useUntil: useUntilOf(p, metadata, now), fetchedAt: this.active.get(p.id)!.fetchedAt });
          return;
        }
        await accept(xml, 'file', null, null);
      }
    } catch (err) {
      if (err instanceof MetadataRefusal) return await fail(`refused: ${err.message}`);
      if ((err as NodeJS.ErrnoException).code !== undefined && (err as NodeJS.ErrnoException).syscall !== undefined) {
        return await fail(`cannot read ${p.metadata.file}: ${(err as Error).message}`);
      }
      throw err;
    }
  }
}
