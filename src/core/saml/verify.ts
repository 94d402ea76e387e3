import { timingSafeEqual, type KeyObject } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { ExclusiveCanonicalization } from 'xml-crypto';
import { HubError } from '../errors.ts';
import { digest, digestAlgorithm, ENVELOPED, EXC_C14N, signatureAlgorithm, verifySignature } from './algorithms.ts';
import { NS } from './build.ts';
import { allElements, attr, childNamed, elementChildren, is, textOf } from '../xml-read.ts';

/**
 * Verifies the enveloped XML signature of a message element (an AuthnRequest sent by HTTP-POST)
 * against the keys pinned in the sender's metadata, on the one DOM the caller then reads.
 *
 * What makes it safe against signature wrapping is the shape it insists on: exactly one
 * ds:Signature in the whole document, a direct child of the message element; one Reference whose
 * URI is `#` + that element's ID, an ID no other element carries; the transforms enveloped-signature
 * then exc-c14n and nothing else; no ds:Object. KeyInfo is never read. Canonicalization is
 * xml-crypto's exclusive c14n over this DOM (no second parse, no XPath); digest and signature
 * are checked with node:crypto. SHA-1 is refused by name.
 */

const INCLUSIVE_NS = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const BASE64 = /^[A-Za-z0-9+/=\s]+$/;

function refuse(reason: string): never {
  throw new HubError('saml_signature_invalid', reason);
}

function base64(e: Element, what: string): Buffer {
  const text = textOf(e);
  if (!BASE64.test(text)) refuse(`${what} is not base64`);
  return Buffer.from(text.replace(/\s+/g, ''), 'base64');
}

function prefixList(method: Element): string[] {
  const inclusive = childNamed(method, INCLUSIVE_NS, 'InclusiveNamespaces');
  const list = inclusive ? (attr(inclusive, 'PrefixList') ?? '') : '';
  return list.split(/\s+/).filter((p) => p !== '');
}

/** Namespace declarations in scope at `e` (nearest wins), for an InclusiveNamespaces prefix list. */
function inScope(e: Element, prefixes: readonly string[]): { prefix: string; namespaceURI: string }[] {
  if (prefixes.length === 0) return [];
  const found = new Map<string, string>();
  for (let n: Element | null = e.parentNode as Element | null; n && n.nodeType === 1; n = n.parentNode as Element | null) {
    for (let i = 0; i < n.attributes.length; i++) {
      const a = n.attributes.item(i)!;
      if (a.prefix === 'xmlns' && !found.has(a.localName!)) found.set(a.localName!, a.value);
    }
  }
  return [...found].filter(([p]) => prefixes.includes(p)).map(([prefix, namespaceURI]) => ({ prefix, namespaceURI }));
}

function canonicalize(e: Element, prefixes: string[], ancestors: { prefix: string; namespaceURI: string }[]): string {
  try {
    return new ExclusiveCanonicalization().process(e as unknown as globalThis.Element, {
      inclusiveNamespacesPrefixList: prefixes,
      ancestorNamespaces: ancestors,
    });
  } catch (err) {
    return refuse(`cannot canonicalize: ${(err as Error).message}`);
  }
}

export type SignatureState = 'unsigned' | 'valid';

/**
 * 'unsigned' when the document has no signature at all; 'valid' when the one signature covers
 * `root` and verifies with one of `keys`; otherwise a HubError `saml_signature_invalid`. On
 * success the Signature element has been removed from `root` (the enveloped transform).
 */
export function verifyRootSignature(
  root: Element,
  keys: readonly KeyObject[],
  options: {
    /**
     * Signatures below the root are not this check's business (a metadata aggregate whose
     * entities carry signatures of their own): only the root's own one counts, and it must
     * still be exactly one, a direct child.
     */
    readonly nestedSignatures?: 'refuse' | 'ignore';
    /** Words for the refusals ("portal", "partner's metadata"). */
    readonly signer?: string;
  } = {},
): SignatureState {
  const signatures: Element[] = [];
  const ids = new Map<string, number>();
  for (const e of allElements(root)) {
    if (is(e, NS.ds, 'Signature') && (options.nestedSignatures !== 'ignore' || e.parentNode === root)) signatures.push(e);
    for (const name of ['ID', 'Id', 'id']) {
      const v = attr(e, name);
      if (v !== undefined) ids.set(v, (ids.get(v) ?? 0) + 1);
    }
  }
  if (signatures.length === 0) return 'unsigned';
  const signature = signatures[0]!;
  if (signatures.length > 1 || signature.parentNode !== root)
    refuse('a signature sits somewhere other than directly in the message element');
  const rootId = attr(root, 'ID');
  if (!rootId) refuse('the signed message has no ID');
  if (ids.get(rootId) !== 1) refuse(`the ID ${rootId} appears more than once`);

  const [signedInfo, signatureValue, ...rest] = elementChildren(signature);
  if (!signedInfo || !is(signedInfo, NS.ds, 'SignedInfo') || !signatureValue || !is(signatureValue, NS.ds, 'SignatureValue')) {
    refuse('Signature must hold SignedInfo then SignatureValue');
  }
  if (rest.some((e) => !is(e, NS.ds, 'KeyInfo')) || rest.length > 1) refuse('Signature holds an Object or another unexpected element');

  const [c14nMethod, signatureMethod, ...references] = elementChildren(signedInfo);
  if (!c14nMethod || !is(c14nMethod, NS.ds, 'CanonicalizationMethod') || attr(c14nMethod, 'Algorithm') !== EXC_C14N) {
    refuse(`SignedInfo must be canonicalized with ${EXC_C14N}`);
  }
  if (!signatureMethod || !is(signatureMethod, NS.ds, 'SignatureMethod')) refuse('SignedInfo has no SignatureMethod');
  const algorithm = signatureAlgorithm(attr(signatureMethod, 'Algorithm') ?? '');
  if (references.length !== 1 || !is(references[0]!, NS.ds, 'Reference')) refuse('SignedInfo must hold exactly one Reference');
  const reference = references[0]!;
  if (attr(reference, 'URI') !== `#${rootId}`) refuse('the signature does not reference the message element');

  const transforms = childNamed(reference, NS.ds, 'Transforms');
  const transformList = transforms ? elementChildren(transforms) : [];
  const [enveloped, exclusive] = transformList;
  if (
    transformList.length !== 2 ||
    !is(enveloped!, NS.ds, 'Transform') ||
    attr(enveloped!, 'Algorithm') !== ENVELOPED ||
    !is(exclusive!, NS.ds, 'Transform') ||
    attr(exclusive!, 'Algorithm') !== EXC_C14N
  ) {
    refuse('the Reference must use exactly the enveloped-signature and exc-c14n transforms');
  }
  const digestMethod = childNamed(reference, NS.ds, 'DigestMethod');
  const digestValue = childNamed(reference, NS.ds, 'DigestValue');
  if (!digestMethod || !digestValue) refuse('the Reference has no digest');
  const hash = digestAlgorithm(attr(digestMethod, 'Algorithm') ?? '');
  const expected = base64(digestValue, 'DigestValue');
  const signatureBytes = base64(signatureValue, 'SignatureValue');

  const siPrefixes = prefixList(c14nMethod);
  const canonicalSignedInfo = canonicalize(signedInfo, siPrefixes, inScope(signedInfo, siPrefixes));
  root.removeChild(signature);
  const actual = digest(hash, canonicalize(root, prefixList(exclusive!), []));
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected))
    refuse('the digest does not match: the message was changed after signing');
  const data = Buffer.from(canonicalSignedInfo, 'utf8');
  if (!keys.some((key) => verifySignature(algorithm, data, signatureBytes, key)))
    refuse(`the signature does not verify with a key pinned for this ${options.signer ?? 'portal'}`);
  return 'valid';
}
