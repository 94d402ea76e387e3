import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { Browser, Page, Request } from 'playwright-core';
import { stringify } from 'yaml';
import { startTestHub } from '../helpers/hub.ts';
import { federationRows } from '../federation/fixture.ts';
import { testKeyPair, type TestKeyPair } from '../federation/partner.ts';
import { FakePortal, LiveClock, spKeyPair, spMetadata } from '../portals/saml/helpers.ts';
import { reserveHubUrl, writePortalsYaml, type InteropHub } from './hub.ts';
import { expectArrival, launchChromium, newWindow, screenshot } from './peer.ts';
import { startSimpleSamlPhpIdp, type SimpleSamlPhpIdp } from './simplesamlphp-idp.ts';

/**
 * Interop with SimpleSAMLphp 1.19 (Debian) as a partner state's IdP ("Anmelden mit anderem
 * deutschen Nutzerkonto"), in headless Chromium: a node-saml portal sends the citizen to the
 * hub, who chooses the SimpleSAMLphp state in the list, logs in there with username and
 * password, and comes back through the hub's ACS and consent page to the portal.
 *
 * SimpleSAMLphp publishes metadata signed with a key of its own, which the hub's trust.yaml pins
 * (fetched over http from 127.0.0.1, allowed outside production); its metadata has no
 * validUntil, so the entry says `requireValidUntil: false` (the signature is still required).
 * It requires the hub's AuthnRequests signed, signs Response and Assertion (RSA-SHA256) and
 * encrypts the assertion to the hub's encryption certificate, which SimpleSAMLphp 1.19 can only
 * do with AES-128-CBC (and RSA-OAEP-MGF1P): the entry allows AES-CBC for this partner. It states
 * STORK-QAA-Level-3 (substantial) whatever is asked; the hub caps that at `low`.
 */

const OID = {
  givenName: 'urn:oid:2.5.4.42',
  surname: 'urn:oid:2.5.4.4',
  mail: 'urn:oid:0.9.2342.19200300.100.1.3',
  birthdate: 'urn:oid:1.2.40.0.10.2.1.1.55',
  bPK2: 'urn:oid:1.3.6.1.4.1.25484.494450.3',
  postkorb: 'urn:oid:2.5.4.18',
  qaaLevel: 'urn:oid:1.2.40.0.10.2.1.1.261.94',
  provedBy: 'urn:oid:1.3.6.1.4.1.25484.494450.2',
} as const;
const STATED = 'STORK-QAA-Level-3';
const EIDAS_LOW = 'http://eidas.europa.eu/LoA/low';
const STATE_NAME = 'Freistaat Bayern (SimpleSAMLphp)';
const USER = { username: 'hein', password: 'hein-passwort-7' } as const;
const BPK2_VALUE = 'bpk2-by-0815-4711';

let dir: string;
let hub: InteropHub;
let idp: SimpleSamlPhpIdp;
let browser: Browser;
let portal: FakePortal;
let needsSubstantial: FakePortal;
let metadataKeys: TestKeyPair;

let trustFile: string;

/** The partner's entry, as the operator writes it (docs/trust.md), into the hub's trust.yaml. */
function writeTrust(o: { allowAesCbc: boolean }): void {
  writeFileSync(
    trustFile,
    stringify({
      partners: [
        {
          id: 'bayern',
          kind: 'state',
          name: { de: STATE_NAME, en: 'Free State of Bavaria (SimpleSAMLphp)' },
          enabled: true,
          metadata: {
            url: idp.metadataUrl,
            entityId: idp.entityId,
            certificates: [metadataKeys.certFile],
            // SimpleSAMLphp's IdP metadata carries no validUntil; its signature is still required.
            requireValidUntil: false,
            maxCacheHours: 1,
          },
          link_accounts: true,
          identifierPrefix: 'BY',
          attributes: {
            [OID.givenName]: 'givenName',
            [OID.surname]: 'familyName',
            [OID.birthdate]: 'dateOfBirth',
            [OID.mail]: 'email',
          },
          loa: {
            map: {
              'STORK-QAA-Level-1': 'basic',
              'STORK-QAA-Level-2': 'low',
              'STORK-QAA-Level-3': 'substantial',
              'STORK-QAA-Level-4': 'high',
            },
            cap: 'low',
          },
          // SimpleSAMLphp 1.19 encrypts assertions with AES-128-CBC only.
          algorithms: { allowAesCbc: o.allowAesCbc },
        },
      ],
    }),
  );
}

/** How many requests reached SimpleSAMLphp's SSO endpoint (php -S logs each request). */
function ssoRequests(): number {
  return idp.process
    .output()
    .split('\n')
    .filter((l) => l.includes('/saml2/idp/SSOService.php')).length;
}

/** From the portal's request through the hub's list to SimpleSAMLphp, logged in there; ends when the browser is back at the hub. */
async function loginAtSimpleSamlPhp(page: Page, onDiscovery?: () => Promise<void>): Promise<void> {
  await page.goto(await portal.sp.getAuthorizeUrlAsync('seite-7', undefined, {}));
  await expectArrival(page, (u) => u.origin === hub.url && u.pathname === '/anmelden', 'hub login page');
  const upstream = page.getByRole('region', { name: 'Anmelden mit anderem deutschen Nutzerkonto' });
  await upstream.getByRole('link', { name: 'Land auswählen' }).click();
  await expectArrival(page, (u) => u.origin === hub.url && u.pathname === '/anmelden/anderes-konto', 'list of states');
  await onDiscovery?.();
  // Choose the state: the hub's signed AuthnRequest goes to SimpleSAMLphp, which asks for a password.
  await page.locator('#partner-list').getByRole('link', { name: STATE_NAME }).click();
  await expectArrival(
    page,
    (u) => u.origin === idp.url && u.pathname.includes('loginuserpass'),
    'SimpleSAMLphp login page',
    () => idp.log(),
  );
  await page.locator('input[name="username"]').fill(USER.username);
  await page.locator('input[name="password"]').fill(USER.password);
  await screenshot(page, 'simplesamlphp-idp-login');
  await page.locator('input[name="password"]').press('Enter');
  // SimpleSAMLphp posts its Response (auto-submitted form) to the hub's ACS.
  await expectArrival(
    page,
    (u) => u.origin === hub.url,
    'back at the hub',
    () => idp.log(),
  );
}

test.before(async (t) => {
  const started = Date.now();
  dir = mkdtempSync(path.join(os.tmpdir(), 'skh-interop-ssp-idp-'));
  const at = await reserveHubUrl();
  metadataKeys = await testKeyPair('ssp-idp-metadata');
  idp = await startSimpleSamlPhpIdp({
    dir: path.join(dir, 'simplesamlphp'),
    takenPorts: [at.port],
    signing: await testKeyPair('ssp-idp-signing'),
    metadataSigning: metadataKeys,
    authnContextClassRef: STATED,
    nameIdAttribute: OID.bPK2,
    encryptAssertion: true,
    displayName: { de: STATE_NAME, en: 'Free State of Bavaria (SimpleSAMLphp)' },
    users: [
      {
        ...USER,
        attributes: {
          [OID.givenName]: ['Hein'],
          [OID.surname]: ['Blöd'],
          [OID.birthdate]: ['1970-03-04'],
          [OID.mail]: ['hein@example.org'],
          [OID.bPK2]: [BPK2_VALUE],
          // A postbox reference: never taken from a partner (FINK).
          [OID.postkorb]: ['6a1f0c1e-1111-4222-8333-944455556666'],
          'urn:oid:9.9.9.9': ['unmapped'],
        },
      },
    ],
  });

  // The portals: node-saml SPs, one needing `low`, one needing `substantial` (above the cap).
  portal = await FakePortal.start();
  needsSubstantial = await FakePortal.start();
  const portalKeys = await spKeyPair();
  const portalEntry = (id: string, p: FakePortal, minLoa: string): Parameters<typeof writePortalsYaml>[1][number] => {
    const metadataFile = path.join(dir, `${id}-sp.xml`);
    writeFileSync(
      metadataFile,
      spMetadata({
        entityId: p.entityId,
        acs: [{ url: p.acsUrl, index: 0, isDefault: true }],
        signingCert: portalKeys.certBase64,
        encryptionCert: portalKeys.certBase64,
        authnRequestsSigned: true,
      }),
    );
    return {
      id,
      name: { de: `Portal ${id}`, en: `Portal ${id}` },
      minLoa,
      attributes: ['givenName', 'familyName', 'dateOfBirth', 'email', 'foreignId'],
      saml: { metadataFile },
    };
  };
  const portalsFile = writePortalsYaml(dir, [portalEntry('stadt', portal, 'low'), portalEntry('amt', needsSubstantial, 'substantial')]);

  trustFile = path.join(dir, 'trust.yaml');
  writeTrust({ allowAesCbc: true });

  const h = await startTestHub({
    clock: new LiveClock(),
    overrides: {
      server: { port: at.port, publicUrl: at.url },
      federation: { portalsFile, trustFile },
      // eID (its simulator) stays on: a portal that needs substantial then gets a login page,
      // where the SimpleSAMLphp state is listed but, capped at low, not selectable.
    },
  });
  hub = { h, url: at.url };
  const hubCertPem = h.hub.keys.saml.signing.certificatePem!;
  portal.configure(hub.url, hubCertPem, portalKeys);
  needsSubstantial.configure(hub.url, hubCertPem, portalKeys);
  // SimpleSAMLphp's saml20-sp-remote entry for the hub: the hub's published metadata.
  const res = await fetch(`${hub.url}/saml/metadata`);
  idp.setSpMetadata(await res.text());
  await h.hub.federation.refreshNow();
  browser = await launchChromium();
  t.log(`SimpleSAMLphp IdP and hub ready in ${Date.now() - started} ms`);
});

test.after.always(async (t) => {
  await browser?.close();
  await idp?.stop();
  await hub?.h.close();
  await portal?.close();
  await needsSubstantial?.close();
  // INTEROP_KEEP=1 keeps the generated configuration and the peer's logs for a look.
  if (dir && !process.env.INTEROP_KEEP) rmSync(dir, { recursive: true, force: true });
  else if (dir) t.log(`kept ${dir}`);
});

test.serial(
  'a citizen logs in to a SAML portal with the SimpleSAMLphp state: mapped attributes, the level capped at low, FINK, a federated account',
  async (t) => {
    // SimpleSAMLphp's metadata, fetched from its URL and verified against the pinned certificate, is in use.
    const status = (await hub.h.hub.federation.status()).find((p) => p.id === 'bayern');
    t.like(status, {
      usable: true,
      source: 'url',
      entityId: idp.entityId,
      validUntil: null,
      lastError: null,
      cap: 'low',
      linkAccounts: true,
    });
    const before = await federationRows(hub.h);
    const { context, page } = await newWindow(browser);
    // What SimpleSAMLphp posts to the hub's ACS, to look at its encryption and signatures.
    let acsPost: Request | undefined;
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url() === `${hub.url}/saml/acs`) acsPost = r;
    });
    const started = Date.now();
    try {
      // The portal's AuthnRequest → the hub's login page → "Anmelden mit anderem deutschen
      // Nutzerkonto" → the list → SimpleSAMLphp → its login page → back to the hub.
      const sentBefore = ssoRequests();
      await loginAtSimpleSamlPhp(page, async () => {
        const list = page.locator('#partner-list');
        t.is(await list.locator('a.partner').count(), 1);
        t.is((await list.locator('a.partner').innerText()).trim(), STATE_NAME);
        await screenshot(page, 'simplesamlphp-idp-discovery');
      });
      t.is(ssoRequests(), sentBefore + 1, "the hub's AuthnRequest reached SimpleSAMLphp");
      const log = idp.log();
      t.true(log.includes(`incoming authentication request: '${hub.url}/saml/metadata'`), 'SimpleSAMLphp took the AuthnRequest');
      t.regex(log, /Validation with key #\d+ succeeded/, "SimpleSAMLphp verified the AuthnRequest's signature (validate.authnrequest)");
      await expectArrival(
        page,
        (u) => u.origin === hub.url && u.pathname.startsWith('/anmelden/einwilligung'),
        'hub consent page',
        () => idp.log(),
      );
      const consent = await page.getByRole('main').innerText();
      for (const value of ['Portal stadt', 'Hein', 'Blöd', 'hein@example.org', `BY:${BPK2_VALUE}`]) {
        t.true(consent.includes(value), `consent page lists ${value}:\n${consent}`);
      }
      t.false(consent.includes('6a1f0c1e'), "the partner's postbox reference is not shown");
      t.regex(await page.locator('#session-level').innerText(), /niedrig/, 'the hub session has the capped level');
      await screenshot(page, 'simplesamlphp-idp-consent');

      // SimpleSAMLphp's Response, as it travelled: signed, with the assertion encrypted and signed.
      t.truthy(acsPost, 'SimpleSAMLphp posted to the hub ACS');
      const form = new URLSearchParams(acsPost!.postData() ?? '');
      const responseXml = Buffer.from(form.get('SAMLResponse') ?? '', 'base64').toString('utf8');
      t.regex(responseXml, /<saml:EncryptedAssertion/);
      t.notRegex(responseXml, /<saml:Assertion[\s>]/, 'no plain assertion');
      t.regex(responseXml, /xmlenc#aes128-cbc/);
      t.regex(responseXml, /xmlenc#rsa-oaep-mgf1p/);
      t.regex(
        responseXml,
        /<ds:SignatureMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#rsa-sha256"/,
        'the Response is signed',
      );
      t.regex(responseXml, new RegExp(`<saml:Issuer>${idp.entityId.replace(/[.?]/g, '\\$&')}</saml:Issuer>`));

      await page.getByRole('button', { name: 'Zustimmen und Daten übermitteln' }).click();
      await expectArrival(page, (u) => u.origin === portal.url && u.pathname === '/acs', 'portal ACS');
      t.is((await page.locator('main').innerText()).trim(), 'ACS: logged in');
      t.log(`portal → hub → SimpleSAMLphp → hub → portal in ${Date.now() - started} ms`);

      const received = portal.last('response')!;
      t.falsy(received.error, received.error?.message);
      t.is(received.relayState, 'seite-7');
      const profile = received.profile!;
      t.is(profile[OID.givenName], 'Hein');
      t.is(profile[OID.surname], 'Blöd');
      t.is(profile[OID.birthdate], '1970-03-04');
      t.is(profile[OID.mail], 'hein@example.org');
      t.is(profile[OID.bPK2], `BY:${BPK2_VALUE}`, 'the identifier of the other account, with its prefix (FINK)');
      t.is(profile[OID.provedBy], 'FINK');
      t.is(profile[OID.postkorb], undefined, "the partner's postbox reference is not passed on");
      t.is(profile['urn:oid:9.9.9.9'], undefined, 'unmapped attributes are dropped');
      // SimpleSAMLphp stated STORK-QAA-Level-3 (substantial); the cap is low.
      t.is(profile[OID.qaaLevel], 'STORK-QAA-Level-2', 'capped: substantial stated, low believed');
      const assertion = profile.getAssertionXml!();
      t.regex(assertion, new RegExp(`AuthnContextClassRef>${EIDAS_LOW.replace(/[./]/g, '\\$&')}<`));
      t.notRegex(assertion, /STORK-QAA-Level-3|LoA\/substantial/);

      // link_accounts: true — a federated account for (bayern, NameID), with the mapped data.
      const after = await federationRows(hub.h);
      t.is(after.accounts, before.accounts + 1, 'a federated account was created');
      t.is(after.federated, before.federated + 1);
      const row = (await hub.h.hub.store.db('federated_accounts').where({ partner_id: 'bayern' }).first()) as
        Record<string, unknown> | undefined;
      t.truthy(row, 'the account is linked to the SimpleSAMLphp state');
    } finally {
      await context.close();
    }
  },
);

test.serial(
  'a portal that needs substantial: the SimpleSAMLphp state, capped at low, is not offered, and the list names the cap as the reason',
  async (t) => {
    const sentBefore = ssoRequests();
    const { context, page } = await newWindow(browser);
    try {
      await page.goto(await needsSubstantial.sp.getAuthorizeUrlAsync('', undefined, {}));
      await expectArrival(page, (u) => u.origin === hub.url && u.pathname === '/anmelden', 'hub login page');
      const main = await page.getByRole('main').innerText();
      t.regex(
        main,
        /Nicht angeboten, weil das verlangte Vertrauensniveau damit nicht erreicht wird:[\s\S]*Anmelden mit anderem deutschen Nutzerkonto \(erreicht höchstens „niedrig“\)/,
      );
      await screenshot(page, 'simplesamlphp-idp-login-substantial');

      // The list itself (opened for this request): the state without a link, with the reason.
      await page.goto(`${hub.url}/anmelden/anderes-konto${new URL(page.url()).search}`);
      const list = page.locator('#partner-list');
      t.is(await list.locator('a').count(), 0, 'no link to a state whose cap is below what the portal needs');
      t.regex(
        await list.locator('li', { hasText: STATE_NAME }).innerText(),
        /nicht wählbar: erreicht höchstens das Vertrauensniveau „niedrig“, dieser Online-Dienst verlangt „substanziell“/,
      );
      await screenshot(page, 'simplesamlphp-idp-discovery-capped');
      t.is(ssoRequests(), sentBefore, 'no AuthnRequest went to SimpleSAMLphp');
    } finally {
      await context.close();
    }
  },
);

test.serial(
  "without allowAesCbc the hub refuses SimpleSAMLphp's AES-CBC encrypted assertion with a clear message and keeps nothing",
  async (t) => {
    writeTrust({ allowAesCbc: false });
    const reload = await hub.h.hub.reloadTrust();
    t.true(reload.ok, reload.ok ? '' : reload.problems.join('\n'));
    const before = await federationRows(hub.h);
    const { context, page } = await newWindow(browser);
    try {
      const responsesBefore = portal.received.length;
      await loginAtSimpleSamlPhp(page);
      // The hub's ACS refuses the Response there and then, naming the partner and the reason.
      t.is(new URL(page.url()).pathname, '/saml/acs');
      await page.getByRole('heading', { name: 'Anmeldung fehlgeschlagen' }).waitFor();
      const main = await page.getByRole('main').innerText();
      t.true(main.includes(`Die Antwort des Nutzerkontos ${STATE_NAME} hat eine Sicherheitsprüfung nicht bestanden`), main);
      t.true(main.includes('the assertion is encrypted with AES-CBC (http://www.w3.org/2001/04/xmlenc#aes128-cbc)'), main);
      t.true(main.includes('Es wurde nichts gespeichert.'), main);
      t.regex(await page.locator('#session-level').innerText(), /nicht angemeldet/);
      await screenshot(page, 'simplesamlphp-idp-aes-cbc-refused');
      t.is(portal.received.length, responsesBefore, 'the portal received nothing');
    } finally {
      await context.close();
      writeTrust({ allowAesCbc: true });
      await hub.h.hub.reloadTrust();
    }
    t.deepEqual(await federationRows(hub.h), before, 'no account, no federated account, no logged-in session');
  },
);
