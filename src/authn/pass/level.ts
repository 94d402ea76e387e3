import { loaSatisfies, type Loa } from '../../core/loa.ts';

/**
 * The level rule of the Servicekonto.Pass (DECISIONS 14), as pure functions.
 *
 * A passkey yields "substanziell" only if it was registered in a session of "substanziell" or
 * higher on an account with an eID bound; that level is stored with the passkey. Every other
 * passkey yields "niedrig". At login the stored level counts, and "substanziell" additionally
 * needs the account to still have a card bound (the Servicekonto FAQ: substantial when the account
 * has an eID bound).
 */

/** The level a passkey gets when it is registered. */
export function levelAtRegistration(p: { readonly sessionLoa: Loa | undefined; readonly eidBound: boolean }): Loa {
  return p.eidBound && p.sessionLoa !== undefined && loaSatisfies(p.sessionLoa, 'substantial') ? 'substantial' : 'low';
}

/** The level a login with a passkey yields. */
export function levelAtLogin(p: { readonly stored: Loa; readonly eidBound: boolean }): Loa {
  return p.stored === 'substantial' && p.eidBound ? 'substantial' : 'low';
}

/**
 * Whether the session may add or remove authenticators: on an account with an eID bound it must
 * hold "substanziell" or higher (DECISIONS 14); otherwise any login suffices.
 */
export function mayChangeAuthenticators(p: { readonly sessionLoa: Loa | undefined; readonly eidBound: boolean }): boolean {
  if (p.sessionLoa === undefined) return false;
  return !p.eidBound || loaSatisfies(p.sessionLoa, 'substantial');
}
