import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { KeyObject } from 'node:crypto';
import { HubError } from '../errors.ts';
import { RSA_SHA256, signatureAlgorithm, signRsaSha256, verifySignature } from './algorithms.ts';

/**
 * SAML HTTP-Redirect binding (SAML Bindings 3.4): DEFLATE + base64 in the query, and the
 * detached signature over `SAMLRequest=…&RelayState=…&SigAlg=…` exactly as the octets arrived
 * (never re-encoded: two encoders disagree about which characters to escape). Sizes are capped
 * before anything is decoded and again while inflating, so a small compressed bomb stays small.
 */

export const MAX_QUERY_CHARS = 32 * 1024;
export const MAX_DEFLATED_BYTES = 16 * 1024;
export const MAX_INFLATED_BYTES = 64 * 1024;
/** SAML Bindings allows 80 bytes; portals in the wild send more, so the hub allows up to this. */
export const MAX_RELAY_STATE_BYTES = 1024;

export type MessageKind = 'SAMLRequest' | 'SAMLResponse';

export interface RedirectMessage {
  readonly kind: MessageKind;
  readonly xml: string;
  readonly relayState: string | undefined;
  readonly signature: { readonly sigAlg: string; readonly signedOctets: Buffer; readonly value: Buffer } | undefined;
}

const PARAMS = ['SAMLRequest', 'SAMLResponse', 'RelayState', 'SigAlg', 'Signature'] as const;
type Param = (typeof PARAMS)[number];

function invalid(detail: string): never {
  throw new HubError('saml_request_invalid', detail);
}

function formDecode(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return invalid('badly percent-encoded query parameter');
  }
}

/** base64 as sent in a form or query: a literal '+' decoded as a blank is put back. */
function base64Bytes(value: string, what: string, maxBytes: number): Buffer {
  const text = value.replace(/ /g, '+').replace(/[\r\n]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length === 0) invalid(`${what} is not base64`);
  if ((text.length * 3) / 4 > maxBytes + 3) throw new HubError('payload_too_large', `${what} is larger than ${maxBytes} bytes`);
  return Buffer.from(text, 'base64');
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Buffer): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    return invalid('message is not UTF-8');
  }
}

/** Reads a Redirect-binding message from the raw query string (`ctx.querystring`). */
export function readRedirect(rawQuery: string): RedirectMessage {
  if (rawQuery.length > MAX_QUERY_CHARS) throw new HubError('payload_too_large', `query of ${rawQuery.length} characters`);
  const raw = new Map<Param, string>();
  for (const segment of rawQuery.split('&')) {
    if (segment === '') continue;
    const eq = segment.indexOf('=');
    const name = formDecode(eq < 0 ? segment : segment.slice(0, eq));
    if (!(PARAMS as readonly string[]).includes(name)) continue;
    if (raw.has(name as Param)) invalid(`parameter ${name} appears twice`);
    raw.set(name as Param, segment);
  }
  const value = (p: Param): string | undefined => {
    const s = raw.get(p);
    return s === undefined ? undefined : formDecode(s.slice(s.indexOf('=') + 1));
  };
  const request = value('SAMLRequest');
  const response = value('SAMLResponse');
  if ((request === undefined) === (response === undefined)) invalid('exactly one of SAMLRequest and SAMLResponse is needed');
  const kind: MessageKind = request !== undefined ? 'SAMLRequest' : 'SAMLResponse';
  const deflated = base64Bytes((request ?? response)!, kind, MAX_DEFLATED_BYTES);
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(deflated, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch (err) {
    if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new HubError('payload_too_large', `${kind} inflates to more than ${MAX_INFLATED_BYTES} bytes`);
    }
    return invalid(`${kind} is not DEFLATE-compressed`);
  }
  const relayState = value('RelayState');
  if (relayState !== undefined && Buffer.byteLength(relayState) > MAX_RELAY_STATE_BYTES) invalid('RelayState is too long');
  const sigAlg = value('SigAlg');
  const sig = value('Signature');
  if ((sigAlg === undefined) !== (sig === undefined)) invalid('SigAlg and Signature come together or not at all');
  let signature: RedirectMessage['signature'];
  if (sigAlg !== undefined && sig !== undefined) {
    const parts = [raw.get(kind), raw.get('RelayState'), raw.get('SigAlg')].filter((p): p is string => p !== undefined);
    signature = { sigAlg, signedOctets: Buffer.from(parts.join('&'), 'utf8'), value: base64Bytes(sig, 'Signature', 1024) };
  }
  return { kind, xml: decodeUtf8(inflated), relayState, signature };
}

/** 'unsigned' without a signature, 'valid' when it verifies with a pinned key, else a HubError. */
export function verifyRedirectSignature(message: RedirectMessage, keys: readonly KeyObject[]): 'unsigned' | 'valid' {
  if (!message.signature) return 'unsigned';
  const algorithm = signatureAlgorithm(message.signature.sigAlg);
  const { signedOctets, value } = message.signature;
  if (!keys.some((key) => verifySignature(algorithm, signedOctets, value, key))) {
    throw new HubError('saml_signature_invalid', 'the query signature does not verify with a key pinned for this portal');
  }
  return 'valid';
}

/** The URL that carries `xml` to `endpoint` by HTTP-Redirect, signed with RSA-SHA256. */
export function redirectUrl(endpoint: string, kind: MessageKind, xml: string, relayState: string | undefined, key: KeyObject): string {
  let query = `${kind}=${encodeURIComponent(deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64'))}`;
  if (relayState !== undefined && relayState !== '') query += `&RelayState=${encodeURIComponent(relayState)}`;
  query += `&SigAlg=${encodeURIComponent(RSA_SHA256)}`;
  const signature = signRsaSha256(Buffer.from(query, 'utf8'), key).toString('base64');
  return `${endpoint}${endpoint.includes('?') ? '&' : '?'}${query}&Signature=${encodeURIComponent(signature)}`;
}
