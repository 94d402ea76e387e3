import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { HubError } from '../../core/errors.ts';
import { NS } from '../../core/saml/build.ts';
import { BINDING, SAML2_PROTOCOL } from '../../core/saml/metadata.ts';
import { verifyRootSignature } from '../../core/saml/verify.ts';
import {
  attr,
  childrenNamed,
  elementChildren,
  is,
  parseBoolean,
  parseDateTime,
  parseXml,
  textOf,
  XmlRefusal,
} from '../../core/xml-read.ts';
import type { PinnedCertificate } from '../../config/trust.ts';

/**
 * A partner's metadata, accepted only as [specs.md §4.1] and the issue ask:
 *
 * 1. one strict parse (size cap, no DOCTYPE, no processing instructions);
 * 2. the root is an EntityDescriptor or an aggregate (EntitiesDescriptor);
 * 3. its signature is a direct child of the root, references the root's own unique ID with the
 *    enveloped-signature and exc-c14n transforms only, uses no SHA-1, and verifies with one of
 *    the certificates pinned in federation/trust.yaml, each tried on its own (a certificate in
 *    the document's KeyInfo is never read);
 * 4. validUntil (the earliest on the way from the root to the entity) is present unless the
 *    partner's policy says otherwise, lies in the future, and not further than the policy allows;
 * 5. the entity is picked by the configured entityID (exactly one), and only that verified
 *    element is read: its IdP role with signing keys, SSO and SLO endpoints.
 *
 * This runs off the login path (at refresh, at start, in `hub trust check`); the result is kept
 * in memory with the keys as KeyObjects.
 */

export class MetadataRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetadataRefusal';
  }
}

export interface Endpoint {
  readonly location: string;
  readonly responseLocation: string;
}

export interface IdpMetadata {
  readonly entityId: string;
  /** SHA-256 (hex) of the document it came from. */
  readonly digest: string;
  /** Epoch ms; undefined when the document had none (allowed by the partner's policy). */
  readonly validUntil: number | undefined;
  /** The shortest cacheDuration on the way to the entity, ms. */
  readonly cacheDurationMs: number | undefined;
  readonly singleSignOn: { readonly redirect?: string | undefined; readonly post?: string | undefined };
  readonly singleLogout: { readonly redirect?: Endpoint | undefined; readonly post?: Endpoint | undefined };
  /** Keys that may sign the partner's Responses and Assertions (KeyDescriptor use="signing" or none). */
  readonly signingKeys: readonly KeyObject[];
  /** The same, as PEM certificates (node-saml's `idpCert`). */
  readonly signingCertificates: readonly string[];
  readonly wantAuthnRequestsSigned: boolean;
  readonly nameIdFormats: readonly string[];
}

export interface MetadataPolicy {
  readonly entityId: string;
  readonly certificates: readonly PinnedCertificate[];
  readonly requireValidUntil: boolean;
  readonly maxValidityDays: number;
  readonly production: boolean;
  readonly maxBytes: number;
}

const DAY = 24 * 3600 * 1000;

function refuse(message: string): never {
  throw new MetadataRefusal(message);
}

/** xs:duration (as SAML metadata uses it) in milliseconds; years count 365 days, months 30. */
export function parseDuration(value: string): number {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value.trim());
  if (!m || value.trim() === 'P' || value.trim().endsWith('T')) refuse(`cacheDuration ${value} is not an xs:duration`);
  const [, y, mo, d, h, mi, s] = m;
  const n = (v: string | undefined): number => (v === undefined ? 0 : Number(v));
  return ((n(y) * 365 + n(mo) * 30 + n(d)) * 24 * 3600 + n(h) * 3600 + n(mi) * 60 + n(s)) * 1000;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
}

function endpointUrl(value: string | undefined, production: boolean, what: string): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse(`${what} ${value} is not a URL`);
  }
  if (url.protocol === 'https:') return value;
  if (url.protocol === 'http:' && !production && isLoopback(url.hostname)) return value;
  return refuse(`${what} ${value}: only https (or http on a loopback host outside production) is allowed`);
}

/** The entity with this entityID among the root and the nested EntitiesDescriptors, with its ancestors. */
function findEntity(root: Element, entityId: string): { entity: Element; path: Element[] } {
  const found: { entity: Element; path: Element[] }[] = [];
  const walk = (e: Element, path: Element[]): void => {
    if (is(e, NS.md, 'EntityDescriptor')) {
      if (attr(e, 'entityID') === entityId) found.push({ entity: e, path });
      return;
    }
    if (!is(e, NS.md, 'EntitiesDescriptor')) return;
    for (const c of elementChildren(e)) walk(c, [...path, e]);
  };
  walk(root, []);
  if (found.length === 0) refuse(`the metadata holds no EntityDescriptor with entityID ${entityId}`);
  if (found.length > 1) refuse(`the metadata holds the entityID ${entityId} ${found.length} times`);
  return found[0]!;
}

function signingKeysOf(role: Element): { keys: KeyObject[]; pems: string[] } {
  const keys: KeyObject[] = [];
  const pems: string[] = [];
  for (const kd of childrenNamed(role, NS.md, 'KeyDescriptor')) {
    const use = attr(kd, 'use');
    if (use === 'encryption') continue;
    if (use !== undefined && use !== 'signing') refuse(`KeyDescriptor use="${use}" is neither signing nor encryption`);
    for (const keyInfo of childrenNamed(kd, NS.ds, 'KeyInfo')) {
      for (const data of childrenNamed(keyInfo, NS.ds, 'X509Data')) {
        for (const c of childrenNamed(data, NS.ds, 'X509Certificate')) {
          let cert: X509Certificate;
          try {
            cert = new X509Certificate(Buffer.from(textOf(c).replace(/\s+/g, ''), 'base64'));
          } catch (err) {
            return refuse(`a signing certificate of the IdP is unreadable: ${(err as Error).message}`);
          }
          const key = cert.publicKey;
          const type = key.asymmetricKeyType;
          const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
          if ((type === 'rsa' || type === 'rsa-pss') && bits < 2048)
            refuse(`a signing key of the IdP has ${bits} bits; at least 2048 are required`);
          if (type !== 'rsa' && type !== 'rsa-pss' && type !== 'ec')
            refuse(`a signing key of the IdP has the unsupported type ${type ?? '?'}`);
          keys.push(key);
          pems.push(cert.toString());
        }
      }
    }
  }
  return { keys, pems };
}

/** Verifies and reads a partner's metadata document; throws MetadataRefusal saying why not. */
export function verifyPartnerMetadata(xml: string, policy: MetadataPolicy, now: number): IdpMetadata {
  let root: Element;
  try {
    root = parseXml(xml, policy.maxBytes).documentElement!;
  } catch (err) {
    if (err instanceof XmlRefusal) refuse(`unreadable metadata: ${err.message}`);
    throw err;
  }
  if (!is(root, NS.md, 'EntityDescriptor') && !is(root, NS.md, 'EntitiesDescriptor')) {
    refuse(`the document is a ${root.localName ?? '?'}, not an EntityDescriptor or EntitiesDescriptor`);
  }
  if (policy.certificates.length === 0) refuse('no usable pinned certificate');
  let state: 'unsigned' | 'valid';
  try {
    state = verifyRootSignature(
      root,
      policy.certificates.map((c) => c.publicKey),
      { nestedSignatures: 'ignore', signer: "partner's metadata in federation/trust.yaml" },
    );
  } catch (err) {
    if (err instanceof HubError) refuse(`signature refused: ${err.message}`);
    if (err instanceof XmlRefusal) refuse(`signature refused: ${err.message}`);
    throw err;
  }
  if (state === 'unsigned') refuse('the metadata is not signed (a signature of the root element by a pinned key is required)');

  // From here on only the verified document is read (the signature element itself was removed).
  const { entity, path } = findEntity(root, policy.entityId);
  let validUntil: number | undefined;
  let cacheDurationMs: number | undefined;
  for (const e of [...path, entity]) {
    let v: number | undefined;
    try {
      v = parseDateTime(attr(e, 'validUntil'));
    } catch (err) {
      refuse((err as Error).message);
    }
    if (v !== undefined) validUntil = validUntil === undefined ? v : Math.min(validUntil, v);
    const c = attr(e, 'cacheDuration');
    if (c !== undefined) {
      const ms = parseDuration(c);
      cacheDurationMs = cacheDurationMs === undefined ? ms : Math.min(cacheDurationMs, ms);
    }
  }
  if (validUntil === undefined && policy.requireValidUntil) refuse("the metadata has no validUntil, which this partner's entry requires");
  if (validUntil !== undefined && validUntil <= now) refuse(`the metadata expired at ${new Date(validUntil).toISOString()} (validUntil)`);
  if (validUntil !== undefined && validUntil > now + policy.maxValidityDays * DAY) {
    refuse(`validUntil ${new Date(validUntil).toISOString()} lies more than ${policy.maxValidityDays} days ahead (maxValidityDays)`);
  }

  const roles = childrenNamed(entity, NS.md, 'IDPSSODescriptor').filter((r) =>
    (attr(r, 'protocolSupportEnumeration') ?? '').split(/\s+/).includes(SAML2_PROTOCOL),
  );
  if (roles.length !== 1) refuse(`the entity needs exactly one IDPSSODescriptor for SAML 2.0, it has ${roles.length}`);
  const role = roles[0]!;
  const { keys, pems } = signingKeysOf(role);
  if (keys.length === 0) refuse('the IDPSSODescriptor has no signing key');

  const sso: { redirect?: string; post?: string } = {};
  for (const e of childrenNamed(role, NS.md, 'SingleSignOnService')) {
    const binding = attr(e, 'Binding');
    const location = endpointUrl(attr(e, 'Location'), policy.production, 'SingleSignOnService');
    if (!location) continue;
    if (binding === BINDING.redirect) sso.redirect ??= location;
    if (binding === BINDING.post) sso.post ??= location;
  }
  if (!sso.redirect && !sso.post) refuse('the IDPSSODescriptor has no SingleSignOnService for HTTP-Redirect or HTTP-POST');
  const slo: { redirect?: Endpoint; post?: Endpoint } = {};
  for (const e of childrenNamed(role, NS.md, 'SingleLogoutService')) {
    const binding = attr(e, 'Binding');
    const location = endpointUrl(attr(e, 'Location'), policy.production, 'SingleLogoutService');
    if (!location) continue;
    const responseLocation = endpointUrl(attr(e, 'ResponseLocation'), policy.production, 'SingleLogoutService') ?? location;
    if (binding === BINDING.redirect) slo.redirect ??= { location, responseLocation };
    if (binding === BINDING.post) slo.post ??= { location, responseLocation };
  }
  let wantAuthnRequestsSigned = false;
  try {
    wantAuthnRequestsSigned = parseBoolean(attr(role, 'WantAuthnRequestsSigned'), false);
  } catch (err) {
    refuse((err as Error).message);
  }
  return {
    entityId: policy.entityId,
    digest: createHash('sha256').update(xml).digest('hex'),
    validUntil,
    cacheDurationMs,
    singleSignOn: sso,
    singleLogout: slo,
    signingKeys: keys,
    signingCertificates: pems,
    wantAuthnRequestsSigned,
    nameIdFormats: childrenNamed(role, NS.md, 'NameIDFormat').map((e) => textOf(e).trim()),
  };
}
