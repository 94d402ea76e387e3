import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { PortalRegistry } from '../../config/portals.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../store/db.ts';
import { OidcModelAdapter, type OidcPayload } from '../../store/oidc-adapter.ts';
import { clientMetadata, portalOfClient } from './clients.ts';
import { isGrantAlive } from './hub-state.ts';

/**
 * The adapter oidc-provider stores its models through: the knex adapter of src/store for every
 * model, with two models answered differently:
 *
 * - `Client`: read from the portals registry on each lookup (nothing is stored), so the
 *   registry is the only place clients are configured.
 * - `Grant`: found only while a live hub session lists it (hub-state.ts). Every use of a grant
 *   goes through this lookup (authorization, code exchange, refresh, userinfo), so codes and
 *   tokens die with the hub session in every process, without waiting for a purge.
 */
export interface AdapterDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly portals: () => PortalRegistry;
}

const asPayload = (p: OidcPayload | undefined): AdapterPayload | undefined => p as AdapterPayload | undefined;

class StoreAdapter implements Adapter {
  protected readonly store: OidcModelAdapter;
  constructor(deps: AdapterDeps, model: string) {
    this.store = new OidcModelAdapter(deps.db, deps.clock, model);
  }
  upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    return this.store.upsert(id, payload as OidcPayload, expiresIn);
  }
  async find(id: string): Promise<AdapterPayload | undefined> {
    return asPayload(await this.store.find(id));
  }
  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return asPayload(await this.store.findByUid(uid));
  }
  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return asPayload(await this.store.findByUserCode(userCode));
  }
  consume(id: string): Promise<void> {
    return this.store.consume(id);
  }
  destroy(id: string): Promise<void> {
    return this.store.destroy(id);
  }
  revokeByGrantId(grantId: string): Promise<void> {
    return this.store.revokeByGrantId(grantId);
  }
}

class GrantAdapter extends StoreAdapter {
  constructor(private readonly deps: AdapterDeps) {
    super(deps, 'Grant');
  }
  override async find(id: string): Promise<AdapterPayload | undefined> {
    const payload = await this.store.find(id);
    if (!payload || typeof payload.accountId !== 'string') return undefined;
    return (await isGrantAlive(this.deps.db, this.deps.clock, payload.accountId, id)) ? asPayload(payload) : undefined;
  }
}

class ClientAdapter implements Adapter {
  constructor(private readonly deps: AdapterDeps) {}
  async find(id: string): Promise<AdapterPayload | undefined> {
    const portal = portalOfClient(this.deps.portals(), id);
    return portal ? (clientMetadata(portal) as AdapterPayload | undefined) : undefined;
  }
  async upsert(): Promise<void> {
    throw new Error('clients are configured in the portals registry');
  }
  async findByUid(): Promise<undefined> {
    return undefined;
  }
  async findByUserCode(): Promise<undefined> {
    return undefined;
  }
  async consume(): Promise<void> {}
  async destroy(): Promise<void> {}
  async revokeByGrantId(): Promise<void> {}
}

export function adapterFactory(deps: AdapterDeps): (model: string) => Adapter {
  return (model) => {
    if (model === 'Client') return new ClientAdapter(deps);
    if (model === 'Grant') return new GrantAdapter(deps);
    return new StoreAdapter(deps, model);
  };
}
