/**
 * A port (DECISIONS 6): an edge that issues OAuth 2.0 access tokens (src/portals/oidc, the hub's
 * own token endpoint) implements it, and an edge that accepts them (src/mailbox, the Postkorb
 * sending API) uses it. main.ts hands one to the other, so neither imports the other.
 */

/** The scope of the Postkorb sending API's tokens (and, in a login, of the handle's claim). */
export const POSTKORB_SCOPE = 'postkorb';

/** What a valid access token says about its holder. */
export interface VerifiedAccessToken {
  /** The OAuth client the token was issued to (a portal's client id). */
  readonly clientId: string;
  readonly scopes: ReadonlySet<string>;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

export interface AccessTokenVerifier {
  /**
   * The token's facts, or `undefined` when it is unknown, expired, revoked, or not a token this
   * port accepts (only client credentials tokens, not bound to a DPoP key or certificate).
   */
  verify(token: string): Promise<VerifiedAccessToken | undefined>;
}
