import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { SignedXml } from 'xml-crypto';
import type { SigningIdentity } from '../../../src/authn/eid/credentials.ts';
import { evaluateCard, isoFromDateString, planCardUpdate, type CardIdentity } from '../../../src/authn/eid/card-data.ts';
import { EidLinkError, EidServerError } from '../../../src/authn/eid/client.ts';
import { failureOf } from '../../../src/authn/eid/flow.ts';
import {
  RESULT_MAJOR,
  RESULT_MINOR,
  getResultResponseXml,
  isOk,
  parseGetResultResponse,
  parseResult,
  parseUseIdRequest,
  parseUseIdResponse,
  useIdRequestXml,
  useIdResponseXml,
} from '../../../src/authn/eid/soap-messages.ts';
import { envelope, openEnvelope, WssError, type WssProblem } from '../../../src/authn/eid/wss.ts';
import { NS, XmlError, escapeXml, isRepresentable, parseXml, textOf } from '../../../src/authn/eid/xml.ts';
import type { CalendarDate } from '../../../src/core/personal-data.ts';
import { ERIKA, REQUEST, identity, resultFor } from './fixtures.ts';

/**
 * The eID-Interface messages on their own: WS-Security envelopes (valid, tampered, wrong key,
 * wrapped, stale, weak algorithms), dss:Result errors, and what the hub makes of getResult
 * (missing data, NOTONCHIP, under-16 and expired cards, dates and places).
 */

let hub: SigningIdentity;
let server: SigningIdentity;
let intruder: SigningIdentity;
const NOW = Date.parse('2026-11-23T09:00:00Z');
const TODAY: CalendarDate = { year: 2026, month: 11, day: 23 };

test.before(async () => {
  [hub, server, intruder] = await Promise.all([identity('hub'), identity('eid-server', 'server'), identity('intruder')]);
});

function open(text: string, trusted = [hub.certificate], requireSignature = true) {
  return openEnvelope(text, { requireSignature, trusted, now: NOW });
}

function problemOf(fn: () => unknown): WssProblem | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof WssError) return err.problem;
    throw err;
  }
}

const BODY = useIdRequestXml(REQUEST);

// ---- WS-Security ------------------------------------------------------------------------------

test('a request signed with the pinned key opens, and the operation read is the signed Body', (t) => {
  const signed = envelope(BODY, { signer: hub, now: NOW });
  const opened = open(signed);
  t.is(opened.operation.localName, 'useIDRequest');
  t.is(opened.signer?.fingerprint256, hub.certificate.fingerprint256);
  t.deepEqual(parseUseIdRequest(opened.operation), {
    ...REQUEST,
    operations: { ...REQUEST.operations, CommunityID: 'PROHIBITED', ResidencePermitI: 'PROHIBITED', PlaceVerification: 'PROHIBITED' },
  });
  t.notRegex(signed, /BEGIN CERTIFICATE|X509Certificate>/, 'the certificate is referenced by issuer and serial, not sent');
  t.regex(signed, /X509IssuerSerial/);
});

test('a tampered Body is refused', (t) => {
  const signed = envelope(BODY, { signer: hub, now: NOW });
  const tampered = signed.replace('<eid:GivenNames>REQUIRED</eid:GivenNames>', '<eid:GivenNames>PROHIBITED</eid:GivenNames>');
  t.not(tampered, signed);
  t.is(
    problemOf(() => open(tampered)),
    'bad_signature',
  );
});

test('a signature by a key that is not pinned is refused, also when its KeyInfo names the pinned certificate', (t) => {
  const signed = envelope(BODY, { signer: intruder, now: NOW });
  t.is(
    problemOf(() => open(signed)),
    'unknown_certificate',
  );
  // KeyInfo is not signed: pointing it at the pinned certificate must not help.
  const hubSerial = BigInt(`0x${hub.certificate.serialNumber}`).toString(10);
  const forged = signed.replace(
    /<ds:X509SerialNumber>\d+<\/ds:X509SerialNumber>/,
    `<ds:X509SerialNumber>${hubSerial}</ds:X509SerialNumber>`,
  );
  t.is(
    problemOf(() => open(forged)),
    'bad_signature',
  );
});

test('an unsigned envelope is refused when signatures are required, and opens when they are not', (t) => {
  const plain = envelope(BODY, { now: NOW });
  t.is(
    problemOf(() => open(plain)),
    'unsigned',
  );
  t.is(open(plain, [], false).operation.localName, 'useIDRequest');
});

test('a signed Body moved into the Header with a forged Body in its place is refused (signature wrapping)', (t) => {
  const signed = envelope(BODY, { signer: hub, now: NOW });
  const bodyStart = signed.indexOf('<soapenv:Body');
  const original = signed.slice(bodyStart, signed.indexOf('</soapenv:Body>') + '</soapenv:Body>'.length);
  const forgedBody = original.replace('<eid:RestrictedID>REQUIRED', '<eid:RestrictedID>PROHIBITED').replace(/ wsu:Id="[^"]+"/, '');
  const wrapped = signed
    .replace(original, forgedBody)
    .replace('</soapenv:Header>', `<Wrapper xmlns="urn:x">${original}</Wrapper></soapenv:Header>`);
  t.is(
    problemOf(() => open(wrapped)),
    'unsigned',
    'the Body read is not the one the signature covers',
  );
  // And with the Id copied onto the forged Body: two elements with one Id.
  const twice = signed
    .replace(original, original.replace('<eid:RestrictedID>REQUIRED', '<eid:RestrictedID>PROHIBITED'))
    .replace('</soapenv:Header>', `<Wrapper xmlns="urn:x">${original}</Wrapper></soapenv:Header>`);
  t.is(
    problemOf(() => open(twice)),
    'bad_signature',
  );
});

test('a signature that covers the Timestamp but not the Body is refused', (t) => {
  const plain = envelope(BODY, { now: NOW }).replace(
    '<soapenv:Header></soapenv:Header>',
    `<soapenv:Header><wsse:Security xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}"><wsu:Timestamp wsu:Id="TS-1"><wsu:Created>2026-11-23T09:00:00Z</wsu:Created></wsu:Timestamp></wsse:Security></soapenv:Header>`,
  );
  const sig = new SignedXml({
    privateKey: hub.privateKey,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sig.addReference({
    xpath: "//*[@*[local-name(.)='Id']='TS-1']",
    transforms: ['http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  sig.computeSignature(plain, { prefix: 'ds', location: { reference: "//*[local-name(.)='Security']", action: 'append' } });
  t.is(
    problemOf(() => open(sig.getSignedXml())),
    'unsigned',
  );
});

test('SHA-1 digests and signatures are refused', (t) => {
  const plain = envelope(BODY, { now: NOW });
  const withSecurity = plain.replace(
    '<soapenv:Header></soapenv:Header>',
    `<soapenv:Header><wsse:Security xmlns:wsse="${NS.wsse}"></wsse:Security></soapenv:Header>`,
  );
  const id = /wsu:Id="([^"]+)"/.exec(withSecurity)![1]!;
  for (const [signatureAlgorithm, digestAlgorithm] of [
    ['http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'http://www.w3.org/2001/04/xmlenc#sha256'],
    ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2000/09/xmldsig#sha1'],
  ] as const) {
    const sig = new SignedXml({
      privateKey: hub.privateKey,
      signatureAlgorithm,
      canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    });
    sig.addReference({
      xpath: `//*[@*[local-name(.)='Id']='${id}']`,
      transforms: ['http://www.w3.org/2001/10/xml-exc-c14n#'],
      digestAlgorithm,
    });
    sig.computeSignature(withSecurity, { prefix: 'ds', location: { reference: "//*[local-name(.)='Security']", action: 'append' } });
    t.is(
      problemOf(() => open(sig.getSignedXml())),
      'algorithm',
      signatureAlgorithm,
    );
  }
});

test('a stale or future Timestamp is refused', (t) => {
  t.is(
    problemOf(() => open(envelope(BODY, { signer: hub, now: NOW - 20 * 60_000 }))),
    'stale',
  );
  t.is(
    problemOf(() => open(envelope(BODY, { signer: hub, now: NOW + 20 * 60_000 }))),
    'stale',
  );
  t.is(open(envelope(BODY, { signer: hub, now: NOW - 60_000 })).operation.localName, 'useIDRequest', 'a minute of skew is fine');
});

test('DOCTYPE, a second Body and an empty Body are refused as malformed', (t) => {
  const signed = envelope(BODY, { signer: hub, now: NOW });
  t.is(
    problemOf(() => open(`<!DOCTYPE x [<!ENTITY a "b">]>${signed}`)),
    'malformed',
  );
  t.is(
    problemOf(() => open(signed.replace('</soapenv:Envelope>', '<soapenv:Body/></soapenv:Envelope>'))),
    'malformed',
  );
  t.is(
    problemOf(() => open(envelope('', { signer: hub, now: NOW }))),
    'malformed',
  );
  t.is(
    problemOf(() => open('<a>')),
    'malformed',
  );
});

test('a SOAP Fault is reported as such', (t) => {
  const fault = `<soapenv:Envelope xmlns:soapenv="${NS.soap}"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>boom</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`;
  t.is(
    problemOf(() => open(fault)),
    'fault',
  );
});

test('xmlsec1 verifies the hub signature independently', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eid-xmlsec-'));
  try {
    writeFileSync(path.join(dir, 'msg.xml'), envelope(BODY, { signer: hub, now: Date.now() }));
    writeFileSync(path.join(dir, 'cert.pem'), hub.certificatePem);
    const out = execFileSync(
      'xmlsec1',
      [
        '--verify',
        '--id-attr:Id',
        `${NS.soap}:Body`,
        '--id-attr:Id',
        `${NS.wsu}:Timestamp`,
        '--enabled-key-data',
        'key-name',
        '--pubkey-cert-pem',
        path.join(dir, 'cert.pem'),
        path.join(dir, 'msg.xml'),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    t.notRegex(out, /FAIL/);
  } catch (err) {
    t.fail(`xmlsec1: ${(err as { stderr?: string }).stderr ?? String(err)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the hub only accepts an eID-Server answer signed by the pinned server certificate', (t) => {
  const answer = envelope(useIdResponseXml(undefined, { major: RESULT_MAJOR.ok }), { signer: server, now: NOW });
  t.is(open(answer, [server.certificate]).operation.localName, 'useIDResponse');
  t.is(
    problemOf(() => open(answer, [hub.certificate])),
    'unknown_certificate',
  );
});

// ---- dss:Result -----------------------------------------------------------------------------

test('error results carry major, minor and message; ok is only the ok URI', (t) => {
  const op = parseXml(
    `<eid:getResultResponse xmlns:eid="${NS.eid}" xmlns:dss="${NS.dss}">` +
      `<dss:Result><ResultMajor>\n  ${RESULT_MAJOR.error}\n</ResultMajor><ResultMinor>${RESULT_MINOR.invalidDocument}</ResultMinor>` +
      `<ResultMessage>Document expired</ResultMessage></dss:Result></eid:getResultResponse>`,
    10_000,
  );
  const result = parseResult(op);
  t.false(isOk(result));
  t.is(result.minor, RESULT_MINOR.invalidDocument);
  t.is(result.message, 'Document expired');
  t.true(isOk({ major: RESULT_MAJOR.ok }));
  t.false(isOk({ major: RESULT_MAJOR.warning }));
});

test('each eID-Server error status maps to what the citizen is told', (t) => {
  const minor = (m: string) => failureOf(new EidServerError({ major: RESULT_MAJOR.error, minor: m }));
  t.is(minor(RESULT_MINOR.cancellationByUser), 'cancelled');
  t.is(minor(RESULT_MINOR.invalidDocument), 'invalidDocument');
  t.is(minor(RESULT_MINOR.deniedDocument), 'deniedDocument');
  t.is(minor(RESULT_MINOR.tooManyOpenSessions), 'busy');
  t.is(minor(RESULT_MINOR.invalidSession), 'notFound');
  for (const m of [
    RESULT_MINOR.internalError,
    RESULT_MINOR.schemaViolation,
    RESULT_MINOR.invalidCounter,
    RESULT_MINOR.missingArgument,
    RESULT_MINOR.missingTerminalRights,
    RESULT_MINOR.invalidPSK,
    'urn:unknown',
  ]) {
    t.is(minor(m), 'technical', m);
  }
  t.is(failureOf(new EidLinkError('bad_signature', 'x')), 'technical');
  t.is(failureOf(new Error('a bug')), undefined, 'anything else is a bug, not a citizen message');
});

test('a useIDResponse is read strictly: short session ids, missing PSK and plain-http card servers are refused', (t) => {
  const read = (xml: string) => parseUseIdResponse(parseXml(xml, 10_000));
  const ok = useIdResponseXml(
    { sessionId: 'ab'.repeat(16), eCardServerAddress: 'https://ecard.example/paos', psk: { id: 'cd'.repeat(8), key: 'ef'.repeat(16) } },
    { major: RESULT_MAJOR.ok },
  );
  const wrap = (body: string) => `<w xmlns:eid="${NS.eid}" xmlns:dss="${NS.dss}">${body}</w>`;
  const parse = (body: string) =>
    read(
      /<eid:useIDResponse>[\s\S]*<\/eid:useIDResponse>/
        .exec(wrap(body))![0]
        .replace('<eid:useIDResponse>', `<eid:useIDResponse xmlns:eid="${NS.eid}" xmlns:dss="${NS.dss}">`),
    );
  t.is(parse(ok).sessionId, 'ab'.repeat(16));
  t.throws(() => parse(ok.replace('ab'.repeat(16), 'ab'.repeat(4))), { instanceOf: XmlError });
  t.throws(() => parse(ok.replace(/<eid:PSK>[\s\S]*<\/eid:PSK>/, '')), { instanceOf: XmlError });
  t.throws(() => parse(ok.replace('https://ecard.example/paos', 'http://ecard.example/paos')), { instanceOf: XmlError });
});

// ---- getResult → card -------------------------------------------------------------------------

function roundTrip(xmlBody: string) {
  const op = parseXml(
    xmlBody.replace('<eid:getResultResponse>', `<eid:getResultResponse xmlns:eid="${NS.eid}" xmlns:dss="${NS.dss}">`),
    100_000,
  );
  return parseGetResultResponse(op);
}

function card(result = resultFor(ERIKA), rules = { today: TODAY, minimumAge: 16 }) {
  return evaluateCard(roundTrip(getResultResponseXml(result, { major: RESULT_MAJOR.ok })), REQUEST, rules);
}

function ok(e: ReturnType<typeof card>): CardIdentity {
  if (!e.ok) throw new Error(`card refused: ${e.problem} ${e.detail}`);
  return e.card;
}

test("Erika Mustermann's card becomes verified attributes; the RestrictedID is the key, ICAO D becomes DE only for the address", (t) => {
  const c = ok(card());
  t.is(c.restrictedId, ERIKA.restrictedId!.id);
  const values = Object.fromEntries(Object.entries(c.attributes).map(([k, v]) => [k, v.value]));
  t.deepEqual(values, {
    givenName: 'ERIKA',
    familyName: 'MUSTERMANN',
    birthName: 'GABLER',
    dateOfBirth: '1964-08-12',
    placeOfBirth: 'BERLIN',
    nationality: 'D',
    documentType: 'ID',
    issuingState: 'D',
    street: 'HEIDESTRASSE 17',
    postalCode: '51147',
    locality: 'KÖLN',
    country: 'DE',
  });
  for (const v of Object.values(c.attributes)) t.deepEqual([v.loa, v.source], ['high', 'eid']);
  t.false('doctoralDegree' in c.attributes, 'an empty AcademicTitle is no degree');
});

test('a pretty-printed answer with indentation (as in TR-03130 example 6) reads the same', (t) => {
  const pretty = getResultResponseXml(resultFor(ERIKA), { major: RESULT_MAJOR.ok })
    .replace(/></g, '>\n      <')
    .replace(/<eid:DateString>\n\s*/, '<eid:DateString>');
  t.is(ok(evaluateCard(roundTrip(pretty), REQUEST, { today: TODAY, minimumAge: 16 })).attributes.dateOfBirth?.value, '1964-08-12');
});

test('DateOfBirth YYYYMMDD with blanks for unknown parts keeps what is known', (t) => {
  t.is(isoFromDateString('19640812'), '1964-08-12');
  t.is(isoFromDateString('196408  '), '1964-08');
  t.is(isoFromDateString('1964    '), '1964');
  t.is(isoFromDateString('1964  12'), undefined, 'a day without a month is meaningless');
  t.is(isoFromDateString('19640230'), undefined);
  t.is(isoFromDateString('        '), undefined);
  const partial = ok(card(resultFor({ ...ERIKA, dateOfBirth: { dateString: '1979    ' } })));
  t.is(partial.attributes.dateOfBirth?.value, '1979');
});

test('places: StructuredPlace, FreetextPlace and NoPlaceInfo', (t) => {
  const abroad = ok(card(resultFor({ ...ERIKA, placeOfResidence: { kind: 'none', text: 'keine Hauptwohnung in Deutschland' } })));
  for (const name of ['street', 'postalCode', 'locality', 'country'] as const) {
    t.false(name in abroad.attributes, name);
    t.true(abroad.covered.includes(name), `${name} is known to be absent`);
  }
  const freetext = ok(card(resultFor({ ...ERIKA, placeOfResidence: { kind: 'freetext', text: 'RUE DE LA PAIX 1, PARIS' } })));
  t.is(freetext.attributes.street?.value, 'RUE DE LA PAIX 1, PARIS');
  const structuredBirth = ok(card(resultFor({ ...ERIKA, placeOfBirth: { kind: 'structured', city: 'WIEN', country: 'AUT' } })));
  t.is(structuredBirth.attributes.placeOfBirth?.value, 'WIEN (AUT)');
});

test('missing required data is refused: family name deselected, RestrictedID not on the chip', (t) => {
  const { familyNames: _f, ...noFamily } = ERIKA;
  const refused = card(resultFor(noFamily, { FamilyNames: 'PROHIBITED' }));
  t.false(refused.ok);
  t.is(!refused.ok && refused.problem, 'incomplete');
  const { restrictedId: _r, ...noRid } = ERIKA;
  const notOnChip = card(resultFor(noRid, { RestrictedID: 'NOTONCHIP' }));
  t.is(!notOnChip.ok && notOnChip.problem, 'incomplete');
});

test('NOTONCHIP and deselected optional data are simply absent', (t) => {
  const { birthName: _b, artisticName: _a, ...rest } = ERIKA;
  const c = ok(card(resultFor(rest, { BirthName: 'NOTONCHIP', ArtisticName: 'PROHIBITED' })));
  t.false('birthName' in c.attributes);
  t.false(c.covered.includes('birthName'), 'not covered: nothing is known about it');
  t.true(c.covered.includes('familyName'));
});

test('data the citizen did not release must not arrive', (t) => {
  const e = card(resultFor(ERIKA, { BirthName: 'PROHIBITED' }));
  t.is(!e.ok && e.problem, 'inconsistent');
  const noOps = card({ ...resultFor(ERIKA), operationsAllowedByUser: undefined });
  t.is(!noOps.ok && noOps.problem, 'inconsistent');
});

test('an under-16 card is refused, by the age verification and by the date of birth', (t) => {
  const byChip = card(resultFor(ERIKA, {}, { fulfilsAgeVerification: false }));
  t.is(!byChip.ok && byChip.problem, 'tooYoung');
  const young = card(resultFor({ ...ERIKA, dateOfBirth: { dateString: '20120101', dateValue: '2012-01-01' } }));
  t.is(!young.ok && young.problem, 'tooYoung');
  const sixteenToday = card(resultFor({ ...ERIKA, dateOfBirth: { dateString: '20101123', dateValue: '2010-11-23' } }));
  t.true(sixteenToday.ok, 'sixteen today is old enough');
  const unknownDay = card(resultFor({ ...ERIKA, dateOfBirth: { dateString: '201011  ' } }));
  t.is(!unknownDay.ok && unknownDay.problem, 'tooYoung', 'an unknown day counts as the latest possible one');
});

test('an expired document is refused; one expiring today is still valid', (t) => {
  const expired = card(resultFor({ ...ERIKA, dateOfExpiry: '2026-11-22' }));
  t.is(!expired.ok && expired.problem, 'expired');
  t.true(card(resultFor({ ...ERIKA, dateOfExpiry: '2026-11-23' })).ok);
});

test('a level of assurance below hoch, or none when one was asked, is refused', (t) => {
  const normal = card(resultFor(ERIKA, {}, { levelOfAssurance: 'http://bsi.bund.de/eID/LoA/substantiell' }));
  t.is(!normal.ok && normal.problem, 'levelTooLow');
  const none = card({ ...resultFor(ERIKA), levelOfAssurance: undefined });
  t.is(!none.ok && none.problem, 'levelTooLow');
});

test('PersonalData is read by the schema: unknown elements, wrong order, repeats and bad values are refused', (t) => {
  const xml = getResultResponseXml(resultFor(ERIKA), { major: RESULT_MAJOR.ok });
  const variants = [
    xml.replace('<eid:GivenNames>', '<eid:Favourite>x</eid:Favourite><eid:GivenNames>'),
    xml
      .replace('<eid:DocumentType>ID</eid:DocumentType>', '')
      .replace('<eid:GivenNames>', '<eid:DocumentType>ID</eid:DocumentType><eid:GivenNames>'),
    xml.replace('<eid:GivenNames>ERIKA</eid:GivenNames>', '<eid:GivenNames>ERIKA</eid:GivenNames><eid:GivenNames>EVA</eid:GivenNames>'),
    xml.replace('<eid:DocumentType>ID<', '<eid:DocumentType>id<'),
    xml.replace('<eid:DateString>19640812<', '<eid:DateString>1964-8-12<'),
    xml.replace(/<eid:ID>01A4[0-9A-F]+</, '<eid:ID>not-hex<'),
    xml.replace('<eid:FamilyNames>MUSTERMANN</eid:FamilyNames>', '<eid:FamilyNames>MUSTER<b>MANN</b></eid:FamilyNames>'),
  ];
  for (const v of variants) {
    t.not(v, xml);
    t.throws(() => roundTrip(v), { instanceOf: XmlError }, v.slice(0, 80));
  }
});

test('the card data update replaces values, removes only what a card gave before, and never touches e-mail', (t) => {
  const c = ok(
    card(
      resultFor({
        ...ERIKA,
        placeOfResidence: { kind: 'structured', street: 'SCHLOSSALLEE 3', city: 'BONN', country: 'D', zipCode: '53113' },
      }),
    ),
  );
  const current = {
    ...c.attributes,
    street: { value: 'HEIDESTRASSE 17', loa: 'high', source: 'eid' },
    doctoralDegree: { value: 'DR.', loa: 'high', source: 'eid' },
    email: { value: 'erika@example.org', loa: 'basic', source: 'self' },
  } as const;
  const plan = planCardUpdate(current, c);
  t.deepEqual([...plan.changed].sort(), ['doctoralDegree', 'street']);
  t.is(plan.writes.doctoralDegree, null);
  t.is(plan.writes.street?.value, 'SCHLOSSALLEE 3');
  t.false('email' in plan.writes);
  const self = planCardUpdate({ birthName: { value: 'Gabler', loa: 'basic', source: 'self' } }, { attributes: {}, covered: ['birthName'] });
  t.deepEqual(self.writes, {}, "a citizen's own entry stays when the card has none");
});

// ---- escaping ---------------------------------------------------------------------------------

test('escapeXml round-trips hostile text through a parse, and refuses what XML cannot carry', (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }).filter(isRepresentable), (s) => {
      const doc = parseXml(`<a b="${escapeXml(s)}">${escapeXml(s)}</a>`, 1_000_000);
      return doc.getAttribute('b') === s && textOf(doc) === s;
    }),
  );
  for (const s of ['<!-- x -->', ']]>', '"\'&<>', 'a\r\nb\tc', 'ÄÖÜß 😀']) {
    const doc = parseXml(`<a b="${escapeXml(s)}">${escapeXml(s)}</a>`, 1000);
    t.is(doc.getAttribute('b'), s);
    t.is(textOf(doc), s);
  }
  t.throws(() => escapeXml('a\u0001b'), { instanceOf: XmlError });
  t.throws(() => escapeXml('\uD800'), { instanceOf: XmlError });
});
