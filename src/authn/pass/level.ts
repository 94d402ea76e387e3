import { compareLoa, loaSatisfies, type Loa } from '../../core/loa.ts';

/**
 * The level rule of the Servicekonto.Pass (DECISIONS 14), as pure functions.
 *
 * A passkey yields "substanziell" only if it was registered in a session of "substanziell" or
 * higher on an account with an eID bound; that level is stored with the passkey. Every other
 * passkey yields "niedrig", or less when the session that registered it had less: where a
 * deployment rates passwords (self-declared data) as "Basisregistrierung" (DECISIONS 2), a passkey
 * added in such a session cannot vouch for more. At login the stored level counts, and
 * "substanziell" additionally needs the account to still have a card bound (the Servicekonto FAQ:
 * substantial when the account has an eID bound).
 */

/** The level a passkey gets when it is registered. */
export function levelAtRegistration(p: { readonly sessionLoa: Loa | undefined; readonly eidBound: boolean }): Loa {
  if (p.eidBound && p.sessionLoa !== undefined && loaSatisfies(p.sessionLoa, 'substantial')) return 'substantial';
  return p.sessionLoa !== undefined && compareLoa(p.sessionLoa, 'low') < 0 ? p.sessionLoa : 'low';
}

/** The level a login with a passkey yields. */
export function levelAtLogin(p: { readonly stored: Loa; readonly eidBound: boolean }): Loa {
  if (p.stored === 'substantial' && p.eidBound) return 'substantial';
  return p.stored === 'basic' ? 'basic' : 'low';
}

/** The highest level a passkey can give in this deployment: substanziell needs ID cards. */
export function passMaxLoa(p: { readonly eidEnabled: boolean; readonly passwordLoa: Loa }): Loa {
  if (p.eidEnabled) return 'substantial';
  return compareLoa(p.passwordLoa, 'low') < 0 ? p.passwordLoa : 'low';
}

/**
 * Whether the session may add or remove authenticators: on an account with an eID bound it must
 * hold "substanziell" or higher (DECISIONS 14); otherwise any login suffices.
 */
export function mayChangeAuthenticators(p: { readonly sessionLoa: Loa | undefined; readonly eidBound: boolean }): boolean {
  if (p.sessionLoa === undefined) return false;
  return !p.eidBound || loaSatisfies(p.sessionLoa, 'substantial');
}
