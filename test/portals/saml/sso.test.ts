import test from 'ava';
import type { SamlConfig } from '@node-saml/node-saml';
import { DOMParser } from '@xmldom/xmldom';
import { parse } from 'node-html-parser';
import { decrypt } from 'xml-encryption';
import { Client, type Page } from '../../helpers/client.ts';
import { login, personalData, registerAndConfirm } from '../../helpers/citizen.ts';
import { FakePortal, responseXml, spKeyPair, spMetadata, startSamlHub, type KeyPair, type SamlHub } from './helpers.ts';
import { ID_ATTR, xmlsec1Verify } from './xmlsec1.ts';

/**
 * A citizen logs in to portals through the hub's SAML IdP. The portals are node-saml SPs behind
 * a small HTTP server; their metadata and federation/portals.yaml are generated per run.
 */

const STATUS = 'urn:oasis:names:tc:SAML:2.0:status:';
const OID = {
  givenName: 'urn:oid:2.5.4.42',
  surname: 'urn:oid:2.5.4.4',
  birthdate: 'urn:oid:1.2.40.0.10.2.1.1.55',
  placeOfBirth: 'urn:oid:1.3.6.1.5.5.7.9.2',
  birthName: 'urn:oid:1.2.40.0.10.2.1.1.225566',
  street: 'urn:oid:2.5.4.16',
  postalCode: 'urn:oid:2.5.4.17',
  locality: 'urn:oid:2.5.4.7',
  country: 'urn:oid:1.2.40.0.10.2.1.1.225599',
  mail: 'urn:oid:0.9.2342.19200300.100.1.3',
  personalTitle: 'urn:oid:0.9.2342.19200300.100.1.40',
  bpk2: 'urn:oid:1.3.6.1.4.1.25484.494450.3',
  qaa: 'urn:oid:1.2.40.0.10.2.1.1.261.94',
  provedBy: 'urn:oid:1.3.6.1.4.1.25484.494450.2',
};

let hub: SamlHub;
let keys: KeyPair;
let stadt: FakePortal; // signs its requests, has an encryption key
let amt: FakePortal; // unsigned requests, no encryption key, Response left unsigned
let extra: FakePortal; // for consent that is declined

test.before(async () => {
  keys = await spKeyPair();
  [stadt, amt, extra] = await Promise.all([FakePortal.start(), FakePortal.start(), FakePortal.start()]);
  const all = [
    'givenName',
    'familyName',
    'dateOfBirth',
    'placeOfBirth',
    'birthName',
    'street',
    'postalCode',
    'locality',
    'country',
    'email',
    'doctoralDegree',
  ];
  hub = await startSamlHub([
    {
      id: 'stadt',
      attributes: all,
      metadata: spMetadata({
        entityId: stadt.entityId,
        acs: [{ url: stadt.acsUrl, index: 0, isDefault: true }],
        signingCert: keys.certBase64,
        encryptionCert: keys.certBase64,
        slo: { url: stadt.sloUrl, binding: 'redirect' },
        authnRequestsSigned: true,
      }),
    },
    {
      id: 'amt',
      attributes: ['givenName', 'familyName'],
      saml: { signResponse: false },
      metadata: spMetadata({ entityId: amt.entityId, acs: [{ url: amt.acsUrl, index: 0 }], signingCert: keys.certBase64 }),
    },
    { id: 'extra', attributes: ['email'], metadata: spMetadata({ entityId: extra.entityId, acs: [{ url: extra.acsUrl, index: 0 }] }) },
  ]);
  stadt.configure(hub.h.url, hub.certPem, keys);
  amt.configure(hub.h.url, hub.certPem, undefined, { wantAuthnResponseSigned: false });
  extra.configure(hub.h.url, hub.certPem, undefined);
  await registerAndConfirm(new Client(hub.h.url), hub.h.outbox, { personal: personalData({ doctoralDegree: 'Dr.' }) });
});

test.after.always(async () => {
  await hub?.close();
  await Promise.all([stadt?.close(), amt?.close(), extra?.close()]);
});

/** A fresh node-saml request configuration on a portal, for one login. */
function configure(portal: FakePortal, overrides: Partial<SamlConfig> = {}): void {
  const signed = portal === stadt;
  portal.configure(hub.h.url, hub.certPem, signed ? keys : undefined, {
    ...(portal === amt ? { wantAuthnResponseSigned: false } : {}),
    ...overrides,
  });
}

async function loggedIn(): Promise<Client> {
  const c = new Client(hub.h.url);
  const page = await login(c, 'erika');
  if (!page.url.endsWith('/konto')) throw new Error(page.text);
  return c;
}

/** Submits the auto-post form on the current page to the portal, as the browser's script would. */
async function deliver(c: Client, portal: FakePortal): Promise<Page> {
  return c.submit({}, portal.acsUrl);
}

function dom(xml: string) {
  return new DOMParser().parseFromString(xml, 'text/xml');
}

function trustLevel(assertion: string, name: string): string | null {
  const a = Array.from(dom(assertion).getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', 'Attribute')).find(
    (e) => e.getAttribute('Name') === name,
  );
  return a ? a.getAttributeNS('https://www.akdb.de/request/2018/09', 'TrustLevel') : null;
}

function statusCodes(xml: string): string[] {
  return Array.from(dom(xml).getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:protocol', 'StatusCode')).map((e) =>
    e.getAttribute('Value')!.replace(STATUS, ''),
  );
}

async function rowCounts(): Promise<{ sessions: number; replay: number }> {
  const db = hub.h.hub.store.db;
  const count = async (table: string) => Number((await db(table).count({ n: '*' }).first())?.n ?? 0);
  return { sessions: await count('sessions'), replay: await count('replay_cache') };
}

test.serial(
  'a citizen logs in to a portal by signed HTTP-Redirect: the consent page lists the data, the portal gets a signed, encrypted answer node-saml accepts',
  async (t) => {
    configure(stadt);
    const c = await loggedIn();
    let page = await c.get(await stadt.sp.getAuthorizeUrlAsync('zurueck-zu-seite-7', undefined, {}));
    t.true(page.url.includes('/anmelden/einwilligung'), page.text);
    t.regex(page.text, /Portal stadt/);
    for (const shown of [
      'Erika',
      'Mustermann',
      '12.08.1964',
      'Berlin',
      'Gabler',
      'Am Abdinghof 11',
      '33098',
      'Paderborn',
      'erika@example.org',
      'Dr.',
    ])
      t.true(page.text.includes(shown), shown);

    page = await c.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
    const csp = page.headers.get('content-security-policy') ?? '';
    t.regex(csp, new RegExp(`form-action 'self' ${stadt.url.replace(/[.]/g, '\\.')}`));
    t.regex(csp, /script-src 'self'/);
    const form = page.root.querySelector(`form[action="${stadt.acsUrl}"]`)!;
    t.truthy(form.querySelector('button[type=submit]'), 'a visible button for browsers without JavaScript');
    t.truthy(page.root.querySelector('script[src="/static/auto-submit.js"]'));
    t.is((await fetch(`${hub.h.url}/static/auto-submit.js`)).status, 200);

    await deliver(c, stadt);
    const received = stadt.last('response')!;
    t.falsy(received.error, received.error?.message);
    const profile = received.profile!;
    t.is(received.relayState, 'zurueck-zu-seite-7');
    t.is(profile.nameIDFormat, 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    t.is(profile.issuer, `${hub.h.url}/saml/metadata`);
    t.is(profile.spNameQualifier, stadt.entityId);
    t.is(profile[OID.givenName], 'Erika');
    t.is(profile[OID.surname], 'Mustermann');
    t.is(profile[OID.birthdate], '1964-08-12');
    t.is(profile[OID.placeOfBirth], 'Berlin');
    t.is(profile[OID.birthName], 'Gabler');
    t.is(profile[OID.street], 'Am Abdinghof 11');
    t.is(profile[OID.postalCode], '33098');
    t.is(profile[OID.locality], 'Paderborn');
    t.is(profile[OID.country], 'DE');
    t.is(profile[OID.mail], 'erika@example.org');
    t.is(profile[OID.personalTitle], 'Dr.');
    t.is(profile[OID.bpk2], profile.nameID, 'the bPK2-style pseudonym is the persistent NameID');
    t.is(profile[OID.qaa], 'STORK-QAA-Level-2');
    t.is(profile[OID.provedBy], 'Benutzername');

    const raw = responseXml(received.raw!);
    t.regex(raw, /<saml:EncryptedAssertion/);
    t.false(raw.includes('Erika'), 'nothing personal in clear text');
    t.regex(raw, /Consent="urn:oasis:names:tc:SAML:2\.0:consent:current-explicit"/);
    t.true((await xmlsec1Verify(raw, ID_ATTR.response, hub.certPem)).ok, 'the Response verifies with xmlsec1');

    const assertion = await new Promise<string>((ok, fail) =>
      decrypt(
        raw.slice(raw.indexOf('<xenc:EncryptedData'), raw.indexOf('</saml:EncryptedAssertion>')),
        { key: keys.keyPem, warnInsecureAlgorithm: false },
        (err, out) => (err ? fail(err) : ok(out as string)),
      ),
    );
    const id = /<saml:Assertion [^>]*ID="([^"]+)"/.exec(assertion)![1]!;
    t.true(profile.getAssertionXml!().includes(`ID="${id}"`), 'xml-encryption and node-saml decrypt the same assertion');
    t.true((await xmlsec1Verify(assertion, ID_ATTR.assertion, hub.certPem)).ok, 'the Assertion verifies with xmlsec1');
    t.regex(assertion, /<saml:AuthnContextClassRef>http:\/\/eidas\.europa\.eu\/LoA\/low<\/saml:AuthnContextClassRef>/);
    t.is(trustLevel(assertion, OID.givenName), 'UNTERGEORDNET', 'self-declared data is basic whatever the session level');
    t.is(trustLevel(assertion, OID.qaa), 'NORMAL');
    t.regex(assertion, /NameFormat="urn:oasis:names:tc:SAML:2\.0:attrname-format:uri"/);
    t.regex(
      assertion,
      /<saml:SubjectConfirmationData InResponseTo="[^"]+" NotOnOrAfter="[^"]+" Recipient="http:\/\/127\.0\.0\.1:\d+\/acs">/,
    );
    t.regex(assertion, new RegExp(`<saml:Audience>${stadt.entityId}</saml:Audience>`));
  },
);

test.serial('the next login at the same portal needs no consent, and the persistent NameID stays the same', async (t) => {
  configure(stadt);
  const first = stadt.last('response')!.profile!.nameID;
  const c = await loggedIn();
  const page = await c.get(await stadt.sp.getAuthorizeUrlAsync('', undefined, {}));
  t.regex(page.text, /Weiterleitung zum Online-Dienst/);
  await deliver(c, stadt);
  t.is(stadt.last('response')!.profile!.nameID, first);
});

test.serial('a portal that asks in STORK gets the level in STORK; the portal minimum still applies', async (t) => {
  configure(stadt, { disableRequestedAuthnContext: false, authnContext: ['STORK-QAA-Level-1'], racComparison: 'minimum' });
  const c = await loggedIn();
  await c.get(await stadt.sp.getAuthorizeUrlAsync('', undefined, {}));
  await deliver(c, stadt);
  const assertion = stadt.last('response')!.profile!.getAssertionXml!();
  t.regex(assertion, /<saml:AuthnContextClassRef>STORK-QAA-Level-2<\/saml:AuthnContextClassRef>/);
});

test.serial('declining consent answers Responder/RequestDenied, and nothing is released', async (t) => {
  configure(extra);
  const c = await loggedIn();
  await c.get(await extra.sp.getAuthorizeUrlAsync('', undefined, {}));
  await c.submit({ entscheidung: 'nein' }, '/anmelden/einwilligung');
  await deliver(c, extra);
  const received = extra.last('response')!;
  t.regex(received.error?.message ?? '', /Responder/);
  t.deepEqual(statusCodes(responseXml(received.raw!)), ['Responder', 'RequestDenied']);
  t.true((await xmlsec1Verify(responseXml(received.raw!), ID_ATTR.response, hub.certPem)).ok, 'error answers are signed too');
});

test.serial('a level no login method reaches here (STORK-QAA-Level-4) answers Responder/NoAuthnContext', async (t) => {
  configure(stadt, { disableRequestedAuthnContext: false, authnContext: ['STORK-QAA-Level-4'], racComparison: 'minimum' });
  const c = await loggedIn();
  await c.get(await stadt.sp.getAuthorizeUrlAsync('', undefined, {}));
  await deliver(c, stadt);
  t.deepEqual(statusCodes(responseXml(stadt.last('response')!.raw!)), ['Responder', 'NoAuthnContext']);
});

test.serial('IsPassive without a session answers Responder/NoPassive without showing a page', async (t) => {
  configure(stadt, { passive: true });
  const c = new Client(hub.h.url);
  const page = await c.get(await stadt.sp.getAuthorizeUrlAsync('', undefined, {}));
  t.regex(page.text, /Weiterleitung/);
  await deliver(c, stadt);
  t.deepEqual(statusCodes(responseXml(stadt.last('response')!.raw!)), ['Responder', 'NoPassive']);
});

test.serial('ForceAuthn asks a logged-in citizen to log in again, and the AuthnInstant is the new login', async (t) => {
  configure(stadt, { forceAuthn: true });
  const c = await loggedIn();
  const before = Date.now() + 1000;
  await new Promise((r) => setTimeout(r, 1100));
  let page = await c.get(await stadt.sp.getAuthorizeUrlAsync('', undefined, {}));
  t.true(page.url.includes('/anmelden?auftrag='), 'the login page, although a session exists');
  page = await c.submit({ username: 'erika', password: 'Sommer2026!' }, '/anmelden/passwort');
  t.regex(page.text, /Weiterleitung/);
  await deliver(c, stadt);
  const instant = /AuthnInstant="([^"]+)"/.exec(stadt.last('response')!.profile!.getAssertionXml!())![1]!;
  t.true(Date.parse(instant) >= Math.floor(before / 1000) * 1000);
});

test.serial(
  'a request by HTTP-POST arriving without the session cookie (cross-site) is re-posted once, so the existing login is used',
  async (t) => {
    configure(stadt, { authnRequestBinding: 'HTTP-POST', skipRequestCompression: true });
    const c = await loggedIn();
    const form = parse(await stadt.sp.getAuthorizeFormAsync('rs-post'));
    const fields = { SAMLRequest: form.querySelector('input[name=SAMLRequest]')!.getAttribute('value')!, RelayState: 'rs-post' };
    const crossSite = new Client(hub.h.url); // the browser leaves the SameSite=Lax cookie behind
    const resume = await crossSite.post('/saml/sso', fields);
    t.regex(resume.text, /Anmeldung wird fortgesetzt/);
    t.deepEqual(resume.headers.getSetCookie(), [], 'no new session replaces the existing one');
    c.page = resume; // the same browser submits the page's form, now same-site with its cookie
    const page = await c.submit({});
    t.regex(page.text, /Weiterleitung/, 'logged in already: straight to the answer');
    await deliver(c, stadt);
    t.falsy(stadt.last('response')!.error);
    t.is(stadt.last('response')!.relayState, 'rs-post');
  },
);

test.serial(
  'an unsigned HTTP-POST request, DEFLATE-compressed as node-saml does by default, is accepted from a portal that does not require signatures',
  async (t) => {
    configure(amt, { authnRequestBinding: 'HTTP-POST', identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient' });
    const c = await loggedIn();
    const form = parse(await amt.sp.getAuthorizeFormAsync(''));
    const page = await c.post('/saml/sso', { SAMLRequest: form.querySelector('input[name=SAMLRequest]')!.getAttribute('value')! });
    t.regex(page.text, /Einwilligung/, 'same-site with the session cookie: no re-post needed');
    await c.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
    await deliver(c, amt);
    const received = amt.last('response')!;
    t.falsy(received.error, received.error?.message);
    t.is(received.profile!.nameIDFormat, 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient');
    t.deepEqual(
      Object.keys(received.profile!.attributes as object).filter((k) => k.startsWith('urn:oid:2.5.4.')),
      [OID.givenName, OID.surname],
    );
    t.notRegex(
      responseXml(received.raw!),
      /<samlp:Response[^>]*>.{0,400}<ds:Signature/s,
      'signResponse: false leaves the Response unsigned, the Assertion signed',
    );
    t.regex(responseXml(received.raw!), /<saml:Assertion /, 'no encryption key in the metadata: not encrypted');
    const first = received.profile!.nameID;
    configure(amt, { identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient' });
    await c.get(await amt.sp.getAuthorizeUrlAsync('', undefined, {}));
    await deliver(c, amt);
    t.not(amt.last('response')!.profile!.nameID, first, 'a new transient NameID each time');
  },
);

test.serial(
  'with the AKDB extension (signed) the portal gets only what it listed, and the service name is shown on the login and consent pages',
  async (t) => {
    configure(stadt, {
      samlAuthnRequestExtensions: {
        'akdb:AuthenticationRequest': {
          '@xmlns:akdb': 'https://www.akdb.de/request/2018/09',
          '@Version': '2',
          'akdb:AuthnMethods': { 'akdb:Benutzername': { 'akdb:Enabled': 'true' } },
          'akdb:RequestedAttributes': {
            'akdb:RequestedAttribute': [
              { '@Name': OID.surname, '@RequiredAttribute': 'true' },
              { '@Name': OID.bpk2, '@RequiredAttribute': 'true' },
            ],
          },
          'akdb:DisplayInformation': {
            'classic-ui:Version': {
              '@xmlns:classic-ui': 'https://www.akdb.de/request/2018/09/classic-ui/v1',
              'classic-ui:OrganizationDisplayName': 'Wohngeld Musterhausen',
              'classic-ui:BackURL': `${stadt.url}/abbruch`,
            },
          },
        },
      },
    });
    const c = new Client(hub.h.url);
    let page = await c.get(await stadt.sp.getAuthorizeUrlAsync('', undefined, {}));
    t.regex(page.text, /Wohngeld Musterhausen/, 'login page');
    page = await c.submit({ username: 'erika', password: 'Sommer2026!' }, '/anmelden/passwort');
    t.regex(page.text, /Wohngeld Musterhausen/, 'consent page');
    t.regex(page.text, /Mustermann/);
    t.notRegex(page.text, /Paderborn/);
    await c.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
    await deliver(c, stadt);
    const profile = stadt.last('response')!.profile!;
    t.deepEqual(Object.keys(profile.attributes as object).sort(), [OID.surname, OID.bpk2].sort());
  },
);

test.serial('a trusted request the hub cannot serve is answered to its ACS with a SAML status, not an error page', async (t) => {
  configure(stadt, { identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' });
  const c = new Client(hub.h.url);
  const page = await c.get(await stadt.sp.getAuthorizeUrlAsync('rs-err', undefined, {}));
  t.regex(page.text, /Weiterleitung/);
  await deliver(c, stadt);
  const received = stadt.last('response')!;
  t.deepEqual(statusCodes(responseXml(received.raw!)), ['Requester', 'InvalidNameIDPolicy']);
  t.is(received.relayState, 'rs-err');
  t.deepEqual(c.page!.headers.getSetCookie(), []);
});

test.serial(
  'a replayed request, an unknown portal, an unregistered ACS, a bad signature, a DOCTYPE and an oversized request each get an error page and change nothing',
  async (t) => {
    configure(stadt);
    const url = await stadt.sp.getAuthorizeUrlAsync('', undefined, {});
    await (await loggedIn()).get(url); // used once
    const cases: [string, () => Promise<Page>, number, RegExp][] = [
      ['replay', () => new Client(hub.h.url).get(url), 400, /bereits verwendet/],
      [
        'unknown portal',
        async () => {
          const stranger = new FakePortal('http://127.0.0.1:9', 'http://127.0.0.1:9/stranger');
          stranger.configure(hub.h.url, hub.certPem, undefined);
          return new Client(hub.h.url).get(await stranger.sp.getAuthorizeUrlAsync('', undefined, {}));
        },
        403,
        /Online-Dienst unbekannt/,
      ],
      [
        'ACS not registered',
        async () => {
          configure(amt, { callbackUrl: 'https://evil.example/acs' });
          return new Client(hub.h.url).get(await amt.sp.getAuthorizeUrlAsync('', undefined, {}));
        },
        400,
        /Rücksprungadresse unbekannt/,
      ],
      [
        'bad signature',
        async () => {
          configure(stadt);
          const good = await stadt.sp.getAuthorizeUrlAsync('a', undefined, {});
          return new Client(hub.h.url).get(good.replace('RelayState=a', 'RelayState=b'));
        },
        403,
        /nicht vertrauenswürdig/,
      ],
      [
        'DOCTYPE',
        () =>
          new Client(hub.h.url).post('/saml/sso', {
            SAMLRequest: Buffer.from('<!DOCTYPE x><samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>').toString(
              'base64',
            ),
            weiter: '1',
          }),
        400,
        /Anmeldeanfrage ungültig/,
      ],
      [
        'oversized',
        () => new Client(hub.h.url).post('/saml/sso', { SAMLRequest: 'PD94'.repeat(20_000), weiter: '1' }),
        413,
        /zu umfangreich/,
      ],
    ];
    for (const [name, run, status, text] of cases) {
      const before = await rowCounts();
      const page = await run();
      t.is(page.status, status, name);
      t.regex(page.text, text, name);
      t.regex(page.text, /Fehlernummer/, name);
      t.deepEqual(page.headers.getSetCookie(), [], `${name}: no session cookie`);
      t.deepEqual(await rowCounts(), before, `${name}: no rows written`);
    }
  },
);

test.serial(
  'the hub publishes signed metadata that xmlsec1 verifies, valid for a few days, and re-signs it before it runs out',
  async (t) => {
    const res = await fetch(`${hub.h.url}/saml/metadata`);
    t.is(res.headers.get('content-type'), 'application/samlmetadata+xml');
    const xml = await res.text();
    t.true((await xmlsec1Verify(xml, ID_ATTR.entity, hub.certPem)).ok);
    const root = dom(xml).documentElement!;
    t.is(root.getAttribute('entityID'), `${hub.h.url}/saml/metadata`);
    const validUntil = Date.parse(root.getAttribute('validUntil')!);
    t.true(Math.abs(validUntil - (hub.clock.now() + 96 * 3600_000)) < 5 * 60_000, 'about four days');
    for (const needed of [
      `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${hub.h.url}/saml/sso">`,
      `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${hub.h.url}/saml/sso">`,
      `<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${hub.h.url}/saml/slo">`,
      '<md:KeyDescriptor use="signing">',
      '<md:KeyDescriptor use="encryption">',
      '<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>',
      '<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>',
      'FriendlyName="givenName" Name="urn:oid:2.5.4.42" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri"',
      '<mdui:UIInfo',
      '<md:ContactPerson contactType="technical">',
      '<md:Organization>',
    ]) {
      t.true(xml.includes(needed), needed);
    }
    t.is(await (await fetch(`${hub.h.url}/saml/metadata`)).text(), xml, 'cached');
    hub.clock.advance(49 * 3600_000);
    t.is(await (await fetch(`${hub.h.url}/saml/metadata`)).text(), xml, 'served while it is re-signed in the background');
    await new Promise((r) => setTimeout(r, 50));
    const next = await (await fetch(`${hub.h.url}/saml/metadata`)).text();
    t.not(next, xml);
    t.true(Date.parse(dom(next).documentElement!.getAttribute('validUntil')!) > validUntil);
    t.true((await xmlsec1Verify(next, ID_ATTR.entity, hub.certPem)).ok);
    hub.clock.advance(-49 * 3600_000);
  },
);
