import { randomBytes, type X509Certificate } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import type { SigningIdentity } from './credentials.ts';
import { NS, XmlError, attributeNS, elements, escapeXml, isElement, optionalChild, parseXml, requiredChild, trimmedText } from './xml.ts';

/**
 * SOAP 1.1 envelopes of the eID-Interface with WS-Security (TR-03130 3.5.2): the sender signs the
 * Body (and a Timestamp) with its X.509 key, RSA-SHA256 over exclusive c14n (the Basic256Sha256
 * suite); the certificate is not sent but referenced by issuer and serial
 * (RequireIssuerSerialReference, IncludeToken/Never). The receiver verifies only against pinned
 * certificates, checks that the signature covers exactly the Body it then reads, and refuses
 * SHA-1, other transforms and stale timestamps.
 */

const ALG = {
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
} as const;

const SIGNATURE_METHODS = new Set([
  ALG.rsaSha256,
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  'http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1',
]);
const DIGEST_METHODS = new Set([ALG.sha256, 'http://www.w3.org/2001/04/xmlenc#sha512']);

export type WssProblem =
  'malformed' | 'unsigned' | 'unexpected_reference' | 'algorithm' | 'unknown_certificate' | 'bad_signature' | 'stale' | 'fault';

/** An envelope we must not act on. `problem` is stable (tests, logs); `message` is for the log. */
export class WssError extends Error {
  constructor(
    readonly problem: WssProblem,
    detail: string,
  ) {
    super(detail);
    this.name = 'WssError';
  }
}

/** RFC 2253 form of a certificate's issuer, as X509IssuerName expects it. */
export function issuerName(cert: X509Certificate): string {
  return cert.issuer
    .split('\n')
    .reverse()
    .map((rdn) => {
      const eq = rdn.indexOf('=');
      const value = rdn.slice(eq + 1).replace(/([,+"\\<>;])/g, '\\$1');
      return `${rdn.slice(0, eq)}=${value}`;
    })
    .join(',');
}

/** The certificate serial as a decimal integer (X509SerialNumber). */
export function serialDecimal(cert: X509Certificate): string {
  return BigInt(`0x${cert.serialNumber}`).toString(10);
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface EnvelopeOptions {
  /** Sign Body and Timestamp with this identity; unsigned when absent. */
  readonly signer?: SigningIdentity | undefined;
  readonly now: number;
  /** Validity of the Timestamp. */
  readonly lifetimeMs?: number;
}

/**
 * A SOAP envelope around `body` (elements using the prefixes eid: and dss:, declared on the
 * Envelope), signed when a signer is given.
 */
export function envelope(body: string, options: EnvelopeOptions): string {
  const bodyId = `Body-${randomBytes(12).toString('hex')}`;
  const tsId = `TS-${randomBytes(12).toString('hex')}`;
  const signer = options.signer;
  const security = signer
    ? `<wsse:Security xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}" soapenv:mustUnderstand="1">` +
      `<wsu:Timestamp wsu:Id="${tsId}"><wsu:Created>${isoSeconds(options.now)}</wsu:Created>` +
      `<wsu:Expires>${isoSeconds(options.now + (options.lifetimeMs ?? 5 * 60_000))}</wsu:Expires></wsu:Timestamp>` +
      `</wsse:Security>`
    : '';
  const xml =
    `<soapenv:Envelope xmlns:soapenv="${NS.soap}" xmlns:eid="${NS.eid}" xmlns:dss="${NS.dss}">` +
    `<soapenv:Header>${security}</soapenv:Header>` +
    `<soapenv:Body xmlns:wsu="${NS.wsu}" wsu:Id="${bodyId}">${body}</soapenv:Body>` +
    `</soapenv:Envelope>`;
  if (!signer) return xml;

  const keyInfo =
    `<wsse:SecurityTokenReference><ds:X509Data><ds:X509IssuerSerial>` +
    `<ds:X509IssuerName>${escapeXml(issuerName(signer.certificate))}</ds:X509IssuerName>` +
    `<ds:X509SerialNumber>${serialDecimal(signer.certificate)}</ds:X509SerialNumber>` +
    `</ds:X509IssuerSerial></ds:X509Data></wsse:SecurityTokenReference>`;
  const sig = new SignedXml({
    privateKey: signer.privateKey,
    signatureAlgorithm: ALG.rsaSha256,
    canonicalizationAlgorithm: ALG.excC14n,
    getKeyInfoContent: () => keyInfo,
  });
  for (const id of [bodyId, tsId]) {
    sig.addReference({ xpath: `//*[@*[local-name(.)='Id']='${id}']`, transforms: [ALG.excC14n], digestAlgorithm: ALG.sha256 });
  }
  sig.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: `//*[local-name(.)='Security' and namespace-uri(.)='${NS.wsse}']`, action: 'append' },
  });
  return sig.getSignedXml();
}

export interface OpenOptions {
  /** Refuse an envelope whose Body is not signed by one of `trusted`. */
  readonly requireSignature: boolean;
  readonly trusted: readonly X509Certificate[];
  readonly now: number;
  /** Tolerance for the Timestamp, either way. */
  readonly skewMs?: number;
  readonly maxChars?: number;
}

export interface OpenedEnvelope {
  /** The one element inside the verified Body. */
  readonly operation: Element;
  /** The certificate that signed it, when signed. */
  readonly signer?: X509Certificate | undefined;
}

const MAX_CHARS = 512 * 1024;

/** A SOAP Fault inside the Body: the other side could not process the message at all. */
function faultOf(operation: Element): WssError | undefined {
  if (!isElement(operation, NS.soap, 'Fault')) return undefined;
  const code = optionalChild(operation, '', 'faultcode');
  const text = optionalChild(operation, '', 'faultstring');
  return new WssError('fault', `SOAP Fault ${code ? trimmedText(code) : ''}: ${text ? trimmedText(text).slice(0, 200) : ''}`);
}

function referenceTarget(ref: Element): string {
  const uri = ref.getAttribute('URI') ?? '';
  if (!/^#[A-Za-z_][\w.-]*$/.test(uri)) throw new WssError('unexpected_reference', `reference URI ${JSON.stringify(uri.slice(0, 60))}`);
  return uri.slice(1);
}

function checkSignedInfo(signature: Element, bodyId: string, timestampId: string | undefined): void {
  const signedInfo = requiredChild(signature, NS.ds, 'SignedInfo');
  const c14n = requiredChild(signedInfo, NS.ds, 'CanonicalizationMethod').getAttribute('Algorithm');
  if (c14n !== ALG.excC14n) throw new WssError('algorithm', `canonicalization ${c14n}`);
  const method = requiredChild(signedInfo, NS.ds, 'SignatureMethod').getAttribute('Algorithm') ?? '';
  if (!SIGNATURE_METHODS.has(method)) throw new WssError('algorithm', `signature method ${method}`);
  const targets = new Set<string>();
  for (const ref of elements(signedInfo).filter((e) => isElement(e, NS.ds, 'Reference'))) {
    const target = referenceTarget(ref);
    if (target !== bodyId && target !== timestampId) throw new WssError('unexpected_reference', `reference to ${target}`);
    if (targets.has(target)) throw new WssError('unexpected_reference', `${target} referenced twice`);
    targets.add(target);
    const transforms = optionalChild(ref, NS.ds, 'Transforms');
    const algs = transforms ? elements(transforms).map((t) => t.getAttribute('Algorithm')) : [];
    if (algs.length !== 1 || algs[0] !== ALG.excC14n) throw new WssError('algorithm', `transforms ${algs.join(' ')}`);
    const digest = requiredChild(ref, NS.ds, 'DigestMethod').getAttribute('Algorithm') ?? '';
    if (!DIGEST_METHODS.has(digest)) throw new WssError('algorithm', `digest ${digest}`);
  }
  if (!targets.has(bodyId)) throw new WssError('unsigned', 'the Body is not signed');
  if (timestampId !== undefined && !targets.has(timestampId)) throw new WssError('unsigned', 'the Timestamp is not signed');
}

function checkTimestamp(timestamp: Element, now: number, skewMs: number): void {
  const created = Date.parse(trimmedText(requiredChild(timestamp, NS.wsu, 'Created')));
  const expiresEl = optionalChild(timestamp, NS.wsu, 'Expires');
  const expires = expiresEl ? Date.parse(trimmedText(expiresEl)) : undefined;
  if (Number.isNaN(created) || (expires !== undefined && Number.isNaN(expires))) throw new WssError('malformed', 'unreadable Timestamp');
  if (created > now + skewMs) throw new WssError('stale', 'Timestamp created in the future');
  if (expires !== undefined && expires <= now - skewMs) throw new WssError('stale', 'Timestamp expired');
}

/** The pinned certificates the KeyInfo may point at (by serial); all of them when it names none. */
function candidates(signature: Element, trusted: readonly X509Certificate[]): readonly X509Certificate[] {
  const serialEl = signature.getElementsByTagNameNS(NS.ds, 'X509SerialNumber')[0];
  if (!serialEl) return trusted;
  const serial = trimmedText(serialEl);
  const matching = trusted.filter((c) => serialDecimal(c) === serial);
  if (matching.length === 0) throw new WssError('unknown_certificate', 'signed with a certificate that is not pinned');
  return matching;
}

function verify(text: string, signature: Element, certificates: readonly X509Certificate[]): X509Certificate {
  for (const cert of certificates) {
    const sig = new SignedXml({ publicCert: cert.publicKey });
    sig.loadSignature(signature);
    try {
      if (sig.checkSignature(text)) return cert;
    } catch {
      // a wrong key or a broken digest: try the next pinned certificate
    }
  }
  throw new WssError('bad_signature', 'the signature does not verify with a pinned certificate');
}

/**
 * Opens a received envelope: structure, then (when required or present) the signature, then the
 * one operation element inside the Body that was verified.
 */
export function openEnvelope(text: string, options: OpenOptions): OpenedEnvelope {
  let root: Element;
  try {
    root = parseXml(text, options.maxChars ?? MAX_CHARS);
  } catch (err) {
    throw new WssError('malformed', (err as Error).message);
  }
  try {
    if (!isElement(root, NS.soap, 'Envelope')) throw new WssError('malformed', 'not a SOAP 1.1 Envelope');
    const kids = elements(root);
    const header = kids.length === 2 && isElement(kids[0], NS.soap, 'Header') ? kids[0] : undefined;
    const body = kids[kids.length - 1];
    if (!isElement(body, NS.soap, 'Body') || kids.length > 2 || (kids.length === 2 && !header)) {
      throw new WssError('malformed', 'the Envelope must hold an optional Header and one Body');
    }
    const content = elements(body);
    const operation = content[0];
    if (!operation || content.length !== 1) throw new WssError('malformed', 'the Body must hold exactly one element');
    const fault = faultOf(operation);
    if (fault) throw fault;

    const security = header ? optionalChild(header, NS.wsse, 'Security') : undefined;
    const signature = security ? optionalChild(security, NS.ds, 'Signature') : undefined;
    if (!signature) {
      if (options.requireSignature) throw new WssError('unsigned', 'no WS-Security signature');
      return { operation };
    }
    const bodyId = attributeNS(body, NS.wsu, 'Id');
    if (!bodyId) throw new WssError('unsigned', 'the Body carries no wsu:Id');
    const timestamp = security ? optionalChild(security, NS.wsu, 'Timestamp') : undefined;
    const timestampId = timestamp ? attributeNS(timestamp, NS.wsu, 'Id') : undefined;
    if (timestamp && !timestampId) throw new WssError('unsigned', 'the Timestamp carries no wsu:Id');
    checkSignedInfo(signature, bodyId, timestampId);
    if (timestamp) checkTimestamp(timestamp, options.now, options.skewMs ?? 5 * 60_000);
    const signer = verify(text, signature, candidates(signature, options.trusted));
    return { operation, signer };
  } catch (err) {
    if (err instanceof WssError) throw err;
    if (err instanceof XmlError) throw new WssError('malformed', err.message);
    throw err;
  }
}
