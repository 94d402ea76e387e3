import 'reflect-metadata';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  webcrypto,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { ConfigError, type ConfigProblem } from '../core/errors.ts';

/**
 * The hub's own keys, loaded once at start as KeyObjects (parsing a PEM per request halves
 * signature speed). Outside production a missing current key is generated into the keys folder;
 * in production the hub refuses to start without its key files (DECISIONS 12).
 *
 * Files in the keys folder (PKCS#8 PEM keys, PEM certificates):
 *
 *   hmac.key                         32+ random bytes, base64: keyed hashes (audit, throttle)
 *   pseudonym.key                    32+ random bytes, base64: per-portal pseudonyms of federated
 *                                    logins that keep no account (DECISIONS 8); never a signing key
 *   saml-signing.pem / .crt          signs SAML messages and the hub's metadata
 *   saml-signing.next.pem / .crt     published in metadata before it is used (rollover)
 *   saml-encryption.pem / .crt       partners encrypt assertions to it
 *   saml-encryption.retired-*.pem    still decrypts during a rollover, no longer published
 *   oidc-rs256.pem, oidc-es256.pem   sign ID tokens (JWKS)
 *   oidc-*.next.pem                  published in the JWKS before use
 *   oidc-*.retired-*.pem             published until tokens signed with them have expired
 */

export type SigningAlg = 'RS256' | 'ES256';

export interface KeySlot {
  /** Stable id: base64url SHA-256 of the public key (SPKI), first 22 characters. */
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly file: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** SAML keys carry a certificate (self-signed is fine: metadata pins keys, not chains). */
  readonly certificatePem?: string;
  readonly certificateDer?: Buffer;
}

export interface HubKeys {
  /** Secret for keyed hashes: audit references and throttle keys hold no clear identifiers. */
  readonly hmacKey: Buffer;
  /**
   * Secret of the per-portal pseudonyms of federated logins without an account here
   * (DECISIONS 8): HMAC over partner, partner NameID and portal sector. Rotating it changes
   * those pseudonyms, so it is kept like the data it stands for.
   */
  readonly pseudonymKey: Buffer;
  readonly saml: {
    readonly signing: KeySlot;
    readonly signingNext?: KeySlot;
    /** The current key first, then retired ones that may still be needed to decrypt. */
    readonly encryption: readonly KeySlot[];
  };
  readonly oidc: {
    /** Sign with these (one per algorithm). */
    readonly signing: readonly KeySlot[];
    /** Published, not yet used. */
    readonly next: readonly KeySlot[];
    /** Published, no longer used; removed by the operator once their tokens expired. */
    readonly retired: readonly KeySlot[];
  };
}

export interface KeyLoadResult {
  readonly keys: HubKeys;
  /** Files written because they were missing (development only). */
  readonly generated: readonly string[];
  /** Retired key files past their keeping time, no longer loaded (the operator may delete them). */
  readonly expired: readonly string[];
}

export function keyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64url')
    .slice(0, 22);
}

export function generatePem(alg: SigningAlg): string {
  const pair = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 3072 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/**
 * A self-signed certificate for an RSA key, valid ten years (only the key inside matters where
 * metadata pins keys; TLS uses need the extensions).
 */
export async function selfSignedCertificate(
  privateKey: KeyObject,
  commonName: string,
  options: { readonly subject?: string; readonly extensions?: x509.Extension[] } = {},
): Promise<string> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const priv = await webcrypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), algorithm, false, ['sign']);
  const pub = await webcrypto.subtle.importKey(
    'spki',
    createPublicKey(privateKey).export({ type: 'spki', format: 'der' }),
    algorithm,
    true,
    ['verify'],
  );
  const now = new Date();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8)
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: options.subject ?? `CN=${commonName}`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 10 * 365 * 24 * 3600 * 1000),
    signingAlgorithm: algorithm,
    keys: { privateKey: priv as unknown as CryptoKey, publicKey: pub as unknown as CryptoKey },
    ...(options.extensions ? { extensions: options.extensions } : {}),
  });
  return cert.toString('pem');
}

export interface LoadKeysOptions {
  readonly production: boolean;
  /** CN of generated certificates (the hub's host). */
  readonly commonName?: string;
  /** Now, epoch ms (retired keys expire). */
  readonly now?: number;
  /** How long a retired SAML decryption key keeps decrypting. */
  readonly retiredEncryptionMs?: number;
  /** How long a retired OIDC signing key stays in the JWKS (longer than any token lives). */
  readonly retiredOidcMs?: number;
}

/** `<prefix>.retired-20261123T120000Z.pem` → its epoch ms. */
export function retiredAt(file: string): number | undefined {
  const m = /\.retired-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.pem$/.exec(file);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : undefined;
}

export function retiredStamp(epochMs: number): string {
  return new Date(epochMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

export async function loadHubKeys(dir: string, options: LoadKeysOptions): Promise<KeyLoadResult> {
  const problems: ConfigProblem[] = [];
  const generated: string[] = [];
  const commonName = options.commonName ?? 'servicekonto-hub';
  const full = (name: string): string => path.join(dir, name);
  const problem = (name: string, message: string): void => {
    problems.push({ file: full(name), path: 'keys.dir', message });
  };

  function ensureDir(): void {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** A current key: generated outside production when missing. */
  function current(name: string, generate: () => string): string | undefined {
    if (!existsSync(full(name))) {
      if (options.production) {
        problem(name, 'key file missing; production never generates keys');
        return undefined;
      }
      ensureDir();
      writeFileSync(full(name), generate(), { mode: 0o600, flag: 'wx' });
      generated.push(full(name));
    }
    return readFileSync(full(name), 'utf8');
  }

  function parseKey(name: string, text: string, alg: SigningAlg): KeyObject | undefined {
    try {
      const key = createPrivateKey(text);
      const type = key.asymmetricKeyType;
      if (alg === 'RS256' && (type !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048)) {
        problem(name, 'must be an RSA key of at least 2048 bits');
        return undefined;
      }
      if (alg === 'ES256' && (type !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')) {
        problem(name, 'must be an EC key on P-256');
        return undefined;
      }
      return key;
    } catch (err) {
      problem(name, `unreadable key: ${(err as Error).message}`);
      return undefined;
    }
  }

  async function slot(name: string, text: string, alg: SigningAlg, withCertificate: boolean): Promise<KeySlot | undefined> {
    const privateKey = parseKey(name, text, alg);
    if (!privateKey) return undefined;
    const publicKey = createPublicKey(privateKey);
    const base: KeySlot = { kid: keyId(publicKey), alg, file: full(name), privateKey, publicKey };
    if (!withCertificate) return base;
    const crtName = name.replace(/\.pem$/, '.crt');
    if (!existsSync(full(crtName))) {
      if (options.production) {
        problem(crtName, 'certificate missing for this key');
        return undefined;
      }
      writeFileSync(full(crtName), await selfSignedCertificate(privateKey, commonName), { mode: 0o644, flag: 'wx' });
      generated.push(full(crtName));
    }
    try {
      const cert = new X509Certificate(readFileSync(full(crtName)));
      if (!cert.publicKey.equals(publicKey)) {
        problem(crtName, `certificate does not belong to ${name}`);
        return undefined;
      }
      return { ...base, certificatePem: cert.toString(), certificateDer: Buffer.from(cert.raw) };
    } catch (err) {
      problem(crtName, `unreadable certificate: ${(err as Error).message}`);
      return undefined;
    }
  }

  async function optional(name: string, alg: SigningAlg, withCertificate: boolean): Promise<KeySlot | undefined> {
    return existsSync(full(name)) ? slot(name, readFileSync(full(name), 'utf8'), alg, withCertificate) : undefined;
  }

  const files = existsSync(dir) ? readdirSync(dir) : [];
  const now = options.now ?? Date.now();
  const expired: string[] = [];
  const retired = (prefix: string, keepMs: number): string[] =>
    files
      .filter((f) => f.startsWith(`${prefix}.retired-`) && f.endsWith('.pem'))
      .filter((f) => {
        const at = retiredAt(f);
        if (at === undefined) {
          problem(f, 'a retired key file must be named <name>.retired-YYYYMMDDTHHMMSSZ.pem');
          return false;
        }
        if (now - at > keepMs) {
          expired.push(full(f));
          return false;
        }
        return true;
      })
      .sort();

  // hmac.key
  let hmacKey: Buffer | undefined;
  const hmacText = current('hmac.key', () => randomBytes(32).toString('base64') + '\n');
  if (hmacText !== undefined) {
    hmacKey = Buffer.from(hmacText.trim(), 'base64');
    if (hmacKey.length < 32) problem('hmac.key', 'must hold at least 32 random bytes, base64-encoded');
  }

  let pseudonymKey: Buffer | undefined;
  const pseudonymText = current('pseudonym.key', () => randomBytes(32).toString('base64') + '\n');
  if (pseudonymText !== undefined) {
    pseudonymKey = Buffer.from(pseudonymText.trim(), 'base64');
    if (pseudonymKey.length < 32) problem('pseudonym.key', 'must hold at least 32 random bytes, base64-encoded');
    else if (hmacKey?.equals(pseudonymKey)) problem('pseudonym.key', 'must differ from hmac.key');
  }

  const samlSigningText = current('saml-signing.pem', () => generatePem('RS256'));
  const samlSigning = samlSigningText === undefined ? undefined : await slot('saml-signing.pem', samlSigningText, 'RS256', true);
  const samlSigningNext = await optional('saml-signing.next.pem', 'RS256', true);
  const samlEncText = current('saml-encryption.pem', () => generatePem('RS256'));
  const samlEnc = samlEncText === undefined ? undefined : await slot('saml-encryption.pem', samlEncText, 'RS256', true);
  const samlEncRetired: KeySlot[] = [];
  for (const f of retired('saml-encryption', options.retiredEncryptionMs ?? 30 * 24 * 3600 * 1000)) {
    const s = await slot(f, readFileSync(full(f), 'utf8'), 'RS256', false);
    if (s) samlEncRetired.push(s);
  }

  const oidcSigning: KeySlot[] = [];
  const oidcNext: KeySlot[] = [];
  const oidcRetired: KeySlot[] = [];
  for (const [alg, prefix] of [
    ['RS256', 'oidc-rs256'],
    ['ES256', 'oidc-es256'],
  ] as const) {
    const text = current(`${prefix}.pem`, () => generatePem(alg));
    const s = text === undefined ? undefined : await slot(`${prefix}.pem`, text, alg, false);
    if (s) oidcSigning.push(s);
    const next = await optional(`${prefix}.next.pem`, alg, false);
    if (next) oidcNext.push(next);
    for (const f of retired(prefix, options.retiredOidcMs ?? 24 * 3600 * 1000)) {
      const r = await slot(f, readFileSync(full(f), 'utf8'), alg, false);
      if (r) oidcRetired.push(r);
    }
  }

  if (problems.length > 0 || !hmacKey || !pseudonymKey || !samlSigning || !samlEnc || oidcSigning.length !== 2)
    throw new ConfigError(problems);
  return {
    keys: {
      hmacKey,
      pseudonymKey,
      saml: {
        signing: samlSigning,
        ...(samlSigningNext ? { signingNext: samlSigningNext } : {}),
        encryption: [samlEnc, ...samlEncRetired],
      },
      oidc: { signing: oidcSigning, next: oidcNext, retired: oidcRetired },
    },
    generated,
    expired,
  };
}
