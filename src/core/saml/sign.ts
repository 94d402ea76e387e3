import type { KeyObject } from 'node:crypto';
import { digest, ENVELOPED, EXC_C14N, RSA_SHA256, SHA256, signRsaSha256 } from './algorithms.ts';
import { el, NS, textEl, type Signable, type Xml } from './build.ts';

/**
 * Enveloped XML signatures over strings that are already in exclusive canonical form (see
 * build.ts): the digest is taken over the element without its signature, exactly as a verifier
 * gets it after the enveloped-signature transform and exc-c14n; SignedInfo is written once in its
 * canonical form (as the apex of its own canonicalization it declares `ds`) and signed with
 * RSA-SHA256. No DOM, no canonicalization pass.
 */

export interface SigningKey {
  readonly privateKey: KeyObject;
  /** Published in KeyInfo as a hint; verifiers must use their pinned copy. */
  readonly certificateDer?: Buffer | undefined;
}

const SIGNED_INFO_HEAD = [
  el('ds:CanonicalizationMethod', { Algorithm: EXC_C14N }),
  el('ds:SignatureMethod', { Algorithm: RSA_SHA256 }),
].join('');
const TRANSFORMS = el('ds:Transforms', {}, [el('ds:Transform', { Algorithm: ENVELOPED }), el('ds:Transform', { Algorithm: EXC_C14N })]);
const DIGEST_METHOD = el('ds:DigestMethod', { Algorithm: SHA256 });
const SIGNED_INFO_OPEN = `<ds:SignedInfo xmlns:ds="${NS.ds}">`;

const keyInfoCache = new WeakMap<Buffer, string>();

function keyInfo(certificateDer: Buffer | undefined): string {
  if (!certificateDer) return '';
  let cached = keyInfoCache.get(certificateDer);
  if (cached === undefined) {
    cached = el('ds:KeyInfo', {}, [el('ds:X509Data', {}, [textEl('ds:X509Certificate', {}, certificateDer.toString('base64'))])]);
    keyInfoCache.set(certificateDer, cached);
  }
  return cached;
}

/** The signature element for `s`, to be placed between its head and tail. */
export function signatureFor(s: Signable, key: SigningKey): Xml {
  const digestValue = digest('sha256', s.head + s.tail).toString('base64');
  const inner = `${SIGNED_INFO_HEAD}${el('ds:Reference', { URI: `#${s.id}` }, [TRANSFORMS as Xml, DIGEST_METHOD as Xml, textEl('ds:DigestValue', {}, digestValue)])}`;
  const signatureValue = signRsaSha256(`${SIGNED_INFO_OPEN}${inner}</ds:SignedInfo>`, key.privateKey).toString('base64');
  return `<ds:Signature xmlns:ds="${NS.ds}"><ds:SignedInfo>${inner}</ds:SignedInfo><ds:SignatureValue>${signatureValue}</ds:SignatureValue>${keyInfo(key.certificateDer)}</ds:Signature>` as Xml;
}

export function signEnveloped(s: Signable, key: SigningKey): Xml {
  return `${s.head}${signatureFor(s, key)}${s.tail}` as Xml;
}
