import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generatePem, keyId, retiredAt, retiredStamp, selfSignedCertificate, type SigningAlg } from './keys.ts';

/**
 * Key rollover for operators (`npm run hub -- keys …`), DECISIONS 12. Every signing key goes
 * through next → current → retired:
 *
 *   keys prepare saml-signing   writes saml-signing.next.*; published in metadata from the next
 *                               start, not used to sign. Wait until partners refreshed the
 *                               metadata (its validUntil), then:
 *   keys rotate saml-signing    next becomes current; the old current is kept as retired-….
 *   keys rotate saml-encryption a new current key; the old one stays usable to decrypt as
 *                               retired-… for keys.retiredEncryptionDays.
 *   keys prepare oidc / rotate oidc   the same for the RS256 and ES256 ID-token keys; a retired
 *                               key stays in the JWKS for keys.retiredOidcHours.
 *
 * The running hub reads the folder at start: restart (or reload) after a change.
 */

export const KEY_FAMILIES = ['saml-signing', 'saml-encryption', 'oidc'] as const;
export type KeyFamily = (typeof KEY_FAMILIES)[number];

const PREFIXES: Readonly<Record<KeyFamily, readonly { prefix: string; alg: SigningAlg; certificate: boolean }[]>> = {
  'saml-signing': [{ prefix: 'saml-signing', alg: 'RS256', certificate: true }],
  'saml-encryption': [{ prefix: 'saml-encryption', alg: 'RS256', certificate: true }],
  oidc: [
    { prefix: 'oidc-rs256', alg: 'RS256', certificate: false },
    { prefix: 'oidc-es256', alg: 'ES256', certificate: false },
  ],
};

export class KeyRotationError extends Error {}

function write(file: string, content: string, mode: number): void {
  writeFileSync(file, content, { mode, flag: 'wx' });
}

async function writeKey(dir: string, base: string, alg: SigningAlg, certificate: boolean, commonName: string): Promise<string[]> {
  const pem = generatePem(alg);
  const keyFile = path.join(dir, `${base}.pem`);
  write(keyFile, pem, 0o600);
  const out = [keyFile];
  if (certificate) {
    const crtFile = path.join(dir, `${base}.crt`);
    write(crtFile, await selfSignedCertificate(createPrivateKey(pem), commonName), 0o644);
    out.push(crtFile);
  }
  return out;
}

/** Writes the next key(s) of a family; refuses when one is already waiting. */
export async function prepareNext(dir: string, family: KeyFamily, commonName: string): Promise<string[]> {
  if (family === 'saml-encryption') {
    throw new KeyRotationError(
      'saml-encryption has no next slot: `keys rotate saml-encryption` replaces it while the old key keeps decrypting',
    );
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  for (const { prefix, alg, certificate } of PREFIXES[family]) {
    if (existsSync(path.join(dir, `${prefix}.next.pem`))) throw new KeyRotationError(`${prefix}.next.pem already exists; rotate first`);
    written.push(...(await writeKey(dir, `${prefix}.next`, alg, certificate, commonName)));
  }
  return written;
}

function move(dir: string, from: string, to: string): void {
  renameSync(path.join(dir, from), path.join(dir, to));
}

/** Promotes next to current (or makes a new current) and retires the old current. */
export async function rotate(
  dir: string,
  family: KeyFamily,
  now: number,
  commonName: string,
): Promise<{ retired: string[]; current: string[] }> {
  const retired: string[] = [];
  const current: string[] = [];
  const stamp = retiredStamp(now);
  for (const { prefix, alg, certificate } of PREFIXES[family]) {
    const hasNext = existsSync(path.join(dir, `${prefix}.next.pem`));
    if (family !== 'saml-encryption' && !hasNext) {
      throw new KeyRotationError(`no ${prefix}.next.pem: run \`keys prepare ${family}\` and wait until partners have the new key`);
    }
    if (!existsSync(path.join(dir, `${prefix}.pem`))) throw new KeyRotationError(`no current ${prefix}.pem in ${dir}`);
    move(dir, `${prefix}.pem`, `${prefix}.retired-${stamp}.pem`);
    retired.push(`${prefix}.retired-${stamp}.pem`);
    if (existsSync(path.join(dir, `${prefix}.crt`))) move(dir, `${prefix}.crt`, `${prefix}.retired-${stamp}.crt`);
    if (hasNext) {
      move(dir, `${prefix}.next.pem`, `${prefix}.pem`);
      if (certificate) move(dir, `${prefix}.next.crt`, `${prefix}.crt`);
    } else {
      await writeKey(dir, prefix, alg, certificate, commonName);
    }
    current.push(`${prefix}.pem`);
  }
  return { retired, current };
}

export interface KeyStatusLine {
  readonly file: string;
  readonly state: 'current' | 'next' | 'retired' | 'expired';
  readonly kid: string;
  readonly alg: string;
  readonly certificateNotAfter?: string;
  readonly retiredAt?: string;
}

/** What is in the keys folder, for `keys status`. */
export function keyStatus(dir: string, now: number, keep: { encryptionMs: number; oidcMs: number }): KeyStatusLine[] {
  if (!existsSync(dir)) return [];
  const lines: KeyStatusLine[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.pem'))
    .sort()) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    let kid = '?';
    let alg = '?';
    try {
      const key = createPrivateKey(text);
      kid = keyId(createPublicKey(key));
      alg = key.asymmetricKeyType === 'ec' ? 'ES256' : `RSA-${key.asymmetricKeyDetails?.modulusLength ?? '?'}`;
    } catch {
      alg = 'unreadable';
    }
    const at = retiredAt(file);
    const keepMs = file.startsWith('oidc-') ? keep.oidcMs : keep.encryptionMs;
    const state: KeyStatusLine['state'] = file.includes('.next.')
      ? 'next'
      : at === undefined
        ? 'current'
        : now - at > keepMs
          ? 'expired'
          : 'retired';
    const crt = path.join(dir, file.replace(/\.pem$/, '.crt'));
    const notAfter = existsSync(crt) ? new X509Certificate(readFileSync(crt)).validTo : undefined;
    lines.push({
      file,
      state,
      kid,
      alg,
      ...(notAfter ? { certificateNotAfter: notAfter } : {}),
      ...(at !== undefined ? { retiredAt: new Date(at).toISOString() } : {}),
    });
  }
  return lines;
}
