import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { MINUTE } from '../../core/clock.ts';
import type { Passkey } from '../../store/passkeys.ts';
import type { Session } from '../../web/session.ts';

export type { AuthenticationResponseJSON, RegistrationResponseJSON };

/**
 * The WebAuthn ceremonies of the Servicekonto.Pass on @simplewebauthn/server, and the challenges
 * they need: made by the hub, kept in the hub session (never in the page or a cookie of their own),
 * valid a few minutes and used up by the first answer, right or wrong.
 */

/** How long a challenge is valid, and the `timeout` the browser is given. */
export const CHALLENGE_MS = 5 * MINUTE;

/** The relying party: the hub's public URL decides the RP ID (its host) and the one origin accepted. */
export interface RelyingParty {
  readonly id: string;
  readonly origin: string;
  readonly name: string;
}

export function relyingParty(publicUrl: string, name: string): RelyingParty {
  const url = new URL(publicUrl);
  return { id: url.hostname, origin: url.origin, name };
}

// ---- challenges -----------------------------------------------------------------------------

/** Which ceremony a challenge belongs to; each has its own slot in the session. */
export type ChallengePurpose = 'login' | 'register' | 'enrol';

interface StoredChallenge {
  readonly challenge: string;
  readonly expiresAt: number;
  /** The account a registration is for (the logged-in one, or the enrolment link's). */
  readonly accountId?: string;
}

const slot = (purpose: ChallengePurpose): string => `pass.challenge.${purpose}`;

export function keepChallenge(session: Session, purpose: ChallengePurpose, value: StoredChallenge): void {
  session.set(slot(purpose), value);
}

export type ChallengeCheck = { readonly ok: true; readonly challenge: string; readonly accountId?: string } | { readonly ok: false };

/** Takes the session's challenge for `purpose` out (single use); an expired one counts as none. */
export function takeChallenge(session: Session, purpose: ChallengePurpose, now: number): ChallengeCheck {
  const stored = session.take<StoredChallenge>(slot(purpose));
  if (!stored || typeof stored.challenge !== 'string' || typeof stored.expiresAt !== 'number' || now >= stored.expiresAt) {
    return { ok: false };
  }
  return { ok: true, challenge: stored.challenge, ...(stored.accountId !== undefined ? { accountId: stored.accountId } : {}) };
}

// ---- the browser's answers ------------------------------------------------------------------

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isB64url(v: unknown, max = 20_000): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max && /^[A-Za-z0-9_-]+$/.test(v);
}

/** The common frame of both answers; the library checks the rest. */
function credentialFrame(text: string): Record<string, unknown> | undefined {
  if (text.length === 0 || text.length > 40_000) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(v) || !isB64url(v.id, 1400) || v.rawId !== v.id || v.type !== 'public-key' || !isRecord(v.response)) return undefined;
  return v;
}

/** The JSON `startRegistration()` produced, or `undefined` when it is not one. */
export function parseRegistration(text: string): RegistrationResponseJSON | undefined {
  const v = credentialFrame(text);
  const r = v?.response as Record<string, unknown> | undefined;
  if (!v || !r || !isB64url(r.clientDataJSON) || !isB64url(r.attestationObject)) return undefined;
  return {
    ...(v as unknown as RegistrationResponseJSON),
    clientExtensionResults: isRecord(v.clientExtensionResults) ? v.clientExtensionResults : {},
  };
}

/** The JSON `startAuthentication()` produced, or `undefined` when it is not one. */
export function parseAuthentication(text: string): AuthenticationResponseJSON | undefined {
  const v = credentialFrame(text);
  const r = v?.response as Record<string, unknown> | undefined;
  if (!v || !r || !isB64url(r.clientDataJSON) || !isB64url(r.authenticatorData) || !isB64url(r.signature)) return undefined;
  if (r.userHandle !== undefined && r.userHandle !== null && !isB64url(r.userHandle, 200)) return undefined;
  return {
    ...(v as unknown as AuthenticationResponseJSON),
    clientExtensionResults: isRecord(v.clientExtensionResults) ? v.clientExtensionResults : {},
  };
}

// ---- registration -------------------------------------------------------------------------

export async function registrationOptions(
  rp: RelyingParty,
  user: { readonly handle: string; readonly name: string },
  existing: readonly Passkey[],
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userID: new Uint8Array(Buffer.from(user.handle, 'base64url')),
    userName: user.name,
    userDisplayName: user.name,
    timeout: CHALLENGE_MS,
    // No attestation: the hub does not restrict which authenticator a citizen uses.
    attestationType: 'none',
    // The same authenticator cannot register twice for one account.
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: [...p.transports] })),
    // A discoverable credential lets the login start without a username; UV is the second factor.
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
  });
}

export interface RegisteredCredential {
  readonly credentialId: string;
  readonly publicKey: string;
  readonly counter: number;
  readonly transports: readonly string[];
  readonly deviceType: string;
  readonly backedUp: boolean;
  readonly aaguid: string;
}

export type RegistrationCheck =
  { readonly ok: true; readonly credential: RegisteredCredential } | { readonly ok: false; readonly detail: string };

/** Checks a registration: the challenge, origin, RP ID, user presence and user verification. */
export async function checkRegistration(
  rp: RelyingParty,
  response: RegistrationResponseJSON,
  challenge: string,
): Promise<RegistrationCheck> {
  try {
    const result = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserPresence: true,
      requireUserVerification: true,
    });
    if (!result.verified) return { ok: false, detail: 'not verified' };
    const info = result.registrationInfo;
    return {
      ok: true,
      credential: {
        credentialId: info.credential.id,
        publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
        counter: info.credential.counter,
        transports: (info.credential.transports ?? response.response.transports ?? []).filter((t) => typeof t === 'string').slice(0, 8),
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
        aaguid: info.aaguid,
      },
    };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

// ---- authentication -----------------------------------------------------------------------

/** Options for a login with a discoverable credential: no username, no list of credentials. */
export async function authenticationOptions(rp: RelyingParty): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({ rpID: rp.id, timeout: CHALLENGE_MS, userVerification: 'required' });
}

export type AuthenticationCheck =
  | { readonly ok: true; readonly newCounter: number; readonly backedUp: boolean }
  | { readonly ok: false; readonly reason: 'invalid'; readonly detail: string }
  /** The signature is right but the counter did not increase: a cloned authenticator or a replay. */
  | { readonly ok: false; readonly reason: 'counter'; readonly presented: number; readonly stored: number };

/**
 * Whether a signature counter may follow the stored one: authenticators that keep no counter
 * report 0 every time; any other value must increase (WebAuthn Level 2, §7.2 step 21).
 */
export function counterAcceptable(stored: number, presented: number): boolean {
  return (presented === 0 && stored === 0) || presented > stored;
}

/** Checks a login: the challenge, origin, RP ID, signature, user verification, then the counter. */
export async function checkAuthentication(
  rp: RelyingParty,
  response: AuthenticationResponseJSON,
  challenge: string,
  passkey: Passkey,
): Promise<AuthenticationCheck> {
  let newCounter: number;
  let backedUp: boolean;
  try {
    // The counter is compared below, after the signature proved the answer genuine, so that a
    // regression is told apart from a forgery and recorded.
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      credential: { id: passkey.credentialId, publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')), counter: 0 },
      requireUserVerification: true,
    });
    if (!result.verified) return { ok: false, reason: 'invalid', detail: 'signature not verified' };
    newCounter = result.authenticationInfo.newCounter;
    backedUp = result.authenticationInfo.credentialBackedUp;
  } catch (err) {
    return { ok: false, reason: 'invalid', detail: (err as Error).message };
  }
  if (!counterAcceptable(passkey.counter, newCounter))
    return { ok: false, reason: 'counter', presented: newCounter, stored: passkey.counter };
  return { ok: true, newCounter, backedUp };
}
