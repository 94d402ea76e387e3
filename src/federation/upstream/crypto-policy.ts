import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { SignedXml } from 'xml-crypto';
import { attr, childNamed, elementChildren, is, parseXml } from '../../core/xml-read.ts';

/**
 * The partner's crypto as node-saml verified and decrypted it, and the partner's algorithm
 * policy applied where node-saml does that work (DECISIONS 9: node-saml validates; the hub's
 * checks read only what it verified).
 *
 * node-saml creates its xml-crypto `SignedXml` and calls xml-encryption's `decrypt` with fixed
 * options, so the hub takes part at exactly those two calls, and only inside `withPolicy` (one
 * Response of one partner, an AsyncLocalStorage scope); everywhere else, including the demo
 * portal's node-saml in the same process, both behave as shipped.
 *
 * - A signature node-saml checks: when it verifies, its SignatureMethod and DigestMethods are
 *   recorded with the canonical XML of what it signed (the Response and/or the Assertion as
 *   verified). SHA-1 there is refused, unless the partner's entry allows it (then recorded, and
 *   the hub logs a warning).
 * - Decryption: xml-encryption 6 refuses AES-CBC, 3DES and RSA 1.5 by default; a partner whose
 *   entry allows AES-CBC gets AES-CBC (recorded, warned about), never 3DES or RSA 1.5. The
 *   algorithms of the EncryptedAssertion node-saml hands over are recorded.
 *
 * node-saml swallows errors of individual checks ("Invalid signature"); the refusal reasons
 * recorded here let the hub say why.
 */

export const SHA1_URIS: ReadonlySet<string> = new Set([
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  'http://www.w3.org/2000/09/xmldsig#dsa-sha1',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1',
  'http://www.w3.org/2000/09/xmldsig#hmac-sha1',
  'http://www.w3.org/2000/09/xmldsig#sha1',
]);

const CBC_URIS: ReadonlySet<string> = new Set([
  'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
  'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
]);
const NEVER_URIS: ReadonlySet<string> = new Set([
  'http://www.w3.org/2001/04/xmlenc#tripledes-cbc',
  'http://www.w3.org/2001/04/xmlenc#rsa-1_5',
  'http://www.w3.org/2001/04/xmlenc#aes192-cbc',
]);

export interface VerifiedSignature {
  readonly signatureAlgorithm: string;
  readonly digestAlgorithms: readonly string[];
  /** The canonical XML of what the signature covers, as xml-crypto verified it. */
  readonly signedXml: readonly string[];
}

export interface PolicyScope {
  readonly allowSha1: boolean;
  readonly allowAesCbc: boolean;
  readonly signatures: VerifiedSignature[];
  /** EncryptionMethod algorithms of the EncryptedAssertion (data, then key transport). */
  readonly encryption: string[];
  /** Why a signature or decryption was refused by the policy. */
  readonly refusals: string[];
  /** Weak algorithms that were allowed by the entry (for the warning). */
  readonly weakAllowed: string[];
  /** Decryption failed (the assertion was not encrypted to this key): another key may be tried. */
  decryptFailed: boolean;
}

const scope = new AsyncLocalStorage<PolicyScope>();

interface XmlEncryption {
  decrypt(xml: string, options: Record<string, unknown>, callback: (err: Error | null, result?: string) => void): void;
}

let installed = false;

/** Wraps the two calls; idempotent. The federation edge calls it once at start. */
export function installCryptoPolicy(): void {
  if (installed) return;
  installed = true;

  const check = SignedXml.prototype.checkSignature;
  // node-saml calls checkSignature(xml) without a callback and reads the result.
  SignedXml.prototype.checkSignature = function patched(this: SignedXml, xml: string, callback?: never) {
    const s = scope.getStore();
    if (!s || callback !== undefined) return (check as (x: string, c?: unknown) => boolean).call(this, xml, callback);
    const ok = (check as (x: string) => boolean).call(this, xml);
    if (!ok) return ok;
    const signatureAlgorithm = String(this.signatureAlgorithm ?? '');
    const digestAlgorithms = this.getReferences().map((r) => String(r.digestAlgorithm));
    const weak = [signatureAlgorithm, ...digestAlgorithms].filter((a) => SHA1_URIS.has(a));
    if (weak.length > 0) {
      if (!s.allowSha1) {
        s.refusals.push(`the signature uses SHA-1 (${[...new Set(weak)].join(', ')})`);
        return false;
      }
      s.weakAllowed.push(...weak);
    }
    s.signatures.push({ signatureAlgorithm, digestAlgorithms, signedXml: this.getSignedReferences() });
    return ok;
  } as typeof SignedXml.prototype.checkSignature;

  // The same module object node-saml loads (package.json overrides its copy to this version).
  const xmlenc = createRequire(import.meta.url)('xml-encryption') as XmlEncryption;
  const decrypt = xmlenc.decrypt;
  xmlenc.decrypt = function patched(xml, options, callback) {
    const s = scope.getStore();
    if (!s) return decrypt.call(xmlenc, xml, options, callback);
    let algorithms: string[];
    try {
      algorithms = encryptionAlgorithms(xml);
    } catch (err) {
      callback(err as Error);
      return;
    }
    s.encryption.push(...algorithms);
    const never = algorithms.filter((a) => NEVER_URIS.has(a));
    const cbc = algorithms.filter((a) => CBC_URIS.has(a));
    if (never.length > 0) {
      s.refusals.push(`the assertion is encrypted with ${never.join(', ')}, which is never accepted`);
      callback(new Error('insecure encryption algorithm'));
      return;
    }
    if (cbc.length > 0) {
      if (!s.allowAesCbc) {
        s.refusals.push(`the assertion is encrypted with AES-CBC (${cbc.join(', ')})`);
        callback(new Error('AES-CBC refused'));
        return;
      }
      s.weakAllowed.push(...cbc);
    }
    decrypt.call(
      xmlenc,
      xml,
      { ...options, disallowDecryptionWithInsecureAlgorithm: !s.allowAesCbc, warnInsecureAlgorithm: false },
      (err, result) => {
        if (err) s.decryptFailed = true;
        callback(err, result);
      },
    );
  };
}

const XENC = 'http://www.w3.org/2001/04/xmlenc#';
const DS = 'http://www.w3.org/2000/09/xmldsig#';

/** EncryptionMethod algorithms of an EncryptedAssertion/EncryptedData and its EncryptedKeys. */
function encryptionAlgorithms(xml: string): string[] {
  const root = parseXml(xml, 2 * 1024 * 1024).documentElement!;
  const data = is(root, XENC, 'EncryptedData') ? root : childNamed(root, XENC, 'EncryptedData');
  if (!data) return [];
  const out: string[] = [];
  const method = childNamed(data, XENC, 'EncryptionMethod');
  if (method) out.push(attr(method, 'Algorithm') ?? '');
  const keys: ReturnType<typeof elementChildren> = [];
  const keyInfo = childNamed(data, DS, 'KeyInfo');
  if (keyInfo) keys.push(...elementChildren(keyInfo).filter((e) => is(e, XENC, 'EncryptedKey')));
  keys.push(...elementChildren(root).filter((e) => is(e, XENC, 'EncryptedKey')));
  for (const k of keys) {
    const m = childNamed(k, XENC, 'EncryptionMethod');
    if (m) out.push(attr(m, 'Algorithm') ?? '');
  }
  return out;
}

/** Runs `fn` (node-saml's validation) with the partner's policy in force; returns what was recorded. */
export async function withPolicy<T>(
  policy: { allowSha1: boolean; allowAesCbc: boolean },
  fn: () => Promise<T>,
): Promise<{ result: T; scope: PolicyScope } | { error: unknown; scope: PolicyScope }> {
  installCryptoPolicy();
  const s: PolicyScope = { ...policy, signatures: [], encryption: [], refusals: [], weakAllowed: [], decryptFailed: false };
  return scope.run(s, async () => {
    try {
      return { result: await fn(), scope: s };
    } catch (error) {
      return { error, scope: s };
    }
  });
}
