import type { AttributeName, Attributes } from './attributes.ts';
import type { AuthnMethod } from './identity.ts';
import type { Loa } from './loa.ts';

/**
 * What a portal asked for, in the hub's vocabulary. A protocol edge builds it from a SAML
 * AuthnRequest or an OIDC authorization request; `login` keeps it in the server-side session
 * (never in a URL) while the citizen logs in and consents, then hands the answer back to the
 * edge, which alone reads `edge`.
 */

export type PortalProtocol = 'saml' | 'oidc';

export interface RequestedAttribute {
  readonly name: AttributeName;
  /** A required attribute the hub cannot deliver fails the request instead of being left out. */
  readonly required: boolean;
}

export interface AuthnRequestContext {
  /** Random id of this login transaction. */
  readonly id: string;
  readonly portalId: string;
  readonly protocol: PortalProtocol;
  /** The level the answer must reach: the higher of what the portal asked and its configured minimum. */
  readonly minLoa: Loa;
  /**
   * The attributes asked for, or `undefined` when the protocol message named none (a SAML
   * request without a list): then the portal's release policy decides alone.
   */
  readonly requestedAttributes: readonly RequestedAttribute[] | undefined;
  /** The citizen must authenticate again even with a valid session (SAML ForceAuthn, OIDC prompt=login / max_age). */
  readonly forceAuthn: boolean;
  /** No page may be shown (SAML IsPassive, OIDC prompt=none). */
  readonly isPassive: boolean;
  /** The end service to name on the login and consent pages (AKDB OrganizationDisplayName). */
  readonly organizationDisplayName?: string | undefined;
  /** Login method ids the portal allows (AKDB AuthnMethods); `undefined` = all. */
  readonly allowedMethods?: readonly string[] | undefined;
  /**
   * Set by login when the citizen logged in for this request through a partner that asked their
   * consent naming this portal (DECISIONS 7): the hub does not ask again.
   */
  readonly consentByPartner?: boolean | undefined;
  /**
   * The portal requires something only an account has (a persistent pairwise identifier asked
   * for as required): a temporary login is not offered. Set by the edge.
   */
  readonly needsAccount?: boolean | undefined;
  /** Set by login when the citizen chose "Temporär anmelden" (or the portal allows only that). */
  readonly temporary?: boolean | undefined;
  /** What the edge needs to answer (RelayState, InResponseTo, interaction uid, …). JSON only. */
  readonly edge: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
}

/** What the citizen agreed to send, as the edge turns it into an assertion or ID token. */
export interface ReleasedIdentity {
  /**
   * The principal: the account, or for a login through a partner without an account here
   * (DECISIONS 8) the session's random principal, which no table but `sessions` knows.
   */
  readonly accountId: string;
  /** The level reached in this session (may exceed what was asked). */
  readonly loa: Loa;
  readonly methods: readonly AuthnMethod[];
  /** When the citizen last authenticated, epoch ms. */
  readonly authnInstant: number;
  /** Only the released attributes, each with its own level and source. */
  readonly attributes: Attributes;
  /**
   * Stable random identifier of the account for this portal's sector (never derived from a key);
   * without an account, the pseudonym computed from partner, NameID and sector with the hub's
   * pseudonym secret (DECISIONS 8).
   */
  readonly pairwiseId: string;
  /** Identifies this SSO session towards the portal (SAML SessionIndex, OIDC sid). */
  readonly sessionIndex: string;
  /**
   * A temporary login (issue 9): `pairwiseId` is valid for this session only, so a SAML answer
   * uses a transient NameID and no persistent identifier (bPK2) is computed.
   */
  readonly temporary?: boolean | undefined;
}

export type LoginFailure =
  /** The citizen cancelled (login or consent). */
  | 'access_denied'
  /** The level cannot be reached here (no method, or passive and too low). */
  | 'unmet_authentication_requirements'
  /** A passive request found no usable session. */
  | 'login_required'
  /** A required attribute is not available for this account. */
  | 'attribute_unavailable';

export type LoginOutcome =
  | { readonly ok: true; readonly identity: ReleasedIdentity }
  | { readonly ok: false; readonly error: LoginFailure; readonly detail?: string };
