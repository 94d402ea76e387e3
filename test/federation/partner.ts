import { createPrivateKey, createPublicKey, createVerify, randomBytes, sign as cryptoSign, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import * as xmldom from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { setNodeDependencies } from 'xml-core';
import xmlenc from 'xml-encryption';
import * as xmldsigjs from 'xmldsigjs';
import { generatePem, selfSignedCertificate } from '../../src/config/keys.ts';
import { freePort } from '../helpers/hub.ts';

/**
 * A partner state's IdP for the federation tests, built only from third-party libraries
 * (DECISIONS 11): xml-crypto signs metadata, Responses and Assertions (RSA-SHA256, or SHA-1 when
 * a test asks), xmldsigjs signs with RSASSA-PSS (sha256-rsa-MGF1), xml-encryption encrypts the
 * assertion (AES-256-GCM or AES-CBC, RSA-OAEP with SHA-256 or rsa-oaep-mgf1p). It serves its
 * signed metadata (with ETag, counting conditional requests), takes the hub's AuthnRequest by
 * HTTP-Redirect or HTTP-POST (checking the hub's signature), and answers with a form that posts
 * the Response to the hub's ACS, built as the test asks, or lets a test build Responses itself.
 */

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const EXC = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
export const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
export const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
export const OID = {
  givenName: 'urn:oid:2.5.4.42',
  surname: 'urn:oid:2.5.4.4',
  birthdate: 'urn:oid:1.2.40.0.10.2.1.1.55',
  mail: 'urn:oid:0.9.2342.19200300.100.1.3',
  locality: 'urn:oid:2.5.4.7',
  postalCode: 'urn:oid:2.5.4.17',
  bpk2: 'urn:oid:1.3.6.1.4.1.25484.494450.3',
  postkorb: 'urn:oid:2.5.4.18',
  provedBy: 'urn:oid:1.3.6.1.4.1.25484.494450.2',
  personIdentifier: 'http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier',
} as const;

xmldsigjs.Application.setEngine('NodeJS', webcrypto as unknown as Crypto);
setNodeDependencies({ XMLSerializer: xmldom.XMLSerializer, DOMParser: xmldom.DOMParser, DOMImplementation: xmldom.DOMImplementation });

export interface TestKeyPair {
  readonly keyPem: string;
  readonly certPem: string;
  readonly certBase64: string;
  readonly certFile: string;
}

/** A key pair with a self-signed certificate, made once per machine and name (RSA 3072 is slow). */
export async function testKeyPair(name: string): Promise<TestKeyPair> {
  const dir = path.join(os.tmpdir(), 'servicekonto-hub-test-partner-keys-v1');
  const keyFile = path.join(dir, `${name}.pem`);
  const certFile = path.join(dir, `${name}.crt`);
  if (!existsSync(certFile)) {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'skh-pkeys-'));
    const key = generatePem('RS256');
    writeFileSync(path.join(tmp, `${name}.pem`), key);
    writeFileSync(path.join(tmp, `${name}.crt`), await selfSignedCertificate(createPrivateKey(key), `partner-${name}`));
    mkdirSync(dir, { recursive: true });
    for (const f of [`${name}.pem`, `${name}.crt`]) {
      try {
        renameSync(path.join(tmp, f), path.join(dir, f));
      } catch {
        // another test file was quicker
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  }
  const certPem = readFileSync(certFile, 'utf8');
  return {
    keyPem: readFileSync(keyFile, 'utf8'),
    certPem,
    certBase64: Buffer.from(new X509Certificate(certPem).raw).toString('base64'),
    certFile,
  };
}

function esc(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function newId(): string {
  return `_${randomBytes(16).toString('hex')}`;
}

export type SignatureAlg = 'rsa-sha256' | 'rsa-sha1' | 'pss';

/** xml-crypto: an enveloped signature of the element with this ID, placed after its Issuer (or first). */
export function signWithXmlCrypto(
  xml: string,
  id: string,
  keyPem: string,
  alg: 'rsa-sha256' | 'rsa-sha1' = 'rsa-sha256',
  place: 'after-issuer' | 'first' = 'after-issuer',
): string {
  const sha1 = alg === 'rsa-sha1';
  const sig = new SignedXml({
    privateKey: keyPem,
    signatureAlgorithm: sha1 ? 'http://www.w3.org/2000/09/xmldsig#rsa-sha1' : 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: EXC,
  });
  sig.addReference({
    xpath: `//*[@ID='${id}']`,
    digestAlgorithm: sha1 ? 'http://www.w3.org/2000/09/xmldsig#sha1' : 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms: [ENVELOPED, EXC],
  });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location:
      place === 'first'
        ? { reference: `//*[@ID='${id}']`, action: 'prepend' }
        : { reference: `//*[@ID='${id}']/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return sig.getSignedXml();
}

/** xmldsigjs: an RSASSA-PSS (sha256-rsa-MGF1) enveloped signature, placed after the element's Issuer. */
export async function signWithPss(xml: string, id: string, keyPem: string): Promise<string> {
  const key = await webcrypto.subtle.importKey(
    'pkcs8',
    createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' }),
    { name: 'RSA-PSS', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const doc = xmldsigjs.Parse(xml);
  const target = findById(doc.documentElement as unknown as Element, id);
  if (!target) throw new Error(`no element ${id}`);
  // xmldsigjs signs RSA-PSS with parameters (#rsa-pss); German IdPs and xml-crypto use the
  // parameterless sha256-rsa-MGF1, which xmldsigjs has as an algorithm of its own: its steps, in order.
  const signed = new xmldsigjs.SignedXml() as unknown as Record<string, (...a: unknown[]) => unknown> & {
    XmlSignature: {
      SignedInfo: { CanonicalizationMethod: { Algorithm: string }; SignatureMethod: unknown };
      SignatureValue: Uint8Array;
      GetXml(): Element;
    };
  };
  const alg = new (
    xmldsigjs as unknown as {
      RsaPssWithoutParamsSha256: new () => { algorithm: unknown; Sign(si: string, k: CryptoKey, a: unknown): Promise<ArrayBuffer> };
    }
  ).RsaPssWithoutParamsSha256();
  await signed.ApplySignOptions!(signed.XmlSignature, alg.algorithm, key, {
    references: [{ uri: `#${id}`, hash: 'SHA-256', transforms: ['enveloped', 'exc-c14n'] }],
  });
  signed.XmlSignature.SignedInfo.CanonicalizationMethod.Algorithm = EXC;
  await signed.DigestReferences!(target);
  signed.XmlSignature.SignedInfo.SignatureMethod = xmldsigjs.CryptoConfig.CreateSignatureMethod(alg as never);
  const si = signed.TransformSignedInfo!(target) as string;
  signed.XmlSignature.SignatureValue = new Uint8Array(await alg.Sign(si, key, alg.algorithm));
  const signature = signed.XmlSignature.GetXml();
  const issuer = Array.from(target.childNodes).find((n) => (n as Element).localName === 'Issuer');
  target.insertBefore(signature as unknown as Node, issuer ? issuer.nextSibling : target.firstChild);
  return new xmldom.XMLSerializer().serializeToString(doc as unknown as xmldom.Document);
}

function findById(e: Element, id: string): Element | undefined {
  if (e.getAttribute?.('ID') === id) return e;
  for (const c of Array.from(e.childNodes)) {
    if (c.nodeType !== 1) continue;
    const found = findById(c as Element, id);
    if (found) return found;
  }
  return undefined;
}

export type Encryption = false | { readonly data: 'aes256-gcm' | 'aes256-cbc'; readonly key: 'rsa-oaep-sha256' | 'rsa-oaep-mgf1p' };

/** xml-encryption: the assertion as an EncryptedAssertion for the hub's encryption certificate. */
export async function encryptAssertion(assertion: string, certPem: string, how: Exclude<Encryption, false>): Promise<string> {
  const encrypt = promisify(xmlenc.encrypt) as unknown as (content: string, options: Record<string, unknown>) => Promise<string>;
  const encrypted = await encrypt(assertion, {
    rsa_pub: createPublicKey(certPem).export({ type: 'spki', format: 'pem' }),
    pem: certPem,
    encryptionAlgorithm:
      how.data === 'aes256-gcm' ? 'http://www.w3.org/2009/xmlenc11#aes256-gcm' : 'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
    keyEncryptionAlgorithm:
      how.key === 'rsa-oaep-sha256' ? 'http://www.w3.org/2009/xmlenc11#rsa-oaep' : 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
    ...(how.key === 'rsa-oaep-sha256' ? { keyEncryptionDigest: 'sha256', keyEncryptionMgf: 'sha256' } : {}),
    disallowEncryptionWithInsecureAlgorithm: false,
    warnInsecureAlgorithm: false,
  });
  return `<saml:EncryptedAssertion xmlns:saml="${SAML}">${encrypted}</saml:EncryptedAssertion>`;
}

export interface AttributeSpec {
  readonly name: string;
  readonly values: readonly string[];
  readonly friendlyName?: string;
  readonly trustLevel?: string;
}

/** What the partner asserts; every field has a sensible default for a valid login. */
export interface ResponseSpec {
  readonly nameId?: string;
  readonly nameIdFormat?: string;
  readonly classRef?: string;
  readonly attributes?: readonly AttributeSpec[];
  readonly signAssertion?: boolean;
  readonly signResponse?: boolean;
  readonly algorithm?: SignatureAlg;
  /** Sign with this key instead of the partner's own (another partner's key). */
  readonly signingKeyPem?: string;
  readonly encrypt?: Encryption;
  readonly destination?: string | null;
  readonly recipient?: string;
  readonly audience?: string;
  readonly inResponseTo?: string | null;
  readonly issuer?: string;
  readonly issueInstant?: number;
  readonly notBefore?: number;
  readonly notOnOrAfter?: number;
  readonly assertionId?: string;
  readonly consent?: string;
  readonly status?: string;
  readonly sessionIndex?: string;
  readonly authnInstant?: number;
}

export interface ParsedRequest {
  readonly id: string;
  readonly acs: string;
  readonly destination: string | null;
  readonly relayState: string;
  readonly binding: 'redirect' | 'post';
  readonly signatureValid: boolean;
  readonly forceAuthn: boolean;
  readonly comparison: string | null;
  readonly classRefs: string[];
  readonly akdbDisplayName: string | null;
  readonly akdbRequested: string[];
  readonly xml: string;
}

export interface MetadataSpec {
  readonly validUntil?: number | null;
  readonly cacheDuration?: string;
  /** Sign with this key (default: the partner's metadata key); null: unsigned. */
  readonly signerKeyPem?: string | null;
  /** The entity inside an EntitiesDescriptor with another entity. */
  readonly aggregate?: boolean;
  readonly bindings?: readonly ('redirect' | 'post')[];
  /** Change the signed XML (signature wrapping and the like). */
  readonly mutate?: (xml: string) => string;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export class TestPartner {
  readonly entityId: string;
  readonly requests: ParsedRequest[] = [];
  readonly metadataFetches: { ifNoneMatch: string | null; ifModifiedSince: string | null; status: number }[] = [];
  readonly logoutRequests: { id: string; nameId: string; signatureValid: boolean }[] = [];
  private metadataXml = '';
  private etag = '';
  private lastModified = '';
  /** Which validators the metadata server sends: an ETag (default), or only Last-Modified (HTTP date). */
  metadataValidator: 'etag' | 'last-modified' = 'etag';
  private server: Server | undefined;
  /** The hub's certificates (from its metadata): signing (to check requests) and encryption. */
  hubSigningCertPem = '';
  hubEncryptionCertPem = '';
  /** How the SSO endpoint answers (default: a valid login). Return undefined to answer nothing (the test answers). */
  answer: (request: ParsedRequest) => ResponseSpec | undefined = () => ({});
  /** Whether /metadata answers (a partner whose metadata server is down). */
  metadataUp = true;

  private constructor(
    readonly url: string,
    readonly keys: { readonly signing: TestKeyPair; readonly metadata: TestKeyPair },
    readonly hubAcs: string,
    readonly hubEntityId: string,
  ) {
    this.entityId = `${url}/metadata`;
  }

  static async start(options: { hubUrl: string; keyName?: string }): Promise<TestPartner> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const name = options.keyName ?? 'partner';
    const partner = new TestPartner(
      url,
      { signing: await testKeyPair(`${name}-signing`), metadata: await testKeyPair(`${name}-metadata`) },
      `${options.hubUrl}/saml/acs`,
      `${options.hubUrl}/saml/metadata`,
    );
    partner.setMetadata({});
    partner.server = createServer((req, res) => {
      partner.handle(req).then(
        (out) => {
          res.writeHead(out.status, out.headers);
          res.end(out.body);
        },
        (err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        },
      );
    });
    await new Promise<void>((ok) => partner.server!.listen(port, '127.0.0.1', ok));
    return partner;
  }

  get ssoUrl(): string {
    return `${this.url}/sso`;
  }

  get sloUrl(): string {
    return `${this.url}/slo`;
  }

  get metadataUrl(): string {
    return `${this.url}/metadata`;
  }

  /** The metadata document this partner serves from now on. */
  setMetadata(spec: MetadataSpec): string {
    this.metadataXml = this.buildMetadata(spec);
    this.etag = `"${randomBytes(8).toString('hex')}"`;
    // HTTP dates have whole seconds: a new document is always at least a second newer.
    const previous = this.lastModified ? Date.parse(this.lastModified) : 0;
    this.lastModified = new Date(Math.max(Math.floor(Date.now() / 1000) * 1000, previous + 1000)).toUTCString();
    return this.metadataXml;
  }

  get metadata(): string {
    return this.metadataXml;
  }

  buildMetadata(spec: MetadataSpec): string {
    const id = newId();
    const validUntil = spec.validUntil === undefined ? Date.now() + 2 * 24 * 3600 * 1000 : spec.validUntil;
    const bindings = spec.bindings ?? ['redirect', 'post'];
    const entity = (entityId: string, withId: boolean): string =>
      `<md:EntityDescriptor xmlns:md="${MD}" xmlns:ds="${DS}"${withId ? ` ID="${id}"` : ''} entityID="${esc(entityId)}"${
        withId && validUntil !== null && !spec.aggregate ? ` validUntil="${iso(validUntil)}"` : ''
      }${withId && spec.cacheDuration && !spec.aggregate ? ` cacheDuration="${spec.cacheDuration}"` : ''}>` +
      `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="true">` +
      `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${this.keys.signing.certBase64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
      `<md:SingleLogoutService Binding="${REDIRECT}" Location="${this.sloUrl}"/>` +
      `<md:NameIDFormat>${PERSISTENT}</md:NameIDFormat>` +
      bindings.map((b) => `<md:SingleSignOnService Binding="${b === 'redirect' ? REDIRECT : POST}" Location="${this.ssoUrl}"/>`).join('') +
      `</md:IDPSSODescriptor></md:EntityDescriptor>`;
    let xml: string;
    if (spec.aggregate) {
      xml =
        `<md:EntitiesDescriptor xmlns:md="${MD}" ID="${id}"${validUntil !== null ? ` validUntil="${iso(validUntil)}"` : ''}${spec.cacheDuration ? ` cacheDuration="${spec.cacheDuration}"` : ''}>` +
        entity('https://other-state.example/saml/metadata', false) +
        entity(this.entityId, false) +
        `</md:EntitiesDescriptor>`;
    } else {
      xml = entity(this.entityId, true);
    }
    const signer = spec.signerKeyPem === undefined ? this.keys.metadata.keyPem : spec.signerKeyPem;
    if (signer !== null) xml = signWithXmlCrypto(xml, id, signer, 'rsa-sha256', 'first');
    return spec.mutate ? spec.mutate(xml) : xml;
  }

  /** A Response to `request` as `spec` says, base64 (what the form carries). */
  async response(request: Pick<ParsedRequest, 'id'> | undefined, spec: ResponseSpec = {}): Promise<string> {
    return Buffer.from(await this.responseXml(request, spec), 'utf8').toString('base64');
  }

  async responseXml(request: Pick<ParsedRequest, 'id'> | undefined, spec: ResponseSpec = {}): Promise<string> {
    const now = Date.now();
    const responseId = newId();
    const assertionId = spec.assertionId ?? newId();
    const issuer = spec.issuer ?? this.entityId;
    const inResponseTo = spec.inResponseTo === undefined ? request?.id : spec.inResponseTo === null ? undefined : spec.inResponseTo;
    const notOnOrAfter = spec.notOnOrAfter ?? now + 5 * 60_000;
    const notBefore = spec.notBefore ?? now - 30_000;
    const attributes = spec.attributes ?? [
      { name: OID.givenName, friendlyName: 'givenName', values: ['Hein'], trustLevel: 'HOCH' },
      { name: OID.surname, friendlyName: 'surname', values: ['Blöd'], trustLevel: 'HOCH' },
      { name: OID.birthdate, friendlyName: 'birthdate', values: ['1970-03-04'], trustLevel: 'HOCH' },
      { name: OID.mail, friendlyName: 'mail', values: ['hein@example.org'], trustLevel: 'UNTERGEORDNET' },
      { name: OID.bpk2, friendlyName: 'bPK2', values: ['hh-bpk2-4711'] },
    ];
    const attributeXml = attributes
      .map(
        (a) =>
          `<saml:Attribute xmlns:akdb="https://www.akdb.de/request/2018/09"${a.friendlyName ? ` FriendlyName="${esc(a.friendlyName)}"` : ''} Name="${esc(a.name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri"${
            a.trustLevel ? ` akdb:TrustLevel="${esc(a.trustLevel)}"` : ''
          }>${a.values.map((v) => `<saml:AttributeValue>${esc(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`,
      )
      .join('');
    let assertion =
      `<saml:Assertion xmlns:saml="${SAML}" ID="${assertionId}" IssueInstant="${iso(spec.issueInstant ?? now)}" Version="2.0">` +
      `<saml:Issuer>${esc(issuer)}</saml:Issuer>` +
      `<saml:Subject><saml:NameID Format="${esc(spec.nameIdFormat ?? PERSISTENT)}" NameQualifier="${esc(this.entityId)}" SPNameQualifier="${esc(this.hubEntityId)}">${esc(spec.nameId ?? 'hh-4711')}</saml:NameID>` +
      `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData${inResponseTo ? ` InResponseTo="${esc(inResponseTo)}"` : ''} NotOnOrAfter="${iso(notOnOrAfter)}" Recipient="${esc(spec.recipient ?? this.hubAcs)}"/></saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${iso(notBefore)}" NotOnOrAfter="${iso(notOnOrAfter)}"><saml:AudienceRestriction><saml:Audience>${esc(spec.audience ?? this.hubEntityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${iso(spec.authnInstant ?? now)}" SessionIndex="${esc(spec.sessionIndex ?? '_hh-session-1')}"><saml:AuthnContext><saml:AuthnContextClassRef>${esc(spec.classRef ?? 'STORK-QAA-Level-3')}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
      (attributeXml ? `<saml:AttributeStatement>${attributeXml}</saml:AttributeStatement>` : '') +
      `</saml:Assertion>`;
    const key = spec.signingKeyPem ?? this.keys.signing.keyPem;
    const alg = spec.algorithm ?? 'rsa-sha256';
    const sign = async (xml: string, id: string): Promise<string> =>
      alg === 'pss' ? signWithPss(xml, id, key) : signWithXmlCrypto(xml, id, key, alg);
    if (spec.signAssertion !== false) assertion = await sign(assertion, assertionId);
    const encryption = spec.encrypt === undefined ? ({ data: 'aes256-gcm', key: 'rsa-oaep-sha256' } as const) : spec.encrypt;
    if (encryption) assertion = await encryptAssertion(assertion, this.hubEncryptionCertPem, encryption);
    const status = spec.status ?? 'urn:oasis:names:tc:SAML:2.0:status:Success';
    const destination = spec.destination === undefined ? this.hubAcs : spec.destination;
    let response =
      `<samlp:Response xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}"${spec.consent ? ` Consent="${esc(spec.consent)}"` : ''}${destination !== null ? ` Destination="${esc(destination)}"` : ''} ID="${responseId}"${inResponseTo ? ` InResponseTo="${esc(inResponseTo)}"` : ''} IssueInstant="${iso(spec.issueInstant ?? now)}" Version="2.0">` +
      `<saml:Issuer>${esc(issuer)}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="${status.includes(':status:Success') ? status : 'urn:oasis:names:tc:SAML:2.0:status:Responder'}">${
        status.includes(':status:Success') ? '' : `<samlp:StatusCode Value="${esc(status)}"/>`
      }</samlp:StatusCode></samlp:Status>` +
      (status.includes(':status:Success') ? assertion : '') +
      `</samlp:Response>`;
    if (spec.signResponse !== false) response = await sign(response, responseId);
    return response;
  }

  /** The auto-posting page a browser gets back from the partner's SSO. */
  formPage(action: string, samlResponse: string, relayState: string): string {
    return `<!DOCTYPE html><html><head><title>Partner</title></head><body><main><form method="post" action="${esc(action)}"><input type="hidden" name="SAMLResponse" value="${esc(samlResponse)}"/><input type="hidden" name="RelayState" value="${esc(relayState)}"/><button type="submit">Weiter</button></form><script>document.forms[0].submit()</script></main></body></html>`;
  }

  private parseRequest(xml: string, relayState: string, binding: 'redirect' | 'post', signatureValid: boolean): ParsedRequest {
    const doc = new xmldom.DOMParser().parseFromString(xml, 'text/xml');
    const root = doc.documentElement!;
    const classRefs = Array.from(root.getElementsByTagNameNS(SAML, 'AuthnContextClassRef')).map((e) => e.textContent ?? '');
    const rac = root.getElementsByTagNameNS(SAMLP, 'RequestedAuthnContext')[0];
    const display = root.getElementsByTagNameNS('https://www.akdb.de/request/2018/09/classic-ui/v1', 'OrganizationDisplayName')[0];
    const requested = Array.from(root.getElementsByTagNameNS('https://www.akdb.de/request/2018/09', 'RequestedAttribute')).map(
      (e) => e.getAttribute('Name') ?? '',
    );
    return {
      id: root.getAttribute('ID') ?? '',
      acs: root.getAttribute('AssertionConsumerServiceURL') ?? '',
      destination: root.getAttribute('Destination'),
      relayState,
      binding,
      signatureValid,
      forceAuthn: root.getAttribute('ForceAuthn') === 'true',
      comparison: rac?.getAttribute('Comparison') ?? null,
      classRefs,
      akdbDisplayName: display?.textContent ?? null,
      akdbRequested: requested,
      xml,
    };
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const url = new URL(req.url ?? '/', this.url);
    if (url.pathname === '/metadata') {
      const ifNoneMatch = req.headers['if-none-match'] ?? null;
      const ifModifiedSince = (req.headers['if-modified-since'] as string | undefined) ?? null;
      if (!this.metadataUp) {
        this.metadataFetches.push({ ifNoneMatch: ifNoneMatch as string | null, ifModifiedSince, status: 503 });
        return { status: 503, headers: {}, body: 'down' };
      }
      const validator: Record<string, string> =
        this.metadataValidator === 'etag' ? { ETag: this.etag } : { 'Last-Modified': this.lastModified };
      const unchanged =
        this.metadataValidator === 'etag'
          ? ifNoneMatch === this.etag
          : ifModifiedSince !== null && Date.parse(ifModifiedSince) >= Date.parse(this.lastModified);
      if (unchanged) {
        this.metadataFetches.push({ ifNoneMatch: ifNoneMatch as string | null, ifModifiedSince, status: 304 });
        return { status: 304, headers: validator, body: '' };
      }
      this.metadataFetches.push({ ifNoneMatch: ifNoneMatch as string | null, ifModifiedSince, status: 200 });
      return { status: 200, headers: { 'Content-Type': 'application/samlmetadata+xml', ...validator }, body: this.metadataXml };
    }
    if (url.pathname === '/sso') {
      let request: ParsedRequest;
      if (req.method === 'GET') {
        const raw = url.search.slice(1);
        const parts = Object.fromEntries(raw.split('&').map((p) => [p.slice(0, p.indexOf('=')), p]));
        const signed = [parts.SAMLRequest, parts.RelayState, parts.SigAlg].filter(Boolean).join('&');
        const signature = url.searchParams.get('Signature') ?? '';
        const valid =
          this.hubSigningCertPem !== '' &&
          url.searchParams.get('SigAlg') === 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256' &&
          createVerify('sha256').update(signed).verify(this.hubSigningCertPem, signature, 'base64');
        const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
        request = this.parseRequest(xml, url.searchParams.get('RelayState') ?? '', 'redirect', valid);
      } else {
        const form = new URLSearchParams(await body(req));
        const xml = Buffer.from(form.get('SAMLRequest') ?? '', 'base64').toString('utf8');
        let valid = false;
        try {
          const doc = new xmldom.DOMParser().parseFromString(xml, 'text/xml');
          const sig = doc.getElementsByTagNameNS(DS, 'Signature')[0];
          const v = new SignedXml({ publicCert: this.hubSigningCertPem });
          if (sig) v.loadSignature(sig as unknown as Node);
          valid = sig !== undefined && v.checkSignature(xml);
        } catch {
          valid = false;
        }
        request = this.parseRequest(xml, form.get('RelayState') ?? '', 'post', valid);
      }
      this.requests.push(request);
      const spec = this.answer(request);
      if (!spec) return { status: 200, headers: { 'Content-Type': 'text/html' }, body: '<main>waiting</main>' };
      const response = await this.response(request, spec);
      return {
        status: 200,
        headers: { 'Content-Type': 'text/html; charset=utf-8' },
        body: this.formPage(request.acs, response, request.relayState),
      };
    }
    if (url.pathname === '/slo') {
      // The hub's LogoutRequest (HTTP-Redirect): recorded, answered Success by HTTP-Redirect.
      const raw = url.search.slice(1);
      const parts = Object.fromEntries(raw.split('&').map((p) => [p.slice(0, p.indexOf('=')), p]));
      const signedPart = [parts.SAMLRequest, parts.RelayState, parts.SigAlg].filter(Boolean).join('&');
      const signatureValid = createVerify('sha256')
        .update(signedPart)
        .verify(this.hubSigningCertPem, url.searchParams.get('Signature') ?? '', 'base64');
      const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
      const doc = new xmldom.DOMParser().parseFromString(xml, 'text/xml');
      const id = doc.documentElement!.getAttribute('ID') ?? '';
      const nameId = doc.documentElement!.getElementsByTagNameNS(SAML, 'NameID')[0]?.textContent ?? '';
      this.logoutRequests.push({ id, nameId, signatureValid });
      const hubSlo = this.hubEntityId.replace(/\/saml\/metadata$/, '/saml/sp/slo');
      return { status: 303, headers: { Location: this.logoutResponseUrl(hubSlo, id) }, body: '' };
    }
    return { status: 404, headers: {}, body: 'not found' };
  }

  /** A signed LogoutResponse (or LogoutRequest) by HTTP-Redirect to the hub. */
  logoutResponseUrl(hubSlo: string, inResponseTo: string): string {
    const xml = `<samlp:LogoutResponse xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" Destination="${esc(hubSlo)}" ID="${newId()}" InResponseTo="${esc(inResponseTo)}" IssueInstant="${iso(Date.now())}" Version="2.0"><saml:Issuer>${esc(this.entityId)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`;
    return this.redirectTo(hubSlo, 'SAMLResponse', xml);
  }

  logoutRequestUrl(hubSlo: string, nameId: string, sessionIndex: string): string {
    const xml = `<samlp:LogoutRequest xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" Destination="${esc(hubSlo)}" ID="${newId()}" IssueInstant="${iso(Date.now())}" Version="2.0"><saml:Issuer>${esc(this.entityId)}</saml:Issuer><saml:NameID Format="${PERSISTENT}">${esc(nameId)}</saml:NameID><samlp:SessionIndex>${esc(sessionIndex)}</samlp:SessionIndex></samlp:LogoutRequest>`;
    return this.redirectTo(hubSlo, 'SAMLRequest', xml);
  }

  private redirectTo(target: string, kind: 'SAMLRequest' | 'SAMLResponse', xml: string): string {
    let query = `${kind}=${encodeURIComponent(deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64'))}`;
    query += `&SigAlg=${encodeURIComponent('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256')}`;
    const signature = cryptoSign('sha256', Buffer.from(query), this.keys.signing.keyPem).toString('base64');
    return `${target}?${query}&Signature=${encodeURIComponent(signature)}`;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (s) await new Promise<void>((ok) => s.close(() => ok()));
  }
}
