import type { Clock } from '../core/clock.ts';
import type { Db, Queryable } from './db.ts';

/**
 * The state of oidc-provider (sessions, interactions, grants, codes, tokens, replay entries) in
 * table `oidc_models`, so every hub process on the same database serves the same logins
 * (DESIGN: nothing a second process needs lives in one process's memory).
 *
 * This module knows the adapter contract of oidc-provider (`example/my_adapter.js`:
 * upsert / find / findByUid / findByUserCode / consume / destroy / revokeByGrantId) but does not
 * import oidc-provider: only `src/portals/oidc` does (STYLE). Payloads are stored as JSON; the
 * columns beside it are the lookups the provider needs (grant id, session uid, user code), the
 * account the row belongs to (so deleting an account removes its rows), the expiry and when the
 * row was consumed. Times are epoch milliseconds of the hub's clock.
 */

/** A model's payload as the provider hands it over (see oidc-provider `example/my_adapter.js`). */
export interface OidcPayload {
  readonly [key: string]: unknown;
  /** Session: the stable id behind the rotating cookie id. */
  readonly uid?: string;
  /** Tokens and codes: the Grant they were issued under (revokeByGrantId). */
  readonly grantId?: string;
  /** DeviceCode: what the citizen types. */
  readonly userCode?: string;
  /** Session, Grant, tokens: the account. */
  readonly accountId?: string;
  /** Set by `find` when the row was consumed (epoch seconds, as oidc-provider expects). */
  readonly consumed?: number;
}

interface OidcRow {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  account_id: string | null;
  expires_at: number | null;
  consumed_at: number | null;
}

const TABLE = 'oidc_models';

/** Models issued under a grant: revoking the grant removes them (as oidc-provider's memory adapter does). */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

function text(value: unknown, max: number): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : null;
}

/**
 * The account a payload belongs to: tokens, codes, grants and sessions name it directly; an
 * interaction names it in the session it started from or in the login result handed back.
 */
export function accountOfPayload(payload: OidcPayload): string | null {
  const nested = (v: unknown, key: string): unknown =>
    typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
  const candidates = [payload.accountId, nested(payload.session, 'accountId'), nested(nested(payload.result, 'login'), 'accountId')];
  for (const c of candidates) {
    const id = text(c, 36);
    if (id !== null) return id;
  }
  return null;
}

function parse(row: OidcRow): OidcPayload | undefined {
  let payload: unknown;
  try {
    payload = JSON.parse(row.payload);
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  return row.consumed_at === null
    ? (payload as OidcPayload)
    : { ...(payload as OidcPayload), consumed: Math.floor(row.consumed_at / 1000) };
}

/** One model's view of the table; oidc-provider creates one per model name. */
export class OidcModelAdapter {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    readonly model: string,
  ) {}

  private live() {
    const now = this.clock.now();
    return this.db<OidcRow>(TABLE)
      .where({ model: this.model })
      .andWhere((w) => w.whereNull('expires_at').orWhere('expires_at', '>', now));
  }

  /** Inserts or replaces; a replaced row starts unconsumed, as a fresh payload. */
  async upsert(id: string, payload: OidcPayload, expiresIn?: number): Promise<void> {
    const now = this.clock.now();
    const row: OidcRow = {
      model: this.model,
      id,
      payload: JSON.stringify(payload),
      grant_id: GRANTABLE.has(this.model) ? text(payload.grantId, 255) : null,
      user_code: text(payload.userCode, 255),
      uid: text(payload.uid, 255),
      account_id: accountOfPayload(payload),
      expires_at: typeof expiresIn === 'number' && Number.isFinite(expiresIn) ? now + Math.max(0, expiresIn) * 1000 : null,
      consumed_at: null,
    };
    await this.db(TABLE)
      .insert(row)
      .onConflict(['model', 'id'])
      .merge(['payload', 'grant_id', 'user_code', 'uid', 'account_id', 'expires_at', 'consumed_at']);
  }

  async find(id: string): Promise<OidcPayload | undefined> {
    const row = await this.live().andWhere({ id }).first();
    return row ? parse(row) : undefined;
  }

  async findByUid(uid: string): Promise<OidcPayload | undefined> {
    const row = await this.live().andWhere({ uid }).first();
    return row ? parse(row) : undefined;
  }

  async findByUserCode(userCode: string): Promise<OidcPayload | undefined> {
    const row = await this.live().andWhere({ user_code: userCode }).first();
    return row ? parse(row) : undefined;
  }

  /** Marks a code or token as used; a second use is then detected by every process. */
  async consume(id: string): Promise<void> {
    await this.db(TABLE).where({ model: this.model, id }).update({ consumed_at: this.clock.now() });
  }

  async destroy(id: string): Promise<void> {
    await this.db(TABLE).where({ model: this.model, id }).delete();
  }

  /** Every row of this model issued under the grant (oidc-provider calls it per token model). */
  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db(TABLE).where({ model: this.model, grant_id: grantId }).delete();
  }
}

/** Removes a grant and every code and token issued under it. */
export async function deleteOidcGrant(q: Queryable, grantId: string): Promise<void> {
  await q(TABLE).where({ grant_id: grantId }).delete();
  await q(TABLE).where({ model: 'Grant', id: grantId }).delete();
}

/** The live rows of one model that belong to an account, e.g. its provider sessions. */
export async function oidcModelsOfAccount(
  q: Queryable,
  model: string,
  accountId: string,
  now: number,
): Promise<{ id: string; payload: OidcPayload }[]> {
  const rows = await q<OidcRow>(TABLE)
    .where({ model, account_id: accountId })
    .andWhere((w) => w.whereNull('expires_at').orWhere('expires_at', '>', now));
  const out: { id: string; payload: OidcPayload }[] = [];
  for (const row of rows) {
    const payload = parse(row);
    if (payload) out.push({ id: row.id, payload });
  }
  return out;
}

export async function deleteOidcModel(q: Queryable, model: string, id: string): Promise<void> {
  await q(TABLE).where({ model, id }).delete();
}

/** Account deletion (DECISIONS 6): every row that names the account. */
export async function deleteOidcModelsOfAccount(q: Queryable, accountId: string): Promise<number> {
  return q(TABLE).where({ account_id: accountId }).delete();
}

/** Housekeeping: rows past their expiry. */
export async function purgeExpiredOidcModels(q: Queryable, now: number): Promise<number> {
  return q(TABLE).whereNotNull('expires_at').andWhere('expires_at', '<=', now).delete();
}
