import type { Attributes } from './attributes.ts';
import type { Loa } from './loa.ts';

/** How the citizen proved who they are. Names follow OIDC `amr` where one exists (RFC 8176). */
export type AuthnMethod = 'pwd' | 'eid' | 'pass' | 'upstream' | 'eidas';

export type IdentitySource = 'local' | 'eid' | 'pass' | 'eidas' | `upstream:${string}`;

/** Who was authenticated, how, when and at which level: the one object between the edges. */
export interface Identity {
  /** The local account, when there is one. */
  readonly accountId: string | undefined;
  readonly source: IdentitySource;
  readonly loa: Loa;
  readonly methods: readonly AuthnMethod[];
  /** Epoch milliseconds. */
  readonly authnInstant: number;
  readonly attributes: Attributes;
  /**
   * A login through another state's account that keeps no account here (`link_accounts: false`,
   * DECISIONS 8): `accountId` is undefined, and this is what the per-portal pseudonym is
   * computed from. It lives in the session only.
   */
  readonly federatedSubject?: FederatedSubject | undefined;
  /**
   * The partner asked the citizen's consent for the portal of the request this login answers
   * (its Response said `consent:current-explicit` and its trust entry says `consent: partner`,
   * DECISIONS 7), so the hub does not ask again for that request.
   */
  readonly consentByPartner?: boolean | undefined;
  /**
   * A temporary login ("Temporär anmelden", issue 9): no account is used or created, the
   * identity lives in the session only and ends with it (at logout, at the TR-03160 timeouts,
   * and once the answer went to the portal); portals get transient identifiers. Any upstream
   * method may produce one (eID, another state's account, later the eIDAS node).
   */
  readonly temporary?: boolean | undefined;
  /**
   * A local path the consent page of a temporary login offers as "Servicekonto mit diesen Daten
   * anlegen" (a form POST with the request as `auftrag`); the method that set it keeps what it
   * needs in the session.
   */
  readonly accountOffer?: string | undefined;
}

/** Who a partner says the citizen is, for a login without an account here. */
export interface FederatedSubject {
  /** The partner's id in federation/trust.yaml. */
  readonly partnerId: string;
  /** The NameID the partner sent (its format's value as given). */
  readonly nameId: string;
}
