import { mkdtempSync, writeFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { SAML, type SamlConfig } from '@node-saml/node-saml';
import { DOMParser, XMLSerializer, type Element } from '@xmldom/xmldom';
import { parse } from 'node-html-parser';
import { SignedXml } from 'xml-crypto';
import { PortalRegistry, type PortalConfig } from '../../../src/config/portals.ts';
import type { HubError } from '../../../src/core/errors.ts';
import { readRedirect } from '../../../src/core/saml/redirect-binding.ts';
import { SpIndex } from '../../../src/portals/saml/sp-metadata.ts';
import {
  acceptAuthnRequest,
  interpretAuthnRequest,
  type IncomingRequest,
  type SamlRequestEdge,
  type SsoDeps,
} from '../../../src/portals/saml/sso.ts';
import { openStore, type Store } from '../../../src/store/db.ts';
import { spKeyPair, spMetadata, type KeyPair } from './helpers.ts';

const HUB = 'https://servicekonto.example';
const SSO = `${HUB}/saml/sso`;
const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const AKDB = 'https://www.akdb.de/request/2018/09';
const UI = 'https://www.akdb.de/request/2018/09/classic-ui/v1';

let store: Store;
let deps: SsoDeps;
let keys: KeyPair;
let other: KeyPair;

function portal(dir: string, id: string, metadata: string, saml: Partial<NonNullable<PortalConfig['saml']>> = {}): PortalConfig {
  const file = path.join(dir, `${id}.xml`);
  writeFileSync(file, metadata);
  return {
    id,
    name: { de: id, en: id },
    enabled: true,
    minLoa: 'low',
    attributes: ['givenName', 'familyName', 'email'],
    sector: id,
    saml: { metadataFile: file, metadataPath: file, signResponse: true, encryptAssertion: true, nameIdFormat: 'persistent', ...saml },
  };
}

test.before(async () => {
  keys = await spKeyPair('sp');
  other = await spKeyPair('other');
  store = await openStore({ databaseUrl: '', sqliteFile: ':memory:' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skh-inbound-'));
  const registry = new PortalRegistry([
    portal(
      dir,
      'signed',
      spMetadata({
        entityId: 'https://signed.example/sp',
        acs: [{ url: 'https://signed.example/acs', index: 0 }],
        signingCert: keys.certBase64,
        authnRequestsSigned: true,
      }),
    ),
    portal(
      dir,
      'open',
      spMetadata({
        entityId: 'https://open.example/sp',
        acs: [
          { url: 'https://open.example/acs', index: 1, isDefault: true },
          { url: 'https://open.example/acs2', index: 2 },
        ],
        signingCert: keys.certBase64,
      }),
    ),
  ]);
  deps = {
    index: () => index,
    portals: () => registry,
    db: store.db,
    settings: { entityId: `${HUB}/saml/metadata`, ssoUrl: SSO, clockSkewMs: 180_000, maxAgeMs: 300_000 },
  };
  const index = SpIndex.load(registry, { production: false });
});

test.after.always(async () => {
  await store?.close();
});

function sp(entity: 'signed' | 'open', overrides: Partial<SamlConfig> = {}, signer: KeyPair | null = keys): SAML {
  return new SAML({
    entryPoint: SSO,
    issuer: `https://${entity}.example/sp`,
    callbackUrl: `https://${entity}.example/acs`,
    idpCert: keys.certPem,
    identifierFormat: null,
    ...(signer ? { privateKey: signer.keyPem, signatureAlgorithm: 'sha256' as const, digestAlgorithm: 'sha256' } : {}),
    ...overrides,
  });
}

/** The AuthnRequest XML of node-saml's HTTP-POST form. */
async function postXml(saml: SAML): Promise<string> {
  saml.options.authnRequestBinding = 'HTTP-POST';
  saml.options.skipRequestCompression = true;
  const form = parse(await saml.getAuthorizeFormAsync('relay'));
  const value = form.querySelector('input[name=SAMLRequest]')!.getAttribute('value')!;
  return Buffer.from(value, 'base64').toString('utf8');
}

function viaPost(xml: string): IncomingRequest {
  return { binding: 'post', xml, relayState: undefined };
}

async function redirectRequest(saml: SAML): Promise<IncomingRequest> {
  const url = new URL(await saml.getAuthorizeUrlAsync('relay', undefined, {}));
  return { binding: 'redirect', message: readRedirect(url.search.slice(1)) };
}

async function refusal(t: { throwsAsync: (fn: () => Promise<unknown>) => Promise<unknown> }, promise: Promise<unknown>): Promise<HubError> {
  const err = (await t.throwsAsync(() => promise)) as HubError;
  return err;
}

const dom = (xml: string) => new DOMParser().parseFromString(xml, 'text/xml');
const text = (doc: ReturnType<typeof dom>) => new XMLSerializer().serializeToString(doc);

test('a signed AuthnRequest by HTTP-POST from a registered portal is accepted and its ACS taken from the metadata', async (t) => {
  const accepted = await acceptAuthnRequest(deps, viaPost(await postXml(sp('signed'))), Date.now());
  t.true(accepted.signed);
  t.is(accepted.acs, 'https://signed.example/acs');
  t.is(accepted.portal.id, 'signed');
});

test('a signed AuthnRequest by HTTP-Redirect is accepted; the query signature covers exactly the octets received', async (t) => {
  const accepted = await acceptAuthnRequest(deps, await redirectRequest(sp('signed')), Date.now());
  t.true(accepted.signed);
  t.is(accepted.relayState, 'relay');
});

test('refuses XML with a DOCTYPE before reading anything else', async (t) => {
  const xml = await postXml(sp('signed'));
  const err = await refusal(t, acceptAuthnRequest(deps, viaPost(`<!DOCTYPE x [<!ENTITY e "boom">]>${xml}`), Date.now()));
  t.is(err.code, 'saml_request_invalid');
  t.regex(err.message, /DOCTYPE/);
});

test('refuses an oversized request', async (t) => {
  const xml = await postXml(sp('signed'));
  const err = await refusal(
    t,
    acceptAuthnRequest(deps, viaPost(xml.replace('<saml:Issuer', `<!--${'x'.repeat(60_000)}--><saml:Issuer`)), Date.now()),
  );
  t.is(err.code, 'payload_too_large');
});

test('refuses an HTTP-Redirect request that inflates beyond the cap, before it is parsed', (t) => {
  const bomb = encodeURIComponent(deflateRawSync(Buffer.alloc(2_000_000, 0x20)).toString('base64'));
  const err = t.throws(() => readRedirect(`SAMLRequest=${bomb}`)) as HubError;
  t.is(err.code, 'payload_too_large');
  const big = t.throws(() => readRedirect(`SAMLRequest=${'A'.repeat(40_000)}`)) as HubError;
  t.is(big.code, 'payload_too_large');
});

test('refuses the signed request moved into Extensions under a forged, unsigned root (signature wrapping)', async (t) => {
  const original = dom(await postXml(sp('signed'))).documentElement!;
  const forged = dom(await postXml(sp('signed', {}, null)));
  const root = forged.documentElement!;
  root.setAttribute('ID', '_forged');
  const extensions = forged.createElementNS(SAMLP, 'samlp:Extensions');
  extensions.appendChild(original);
  root.insertBefore(extensions, root.firstChild!.nextSibling);
  const err = await refusal(t, acceptAuthnRequest(deps, viaPost(text(forged)), Date.now()));
  t.is(err.code, 'saml_signature_invalid');
  t.regex(err.message, /somewhere other than directly in the message element/);
});

test('refuses the signed request moved into a ds:Object of its own signature under a forged root (signature wrapping)', async (t) => {
  const signed = dom(await postXml(sp('signed')));
  const original = signed.documentElement!;
  const signature = [...Array.from(original.childNodes)].find((n) => (n as Element).localName === 'Signature') as Element;
  const forged = dom(await postXml(sp('signed', { callbackUrl: 'https://signed.example/acs' }, null))).documentElement!;
  forged.setAttribute('ID', '_forged');
  original.removeChild(signature);
  const object = signed.createElementNS(DS, 'ds:Object');
  object.appendChild(original);
  signature.appendChild(object);
  forged.insertBefore(forged.ownerDocument!.importNode(signature, true), forged.firstChild!.nextSibling);
  const err = await refusal(t, acceptAuthnRequest(deps, viaPost(text(forged.ownerDocument!)), Date.now()));
  t.is(err.code, 'saml_signature_invalid');
});

test('refuses a forged root that copies the signed ID, with the original hidden inside (duplicate IDs)', async (t) => {
  const signedDoc = dom(await postXml(sp('signed')));
  const original = signedDoc.documentElement!;
  const signature = [...Array.from(original.childNodes)].find((n) => (n as Element).localName === 'Signature') as Element;
  const forged = dom(await postXml(sp('signed', {}, null)));
  const root = forged.documentElement!;
  root.setAttribute('ID', original.getAttribute('ID')!);
  root.insertBefore(forged.importNode(signature, true), root.firstChild!.nextSibling);
  const extensions = forged.createElementNS(SAMLP, 'samlp:Extensions');
  const copy = forged.importNode(original, true) as Element;
  copy.removeChild([...Array.from(copy.childNodes)].find((n) => (n as Element).localName === 'Signature')!);
  extensions.appendChild(copy);
  root.appendChild(extensions);
  const err = await refusal(t, acceptAuthnRequest(deps, viaPost(text(forged)), Date.now()));
  t.is(err.code, 'saml_signature_invalid');
});

test('refuses a signature that covers another element than the request', async (t) => {
  const doc = dom(await postXml(sp('signed', {}, null)));
  const root = doc.documentElement!;
  const extensions = doc.createElementNS(SAMLP, 'samlp:Extensions');
  const inner = doc.createElementNS('urn:example', 'x:Inner');
  inner.setAttribute('ID', '_inner');
  extensions.appendChild(inner);
  root.appendChild(extensions);
  const signer = new SignedXml({
    privateKey: keys.keyPem,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  signer.addReference({
    xpath: "//*[local-name(.)='Inner']",
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  signer.computeSignature(text(doc), { location: { reference: "/*/*[local-name(.)='Issuer']", action: 'after' } });
  const err = await refusal(t, acceptAuthnRequest(deps, viaPost(signer.getSignedXml()), Date.now()));
  t.is(err.code, 'saml_signature_invalid');
  t.regex(err.message, /does not reference the message element/);
});

test('refuses SHA-1 signatures, by HTTP-POST and by HTTP-Redirect', async (t) => {
  const post = await refusal(
    t,
    acceptAuthnRequest(deps, viaPost(await postXml(sp('signed', { signatureAlgorithm: 'sha1', digestAlgorithm: 'sha1' }))), Date.now()),
  );
  t.is(post.code, 'saml_signature_invalid');
  t.regex(post.message, /SHA-1/);
  const redirect = await refusal(
    t,
    acceptAuthnRequest(deps, await redirectRequest(sp('signed', { signatureAlgorithm: 'sha1' })), Date.now()),
  );
  t.regex(redirect.message, /SHA-1/);
});

test('refuses a request signed by a key that is not pinned in the metadata, even with its certificate in KeyInfo', async (t) => {
  const xml = await postXml(sp('signed', { publicCert: other.certPem }, other));
  t.true(xml.includes('X509Certificate'), 'the forger put its certificate into KeyInfo');
  const err = await refusal(t, acceptAuthnRequest(deps, viaPost(xml), Date.now()));
  t.is(err.code, 'saml_signature_invalid');
  t.regex(err.message, /pinned/);
});

test('refuses a request changed after signing', async (t) => {
  const xml = (await postXml(sp('signed')))
    .replace('ForceAuthn="false"', 'ForceAuthn="true"')
    .replace('<samlp:AuthnRequest ', '<samlp:AuthnRequest IsPassive="true" ');
  const err = await refusal(t, acceptAuthnRequest(deps, viaPost(xml), Date.now()));
  t.is(err.code, 'saml_signature_invalid');
  t.regex(err.message, /digest/);
});

test('refuses a tampered HTTP-Redirect query (RelayState changed after signing)', async (t) => {
  const url = new URL(await sp('signed').getAuthorizeUrlAsync('relay', undefined, {}));
  const query = url.search.slice(1).replace('RelayState=relay', 'RelayState=evil');
  const err = await refusal(t, acceptAuthnRequest(deps, { binding: 'redirect', message: readRedirect(query) }, Date.now()));
  t.is(err.code, 'saml_signature_invalid');
});

test('refuses a request from an unknown Issuer', async (t) => {
  const xml = (await postXml(sp('open', {}, null))).replace('https://open.example/sp', 'https://stranger.example/sp');
  const err = await refusal(t, acceptAuthnRequest(deps, viaPost(xml), Date.now()));
  t.is(err.code, 'saml_unknown_sp');
});

test('refuses a Destination other than the hub SSO URL', async (t) => {
  const saml = sp('open', { entryPoint: 'https://elsewhere.example/sso' }, null);
  const err = await refusal(t, acceptAuthnRequest(deps, viaPost(await postXml(saml)), Date.now()));
  t.is(err.code, 'saml_request_invalid');
  t.regex(err.message, /Destination/);
});

test('refuses a stale IssueInstant and one from the future', async (t) => {
  const xml = await postXml(sp('open', {}, null));
  const old = await refusal(t, acceptAuthnRequest(deps, viaPost(xml), Date.now() + 10 * 60_000));
  t.regex(old.message, /too old/);
  const future = await refusal(t, acceptAuthnRequest(deps, viaPost(await postXml(sp('open', {}, null))), Date.now() - 10 * 60_000));
  t.regex(future.message, /future/);
});

test('refuses a replayed request ID, also across bindings', async (t) => {
  const xml = await postXml(sp('signed'));
  await acceptAuthnRequest(deps, viaPost(xml), Date.now());
  const err = await refusal(t, acceptAuthnRequest(deps, viaPost(xml), Date.now()));
  t.is(err.code, 'saml_replay');
});

test('refuses an AssertionConsumerServiceURL or index that the metadata does not list, and a binding other than POST', async (t) => {
  const url = await refusal(
    t,
    acceptAuthnRequest(deps, viaPost(await postXml(sp('open', { callbackUrl: 'https://open.example/evil' }, null))), Date.now()),
  );
  t.is(url.code, 'saml_acs_not_registered');
  const byIndex = (await postXml(sp('open', { disableRequestAcsUrl: true, attributeConsumingServiceIndex: '1' }, null))).replace(
    'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"',
    'AssertionConsumerServiceIndex="7"',
  );
  t.is((await refusal(t, acceptAuthnRequest(deps, viaPost(byIndex), Date.now()))).code, 'saml_acs_not_registered');
  const artifact = (await postXml(sp('open', {}, null))).replace('bindings:HTTP-POST', 'bindings:HTTP-Artifact');
  t.is((await refusal(t, acceptAuthnRequest(deps, viaPost(artifact), Date.now()))).code, 'saml_acs_not_registered');
});

test('an ACS index from the metadata and the default ACS are used when the request names no URL', async (t) => {
  const byIndex = (await postXml(sp('open', { disableRequestAcsUrl: true }, null))).replace(
    'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"',
    'AssertionConsumerServiceIndex="2"',
  );
  t.is((await acceptAuthnRequest(deps, viaPost(byIndex), Date.now())).acs, 'https://open.example/acs2');
  const plain = await postXml(sp('open', { disableRequestAcsUrl: true }, null));
  t.is((await acceptAuthnRequest(deps, viaPost(plain), Date.now())).acs, 'https://open.example/acs');
});

test('refuses an unsigned request when the metadata says AuthnRequestsSigned', async (t) => {
  const err = await refusal(t, acceptAuthnRequest(deps, viaPost(await postXml(sp('signed', {}, null))), Date.now()));
  t.is(err.code, 'saml_signature_invalid');
  t.regex(err.message, /requires signed/);
});

test('reads a comment-split Issuer as the whole signed text, not its first part', async (t) => {
  const xml = (await postXml(sp('open', {}, null))).replace('https://open.example/sp', 'https://open.<!---->example/sp');
  t.is((await acceptAuthnRequest(deps, viaPost(xml), Date.now())).portal.id, 'open');
});

async function interpret(saml: SAML) {
  const accepted = await acceptAuthnRequest(deps, await redirectRequest(saml), Date.now());
  return interpretAuthnRequest(accepted, Date.now());
}

test('RequestedAuthnContext, ForceAuthn, IsPassive and NameIDPolicy become the login request', async (t) => {
  const r = await interpret(
    sp('signed', {
      disableRequestedAuthnContext: false,
      authnContext: ['STORK-QAA-Level-3'],
      racComparison: 'minimum',
      forceAuthn: true,
      identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
    }),
  );
  if (!r.ok) return t.fail(r.detail);
  t.is(r.context.minLoa, 'substantial');
  t.true(r.context.forceAuthn);
  t.false(r.context.isPassive);
  const edge = r.context.edge as SamlRequestEdge;
  t.is(edge.level.vocabulary, 'stork');
  t.is(edge.nameIdFormat, 'transient');
  t.is(r.context.requestedAttributes, undefined);
});

test('an unknown NameID format or level is answered with a SAML status, not an error page', async (t) => {
  const format = await interpret(sp('signed', { identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' }));
  t.false(format.ok);
  if (!format.ok) t.is(format.status.subCode, 'urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy');
  const level = await interpret(sp('signed', { disableRequestedAuthnContext: false, authnContext: ['urn:example:level:gold'] }));
  t.false(level.ok);
  if (!level.ok) t.is(level.status.subCode, 'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext');
});

function akdb(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'akdb:AuthenticationRequest': {
      '@xmlns:akdb': AKDB,
      '@Version': '2',
      'akdb:AuthnMethods': {
        'akdb:Benutzername': { 'akdb:Enabled': 'true' },
        'akdb:eID': { 'akdb:Enabled': 'true' },
        'akdb:Elster': { 'akdb:Enabled': 'true' },
        'akdb:FINK': { 'akdb:Enabled': 'false' },
      },
      'akdb:RequestedAttributes': {
        'akdb:RequestedAttribute': [
          { '@Name': 'urn:oid:2.5.4.42', '@RequiredAttribute': 'true' },
          { '@Name': 'urn:oid:1.3.6.1.4.1.25484.494450.3', '@RequiredAttribute': 'true' },
          { '@Name': 'urn:oid:2.5.4.18', '@RequiredAttribute': 'false' },
        ],
      },
      'akdb:DisplayInformation': {
        'classic-ui:Version': {
          '@xmlns:classic-ui': UI,
          'classic-ui:OrganizationDisplayName': '  Stadt   Musterhausen – Wohngeld ',
          'classic-ui:OnlineServiceId': 'wohngeld-01',
          ...extra,
        },
      },
    },
  };
}

test('the AKDB extension of a signed request names the attributes, methods and the service shown to the citizen', async (t) => {
  const r = await interpret(sp('signed', { samlAuthnRequestExtensions: akdb({ 'classic-ui:BackURL': 'https://signed.example/zurueck' }) }));
  if (!r.ok) return t.fail(r.detail);
  // The Postkorb handle is the hub's own attribute now (src/mailbox); asked for as optional.
  t.deepEqual(r.context.requestedAttributes, [
    { name: 'givenName', required: true },
    { name: 'postkorbHandle', required: false },
  ]);
  t.deepEqual(r.context.allowedMethods, ['password', 'eid']);
  t.is(r.context.organizationDisplayName, 'Stadt Musterhausen – Wohngeld');
  t.deepEqual((r.context.edge as SamlRequestEdge).computed, ['urn:oid:1.3.6.1.4.1.25484.494450.3']);
});

test('the AKDB extension of an unsigned request is ignored', async (t) => {
  const r = await interpret(sp('open', { samlAuthnRequestExtensions: akdb() }, null));
  if (!r.ok) return t.fail(r.detail);
  t.is(r.context.requestedAttributes, undefined);
  t.is(r.context.allowedMethods, undefined);
  t.is(r.context.organizationDisplayName, undefined);
});

test('an AKDB BackURL outside the portal’s registered origins is refused with RequestDenied', async (t) => {
  const r = await interpret(sp('signed', { samlAuthnRequestExtensions: akdb({ 'classic-ui:BackURL': 'https://evil.example/phish' }) }));
  t.false(r.ok);
  if (!r.ok) {
    t.is(r.status.subCode, 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied');
    t.regex(r.detail, /BackURL/);
  }
});

test('a required AKDB attribute the hub does not have is refused with RequestDenied', async (t) => {
  const ext = akdb();
  const list = (
    (ext['akdb:AuthenticationRequest'] as Record<string, Record<string, unknown[]>>)['akdb:RequestedAttributes'] as Record<
      string,
      unknown[]
    >
  )['akdb:RequestedAttribute']!;
  list.push({ '@Name': 'urn:oid:2.5.4.20', '@RequiredAttribute': 'true' }); // telephoneNumber: not kept by the hub
  const r = await interpret(sp('signed', { samlAuthnRequestExtensions: ext }));
  t.false(r.ok);
  if (!r.ok) t.is(r.status.subCode, 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied');
});

test('odd requests a trusted portal may send are answered with a precise SAML status', async (t) => {
  const base = await postXml(sp('open', { disableRequestedAuthnContext: true }, null));
  const cases: [string, (xml: string) => string, string][] = [
    [
      'a Comparison SAML does not define',
      (x) =>
        x.replace(
          '</samlp:AuthnRequest>',
          '<samlp:RequestedAuthnContext Comparison="sometimes"><saml:AuthnContextClassRef xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">STORK-QAA-Level-1</saml:AuthnContextClassRef></samlp:RequestedAuthnContext></samlp:AuthnRequest>',
        ),
      'RequestUnsupported',
    ],
    [
      'an AuthnContextDeclRef',
      (x) =>
        x.replace(
          '</samlp:AuthnRequest>',
          '<samlp:RequestedAuthnContext><saml:AuthnContextDeclRef xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">urn:x</saml:AuthnContextDeclRef></samlp:RequestedAuthnContext></samlp:AuthnRequest>',
        ),
      'NoAuthnContext',
    ],
    [
      'an SPNameQualifier of someone else',
      (x) =>
        x.includes('<samlp:NameIDPolicy')
          ? x.replace('<samlp:NameIDPolicy', '<samlp:NameIDPolicy SPNameQualifier="https://other.example/sp"')
          : x.replace('</samlp:AuthnRequest>', '<samlp:NameIDPolicy SPNameQualifier="https://other.example/sp"/></samlp:AuthnRequest>'),
      'InvalidNameIDPolicy',
    ],
    [
      'a ForceAuthn that is no xs:boolean',
      (x) => x.replace('<samlp:AuthnRequest ', '<samlp:AuthnRequest ForceAuthn="yes" '),
      'RequestUnsupported',
    ],
  ];
  for (const [name, change, expected] of cases) {
    const xml = change(base).replace(/ID="[^"]+"/, `ID="_${name.length}${Math.random().toString(36).slice(2)}"`);
    const accepted = await acceptAuthnRequest(deps, viaPost(xml), Date.now());
    const r = interpretAuthnRequest(accepted, Date.now());
    t.false(r.ok, name);
    if (!r.ok) t.is(r.status.subCode, `urn:oasis:names:tc:SAML:2.0:status:${expected}`, name);
  }
});
