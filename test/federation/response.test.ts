import test, { type ExecutionContext } from 'ava';
import { Client, type Page } from '../helpers/client.ts';
import { choose, federationRows, partnerEntry, startFedBed, toDiscovery, type FedBed } from './fixture.ts';
import { newId, OID, type ParsedRequest, type ResponseSpec, type TestPartner } from './partner.ts';

/**
 * What the hub's ACS refuses. Each test starts a real login (portal → hub → partner), then
 * answers with a Response built or tampered with as the attack needs, and checks the clear error,
 * that the browser is not logged in and that no account or federated account was left behind.
 *
 * Hamburg signs its Responses (its entry requires that); Bremen's entry accepts a Response whose
 * assertion alone is signed, which is where signature wrapping bites, so the wrapping variants
 * run against Bremen.
 */

let bed: FedBed;

test.before(async () => {
  bed = await startFedBed();
  await bed.setTrust(bed.defaultEntries({ bremen: { extra: { requireSignedResponse: false } } }));
});
test.after.always(async () => {
  await bed?.close();
});

const b64 = (xml: string): string => Buffer.from(xml, 'utf8').toString('base64');

/** Starts a login at `partner` and returns the request it received; the partner does not answer by itself. */
async function begin(c: Client, partner: TestPartner, name: string, portal = bed.portals.low): Promise<ParsedRequest> {
  partner.answer = () => undefined;
  const before = partner.requests.length;
  await choose(c, await toDiscovery(c, portal), name);
  if (partner.requests.length !== before + 1) throw new Error('the partner received no request');
  return partner.requests.at(-1)!;
}

function answer(c: Client, request: ParsedRequest, xml: string): Promise<Page> {
  return c.post(`${bed.h.url}/saml/acs`, { SAMLResponse: b64(xml), RelayState: request.relayState });
}

/** The error page, its message, and nothing left behind. */
async function refused(
  t: ExecutionContext,
  c: Client,
  page: Page,
  before: Awaited<ReturnType<typeof federationRows>>,
  status: number,
  message: RegExp,
): Promise<void> {
  t.is(page.status, status, page.text.slice(0, 400));
  t.regex(page.text, message);
  t.notRegex(page.text, /at .*\.ts:\d+/, 'no stack trace');
  t.deepEqual(await federationRows(bed.h), before, 'no account, no federated account, no logged-in session');
  const account = await c.get('/konto');
  t.false(account.url.endsWith('/konto'), 'the browser is not logged in');
}

/** The first saml:Assertion element in a document, as a string. */
function assertionOf(xml: string): string {
  const m = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml);
  if (!m) throw new Error('no assertion');
  return m[0];
}

/** A Response (unsigned) around `inner`, answering `request`. */
function envelope(partner: TestPartner, request: ParsedRequest, inner: string, extensions = ''): string {
  const now = new Date().toISOString();
  return (
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" Destination="${bed.h.url}/saml/acs" ID="${newId()}" InResponseTo="${request.id}" IssueInstant="${now}" Version="2.0">` +
    `<saml:Issuer>${partner.entityId}</saml:Issuer>` +
    (extensions === '' ? '' : `<samlp:Extensions>${extensions}</samlp:Extensions>`) +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    inner +
    `</samlp:Response>`
  );
}

const EVIL: ResponseSpec = {
  nameId: 'mallory-1',
  signAssertion: false,
  signResponse: false,
  encrypt: false,
  attributes: [{ name: OID.givenName, values: ['Mallory'] }],
};

/** A signed assertion of the real citizen and an unsigned one of the attacker, for the same request. */
async function pieces(
  partner: TestPartner,
  request: ParsedRequest,
  sameId: boolean,
): Promise<{ signed: string; evil: string; id: string }> {
  const id = newId();
  const signed = assertionOf(await partner.responseXml(request, { assertionId: id, signResponse: false, encrypt: false }));
  const evil = assertionOf(await partner.responseXml(request, { ...EVIL, assertionId: sameId ? id : newId() }));
  return { signed, evil, id };
}

const INVALID = /Sicherheitsprüfung nicht bestanden/;

test.serial('a Response signed by another partner’s key is refused', async (t) => {
  const before = await federationRows(bed.h);
  const c = new Client(bed.h.url);
  const request = await begin(c, bed.hamburg, 'Hamburg');
  const xml = await bed.hamburg.responseXml(request, { signingKeyPem: bed.bremen.keys.signing.keyPem });
  await refused(t, c, await answer(c, request, xml), before, 403, /Signatur|signature/i);
});

test.serial('a Response whose assertion only is signed is refused when the partner must sign the Response', async (t) => {
  const before = await federationRows(bed.h);
  const c = new Client(bed.h.url);
  const request = await begin(c, bed.hamburg, 'Hamburg');
  const xml = await bed.hamburg.responseXml(request, { signResponse: false });
  await refused(t, c, await answer(c, request, xml), before, 403, INVALID);
});

test.serial('signature wrapping: the signed assertion moved into Extensions with an unsigned one in its place is refused', async (t) => {
  const before = await federationRows(bed.h);
  const c = new Client(bed.h.url);
  const request = await begin(c, bed.bremen, 'Bremen');
  const { signed, evil } = await pieces(bed.bremen, request, true);
  await refused(t, c, await answer(c, request, envelope(bed.bremen, request, evil, signed)), before, 403, INVALID);
});

test.serial('signature wrapping: a duplicated assertion (signed and unsigned side by side) is refused', async (t) => {
  const before = await federationRows(bed.h);
  const c = new Client(bed.h.url);
  const request = await begin(c, bed.bremen, 'Bremen');
  const { signed, evil } = await pieces(bed.bremen, request, false);
  await refused(t, c, await answer(c, request, envelope(bed.bremen, request, evil + signed)), before, 403, INVALID);
  const c2 = new Client(bed.h.url);
  const request2 = await begin(c2, bed.bremen, 'Bremen');
  const p2 = await pieces(bed.bremen, request2, true);
  await refused(t, c2, await answer(c2, request2, envelope(bed.bremen, request2, p2.signed + p2.evil)), before, 403, INVALID);
});

test.serial('signature wrapping: the signed assertion moved inside the unsigned one (Advice) is refused', async (t) => {
  const before = await federationRows(bed.h);
  const c = new Client(bed.h.url);
  const request = await begin(c, bed.bremen, 'Bremen');
  const { signed, evil } = await pieces(bed.bremen, request, false);
  const wrapped = evil.replace('<saml:Conditions', `<saml:Advice>${signed}</saml:Advice><saml:Conditions`);
  // Advice belongs after Conditions in the schema; parsers do not care, and neither may the hub.
  await refused(t, c, await answer(c, request, envelope(bed.bremen, request, wrapped)), before, 403, INVALID);
});

test.serial(
  'signature wrapping: the signed assertion wrapped in a ds:Object of the signature copied into the unsigned one is refused',
  async (t) => {
    const before = await federationRows(bed.h);
    const c = new Client(bed.h.url);
    const request = await begin(c, bed.bremen, 'Bremen');
    const { signed, evil, id } = await pieces(bed.bremen, request, false);
    const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)![0];
    const withObject = signature.replace('</ds:Signature>', `<ds:Object>${signed}</ds:Object></ds:Signature>`);
    const forged = evil.replace(/ID="[^"]+"/, `ID="${newId()}"`).replace('</saml:Issuer>', `</saml:Issuer>${withObject}`);
    t.true(forged.includes(`URI="#${id}"`));
    await refused(t, c, await answer(c, request, envelope(bed.bremen, request, forged)), before, 403, INVALID);
  },
);

test.serial('a comment injected into the NameID after signing is refused', async (t) => {
  const before = await federationRows(bed.h);
  const c = new Client(bed.h.url);
  const request = await begin(c, bed.bremen, 'Bremen');
  const xml = await bed.bremen.responseXml(request, { nameId: 'hb-4711.evil', encrypt: false, signResponse: false });
  const injected = xml.replace('>hb-4711.evil<', '>hb-4711<!---->.evil<');
  t.not(injected, xml);
  const page = await answer(c, request, injected);
  await refused(t, c, page, before, 400, /Ungültige Anfrage/);
});

test.serial('an unsolicited Response (no request, no RelayState) is refused', async (t) => {
  const before = await federationRows(bed.h);
  const c = new Client(bed.h.url);
  const xml = await bed.hamburg.responseXml(undefined, {});
  let page = await c.post(`${bed.h.url}/saml/acs`, { SAMLResponse: b64(xml) });
  await refused(t, c, page, before, 400, /gehört zu keiner Anmeldung/);
  page = await c.post(`${bed.h.url}/saml/acs`, { SAMLResponse: b64(xml), RelayState: 'erfunden' });
  await refused(t, c, page, before, 400, /gehört zu keiner Anmeldung/);
});

test.serial('a Response answering another request of the same browser is refused (InResponseTo)', async (t) => {
  const before = await federationRows(bed.h);
  const c = new Client(bed.h.url);
  const request = await begin(c, bed.hamburg, 'Hamburg');
  const xml = await bed.hamburg.responseXml({ id: newId() }, {});
  const page = await answer(c, request, xml);
  t.true(page.status === 400 || page.status === 403, page.text.slice(0, 300));
  await refused(t, c, page, before, page.status, /gehört zu keiner Anmeldung|Sicherheitsprüfung/);
});

test.serial('a Response posted from another browser than the one that sent the request logs nobody in', async (t) => {
  const before = await federationRows(bed.h);
  const c = new Client(bed.h.url);
  const request = await begin(c, bed.hamburg, 'Hamburg');
  const xml = await bed.hamburg.responseXml(request, {});
  const other = new Client(bed.h.url);
  const page = await answer(other, request, xml);
  await refused(t, other, page, before, 400, /gehört zu keiner Anmeldung/);
});

test.serial('a replayed Response, and a replayed assertion in a new Response, are refused', async (t) => {
  const c = new Client(bed.h.url);
  const request = await begin(c, bed.hamburg, 'Hamburg');
  const assertionId = newId();
  const xml = await bed.hamburg.responseXml(request, { assertionId });
  let page = await answer(c, request, xml);
  t.true(page.url.includes('/anmelden/einwilligung'), page.text.slice(0, 300));
  const before = await federationRows(bed.h);
  const thief = new Client(bed.h.url);
  page = await answer(thief, request, xml);
  await refused(t, thief, page, before, 400, /gehört zu keiner Anmeldung/);

  // The same assertion ID in a Response to a fresh request of the attacker's own browser.
  const request2 = await begin(thief, bed.hamburg, 'Hamburg');
  page = await answer(thief, request2, await bed.hamburg.responseXml(request2, { assertionId }));
  await refused(t, thief, page, before, 403, /used before|replay|bereits/i);
});

test.serial('a Response for another recipient (Audience) is refused', async (t) => {
  const before = await federationRows(bed.h);
  const c = new Client(bed.h.url);
  const request = await begin(c, bed.hamburg, 'Hamburg');
  const xml = await bed.hamburg.responseXml(request, { audience: 'https://other-hub.example/saml/metadata' });
  await refused(t, c, await answer(c, request, xml), before, 403, /Audience/);
});

test.serial('a Response for another endpoint (Destination, Recipient) is refused', async (t) => {
  const before = await federationRows(bed.h);
  const c = new Client(bed.h.url);
  let request = await begin(c, bed.hamburg, 'Hamburg');
  let xml = await bed.hamburg.responseXml(request, { destination: 'https://other-hub.example/saml/acs' });
  await refused(t, c, await answer(c, request, xml), before, 403, /Destination/);
  request = await begin(c, bed.hamburg, 'Hamburg');
  xml = await bed.hamburg.responseXml(request, { recipient: 'https://other-hub.example/saml/acs' });
  await refused(t, c, await answer(c, request, xml), before, 403, /Recipient/);
});

test.serial('an expired assertion is refused', async (t) => {
  const before = await federationRows(bed.h);
  const c = new Client(bed.h.url);
  const request = await begin(c, bed.hamburg, 'Hamburg');
  const past = Date.now() - 20 * 60_000;
  const xml = await bed.hamburg.responseXml(request, { notBefore: past - 60_000, notOnOrAfter: past, issueInstant: past - 60_000 });
  await refused(t, c, await answer(c, request, xml), before, 403, /in time|validity period/);
});

test.serial('an unknown AuthnContextClassRef fails the login with a clear message', async (t) => {
  const before = await federationRows(bed.h);
  const c = new Client(bed.h.url);
  const request = await begin(c, bed.hamburg, 'Hamburg');
  const xml = await bed.hamburg.responseXml(request, { classRef: 'urn:example:loa:gold' });
  await refused(t, c, await answer(c, request, xml), before, 403, /Vertrauensniveau.*nicht kennt.*urn:example:loa:gold/);
});

test.serial('a level below what the portal needs (after the cap) is refused, and nothing is stored', async (t) => {
  const before = await federationRows(bed.h);
  const c = new Client(bed.h.url);
  const request = await begin(c, bed.hamburg, 'Hamburg', bed.portals.substantial);
  t.deepEqual(request.classRefs, ['STORK-QAA-Level-3'], 'the hub asks for what the portal needs');
  const xml = await bed.hamburg.responseXml(request, { classRef: 'STORK-QAA-Level-1' });
  const page = await answer(c, request, xml);
  await refused(t, c, page, before, 403, /Es wurde nichts gespeichert/);
});

test.serial('a partner whose cap is below what the portal needs is listed disabled, with the reason, and cannot be started', async (t) => {
  await bed.setTrust(bed.defaultEntries({ bremen: { cap: 'low', extra: { requireSignedResponse: false } } }));
  try {
    const c = new Client(bed.h.url);
    const page = await toDiscovery(c, bed.portals.substantial);
    const bremen = page.root.querySelectorAll('#partner-list li').find((li) => li.textContent.includes('Bremen'))!;
    t.is(bremen.querySelector('a'), null, 'no link');
    t.regex(bremen.textContent, /nicht wählbar: erreicht höchstens das Vertrauensniveau „niedrig“.*„substanziell“/);
    t.truthy(bremen.querySelector('[aria-describedby]'), 'the reason is tied to the name');
    const auftrag = new URL(page.url).searchParams.get('auftrag')!;
    const start = await c.get(`/anmelden/anderes-konto/bremen?auftrag=${encodeURIComponent(auftrag)}`);
    t.is(start.status, 503);
    t.is(bed.bremen.requests.filter((r) => r.akdbDisplayName === 'Portal amt').length, 0, 'no request was sent');
  } finally {
    await bed.setTrust(bed.defaultEntries({ bremen: { extra: { requireSignedResponse: false } } }));
  }
});

test.serial('a partner disabled after the request was sent: its Response is refused', async (t) => {
  const before = await federationRows(bed.h);
  const c = new Client(bed.h.url);
  const request = await begin(c, bed.hamburg, 'Hamburg');
  const xml = await bed.hamburg.responseXml(request, {});
  const entries = bed.defaultEntries({ hamburg: { enabled: false }, bremen: { extra: { requireSignedResponse: false } } });
  await bed.setTrust(entries);
  try {
    await refused(t, c, await answer(c, request, xml), before, 503, /derzeit nicht verfügbar|nicht möglich/);
  } finally {
    await bed.setTrust(bed.defaultEntries({ bremen: { extra: { requireSignedResponse: false } } }));
  }
});

test.serial('SHA-1 signatures and AES-CBC encryption are refused unless the partner’s entry allows them', async (t) => {
  const before = await federationRows(bed.h);
  const c = new Client(bed.h.url);
  let request = await begin(c, bed.hamburg, 'Hamburg');
  await refused(t, c, await answer(c, request, await bed.hamburg.responseXml(request, { algorithm: 'rsa-sha1' })), before, 403, /SHA-1/);
  request = await begin(c, bed.hamburg, 'Hamburg');
  const cbc = { data: 'aes256-cbc', key: 'rsa-oaep-mgf1p' } as const;
  await refused(t, c, await answer(c, request, await bed.hamburg.responseXml(request, { encrypt: cbc })), before, 403, /AES-CBC/);

  const hamburg = partnerEntry('hamburg', 'Hamburg', 'HH', bed.hamburg, { algorithms: { allowSha1: true, allowAesCbc: true } });
  await bed.setTrust([hamburg, bed.defaultEntries({ bremen: { extra: { requireSignedResponse: false } } })[1]]);
  try {
    for (const spec of [{ algorithm: 'rsa-sha1' as const }, { encrypt: cbc }]) {
      const c2 = new Client(bed.h.url);
      request = await begin(c2, bed.hamburg, 'Hamburg');
      const page = await answer(c2, request, await bed.hamburg.responseXml(request, spec));
      t.true(page.url.includes('/anmelden/einwilligung'), `${JSON.stringify(spec)}: ${page.text.slice(0, 300)}`);
    }
  } finally {
    await bed.setTrust(bed.defaultEntries({ bremen: { extra: { requireSignedResponse: false } } }));
  }
});

test.serial('RSASSA-PSS signatures and AES-GCM with RSA-OAEP (SHA-256) are accepted', async (t) => {
  const c = new Client(bed.h.url);
  const request = await begin(c, bed.hamburg, 'Hamburg');
  const xml = await bed.hamburg.responseXml(request, { algorithm: 'pss', encrypt: { data: 'aes256-gcm', key: 'rsa-oaep-sha256' } });
  t.regex(xml, /sha256-rsa-MGF1/);
  t.regex(xml, /xmlenc11#aes256-gcm/);
  t.regex(xml, /xmlenc11#rsa-oaep/);
  const page = await answer(c, request, xml);
  t.true(page.url.includes('/anmelden/einwilligung'), page.text.slice(0, 300));
  t.is(c.sessionLevel(), 'substanziell');
});

test.serial('a Response whose status is not Success brings the citizen back to the login page with the reason', async (t) => {
  const before = await federationRows(bed.h);
  const c = new Client(bed.h.url);
  const request = await begin(c, bed.hamburg, 'Hamburg');
  const xml = await bed.hamburg.responseXml(request, { status: 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed' });
  const page = await answer(c, request, xml);
  t.regex(page.text, /nicht abgeschlossen/);
  t.deepEqual(await federationRows(bed.h), before);
});
