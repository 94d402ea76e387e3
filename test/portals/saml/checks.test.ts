import { constants, createPrivateKey, generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import test from 'ava';
import { SignedXml } from 'xml-crypto';
import type { HubError } from '../../../src/core/errors.ts';
import { readRedirect, verifyRedirectSignature } from '../../../src/core/saml/redirect-binding.ts';
import { parseXml, XmlRefusal, parseDateTime, parseBoolean } from '../../../src/core/xml-read.ts';
import { verifyRootSignature } from '../../../src/core/saml/verify.ts';
import { spKeyPair, type KeyPair } from './helpers.ts';

/**
 * The signature and binding checks one by one, with messages signed by third-party code
 * (xml-crypto as a portal's signer, node:crypto for query signatures).
 */

let keys: KeyPair;
let pinned: KeyObject;
test.before(async () => {
  keys = await spKeyPair();
  pinned = new X509Certificate(keys.certPem).publicKey;
});

const REQUEST = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:x="urn:example:x" ID="_req1" Version="2.0" IssueInstant="2026-11-23T10:00:00Z"><saml:Issuer>https://portal.example/sp</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"/></samlp:AuthnRequest>`;
const EXC = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENV = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

function signed(
  xml: string,
  o: {
    algorithm?: string;
    canonicalization?: string;
    transforms?: string[];
    prefixes?: string;
    xpath?: string;
    extraReference?: boolean;
  } = {},
): string {
  const signer = new SignedXml({
    privateKey: keys.keyPem,
    signatureAlgorithm: o.algorithm ?? 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: o.canonicalization ?? EXC,
    ...(o.prefixes ? { inclusiveNamespacesPrefixList: o.prefixes } : {}),
  });
  signer.addReference({
    xpath: o.xpath ?? "/*[local-name(.)='AuthnRequest']",
    transforms: o.transforms ?? [ENV, EXC],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    ...(o.prefixes ? { inclusiveNamespacesPrefixList: o.prefixes.split(' ') } : {}),
  });
  if (o.extraReference) {
    signer.addReference({
      xpath: "//*[local-name(.)='NameIDPolicy']",
      transforms: [EXC],
      digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    });
  }
  signer.computeSignature(xml, { prefix: 'ds', location: { reference: "/*/*[local-name(.)='Issuer']", action: 'after' } });
  return signer.getSignedXml();
}

function check(xml: string, key: KeyObject = pinned) {
  return verifyRootSignature(parseXml(xml, 100_000).documentElement!, [key]);
}

function refusedWith(
  t: { throws: (fn: () => unknown) => unknown; regex: (s: string, r: RegExp) => void },
  fn: () => unknown,
  reason: RegExp,
): void {
  const err = t.throws(fn) as HubError;
  t.regex(err.message, reason);
}

test('a request without any signature is reported unsigned; one signed by xml-crypto with a pinned key is valid', (t) => {
  t.is(check(REQUEST), 'unsigned');
  t.is(check(signed(REQUEST)), 'valid');
});

test('an InclusiveNamespaces prefix list is honoured for SignedInfo and the reference', (t) => {
  t.is(check(signed(REQUEST, { prefixes: 'x saml' })), 'valid');
});

test('RSA-PSS (sha256-rsa-MGF1) signatures verify; RSA-SHA512 too', (t) => {
  t.is(check(signed(REQUEST, { algorithm: 'http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1' })), 'valid');
  t.is(check(signed(REQUEST, { algorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512' })), 'valid');
});

test('a signature that verifies only with another key is refused', async (t) => {
  const other = new X509Certificate((await spKeyPair('other')).certPem).publicKey;
  refusedWith(t, () => check(signed(REQUEST), other), /pinned/);
});

test('SignedInfo must use exclusive canonicalization; inclusive c14n is refused', (t) => {
  refusedWith(
    t,
    () => check(signed(REQUEST, { canonicalization: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315' })),
    /must be canonicalized with/,
  );
});

test('the transforms must be exactly enveloped-signature then exc-c14n', (t) => {
  refusedWith(t, () => check(signed(REQUEST, { transforms: [ENV] })), /exactly the enveloped-signature and exc-c14n/);
  refusedWith(t, () => check(signed(REQUEST, { transforms: [EXC, ENV] })), /exactly the enveloped-signature and exc-c14n/);
});

test('a second Reference (to a part of the message) is refused', (t) => {
  refusedWith(t, () => check(signed(REQUEST, { extraReference: true })), /exactly one Reference/);
});

test('a Signature holding a ds:Object, or with its parts out of order, is refused', (t) => {
  const xml = signed(REQUEST);
  const withObject = xml.replace('</ds:Signature>', '<ds:Object><x:Anything/></ds:Object></ds:Signature>');
  refusedWith(t, () => check(withObject), /Object/);
  const swapped = xml.replace(/(<ds:SignedInfo>.*<\/ds:SignedInfo>)(<ds:SignatureValue>.*<\/ds:SignatureValue>)/s, '$2$1');
  refusedWith(t, () => check(swapped), /SignedInfo then SignatureValue/);
});

test('a processing instruction inside a message is refused: it could hide part of a signed value from the reader', (t) => {
  // xml-crypto canonicalizes <?p example?> as the text "example", so the digest would still match.
  const xml = signed(REQUEST).replace('https://portal.example/sp', 'https://portal.<?p example?>/sp');
  t.throws(() => check(xml), { instanceOf: XmlRefusal, message: /processing instructions/ });
});

test('a message without an ID, or with a digest that is not base64, is refused', (t) => {
  refusedWith(t, () => check(signed(REQUEST).replace(' ID="_req1"', '')), /no ID/);
  refusedWith(t, () => check(signed(REQUEST).replace(/<ds:DigestValue>[^<]+</, '<ds:DigestValue>not*base64<')), /not base64/);
});

// ---- HTTP-Redirect binding ---------------------------------------------------------------

function query(
  xml: string,
  sigAlg?: string,
  key?: KeyObject | { key: KeyObject; padding?: number; saltLength?: number; dsaEncoding?: 'ieee-p1363' },
): string {
  let q = `SAMLRequest=${encodeURIComponent(deflateRawSync(xml).toString('base64'))}&RelayState=${encodeURIComponent('seite 1')}`;
  if (sigAlg && key) {
    q += `&SigAlg=${encodeURIComponent(sigAlg)}`;
    const hash = /sha(256|384|512)/.exec(sigAlg)![0];
    q += `&Signature=${encodeURIComponent(sign(hash, Buffer.from(q), key).toString('base64'))}`;
  }
  return q;
}

test('query signatures verify over the octets received: RSA-SHA256, RSA-PSS and ECDSA', (t) => {
  const rsa = createPrivateKey(keys.keyPem);
  t.is(verifyRedirectSignature(readRedirect(query(REQUEST, 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', rsa)), [pinned]), 'valid');
  const pss = { key: rsa, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
  t.is(
    verifyRedirectSignature(readRedirect(query(REQUEST, 'http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1', pss)), [pinned]),
    'valid',
  );
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdsa = { key: ec.privateKey, dsaEncoding: 'ieee-p1363' as const };
  t.is(
    verifyRedirectSignature(readRedirect(query(REQUEST, 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256', ecdsa)), [
      pinned,
      ec.publicKey,
    ]),
    'valid',
  );
  t.is(verifyRedirectSignature(readRedirect(query(REQUEST)), [pinned]), 'unsigned');
  t.is(readRedirect(query(REQUEST)).relayState, 'seite 1');
});

test('a query signature by a key of the wrong type or another key, or over re-encoded octets, is refused', (t) => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const q = query(REQUEST, 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256', { key: ec.privateKey, dsaEncoding: 'ieee-p1363' });
  refusedWith(t, () => verifyRedirectSignature(readRedirect(q), [pinned]), /does not verify/);
  const rsa = query(REQUEST, 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', createPrivateKey(keys.keyPem));
  refusedWith(t, () => verifyRedirectSignature(readRedirect(rsa.replace('seite%201', 'seite+1')), [pinned]), /does not verify/);
  refusedWith(t, () => verifyRedirectSignature(readRedirect(rsa), [ec.publicKey]), /does not verify/);
});

test('malformed Redirect queries are refused: twice a parameter, both or neither message, bad encoding, SigAlg alone, unknown algorithm', (t) => {
  const q = query(REQUEST);
  const code = (fn: () => unknown) => (t.throws(fn) as HubError).code;
  t.is(
    code(() => readRedirect(`${q}&SAMLRequest=x`)),
    'saml_request_invalid',
  );
  t.is(
    code(() => readRedirect(`${q}&SAMLResponse=x`)),
    'saml_request_invalid',
  );
  t.is(
    code(() => readRedirect('RelayState=x')),
    'saml_request_invalid',
  );
  t.is(
    code(() => readRedirect(`${q}&RelayState=%E0%A4%A`)),
    'saml_request_invalid',
  );
  t.is(
    code(() => readRedirect('SAMLRequest=%%%')),
    'saml_request_invalid',
  );
  t.is(
    code(() => readRedirect('SAMLRequest=not-base64!')),
    'saml_request_invalid',
  );
  t.is(
    code(() => readRedirect('SAMLRequest=AAAA')),
    'saml_request_invalid',
  );
  t.is(
    code(() => readRedirect(`${q}&SigAlg=x`)),
    'saml_request_invalid',
  );
  t.is(
    code(() => readRedirect(`SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from([0xff, 0xfe, 0x00])).toString('base64'))}`)),
    'saml_request_invalid',
  );
  t.is(
    code(() => readRedirect(`${q.split('&RelayState')[0]}&RelayState=${'r'.repeat(1100)}`)),
    'saml_request_invalid',
  );
  const err = t.throws(() => verifyRedirectSignature(readRedirect(`${q}&SigAlg=urn:unknown&Signature=AAAA`), [pinned])) as HubError;
  t.regex(err.message, /not supported/);
});

test('parsing refuses processing instructions at document level, but accepts the XML declaration', (t) => {
  t.throws(() => parseXml('<?xml-stylesheet href="x"?><a/>', 1000), { instanceOf: XmlRefusal });
  t.is(parseXml('<?xml version="1.0" encoding="UTF-8"?><a/>', 1000).documentElement!.localName, 'a');
  t.throws(() => parseXml('<a><b></a>', 1000), { instanceOf: XmlRefusal });
  t.throws(() => parseXml('', 1000), { instanceOf: XmlRefusal });
});

test('xs:dateTime needs a zone; xs:boolean only its four spellings', (t) => {
  t.is(parseDateTime('2026-11-23T10:00:00Z'), Date.parse('2026-11-23T10:00:00Z'));
  t.is(parseDateTime('2026-11-23T10:00:00.123456Z'), Date.parse('2026-11-23T10:00:00.123Z'));
  t.is(parseDateTime('2026-11-23T11:00:00+01:00'), Date.parse('2026-11-23T10:00:00Z'));
  t.throws(() => parseDateTime('2026-11-23T10:00:00'));
  t.throws(() => parseDateTime('2026-13-45T10:00:00Z'));
  t.true(parseBoolean(' 1 ', false));
  t.false(parseBoolean('false', true));
  t.throws(() => parseBoolean('yes', false));
});
