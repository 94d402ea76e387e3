import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { Browser } from 'playwright-core';
import { GOOD_PASSWORD } from '../helpers/citizen.ts';
import { CITIZEN, registerCitizen, reserveHubUrl, startInteropHub, writePortalsYaml, type InteropHub } from './hub.ts';
import { startModAuthOpenidc, type ModAuthOpenidc } from './mod-auth-openidc.ts';
import { expectArrival, launchChromium, newWindow, screenshot } from './peer.ts';

/**
 * Interop with Apache httpd and mod_auth_openidc 2.4 (Debian) as a portal's OpenID Connect
 * relying party, in headless Chromium: its protected location sends the browser to the hub
 * (code flow, PKCE S256, client_secret_basic, acr_values eIDAS low), the citizen logs in with
 * username and password and consents, and mod_auth_openidc, after its own checks of the ID token
 * (iss, aud, nonce, signature against the JWKS, times) and a userinfo call, shows the claims and
 * the `acr`. Its logout (`?logout=` at its redirect URI → the hub's end_session) ends the hub
 * session.
 */

const EIDAS_LOW = 'http://eidas.europa.eu/LoA/low';
const CLIENT_ID = 'apache-portal';

let dir: string;
let hub: InteropHub;
let rp: ModAuthOpenidc;
let browser: Browser;

test.before(async (t) => {
  const started = Date.now();
  dir = mkdtempSync(path.join(os.tmpdir(), 'skh-interop-oidc-'));
  chmodSync(dir, 0o711); // Apache's www-data children pass through to their pages
  const at = await reserveHubUrl();
  const secret = randomBytes(32).toString('hex');
  const secretFile = path.join(dir, 'apache-portal.secret');
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
  rp = await startModAuthOpenidc({
    dir: path.join(dir, 'apache'),
    takenPorts: [at.port],
    issuer: at.url,
    clientId: CLIENT_ID,
    clientSecret: secret,
    scope: 'openid profile email',
    authRequestParams: { acr_values: EIDAS_LOW },
  });
  const portalsFile = writePortalsYaml(dir, [
    {
      id: 'apache-portal',
      name: { de: 'Apache-Portal', en: 'Apache portal' },
      minLoa: 'low',
      attributes: ['givenName', 'familyName', 'dateOfBirth', 'email'],
      oidc: {
        clientId: CLIENT_ID,
        clientSecretFile: secretFile,
        tokenEndpointAuthMethod: 'client_secret_basic',
        redirectUris: [rp.redirectUri],
        postLogoutRedirectUris: [rp.loggedOutUrl],
      },
    },
  ]);
  hub = await startInteropHub(at, portalsFile);
  await registerCitizen(hub);
  browser = await launchChromium();
  t.log(`Apache (mod_auth_openidc) and hub ready in ${Date.now() - started} ms`);
});

test.after.always(async (t) => {
  await browser?.close();
  await rp?.stop();
  await hub?.h.close();
  // INTEROP_KEEP=1 keeps the generated configuration and the peer's logs for a look.
  if (dir && !process.env.INTEROP_KEEP) rmSync(dir, { recursive: true, force: true });
  else if (dir) t.log(`kept ${dir}`);
});

test.serial(
  'mod_auth_openidc logs a citizen in through the hub and sees the claims and the acr; its logout ends the hub session',
  async (t) => {
    const { context, page } = await newWindow(browser);
    const started = Date.now();
    try {
      await page.goto(rp.secureUrl);
      await expectArrival(
        page,
        (u) => u.origin === hub.url && u.pathname === '/anmelden',
        'to the hub login page',
        () => rp.errorLog(),
      );
      const login = page.getByRole('region', { name: 'Mit Benutzername und Passwort' });
      await login.getByLabel('Benutzername').fill(CITIZEN.username);
      await login.getByLabel('Passwort').fill(GOOD_PASSWORD);
      await login.getByRole('button', { name: 'Anmelden' }).click();

      await expectArrival(page, (u) => u.origin === hub.url && u.pathname.startsWith('/anmelden/einwilligung'), 'consent page');
      const consent = await page.getByRole('main').innerText();
      t.regex(consent, /Apache-Portal/);
      for (const value of ['Erika', 'Mustermann', CITIZEN.email, '12.08.1964']) {
        t.true(consent.includes(value), `consent page lists ${value}:\n${consent}`);
      }
      await screenshot(page, 'mod-auth-openidc-consent');
      await page.getByRole('button', { name: 'Zustimmen und Daten übermitteln' }).click();

      await expectArrival(
        page,
        (u) => u.origin === rp.url && u.pathname === '/secure/index.shtml',
        'back at the portal',
        () => rp.errorLog(),
      );
      await page.getByRole('heading', { name: 'Apache-Portal: angemeldet' }).waitFor();
      await screenshot(page, 'mod-auth-openidc-portal');
      t.log(`login round trip ${Date.now() - started} ms`);
      const claim = async (name: string): Promise<string> => (await page.locator(`#claim-${name}`).innerText()).trim();
      t.is(await claim('given_name'), 'Erika');
      t.is(await claim('family_name'), 'Mustermann');
      t.is(await claim('birthdate'), '1964-08-12');
      t.is(await claim('email'), CITIZEN.email);
      t.regex(await claim('email_verified'), /^(1|true)$/);
      t.is(await claim('acr'), EIDAS_LOW);
      t.regex(await claim('amr'), /pwd/);
      t.is(await claim('iss'), hub.url);
      t.is(await claim('aud'), CLIENT_ID);
      const sub = await claim('sub');
      t.regex(sub, /.{16,}/);
      t.is((await page.locator('#remote-user').innerText()).trim(), sub);

      // The hub knows the session.
      await page.goto(`${hub.url}/konto`);
      t.regex(await page.locator('#session-level').innerText(), /niedrig/);

      // mod_auth_openidc's logout → the hub's end_session (the citizen confirms) → back to the portal.
      await page.goto(rp.secureUrl);
      await page.getByRole('link', { name: 'Abmelden' }).click();
      await expectArrival(
        page,
        (u) => u.origin === hub.url,
        'to the hub end_session',
        () => rp.errorLog(),
      );
      await screenshot(page, 'mod-auth-openidc-logout-question');
      await page.getByRole('button', { name: 'Beim Servicekonto abmelden' }).click();
      await expectArrival(
        page,
        (u) => u.href === rp.loggedOutUrl,
        'back at the portal after logout',
        () => rp.errorLog(),
      );
      await page.goto(`${hub.url}/`);
      t.regex(await page.locator('#session-level').innerText(), /nicht angemeldet/);
      // mod_auth_openidc's session ended too: its protected page sends the browser to the hub again.
      await page.goto(rp.secureUrl);
      await expectArrival(page, (u) => u.origin === hub.url && u.pathname === '/anmelden', 'to the hub login again');
      t.log(`login and logout ${Date.now() - started} ms`);
    } finally {
      await context.close();
    }
  },
);
