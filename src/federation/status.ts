import type { TrustRegistry } from '../config/trust.ts';
import type { Loa } from '../core/loa.ts';
import type { MetadataRow } from '../store/federation.ts';
import type { MetadataService } from './metadata/service.ts';

/**
 * What `hub trust status` shows per partner (and /healthz in short): the metadata in use, its
 * validUntil, when it was last fetched and checked, when it is fetched next, and the last error
 * (a failed refresh while the last good copy serves shows both).
 */
export interface PartnerStatus {
  readonly id: string;
  readonly kind: string;
  readonly enabled: boolean;
  readonly entityId: string;
  readonly cap: Loa;
  readonly linkAccounts: boolean;
  /** Where the copy in use came from: url or file; undefined when there is none. */
  readonly source: 'url' | 'file' | undefined;
  /** A verified copy that serves now. */
  readonly usable: boolean;
  readonly validUntil: string | null;
  /** When the copy stops serving (validUntil, or the maximum cache age without one). */
  readonly usableUntil: string | null;
  readonly fetchedAt: string | null;
  readonly checkedAt: string | null;
  readonly nextRefreshAt: string | null;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
}

const iso = (v: number | null | undefined): string | null => (v === null || v === undefined || v === 0 ? null : new Date(v).toISOString());

export function partnerStatus(
  trust: TrustRegistry,
  rows: readonly Omit<MetadataRow, 'xml'>[],
  metadata: Pick<MetadataService, 'current'> | undefined,
  now: number,
): PartnerStatus[] {
  const byId = new Map(rows.map((r) => [r.partnerId, r]));
  return trust.partners.map((p) => {
    const r = byId.get(p.id);
    const good = r !== undefined && r.digest !== '' && r.entityId === p.metadata.entityId;
    const usable = metadata ? metadata.current(p.id) !== undefined : good && r.useUntil > now;
    return {
      id: p.id,
      kind: p.kind,
      enabled: p.enabled,
      entityId: p.metadata.entityId,
      cap: p.loa.cap,
      linkAccounts: p.linkAccounts,
      source: good ? r.source : undefined,
      usable: p.enabled && usable,
      validUntil: good ? iso(r.validUntil) : null,
      usableUntil: good ? iso(r.useUntil) : null,
      fetchedAt: good ? iso(r.fetchedAt) : null,
      checkedAt: good ? iso(r.checkedAt) : null,
      nextRefreshAt: r ? iso(r.nextRefreshAt) : null,
      lastError: r?.lastError ?? null,
      lastErrorAt: iso(r?.lastErrorAt),
    };
  });
}
