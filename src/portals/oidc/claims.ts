import { POSTKORB_SCOPE } from '../../core/access-token.ts';
import type { AttributeName, Attributes } from '../../core/attributes.ts';
import type { RequestedAttribute } from '../../core/authn-request.ts';

/**
 * The OIDC vocabulary of the hub's attributes (docs/oidc-claims.md). Standard claims where OpenID
 * Connect Core has one; for the rest the names registered by OpenID Connect for Identity
 * Assurance in the IANA JWT claims registry, with their types, so a portal that knows them reads
 * them without a hub-specific mapping. Each claim belongs to one scope; the scope `servicekonto`
 * is the hub's own.
 */

export const HUB_SCOPE = 'servicekonto';
/**
 * POSTKORB_SCOPE: in an authorization request it asks for the handle (claim `postkorb_handle`);
 * in a client credentials token it lets the portal's server use the Postkorb sending API (only
 * portals with a postkorb section get that grant).
 */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'address', HUB_SCOPE, POSTKORB_SCOPE] as const;

export type ClaimName =
  | 'given_name'
  | 'family_name'
  | 'birthdate'
  | 'email'
  | 'email_verified'
  | 'address'
  | 'birth_family_name'
  | 'place_of_birth'
  | 'nationalities'
  | 'title'
  | 'postkorb_handle'
  | 'foreign_id';

interface ClaimSpec {
  readonly scope: (typeof OIDC_SCOPES)[number];
  /** The hub attributes the claim is made of; released only as far as these are released. */
  readonly attributes: readonly AttributeName[];
  /** The value from the released attributes, or undefined when none of them is there. */
  readonly value: (a: Attributes) => unknown;
}

const v = (a: Attributes, name: AttributeName): string | undefined => a[name]?.value;

export const CLAIMS: Readonly<Record<ClaimName, ClaimSpec>> = {
  given_name: { scope: 'profile', attributes: ['givenName'], value: (a) => v(a, 'givenName') },
  family_name: { scope: 'profile', attributes: ['familyName'], value: (a) => v(a, 'familyName') },
  // ISO 8601 YYYY-MM-DD, as the hub stores it.
  birthdate: { scope: 'profile', attributes: ['dateOfBirth'], value: (a) => v(a, 'dateOfBirth') },
  email: { scope: 'email', attributes: ['email'], value: (a) => v(a, 'email') },
  // The hub stores an address only after its confirmation link was opened.
  email_verified: { scope: 'email', attributes: ['email'], value: (a) => (v(a, 'email') === undefined ? undefined : true) },
  address: {
    scope: 'address',
    attributes: ['street', 'postalCode', 'locality', 'country'],
    value: (a) => {
      const parts = {
        street_address: v(a, 'street'),
        postal_code: v(a, 'postalCode'),
        locality: v(a, 'locality'),
        // ISO 3166-1; an eID's ICAO "D" for Germany is written as DE (as the SAML side does).
        country: v(a, 'country') === 'D' ? 'DE' : v(a, 'country'),
      };
      const present = Object.fromEntries(Object.entries(parts).filter(([, x]) => x !== undefined));
      return Object.keys(present).length === 0 ? undefined : present;
    },
  },
  birth_family_name: { scope: HUB_SCOPE, attributes: ['birthName'], value: (a) => v(a, 'birthName') },
  // OpenID Identity Assurance: a JSON object; the hub knows the place as one name.
  place_of_birth: {
    scope: HUB_SCOPE,
    attributes: ['placeOfBirth'],
    value: (a) => {
      const place = v(a, 'placeOfBirth');
      return place === undefined ? undefined : { locality: place };
    },
  },
  nationalities: {
    scope: HUB_SCOPE,
    attributes: ['nationality'],
    value: (a) => {
      const n = v(a, 'nationality');
      return n === undefined ? undefined : [n];
    },
  },
  // The doctoral degree ("Dr."), the German eID's DoctoralDegree.
  title: { scope: HUB_SCOPE, attributes: ['doctoralDegree'], value: (a) => v(a, 'doctoralDegree') },
  // The address of the citizen's Postkorb (a UUID, the SAML legacyPostkorbHandle urn:oid:2.5.4.18).
  postkorb_handle: { scope: POSTKORB_SCOPE, attributes: ['postkorbHandle'], value: (a) => v(a, 'postkorbHandle') },
  // After a login through another state's account (FINK): the citizen's identifier there, with
  // the prefix naming that account ("HH:…"), as the SAML side sends it in bPK2.
  foreign_id: { scope: HUB_SCOPE, attributes: ['foreignId'], value: (a) => v(a, 'foreignId') },
};

export const CLAIM_NAMES = Object.keys(CLAIMS) as ClaimName[];

export function isClaimName(name: string): name is ClaimName {
  return Object.hasOwn(CLAIMS, name);
}

/** oidc-provider's `claims` configuration: scope → claims, plus the claims every ID token may carry. */
export function claimsConfiguration(): Record<string, string[] | null> {
  // acr, amr and auth_time in every ID token: the level actually reached, the methods used and
  // when (oidc-provider would otherwise add acr only when it was requested).
  const byScope: Record<string, string[]> = { openid: ['sub', 'acr', 'amr', 'auth_time'] };
  for (const name of CLAIM_NAMES) (byScope[CLAIMS[name].scope] ??= []).push(name);
  return { ...byScope, acr: null, amr: null, sid: null, auth_time: null, iss: null };
}

/** What a portal asked for, read from the authorization request's `scope` and `claims` parameters. */
export interface ClaimsRequest {
  readonly scopes: ReadonlySet<string>;
  /** Claim names named in the `claims` parameter (id_token or userinfo) that the hub knows. */
  readonly claims: ReadonlySet<ClaimName>;
}

/** Parses the `claims` parameter leniently: oidc-provider has already refused malformed ones. */
export function parseClaimsParameter(raw: unknown): Record<string, unknown> | undefined {
  if (typeof raw !== 'string' || raw === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function claimsRequest(params: { readonly scope?: unknown; readonly claims?: unknown }): ClaimsRequest {
  const scopes = new Set(
    typeof params.scope === 'string' ? params.scope.split(' ').filter((s) => (OIDC_SCOPES as readonly string[]).includes(s)) : [],
  );
  const claims = new Set<ClaimName>();
  const parsed = parseClaimsParameter(params.claims);
  for (const target of ['id_token', 'userinfo'] as const) {
    const members = parsed?.[target];
    if (typeof members !== 'object' || members === null) continue;
    for (const name of Object.keys(members)) if (isClaimName(name)) claims.add(name);
  }
  return { scopes, claims };
}

/** The claims a request covers: those of its scopes and those it named. */
export function requestedClaims(request: ClaimsRequest): ClaimName[] {
  return CLAIM_NAMES.filter((c) => request.scopes.has(CLAIMS[c].scope) || request.claims.has(c));
}

/**
 * The hub attributes behind a request, for the login path (`AuthnRequestContext`). None is
 * required: OpenID Connect never fails a login because a claim cannot be delivered (Core 5.5.1).
 */
export function requestedAttributes(request: ClaimsRequest): RequestedAttribute[] {
  const names = new Set<AttributeName>();
  for (const c of requestedClaims(request)) for (const a of CLAIMS[c].attributes) names.add(a);
  return [...names].map((name) => ({ name, required: false }));
}

/** The claims whose attributes include at least one of `released`. */
export function claimsOf(released: Iterable<AttributeName>): Set<ClaimName> {
  const set = new Set(released);
  return new Set(CLAIM_NAMES.filter((c) => CLAIMS[c].attributes.some((a) => set.has(a))));
}

/** The attributes behind a set of claims. */
export function attributesOf(claims: Iterable<ClaimName>): Set<AttributeName> {
  const out = new Set<AttributeName>();
  for (const c of claims) for (const a of CLAIMS[c].attributes) out.add(a);
  return out;
}

/**
 * What a Grant records for a completed login: for each requested scope and each claim named in
 * the `claims` parameter, granted when an attribute behind it was released, rejected otherwise
 * (so oidc-provider sees every requested item decided and asks for nothing more).
 */
export interface GrantDecision {
  readonly grantedScopes: string[];
  readonly rejectedScopes: string[];
  readonly grantedClaims: ClaimName[];
  readonly rejectedClaims: ClaimName[];
}

export function grantDecision(request: ClaimsRequest, released: Iterable<AttributeName>): GrantDecision {
  const releasedClaims = claimsOf(released);
  const grantedScopes = ['openid'];
  const rejectedScopes: string[] = [];
  for (const scope of request.scopes) {
    if (scope === 'openid') continue;
    const granted = CLAIM_NAMES.some((c) => CLAIMS[c].scope === scope && releasedClaims.has(c));
    (granted ? grantedScopes : rejectedScopes).push(scope);
  }
  const grantedClaims: ClaimName[] = [];
  const rejectedClaims: ClaimName[] = [];
  for (const c of request.claims) (releasedClaims.has(c) ? grantedClaims : rejectedClaims).push(c);
  return { grantedScopes, rejectedScopes, grantedClaims, rejectedClaims };
}

/** Every claim value the released attributes give, before oidc-provider masks them by scope and request. */
export function claimValues(attributes: Attributes): Partial<Record<ClaimName, unknown>> {
  const out: Partial<Record<ClaimName, unknown>> = {};
  for (const c of CLAIM_NAMES) {
    const value = CLAIMS[c].value(attributes);
    if (value !== undefined) out[c] = value;
  }
  return out;
}
