import { isReleasable, type AttributeName, type Attributes } from '../core/attributes.ts';
import type { AuthnRequestContext } from '../core/authn-request.ts';

/**
 * Which attributes go to a portal: those it asked for (or, when it named none, all) that its
 * release policy allows and the account has. A required attribute the hub cannot send fails
 * the request rather than being silently left out.
 */
export type ReleasePlan =
  { readonly ok: true; readonly names: readonly AttributeName[] } | { readonly ok: false; readonly missing: readonly AttributeName[] };

export function planRelease(policy: readonly AttributeName[], request: AuthnRequestContext, available: Attributes): ReleasePlan {
  const allowed = new Set(policy);
  const wanted = request.requestedAttributes ?? policy.map((name) => ({ name, required: false }));
  const missing = wanted.filter((a) => a.required && (!allowed.has(a.name) || !isReleasable(a.name, available[a.name]))).map((a) => a.name);
  if (missing.length > 0) return { ok: false, missing };
  const names = [...new Set(wanted.map((a) => a.name))].filter((n) => allowed.has(n) && isReleasable(n, available[n]));
  return { ok: true, names };
}

export function pick(attributes: Attributes, names: readonly AttributeName[]): Attributes {
  return Object.fromEntries(names.filter((n) => isReleasable(n, attributes[n])).map((n) => [n, attributes[n]])) as Attributes;
}
