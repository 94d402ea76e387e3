import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import * as xmldom from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import xmlenc from 'xml-encryption';
import { selfSignedCertificate } from '../../config/keys.ts';
import { EIDAS_ATTRIBUTES, EIDAS_EXTENSIONS_NS, EIDAS_NATURAL_PERSON_NS, type EidasAttributeKey } from '../../core/eidas.ts';
import { compareLoa, EIDAS_LOA_URI, parseLoa, type EidasLoa } from '../../core/loa.ts';
import { personByKey, SIMULATED_PERSONS, type SimulatedPerson } from './persons.ts';

/**
 * A simulated German eIDAS node for tests and `npm run demo` (refused when NODE_ENV=production):
 * a small SAML IdP speaking the eIDAS SAML profile towards the hub, built from third-party XML
 * libraries only (DECISIONS 11: @xmldom/xmldom parses, xml-crypto verifies the hub's request and
 * signs with RSASSA-PSS `sha256-rsa-MGF1`, xml-encryption encrypts with AES-256-GCM and
 * `rsa-oaep-mgf1p`), never the hub's own signing code.
 *
 * - GET  /metadata  its signed metadata (validUntil one day ahead; the entityID is this URL, as
 *                   eIDAS wants), IdP role with HTTP-POST SingleSignOnService only.
 * - POST /sso       the hub's AuthnRequest: its signature is checked against the hub's certificate,
 *                   SPType and RequestedAttributes must be there; the request is recorded
 *                   (`requests`, for tests). A test may answer at once (`answer`); otherwise a
 *                   page offers the test persons (persons.ts) and a "cancel" button.
 * - POST /sso/weiter the citizen's choice: a page that posts the Response to the hub's ACS.
 *
 * The Response is signed and holds exactly one EncryptedAssertion; the assertion is signed, its
 * NameID is the PersonIdentifier, its AuthnContextClassRef the eIDAS LoA URI of the person's eID,
 * and only requested attributes are in it (CurrentAddress base64-encoded). A person whose eID is
 * below the requested minimum gets a NoAuthnContext status, "cancel" a RequestDenied one.
 */

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const ALG = 'urn:oasis:names:tc:SAML:metadata:algsupport';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const EXC = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const PSS = 'http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const AES256_GCM = 'http://www.w3.org/2009/xmlenc11#aes256-gcm';
const RSA_OAEP_MGF1P = 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p';
const STATUS = 'urn:oasis:names:tc:SAML:2.0:status:';
const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const ENTITY = 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const MAX_BODY = 256 * 1024;

/** xsi:type of each attribute's value (eIDAS attribute profile, natural person). */
const VALUE_TYPE: Readonly<Record<EidasAttributeKey, string>> = {
  PersonIdentifier: 'PersonIdentifierType',
  FamilyName: 'CurrentFamilyNameType',
  FirstName: 'CurrentGivenNameType',
  DateOfBirth: 'DateOfBirthType',
  BirthName: 'BirthNameType',
  PlaceOfBirth: 'PlaceOfBirthType',
  CurrentAddress: 'CurrentAddressType',
  Gender: 'GenderType',
};

export interface ReceivedRequest {
  readonly id: string;
  readonly xml: string;
  readonly relayState: string;
  readonly signatureValid: boolean;
  readonly acs: string;
  readonly destination: string | null;
  readonly providerName: string | null;
  readonly forceAuthn: string | null;
  readonly isPassive: string | null;
  readonly spType: string | null;
  readonly requestedAttributes: readonly {
    readonly name: string;
    readonly friendlyName: string | null;
    readonly isRequired: string | null;
  }[];
  readonly nameIdPolicy: { readonly format: string | null; readonly allowCreate: string | null } | null;
  readonly comparison: string | null;
  readonly classRefs: readonly string[];
}

/** How to answer a request (tests): a person, attributes left out, another level, or a status. */
export interface AnswerSpec {
  readonly person?: SimulatedPerson | string;
  /** Attributes the node does not send although requested. */
  readonly omit?: readonly EidasAttributeKey[];
  /** The level stated (default: the person's eID's). */
  readonly loa?: EidasLoa;
  /** A status other than Success (the sub-code under Requester/Responder), e.g. RequestDenied. */
  readonly status?: string;
}

export interface EidasSimulatorOptions {
  /** The hub's public URL: its entityID is `<hubUrl>/saml/metadata`, its ACS `<hubUrl>/saml/acs`. */
  readonly hubUrl: string;
  /** Where the simulator keeps its keys and certificates (made at the first start). */
  readonly dir: string;
  readonly port?: number;
  readonly host?: string;
  /** Checked for NODE_ENV=production (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

interface Keys {
  readonly keyPem: string;
  readonly certPem: string;
  readonly certBase64: string;
  readonly certFile: string;
}

async function keyPair(dir: string, name: string): Promise<Keys> {
  const keyFile = path.join(dir, `${name}.key.pem`);
  const certFile = path.join(dir, `${name}.crt`);
  if (!existsSync(keyFile) || !existsSync(certFile)) {
    mkdirSync(dir, { recursive: true });
    const keyPem = generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const certPem = await selfSignedCertificate(createPrivateKey(keyPem), `eidas-node-simulator-${name}`);
    writeFileSync(keyFile, keyPem, { mode: 0o600 });
    writeFileSync(certFile, certPem);
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
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function newId(): string {
  return `_${randomBytes(16).toString('hex')}`;
}

/** xml-crypto: an enveloped RSASSA-PSS signature over the element with this ID. */
function sign(xml: string, id: string, keyPem: string, place: 'after-issuer' | 'first'): string {
  const sig = new SignedXml({ privateKey: keyPem, signatureAlgorithm: PSS, canonicalizationAlgorithm: EXC });
  sig.addReference({ xpath: `//*[@ID='${id}']`, digestAlgorithm: SHA256, transforms: [ENVELOPED, EXC] });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location:
      place === 'first'
        ? { reference: `//*[@ID='${id}']`, action: 'prepend' }
        : { reference: `//*[@ID='${id}']/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return sig.getSignedXml();
}

async function encrypt(assertion: string, certPem: string): Promise<string> {
  const run = promisify(xmlenc.encrypt) as unknown as (content: string, options: Record<string, unknown>) => Promise<string>;
  const encrypted = await run(assertion, {
    rsa_pub: createPublicKey(certPem).export({ type: 'spki', format: 'pem' }),
    pem: certPem,
    encryptionAlgorithm: AES256_GCM,
    keyEncryptionAlgorithm: RSA_OAEP_MGF1P,
    disallowEncryptionWithInsecureAlgorithm: true,
    warnInsecureAlgorithm: false,
  });
  return `<saml2:EncryptedAssertion xmlns:saml2="${SAML}">${encrypted}</saml2:EncryptedAssertion>`;
}

/** CurrentAddress: base64 of the eIDAS address fragment. */
export function currentAddressValue(person: SimulatedPerson): string | undefined {
  const a = person.address;
  if (!a) return undefined;
  const parts: [string, string | undefined][] = [
    ['LocatorDesignator', a.locatorDesignator],
    ['Thoroughfare', a.thoroughfare],
    ['PostName', a.postName],
    ['AdminunitFirstline', a.adminunitFirstline],
    ['PostCode', a.postCode],
    ['CvaddressArea', a.cvaddressArea],
  ];
  const xml = parts
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<eidas:${k} xmlns:eidas="${EIDAS_NATURAL_PERSON_NS}">${esc(v as string)}</eidas:${k}>`)
    .join('');
  return Buffer.from(xml, 'utf8').toString('base64');
}

function valuesOf(person: SimulatedPerson, key: EidasAttributeKey): { value: string; latin?: false }[] {
  switch (key) {
    case 'PersonIdentifier':
      return [{ value: person.personIdentifier }];
    case 'FamilyName':
      return [
        { value: person.familyName },
        ...(person.familyNameNative ? [{ value: person.familyNameNative, latin: false as const }] : []),
      ];
    case 'FirstName':
      return [{ value: person.firstName }, ...(person.firstNameNative ? [{ value: person.firstNameNative, latin: false as const }] : [])];
    case 'DateOfBirth':
      return [{ value: person.dateOfBirth }];
    case 'BirthName':
      return person.birthName ? [{ value: person.birthName }] : [];
    case 'PlaceOfBirth':
      return person.placeOfBirth ? [{ value: person.placeOfBirth }] : [];
    case 'CurrentAddress': {
      const v = currentAddressValue(person);
      return v ? [{ value: v }] : [];
    }
    case 'Gender':
      return person.gender ? [{ value: person.gender }] : [];
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('request too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const PAGE_STYLE =
  'body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}' +
  'header{background:#003399;color:#fff;padding:.75rem 1rem;border-radius:.375rem}header p{margin:.25rem 0 0;color:#ffcc00}' +
  'fieldset{border:1px solid #8a8f98;border-radius:.375rem;margin:1rem 0;padding:.75rem 1rem}label{display:block;margin:.5rem 0}' +
  'button{font:inherit;font-weight:600;border-radius:.375rem;padding:.6rem 1.25rem;margin:.25rem .5rem .25rem 0;cursor:pointer;border:2px solid #003399;background:#003399;color:#fff}' +
  'button.secondary{background:#fff;color:#003399}:focus-visible{outline:3px solid #ffcc00;outline-offset:2px}';

function page(title: string, main: string): string {
  return `<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${PAGE_STYLE}</style></head><body><header><strong>eIDAS-Knoten (Simulator)</strong><p>Nur für Test und Demo, keine echte Anmeldung</p></header><main><h1>${esc(title)}</h1>${main}</main></body></html>`;
}

export class EidasNodeSimulator {
  /** Every AuthnRequest received, newest last. */
  readonly requests: ReceivedRequest[] = [];
  /** A test's answer to a request; undefined (or returning undefined) shows the choice page. */
  answer: ((request: ReceivedRequest) => AnswerSpec | undefined) | undefined;
  /** The hub's certificates (PEM): its signing certificate checks requests, the encryption one encrypts. */
  hubSigningCertPem = '';
  hubEncryptionCertPem = '';
  private server: Server | undefined;
  private base = '';
  private readonly pending = new Map<string, ReceivedRequest>();

  private constructor(
    private readonly options: EidasSimulatorOptions,
    readonly keys: { readonly metadata: Keys; readonly signing: Keys },
  ) {}

  /** Starts the simulator on loopback (refused when NODE_ENV=production). */
  static async start(options: EidasSimulatorOptions): Promise<EidasNodeSimulator> {
    if ((options.env ?? process.env).NODE_ENV === 'production') {
      throw new Error('the eIDAS node simulator is for tests and the demo only; it is refused with NODE_ENV=production');
    }
    const [metadata, signing] = await Promise.all([keyPair(options.dir, 'eidas-metadata'), keyPair(options.dir, 'eidas-signing')]);
    const sim = new EidasNodeSimulator(options, { metadata, signing });
    await sim.listen();
    return sim;
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`eIDAS node simulator: ${(err as Error).message}`);
      });
    });
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(this.options.port ?? 0, host, () => ok());
    });
    this.server = server;
    this.base = `http://${host}:${(server.address() as AddressInfo).port}`;
  }

  get url(): string {
    return this.base;
  }

  /** eIDAS: the entityID is the metadata URL. */
  get entityId(): string {
    return `${this.base}/metadata`;
  }

  get metadataUrl(): string {
    return `${this.base}/metadata`;
  }

  get ssoUrl(): string {
    return `${this.base}/sso`;
  }

  /** The certificate file to pin in trust.yaml (it signs the metadata). */
  get metadataCertFile(): string {
    return this.keys.metadata.certFile;
  }

  private get hubUrl(): string {
    return this.options.hubUrl.replace(/\/+$/, '');
  }

  private get hubEntityId(): string {
    return `${this.hubUrl}/saml/metadata`;
  }

  /** Reads the hub's signing and encryption certificates from its published metadata. */
  async trustHubMetadata(): Promise<void> {
    const res = await fetch(this.hubEntityId);
    if (!res.ok) throw new Error(`the hub's metadata: HTTP ${res.status}`);
    const doc = new xmldom.DOMParser().parseFromString(await res.text(), 'text/xml');
    const sp = doc.getElementsByTagNameNS(MD, 'SPSSODescriptor')[0];
    if (!sp) throw new Error("the hub's metadata has no SP role");
    for (const kd of Array.from(sp.getElementsByTagNameNS(MD, 'KeyDescriptor'))) {
      const b64 = kd.getElementsByTagNameNS(DS, 'X509Certificate')[0]?.textContent?.replace(/\s+/g, '');
      if (!b64) continue;
      const pem = new X509Certificate(Buffer.from(b64, 'base64')).toString();
      const use = kd.getAttribute('use');
      if ((use === 'signing' || !use) && this.hubSigningCertPem === '') this.hubSigningCertPem = pem;
      if ((use === 'encryption' || !use) && this.hubEncryptionCertPem === '') this.hubEncryptionCertPem = pem;
    }
  }

  /** A trust.yaml entry for this node (kind eidas), as an operator would write it. */
  trustEntry(o: { id?: string; cap?: EidasLoa; linkAccounts?: boolean; extra?: Record<string, unknown> } = {}): Record<string, unknown> {
    return {
      id: o.id ?? 'eidas',
      kind: 'eidas',
      name: { de: 'eIDAS-Knoten (Simulator)', en: 'eIDAS node (simulator)' },
      metadata: { url: this.metadataUrl, entityId: this.entityId, certificates: [this.metadataCertFile] },
      link_accounts: o.linkAccounts ?? true,
      identifierPrefix: 'EIDAS',
      loa: {
        map: { [EIDAS_LOA_URI.low]: 'low', [EIDAS_LOA_URI.substantial]: 'substantial', [EIDAS_LOA_URI.high]: 'high' },
        cap: o.cap ?? 'high',
      },
      ...(o.extra ?? {}),
    };
  }

  /** The signed metadata document. */
  metadata(validUntil = Date.now() + 24 * 3600 * 1000): string {
    const id = newId();
    const xml =
      `<md:EntityDescriptor xmlns:md="${MD}" ID="${id}" entityID="${esc(this.entityId)}" validUntil="${iso(validUntil)}">` +
      `<md:Extensions><alg:DigestMethod xmlns:alg="${ALG}" Algorithm="${SHA256}"/><alg:SigningMethod xmlns:alg="${ALG}" Algorithm="${PSS}" MinKeySize="3072"/></md:Extensions>` +
      `<md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
      `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="${DS}"><ds:X509Data><ds:X509Certificate>${this.keys.signing.certBase64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
      `<md:NameIDFormat>${PERSISTENT}</md:NameIDFormat>` +
      `<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>` +
      `<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>` +
      `<md:SingleSignOnService Binding="${POST}" Location="${esc(this.ssoUrl)}"/>` +
      `</md:IDPSSODescriptor></md:EntityDescriptor>`;
    return sign(xml, id, this.keys.metadata.keyPem, 'first');
  }

  private parseRequest(xml: string, relayState: string): ReceivedRequest {
    const doc = new xmldom.DOMParser().parseFromString(xml, 'text/xml');
    const root = doc.documentElement;
    if (!root || root.namespaceURI !== SAMLP || root.localName !== 'AuthnRequest') throw new Error('not an AuthnRequest');
    let signatureValid = false;
    try {
      const sig = Array.from(root.childNodes).find(
        (n) => (n as xmldom.Element).namespaceURI === DS && (n as xmldom.Element).localName === 'Signature',
      );
      if (sig && this.hubSigningCertPem !== '') {
        const v = new SignedXml({ publicCert: this.hubSigningCertPem });
        v.loadSignature(sig as unknown as Node);
        signatureValid = v.checkSignature(xml) && v.getSignedReferences().length === 1;
      }
    } catch {
      signatureValid = false;
    }
    const extensions = root.getElementsByTagNameNS(SAMLP, 'Extensions')[0];
    const policy = root.getElementsByTagNameNS(SAMLP, 'NameIDPolicy')[0];
    const rac = root.getElementsByTagNameNS(SAMLP, 'RequestedAuthnContext')[0];
    return {
      id: root.getAttribute('ID') ?? '',
      xml,
      relayState,
      signatureValid,
      acs: root.getAttribute('AssertionConsumerServiceURL') ?? '',
      destination: root.getAttribute('Destination'),
      providerName: root.getAttribute('ProviderName'),
      forceAuthn: root.getAttribute('ForceAuthn'),
      isPassive: root.getAttribute('IsPassive'),
      spType: extensions?.getElementsByTagNameNS(EIDAS_EXTENSIONS_NS, 'SPType')[0]?.textContent ?? null,
      requestedAttributes: extensions
        ? Array.from(extensions.getElementsByTagNameNS(EIDAS_EXTENSIONS_NS, 'RequestedAttribute')).map((e) => ({
            name: e.getAttribute('Name') ?? '',
            friendlyName: e.getAttribute('FriendlyName'),
            isRequired: e.getAttribute('isRequired'),
          }))
        : [],
      nameIdPolicy: policy ? { format: policy.getAttribute('Format'), allowCreate: policy.getAttribute('AllowCreate') } : null,
      comparison: rac?.getAttribute('Comparison') ?? null,
      classRefs: rac ? Array.from(rac.getElementsByTagNameNS(SAML, 'AuthnContextClassRef')).map((e) => (e.textContent ?? '').trim()) : [],
    };
  }

  /** What is wrong with a request in the eyes of an eIDAS node, or undefined. */
  private problemOf(r: ReceivedRequest): string | undefined {
    if (!r.signatureValid) return 'the AuthnRequest is not signed by the hub';
    if (!r.acs.startsWith(`${this.hubUrl}/`)) return 'the AssertionConsumerServiceURL is not the hub’s';
    if (r.destination !== this.ssoUrl) return 'the Destination is not this node';
    if (r.spType !== 'public' && r.spType !== 'private') return 'eidas:SPType is missing';
    const mandatory = EIDAS_ATTRIBUTES.filter((a) => a.mandatory).map((a) => a.name);
    if (!r.requestedAttributes.some((a) => mandatory.includes(a.name))) return 'no attribute of the minimum data set is requested';
    if (r.comparison !== 'minimum' || r.classRefs.length !== 1 || parseLoa('eidas', r.classRefs[0]!) === undefined) {
      return 'RequestedAuthnContext must ask for one eIDAS LoA with Comparison="minimum"';
    }
    return undefined;
  }

  /** The Response to `request` as `spec` says, base64. */
  async response(request: ReceivedRequest, spec: AnswerSpec): Promise<string> {
    return Buffer.from(await this.responseXml(request, spec), 'utf8').toString('base64');
  }

  async responseXml(request: ReceivedRequest, spec: AnswerSpec): Promise<string> {
    if (this.hubEncryptionCertPem === '') throw new Error("the hub's encryption certificate is not known");
    const now = Date.now();
    const responseId = newId();
    const person = typeof spec.person === 'string' ? personByKey(spec.person) : (spec.person ?? SIMULATED_PERSONS[0]);
    if (!person) throw new Error(`no test person ${String(spec.person)}`);
    const wanted = parseLoa('eidas', request.classRefs[0] ?? '') ?? 'low';
    const loa = spec.loa ?? person.loa;
    let status = spec.status;
    if (status === undefined && compareLoa(loa, wanted) < 0) status = 'NoAuthnContext';
    let body: string;
    if (status !== undefined) {
      const top = status === 'RequestDenied' || status === 'NoAuthnContext' ? 'Requester' : 'Responder';
      body = `<saml2p:Status><saml2p:StatusCode Value="${STATUS}${top}"><saml2p:StatusCode Value="${STATUS}${esc(status)}"/></saml2p:StatusCode></saml2p:Status>`;
    } else {
      const assertionId = newId();
      const requested = new Set(request.requestedAttributes.map((a) => a.name));
      const attributes = EIDAS_ATTRIBUTES.filter((a) => requested.has(a.name) && !(spec.omit ?? []).includes(a.key))
        .map((a) => ({ a, values: valuesOf(person, a.key) }))
        .filter((x) => x.values.length > 0)
        .map(
          ({ a, values }) =>
            `<saml2:Attribute FriendlyName="${a.friendlyName}" Name="${a.name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">` +
            values
              .map(
                (v) =>
                  `<saml2:AttributeValue${v.latin === false ? ' LatinScript="false"' : ''} xsi:type="eidas-natural:${VALUE_TYPE[a.key]}">${esc(v.value)}</saml2:AttributeValue>`,
              )
              .join('') +
            `</saml2:Attribute>`,
        )
        .join('');
      const notOnOrAfter = now + 5 * 60_000;
      const format = request.nameIdPolicy?.format ?? PERSISTENT;
      let assertion =
        `<saml2:Assertion xmlns:eidas-natural="${EIDAS_NATURAL_PERSON_NS}" xmlns:saml2="${SAML}" xmlns:xsi="${XSI}" ID="${assertionId}" IssueInstant="${iso(now)}" Version="2.0">` +
        `<saml2:Issuer Format="${ENTITY}">${esc(this.entityId)}</saml2:Issuer>` +
        `<saml2:Subject><saml2:NameID Format="${esc(format)}" NameQualifier="${esc(this.entityId)}" SPNameQualifier="${esc(this.hubEntityId)}">${esc(person.personIdentifier)}</saml2:NameID>` +
        `<saml2:SubjectConfirmation Method="${BEARER}"><saml2:SubjectConfirmationData InResponseTo="${esc(request.id)}" NotOnOrAfter="${iso(notOnOrAfter)}" Recipient="${esc(request.acs)}"/></saml2:SubjectConfirmation></saml2:Subject>` +
        `<saml2:Conditions NotBefore="${iso(now - 30_000)}" NotOnOrAfter="${iso(notOnOrAfter)}"><saml2:AudienceRestriction><saml2:Audience>${esc(this.hubEntityId)}</saml2:Audience></saml2:AudienceRestriction></saml2:Conditions>` +
        `<saml2:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="${newId()}"><saml2:AuthnContext><saml2:AuthnContextClassRef>${EIDAS_LOA_URI[loa]}</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement>` +
        (attributes ? `<saml2:AttributeStatement>${attributes}</saml2:AttributeStatement>` : '') +
        `</saml2:Assertion>`;
      assertion = sign(assertion, assertionId, this.keys.signing.keyPem, 'after-issuer');
      body = `<saml2p:Status><saml2p:StatusCode Value="${STATUS}Success"/></saml2p:Status>${await encrypt(assertion, this.hubEncryptionCertPem)}`;
    }
    const response =
      `<saml2p:Response xmlns:saml2="${SAML}" xmlns:saml2p="${SAMLP}" Consent="urn:oasis:names:tc:SAML:2.0:consent:obtained" Destination="${esc(request.acs)}" ID="${responseId}" InResponseTo="${esc(request.id)}" IssueInstant="${iso(now)}" Version="2.0">` +
      `<saml2:Issuer Format="${ENTITY}">${esc(this.entityId)}</saml2:Issuer>` +
      body +
      `</saml2p:Response>`;
    return sign(response, responseId, this.keys.signing.keyPem, 'after-issuer');
  }

  /** The page that posts a Response to the hub (a button, and a script that presses it). */
  private postPage(request: ReceivedRequest, samlResponse: string): string {
    return page(
      'Weiter zum Servicekonto',
      `<form method="post" action="${esc(request.acs)}"><input type="hidden" name="SAMLResponse" value="${esc(samlResponse)}"/>` +
        `<input type="hidden" name="RelayState" value="${esc(request.relayState)}"/><button type="submit">Weiter</button></form>` +
        `<script>document.forms[0].submit()</script>`,
    );
  }

  private choicePage(ticket: string, request: ReceivedRequest): string {
    const names = request.requestedAttributes.map((a) => `${a.friendlyName ?? a.name}${a.isRequired === 'true' ? ' (Pflicht)' : ''}`);
    const wanted = request.classRefs[0] ?? '';
    return page(
      'Anmelden mit Ihrem eID-Mittel',
      `<p>${esc(request.providerName ?? 'Ein deutsches Servicekonto')} bittet um Ihre Identität, mindestens auf dem Vertrauensniveau <code>${esc(wanted)}</code>.</p>` +
        `<p>Angefragte Daten: ${esc(names.join(', '))}</p>` +
        `<form method="post" action="/sso/weiter"><input type="hidden" name="ticket" value="${esc(ticket)}"/>` +
        `<fieldset><legend>Testperson (Land und eID-Mittel)</legend>` +
        SIMULATED_PERSONS.map(
          (p, i) =>
            `<label><input type="radio" name="person" value="${p.key}"${i === 0 ? ' checked' : ''}/> ${esc(p.firstName)} ${esc(p.familyName)}, ${esc(p.countryName.de)} (Vertrauensniveau ${p.loa})</label>`,
        ).join('') +
        `</fieldset><button type="submit" name="entscheidung" value="ja">Zustimmen und Daten übermitteln</button>` +
        `<button type="submit" name="entscheidung" value="nein" class="secondary">Abbrechen</button></form>`,
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base);
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'Content-Type': `${type}; charset=utf-8`, 'Cache-Control': 'no-store' });
      res.end(body);
    };
    if (req.method === 'GET' && url.pathname === '/metadata') return send(200, 'application/samlmetadata+xml', this.metadata());
    if (req.method === 'POST' && url.pathname === '/sso') {
      const form = new URLSearchParams(await readBody(req));
      const xml = Buffer.from(form.get('SAMLRequest') ?? '', 'base64').toString('utf8');
      if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return send(400, 'text/html', page('Anfrage abgelehnt', '<p>DOCTYPE refused.</p>'));
      let request: ReceivedRequest;
      try {
        request = this.parseRequest(xml, form.get('RelayState') ?? '');
      } catch (err) {
        return send(400, 'text/html', page('Anfrage abgelehnt', `<p>${esc((err as Error).message)}</p>`));
      }
      this.requests.push(request);
      const problem = this.problemOf(request);
      if (problem) return send(400, 'text/html', page('Anfrage abgelehnt', `<p>${esc(problem)}</p>`));
      const spec = this.answer?.(request);
      if (spec) return send(200, 'text/html', this.postPage(request, await this.response(request, spec)));
      const ticket = randomBytes(18).toString('base64url');
      this.pending.set(ticket, request);
      return send(200, 'text/html', this.choicePage(ticket, request));
    }
    if (req.method === 'POST' && url.pathname === '/sso/weiter') {
      const form = new URLSearchParams(await readBody(req));
      const ticket = form.get('ticket') ?? '';
      const request = this.pending.get(ticket);
      if (!request)
        return send(400, 'text/html', page('Vorgang unbekannt', '<p>Diese Anmeldung ist unbekannt oder wurde schon beantwortet.</p>'));
      this.pending.delete(ticket);
      const spec: AnswerSpec =
        form.get('entscheidung') === 'ja' ? { person: form.get('person') ?? SIMULATED_PERSONS[0]!.key } : { status: 'RequestDenied' };
      return send(200, 'text/html', this.postPage(request, await this.response(request, spec)));
    }
    return send(404, 'text/plain', 'not found');
  }

  async close(): Promise<void> {
    const s = this.server;
    if (s) await new Promise<void>((ok) => s.close(() => ok()));
  }
}
