import { maxLoa, minLoa, parseLoa, type Loa } from '../../core/loa.ts';
import { parseClaimsParameter } from './claims.ts';

/**
 * The level an authorization request needs, from `acr_values` and an `acr` request in the
 * `claims` parameter, read through the core table (eIDAS URIs, STORK values, BSI URIs and the
 * short names). Levels are ordered: a higher level satisfies a lower one, so the portal gets the
 * lowest level it named or more (STYLE: oidc-provider's own essential-acr checks compare strings,
 * ours compare `Loa`). The portal's configured minimum applies even when it asks for less.
 */
export type RequiredLevel =
  | { readonly ok: true; readonly loa: Loa }
  /** The request insisted (essential) on values the hub does not know: it cannot be met. */
  | { readonly ok: false; readonly reason: string };

function words(value: unknown): string[] {
  return typeof value === 'string' ? value.split(' ').filter((w) => w !== '') : [];
}

function levels(values: readonly unknown[]): Loa[] {
  return values.flatMap((v) => {
    const loa = typeof v === 'string' ? parseLoa('oidc', v) : undefined;
    return loa === undefined ? [] : [loa];
  });
}

export function requiredLevel(portalMinimum: Loa, params: { readonly acr_values?: unknown; readonly claims?: unknown }): RequiredLevel {
  const asked: Loa[] = [];

  // acr_values: preferences, any of which will do; unknown values are ignored (voluntary).
  const fromValues = levels(words(params.acr_values));
  const lowestValue = minLoa(...fromValues);
  if (lowestValue !== undefined) asked.push(lowestValue);

  const acr = parseClaimsParameter(params.claims)?.id_token;
  const request = typeof acr === 'object' && acr !== null ? (acr as Record<string, unknown>).acr : undefined;
  if (typeof request === 'object' && request !== null) {
    const r = request as { essential?: unknown; value?: unknown; values?: unknown };
    const named = [...(r.value === undefined ? [] : [r.value]), ...(Array.isArray(r.values) ? r.values : [])];
    const known = levels(named);
    const lowest = minLoa(...known);
    if (lowest !== undefined) asked.push(lowest);
    else if (r.essential === true && named.length > 0) {
      return { ok: false, reason: 'none of the essential acr values is a level the hub knows' };
    }
  }

  return { ok: true, loa: maxLoa(portalMinimum, ...asked) ?? portalMinimum };
}
