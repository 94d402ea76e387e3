import { createPrivateKey, X509Certificate } from 'node:crypto';
import test from 'ava';
import fc from 'fast-check';
import { ExclusiveCanonicalization } from 'xml-crypto';
import { decrypt } from 'xml-encryption';
import { escapeXml } from '../../../src/core/xml-escape.ts';
import { el, textEl, unsigned, type Xml } from '../../../src/core/saml/build.ts';
import { encryptAssertion, RSA_OAEP_11, RSA_OAEP_MGF1P } from '../../../src/portals/saml/xml/encrypt.ts';
import { entityDescriptor, idpRole, BINDING } from '../../../src/core/saml/metadata.ts';
import { parseXml } from '../../../src/core/xml-read.ts';
import {
  assertion,
  logoutRequest,
  logoutResponse,
  NAMEID_FORMAT,
  response,
  STATUS,
  type AssertionSpec,
} from '../../../src/core/saml/protocol.ts';
import { signEnveloped } from '../../../src/core/saml/sign.ts';
import { spKeyPair } from './helpers.ts';
import { ID_ATTR, xmlsec1Verify } from './xmlsec1.ts';

/** Exclusive canonical form of a document, by xml-crypto over the parsed text. */
function canonical(xml: string): string {
  return new ExclusiveCanonicalization().process(parseXml(xml, 10_000_000).documentElement as unknown as Element, {});
}

/** What XML 1.0 can carry; anything else the hub writes as U+FFFD. */
function xmlSafe(value: string): string {
  let out = '';
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    const ok = cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000;
    out += ok ? ch : '\uFFFD';
  }
  return out;
}

const HOSTILE = [
  '<',
  '>',
  '&',
  '"',
  "'",
  '\r',
  '\n',
  '\r\n',
  '\t',
  '<!--',
  '-->',
  ']]>',
  '&amp;',
  '&#xD;',
  '\u0000',
  '\u0008',
  '\uD800',
  '\uDC00',
  '\uFFFE',
  'ä',
  'ß',
  '𝄞',
  '\u2028',
  '\u0085',
  ' ',
];
const hostile = fc
  .array(fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: 'binary' }), fc.string()), { maxLength: 12 })
  .map((parts) => parts.join(''));

test('escaped values come back unchanged from an XML parser, in text and in attributes, whatever they hold', (t) => {
  fc.assert(
    fc.property(hostile, hostile, (text, value) => {
      const doc = parseXml(`<a v="${escapeXml(value, 'attribute')}">${escapeXml(text, 'text')}</a>`, 10_000_000);
      const a = doc.documentElement!;
      return a.getAttribute('v') === xmlSafe(value) && (a.textContent ?? '') === xmlSafe(text);
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('a string built from escaped values is already in exclusive canonical form', (t) => {
  fc.assert(
    fc.property(hostile, hostile, hostile, (text, value, other) => {
      const xml = el('saml:Attribute', { xmlns: ['akdb', 'saml'], Name: value, 'akdb:TrustLevel': other, FriendlyName: text }, [
        textEl('saml:AttributeValue', {}, text),
      ]);
      return canonical(xml) === xml;
    }),
    { numRuns: 1000 },
  );
  t.pass();
});

test('the escaping follows the C14N rules exactly', (t) => {
  t.is(escapeXml('a<b>&c"d\'e\r\n\t', 'text'), 'a&lt;b&gt;&amp;c"d\'e&#xD;\n\t');
  t.is(escapeXml('a<b>&c"d\'e\r\n\t', 'attribute'), "a&lt;b>&amp;c&quot;d'e&#xD;&#xA;&#x9;");
  t.is(escapeXml('nul\u0000 lone\uD800 ok𝄞', 'text'), 'nul\uFFFD lone\uFFFD ok𝄞');
  t.is(escapeXml('Müller-Lüdenscheidt', 'attribute'), 'Müller-Lüdenscheidt');
});

const NOW = Date.parse('2026-11-23T10:00:00Z');

function sampleAssertion(values: { name?: string; issuer?: string } = {}): AssertionSpec {
  return {
    id: '_a1',
    issueInstant: NOW,
    issuer: values.issuer ?? 'https://servicekonto.example/saml/metadata',
    nameId: {
      value: 'abc',
      format: NAMEID_FORMAT.persistent,
      nameQualifier: 'https://servicekonto.example/saml/metadata',
      spNameQualifier: 'https://sp.example/',
    },
    recipient: 'https://sp.example/acs?a=1&b=2',
    inResponseTo: '_req',
    notBefore: NOW - 60_000,
    notOnOrAfter: NOW + 300_000,
    audience: 'https://sp.example/',
    authnInstant: NOW - 1000,
    sessionIndex: 'sid',
    authnContextClassRef: 'http://eidas.europa.eu/LoA/low',
    attributes: [
      { name: 'urn:oid:2.5.4.42', friendlyName: 'givenName', values: [values.name ?? 'Erika'], trustLevel: 'UNTERGEORDNET' },
      { name: 'urn:oid:0.9.2342.19200300.100.1.40', values: ['Dr.', 'Prof.'] },
    ],
  };
}

async function hubKey() {
  const keys = await spKeyPair('other');
  const der = Buffer.from(new X509Certificate(keys.certPem).raw);
  return { keys, signing: { privateKey: createPrivateKey(keys.keyPem), certificateDer: der } };
}

test('Response, Assertion, LogoutRequest, LogoutResponse and EntityDescriptor are written in canonical form', async (t) => {
  const { keys, signing } = await hubKey();
  const signedAssertion = signEnveloped(assertion(sampleAssertion({ name: 'Ö & <x>\r\n"y"' })), signing);
  const encrypted = encryptAssertion(signedAssertion, { publicKey: createPrivateKey(keys.keyPem), keyTransport: RSA_OAEP_MGF1P });
  const documents: Xml[] = [
    signedAssertion,
    signEnveloped(
      response({
        id: '_r',
        issueInstant: NOW,
        issuer: 'i',
        destination: 'https://sp/acs',
        inResponseTo: '_q',
        status: { code: STATUS.success },
        assertion: signedAssertion,
      }),
      signing,
    ),
    signEnveloped(
      response({
        id: '_r',
        issueInstant: NOW,
        issuer: 'i',
        destination: 'https://sp/acs',
        status: { code: STATUS.success },
        assertion: encrypted,
      }),
      signing,
    ),
    unsigned(
      response({
        id: '_r',
        issueInstant: NOW,
        issuer: 'i',
        destination: 'd',
        status: { code: STATUS.responder, subCode: STATUS.noPassive, message: 'x < y' },
      }),
    ),
    signEnveloped(
      logoutRequest({
        id: '_l',
        issueInstant: NOW,
        issuer: 'i',
        destination: 'd',
        notOnOrAfter: NOW,
        reason: 'r',
        nameId: { value: 'n', format: NAMEID_FORMAT.transient },
        sessionIndexes: ['s1', 's2'],
      }),
      signing,
    ),
    signEnveloped(
      logoutResponse({
        id: '_l',
        issueInstant: NOW,
        issuer: 'i',
        destination: 'd',
        inResponseTo: '_x',
        status: { code: STATUS.success, subCode: STATUS.partialLogout },
      }),
      signing,
    ),
    signEnveloped(
      entityDescriptor({
        id: '_m',
        entityId: 'https://hub/saml/metadata',
        validUntil: '2026-11-27T10:00:00Z',
        digestMethods: ['d'],
        signingMethods: ['s'],
        roles: [
          idpRole({
            wantAuthnRequestsSigned: false,
            ui: { displayName: { de: 'Servicekonto „Ä“', en: 'Servicekonto' } },
            keys: [
              { use: 'signing', certificateDer: signing.certificateDer },
              { use: 'encryption', certificateDer: signing.certificateDer, encryptionMethods: ['a', 'b'] },
            ],
            singleLogout: [{ binding: BINDING.redirect, location: 'https://hub/saml/slo' }],
            nameIdFormats: [NAMEID_FORMAT.persistent],
            singleSignOn: [{ binding: BINDING.post, location: 'https://hub/saml/sso' }],
            attributes: [
              { name: 'urn:oid:2.5.4.42', friendlyName: 'givenName', nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri' },
            ],
          }),
        ],
        organization: { name: { de: 'A', en: 'A' }, displayName: { de: 'B', en: 'B' }, url: { de: 'https://hub/', en: 'https://hub/' } },
        contacts: [{ type: 'technical', company: 'C', email: 'technik@hub.example' }],
      }),
      signing,
    ),
  ];
  for (const xml of documents) t.is(canonical(xml), xml);
});

test('xmlsec1 verifies a signed Response and, on its own, the signed Assertion inside it, against the signing certificate', async (t) => {
  const { keys, signing } = await hubKey();
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom(...HOSTILE), { maxLength: 6 }).map((p) => `Erika ${p.join('')}`),
      async (name) => {
        const signedAssertion = signEnveloped(assertion(sampleAssertion({ name })), signing);
        const signedResponse = signEnveloped(
          response({
            id: '_r',
            issueInstant: NOW,
            issuer: 'i',
            destination: 'https://sp/acs',
            inResponseTo: '_q',
            status: { code: STATUS.success },
            assertion: signedAssertion,
          }),
          signing,
        );
        const a = await xmlsec1Verify(signedAssertion, ID_ATTR.assertion, keys.certPem);
        const r = await xmlsec1Verify(signedResponse, ID_ATTR.response, keys.certPem);
        return a.ok && r.ok;
      },
    ),
    { numRuns: 8 },
  );
  t.pass();
});

test('xmlsec1 verifies signed LogoutRequests and LogoutResponses, and refuses a changed one', async (t) => {
  const { keys, signing } = await hubKey();
  const request = signEnveloped(
    logoutRequest({
      id: '_l',
      issueInstant: NOW,
      issuer: 'i',
      destination: 'd',
      nameId: { value: 'n', format: NAMEID_FORMAT.persistent },
      sessionIndexes: ['s'],
    }),
    signing,
  );
  const answer = signEnveloped(
    logoutResponse({ id: '_k', issueInstant: NOW, issuer: 'i', destination: 'd', inResponseTo: '_x', status: { code: STATUS.success } }),
    signing,
  );
  t.true((await xmlsec1Verify(request, ID_ATTR.logoutRequest, keys.certPem)).ok);
  t.true((await xmlsec1Verify(answer, ID_ATTR.logoutResponse, keys.certPem)).ok);
  t.false((await xmlsec1Verify(request.replace('>n<', '>m<'), ID_ATTR.logoutRequest, keys.certPem)).ok);
});

test('xmlsec1 refuses a Response signed by another key even when that key sits in KeyInfo', async (t) => {
  const { signing } = await hubKey();
  const mine = await spKeyPair('sp');
  const signedResponse = signEnveloped(
    response({ id: '_r', issueInstant: NOW, issuer: 'i', destination: 'd', status: { code: STATUS.success } }),
    signing,
  );
  t.false((await xmlsec1Verify(signedResponse, ID_ATTR.response, mine.certPem)).ok);
});

for (const keyTransport of [RSA_OAEP_MGF1P, RSA_OAEP_11] as const) {
  test(`an EncryptedAssertion (AES-256-GCM, ${keyTransport.split('#')[1]}) decrypts with the independent xml-encryption library to the signed assertion`, async (t) => {
    const { keys, signing } = await hubKey();
    const signedAssertion = signEnveloped(assertion(sampleAssertion()), signing);
    const encrypted = encryptAssertion(signedAssertion, { publicKey: new X509Certificate(keys.certPem).publicKey, keyTransport });
    t.regex(encrypted, /xmlenc11#aes256-gcm/);
    const plain = await new Promise<string>((ok, fail) =>
      decrypt(
        encrypted,
        { key: keys.keyPem, disallowDecryptionWithInsecureAlgorithm: true, warnInsecureAlgorithm: false },
        (err, result) => (err ? fail(err) : ok(result as string)),
      ),
    );
    t.is(plain, signedAssertion);
    t.true((await xmlsec1Verify(plain, ID_ATTR.assertion, keys.certPem)).ok);
  });
}
