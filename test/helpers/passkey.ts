import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

/**
 * A software authenticator for HTTP tests: it answers the hub's WebAuthn options the way a
 * platform authenticator answers the browser (ES256 keys, "none" attestation, discoverable
 * credentials, user verification), and lets a test bend what a real one would not: another origin
 * or RP ID, no user verification, a signature counter that goes backwards (a clone).
 */

export interface SoftCredential {
  readonly id: Buffer;
  readonly privateKey: KeyObject;
  readonly rpId: string;
  readonly userHandle: string;
  signCount: number;
}

export interface Bend {
  /** The origin the client data names (default: the authenticator's). */
  readonly origin?: string;
  /** The RP ID whose hash the authenticator data carries (default: the options'). */
  readonly rpId?: string;
  /** User verified flag (default true). */
  readonly userVerified?: boolean;
  /** The signature counter to report instead of the next one. */
  readonly counter?: number;
  /** Sign with another credential's key (a forgery). */
  readonly signWith?: KeyObject;
  /** Use this challenge instead of the options' one. */
  readonly challenge?: string;
  /** Register under this credential id (one the hub already knows), ignoring excludeCredentials. */
  readonly credentialId?: Buffer;
}

const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

function sha256(data: Buffer | string): Buffer {
  return createHash('sha256').update(data).digest();
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function coseKey(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const map = new Map<number, number | Uint8Array>([
    [1, 2], // kty: EC2
    [3, -7], // alg: ES256
    [-1, 1], // crv: P-256
    [-2, new Uint8Array(Buffer.from(jwk.x as string, 'base64url'))],
    [-3, new Uint8Array(Buffer.from(jwk.y as string, 'base64url'))],
  ]);
  return isoCBOR.encode(map);
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];
  /** Counts from this value upwards; 0 and `counting: false` makes a synced passkey that reports 0. */
  constructor(
    readonly origin: string,
    private readonly counting = true,
  ) {}

  private clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, bend: Bend): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: bend.origin ?? this.origin, crossOrigin: false }));
  }

  private flags(bend: Bend, extra = 0): number {
    return UP | (bend.userVerified === false ? 0 : UV) | extra;
  }

  /** Answers `navigator.credentials.create()`. */
  register(options: PublicKeyCredentialCreationOptionsJSON, bend: Bend = {}): RegistrationResponseJSON {
    const rpId = bend.rpId ?? options.rp.id ?? new URL(this.origin).hostname;
    const excluded = new Set((options.excludeCredentials ?? []).map((c) => c.id));
    if (!bend.credentialId && this.credentials.some((c) => c.rpId === rpId && excluded.has(c.id.toString('base64url')))) {
      throw Object.assign(new Error('credential excluded'), { name: 'InvalidStateError' });
    }
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const id = bend.credentialId ?? randomBytes(32);
    const signCount = bend.counter ?? (this.counting ? 1 : 0);
    const credential: SoftCredential = { id, privateKey, rpId, userHandle: options.user.id, signCount };
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([this.flags(bend, AT)]),
      u32(signCount),
      Buffer.alloc(16), // AAGUID: none
      Buffer.from([id.length >> 8, id.length & 0xff]),
      id,
      Buffer.from(coseKey(publicKey)),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Map<string, string> | Uint8Array>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    const clientDataJSON = this.clientData('webauthn.create', bend.challenge ?? options.challenge, bend);
    this.credentials.push(credential);
    return {
      id: id.toString('base64url'),
      rawId: id.toString('base64url'),
      type: 'public-key',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        attestationObject: Buffer.from(attestationObject).toString('base64url'),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** Answers `navigator.credentials.get()`; with no allowCredentials it picks its (last) discoverable credential for the RP. */
  authenticate(options: PublicKeyCredentialRequestOptionsJSON, bend: Bend = {}, which?: SoftCredential): AuthenticationResponseJSON {
    const rpId = options.rpId ?? new URL(this.origin).hostname;
    const credential = which ?? [...this.credentials].reverse().find((c) => c.rpId === rpId);
    if (!credential) throw Object.assign(new Error('no credential for this RP'), { name: 'NotAllowedError' });
    const signCount = bend.counter ?? (this.counting ? credential.signCount + 1 : 0);
    if (bend.counter === undefined) credential.signCount = signCount;
    const authData = Buffer.concat([sha256(bend.rpId ?? rpId), Buffer.from([this.flags(bend)]), u32(signCount)]);
    const clientDataJSON = this.clientData('webauthn.get', bend.challenge ?? options.challenge, bend);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), bend.signWith ?? credential.privateKey);
    return {
      id: credential.id.toString('base64url'),
      rawId: credential.id.toString('base64url'),
      type: 'public-key',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        userHandle: credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}
