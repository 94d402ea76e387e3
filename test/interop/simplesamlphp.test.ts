import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { Browser } from 'playwright-core';
import { GOOD_PASSWORD } from '../helpers/citizen.ts';
import { spKeyPair } from '../portals/saml/helpers.ts';
import { CITIZEN, registerCitizen, reserveHubUrl, startInteropHub, writePortalsYaml, type InteropHub } from './hub.ts';
import { expectArrival, launchChromium, newWindow, screenshot } from './peer.ts';
import { startSimpleSamlPhp, type SimpleSamlPhp } from './simplesamlphp.ts';

/**
 * Interop with SimpleSAMLphp 1.19 (Debian) as a portal's SAML SP, in headless Chromium: its
 * protected page sends a signed AuthnRequest (HTTP-Redirect, RequestedAuthnContext eIDAS low)
 * to the hub, the citizen logs in with username and password and consents, and SimpleSAMLphp
 * accepts the signed Response with its AES-256-GCM encrypted, signed assertion (it is set to
 * refuse a plain one) and shows the attributes by their urn:oid names and the level; then
 * SimpleSAMLphp's single logout ends the hub session.
 */

const OID = {
  givenName: 'urn:oid:2.5.4.42',
  surname: 'urn:oid:2.5.4.4',
  mail: 'urn:oid:0.9.2342.19200300.100.1.3',
  birthdate: 'urn:oid:1.2.40.0.10.2.1.1.55',
  placeOfBirth: 'urn:oid:1.3.6.1.5.5.7.9.2',
  postalCode: 'urn:oid:2.5.4.17',
  locality: 'urn:oid:2.5.4.7',
  bPK2: 'urn:oid:1.3.6.1.4.1.25484.494450.3',
  qaaLevel: 'urn:oid:1.2.40.0.10.2.1.1.261.94',
  provedBy: 'urn:oid:1.3.6.1.4.1.25484.494450.2',
} as const;
const EIDAS_LOW = 'http://eidas.europa.eu/LoA/low';

interface Report {
  readonly attributes: Record<string, string[]>;
  readonly authnContext: string;
  readonly idp: string;
  readonly sessionIndex: string;
  readonly nameId: { value: string; format: string } | null;
}

let dir: string;
let hub: InteropHub;
let ssp: SimpleSamlPhp;
let browser: Browser;

test.before(async (t) => {
  const started = Date.now();
  dir = mkdtempSync(path.join(os.tmpdir(), 'skh-interop-ssp-'));
  const at = await reserveHubUrl();
  ssp = await startSimpleSamlPhp({
    dir: path.join(dir, 'simplesamlphp'),
    takenPorts: [at.port],
    idpEntityId: `${at.url}/saml/metadata`,
    keys: await spKeyPair(),
    requireEncryptedAssertion: true,
    authnContextClassRef: EIDAS_LOW,
  });
  // The portal's entry, as an operator writes it, with the metadata SimpleSAMLphp exports.
  const metadataFile = path.join(dir, 'simplesamlphp-sp.xml');
  writeFileSync(metadataFile, await ssp.spMetadata());
  const portalsFile = writePortalsYaml(dir, [
    {
      id: 'simplesamlphp',
      name: { de: 'SimpleSAMLphp-Portal', en: 'SimpleSAMLphp portal' },
      minLoa: 'low',
      attributes: ['givenName', 'familyName', 'email', 'dateOfBirth', 'placeOfBirth', 'postalCode', 'locality'],
      saml: { metadataFile, encryptAssertion: true },
    },
  ]);
  hub = await startInteropHub(at, portalsFile);
  const metadata = await fetch(`${hub.url}/saml/metadata`);
  ssp.setIdpMetadata(await metadata.text());
  await registerCitizen(hub);
  browser = await launchChromium();
  t.log(`SimpleSAMLphp and hub ready in ${Date.now() - started} ms`);
});

test.after.always(async (t) => {
  await browser?.close();
  await ssp?.stop();
  await hub?.h.close();
  // INTEROP_KEEP=1 keeps the generated configuration and the peer's logs for a look.
  if (dir && !process.env.INTEROP_KEEP) rmSync(dir, { recursive: true, force: true });
  else if (dir) t.log(`kept ${dir}`);
});

test.serial(
  'SimpleSAMLphp logs a citizen in through the hub and sees the attributes and the level; its single logout ends the hub session',
  async (t) => {
    const { context, page } = await newWindow(browser);
    const started = Date.now();
    try {
      // The portal's protected page sends the browser to the hub.
      await page.goto(ssp.portalUrl);
      await page.waitForURL((u) => u.origin === hub.url && u.pathname === '/anmelden');
      const login = page.getByRole('region', { name: 'Mit Benutzername und Passwort' });
      await login.getByLabel('Benutzername').fill(CITIZEN.username);
      await login.getByLabel('Passwort').fill(GOOD_PASSWORD);
      await login.getByRole('button', { name: 'Anmelden' }).click();

      // Consent: the portal's name and each value that will be sent.
      await page.waitForURL((u) => u.origin === hub.url && u.pathname.startsWith('/anmelden/einwilligung'));
      const consent = await page.getByRole('main').innerText();
      t.regex(consent, /SimpleSAMLphp-Portal/);
      for (const value of ['Erika', 'Mustermann', CITIZEN.email, '12.08.1964', 'Berlin', '33098', 'Paderborn']) {
        t.true(consent.includes(value), `consent page lists ${value}:\n${consent}`);
      }
      await screenshot(page, 'simplesamlphp-consent');
      await page.getByRole('button', { name: 'Zustimmen und Daten übermitteln' }).click();

      // Back at the portal: SimpleSAMLphp accepted the Response and shows what it read.
      await page
        .waitForURL((u) => u.origin === ssp.url && u.pathname === '/portal/', { timeout: 15_000 })
        .catch(async (err: unknown) => {
          await screenshot(page, 'simplesamlphp-failed');
          throw new Error(`${String(err)}\nended at ${page.url()}:\n${await page.innerText('body')}\n${ssp.log().slice(-4000)}`);
        });
      await screenshot(page, 'simplesamlphp-portal');
      const report = JSON.parse(await page.locator('#report').innerText()) as Report;
      t.log(`login round trip ${Date.now() - started} ms`);
      const a = report.attributes;
      t.deepEqual(a[OID.givenName], ['Erika']);
      t.deepEqual(a[OID.surname], ['Mustermann']);
      t.deepEqual(a[OID.mail], [CITIZEN.email]);
      t.deepEqual(a[OID.birthdate], ['1964-08-12']);
      t.deepEqual(a[OID.placeOfBirth], ['Berlin']);
      t.deepEqual(a[OID.postalCode], ['33098']);
      t.deepEqual(a[OID.locality], ['Paderborn']);
      // The computed attributes: session level (always STORK), method, per-portal pseudonym.
      t.deepEqual(a[OID.qaaLevel], ['STORK-QAA-Level-2']);
      t.deepEqual(a[OID.provedBy], ['Benutzername']);
      t.regex(a[OID.bPK2]?.[0] ?? '', /.{16,}/);
      // Nothing that was not released (street, birth name were not allowed for this portal).
      t.is(a['urn:oid:2.5.4.16'], undefined);
      t.is(a['urn:oid:1.2.40.0.10.2.1.1.225566'], undefined);
      t.is(report.authnContext, EIDAS_LOW);
      t.is(report.idp, `${hub.url}/saml/metadata`);
      t.is(report.nameId?.format, 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
      t.regex(report.nameId?.value ?? '', /.{16,}/);
      t.regex(ssp.log(), /Decryption with key #\d+ succeeded/, 'SimpleSAMLphp decrypted the assertion');

      // The hub knows the session.
      await page.goto(`${hub.url}/konto`);
      t.regex(await page.locator('#session-level').innerText(), /niedrig/);

      // SP-initiated single logout: SimpleSAMLphp → hub /saml/slo → SimpleSAMLphp → its ReturnTo.
      await page.goto(ssp.portalUrl);
      await page.getByRole('link', { name: 'Abmelden' }).click();
      await page
        .waitForURL((u) => u.origin === ssp.url && u.pathname === '/portal/abgemeldet')
        .catch(async (err: unknown) => {
          await screenshot(page, 'simplesamlphp-logout-failed');
          throw new Error(`${String(err)}\nended at ${page.url()}:\n${await page.innerText('body')}\n${ssp.log().slice(-4000)}`);
        });
      t.is(await page.locator('#status').innerText(), 'nicht angemeldet');
      // SimpleSAMLphp verified the hub's signed LogoutResponse and recorded its status.
      const status = JSON.parse(await page.locator('#logout-status').innerText()) as { Code?: string; SubCode?: string | null } | null;
      t.is(status?.Code, 'urn:oasis:names:tc:SAML:2.0:status:Success');
      t.falsy(status?.SubCode, 'no PartialLogout');
      await page.goto(`${hub.url}/`);
      t.regex(await page.locator('#session-level').innerText(), /nicht angemeldet/);
      await screenshot(page, 'simplesamlphp-after-logout');
      t.log(`login and logout ${Date.now() - started} ms`);
    } finally {
      await context.close();
    }
  },
);

test.serial('Abmelden at the hub sends SimpleSAMLphp a LogoutRequest that it accepts and answers', async (t) => {
  const { context, page } = await newWindow(browser);
  try {
    // Log in again (the consent is remembered: straight back to the portal).
    await page.goto(ssp.portalUrl);
    await page.waitForURL((u) => u.origin === hub.url && u.pathname === '/anmelden');
    const login = page.getByRole('region', { name: 'Mit Benutzername und Passwort' });
    await login.getByLabel('Benutzername').fill(CITIZEN.username);
    await login.getByLabel('Passwort').fill(GOOD_PASSWORD);
    await login.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL((u) => u.origin === ssp.url && u.pathname === '/portal/');
    t.is(await page.locator('#authn-context').innerText(), EIDAS_LOW);

    // Abmelden in the hub's header: the hub → SimpleSAMLphp's SLO endpoint → the hub.
    await page.goto(`${hub.url}/konto`);
    await page.getByRole('button', { name: 'Abmelden' }).click();
    await expectArrival(
      page,
      (u) => u.origin === hub.url && u.pathname.startsWith('/saml/slo'),
      'hub logout',
      () => ssp.log(),
    );
    await page.getByRole('heading', { name: 'Abgemeldet' }).waitFor();
    const main = await page.getByRole('main').innerText();
    t.false(main.includes('konnten nicht'), `every portal was reached:\n${main}`);
    t.regex(await page.locator('#session-level').innerText(), /nicht angemeldet/);
    await screenshot(page, 'simplesamlphp-hub-logout');
    // The hub's LogoutRequest reached SimpleSAMLphp's SLO endpoint (the hub lists no portal as
    // unreached, so SimpleSAMLphp answered Success with a LogoutResponse the hub verified).
    t.regex(ssp.process.output(), /GET \/module\.php\/saml\/sp\/saml2-logout\.php\/default-sp\?SAMLRequest=/);

    // SimpleSAMLphp's session ended too: its protected page sends the browser to the hub again.
    await page.goto(ssp.portalUrl);
    await page.waitForURL((u) => u.origin === hub.url && u.pathname === '/anmelden');
  } finally {
    await context.close();
  }
});
