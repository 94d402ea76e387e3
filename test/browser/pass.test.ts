import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { audit, launchChromium, newWindow as openWindow, screenshot } from '../helpers/browser.ts';
import { Client } from '../helpers/client.ts';
import { GOOD_PASSWORD, personalData, registerAndConfirm } from '../helpers/citizen.ts';
import { TestClock } from '../helpers/clock.ts';
import type { TestHub } from '../helpers/hub.ts';
import { eidLogin, eidRegisterAndConfirm } from '../authn/eid/helpers.ts';
import { startPassHub } from '../authn/pass/helpers.ts';
import { authorizationUrl, redeem, registerPortals, rp, type OidcBed, type RegisteredPortal } from '../portals/oidc/fixture.ts';

/**
 * The Servicekonto.Pass in Debian's Chromium with Chromium's virtual authenticator (DevTools
 * protocol, WebAuthn domain), with the hub's Content-Security-Policy in force: the scripts run
 * because the Pass pages allow exactly them. The hub's public URL is http://localhost (a secure
 * context and a valid RP ID; 127.0.0.1 is neither). axe-core checks every Pass page (evaluated
 * through DevTools, which the CSP does not govern) against WCAG 2.1 A and AA; screenshots land in
 * test-results/.
 */

const PAGE = '/konto/authentifizierungsmittel';

let h: TestHub;
let dir: string;
let portal: RegisteredPortal;
let browser: Browser;

test.before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'skh-pass-browser-'));
  [portal] = (await registerPortals(dir, [{ id: 'steuer', auth: 'none', minLoa: 'substantial', attributes: ['givenName'] }])) as [
    RegisteredPortal,
  ];
  h = await startPassHub({ dir, clock: new TestClock(Date.now()) });
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
  await h?.close();
  await portal?.server.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Window {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly cdp: CDPSession;
  readonly authenticatorId: string;
}

/** A browser window (CSP in force) with a virtual platform authenticator: resident keys, user verification. */
async function newWindow(options: { javaScript?: boolean; locale?: string; phone?: boolean } = {}): Promise<Window> {
  const { context, page } = await openWindow(browser, {
    locale: options.locale ?? 'de-DE',
    javaScriptEnabled: options.javaScript ?? true,
    viewport: options.phone ? { width: 390, height: 844 } : { width: 1280, height: 900 },
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { context, page, cdp, authenticatorId };
}

async function level(page: Page): Promise<string> {
  return (await page.locator('#session-level').innerText()).replace(/\s+/g, ' ').trim();
}

async function passwordLogin(page: Page, username: string): Promise<void> {
  await page.goto(`${h.url}/anmelden`);
  await page.locator('#f-username').fill(username);
  await page.locator('#f-password').fill(GOOD_PASSWORD);
  await page.locator('form[action="/anmelden/passwort"] button[type=submit]').click();
  await page.waitForURL(/\/konto$/);
}

async function passLogin(page: Page): Promise<void> {
  await page
    .getByRole('region', { name: 'Mit dem Servicekonto.Pass' })
    .getByRole('button', { name: 'Anmelden mit dem Servicekonto.Pass' })
    .click();
}

async function logout(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Abmelden' }).click();
  await page.getByRole('heading', { name: 'Abgemeldet' }).waitFor();
}

let citizens = 0;
async function passwordCitizen(): Promise<string> {
  citizens += 1;
  const username = `browser${citizens}`;
  await registerAndConfirm(new Client(h.url), h.outbox, { username, personal: personalData({ email: `${username}@example.org` }) });
  return username;
}

test.serial('a citizen adds a Servicekonto.Pass on the computer and logs in with it, without a username, at level niedrig', async (t) => {
  const username = await passwordCitizen();
  const w = await newWindow();
  const { page } = w;
  try {
    const main = page.getByRole('main');
    await passwordLogin(page, username);
    t.regex(await main.innerText(), /Servicekonto\.Pass: keiner eingerichtet/);
    await main.getByRole('link', { name: 'Authentifizierungsmittel verwalten' }).click();
    await page.waitForURL(new RegExp(`${PAGE}$`));
    await page.getByRole('heading', { name: 'Servicekonto.Pass', exact: true }).waitFor();
    await audit(t, page, 'Meine Authentifizierungsmittel without a passkey');
    await screenshot(page, 'pass-authenticators-empty');

    await page.getByLabel(/Name des Passkeys/).fill('Laptop');
    await main.getByRole('button', { name: 'Auf diesem Gerät einrichten' }).click();
    await page.getByRole('status').filter({ hasText: 'wurde eingerichtet' }).waitFor();
    t.regex(await main.innerText(), /Ihr Servicekonto\.Pass „Laptop“ wurde eingerichtet \(Vertrauensniveau „niedrig“\)/);
    await audit(t, page, 'Meine Authentifizierungsmittel with a passkey');
    await screenshot(page, 'pass-authenticators-one');
    const { credentials } = await w.cdp.send('WebAuthn.getCredentials', { authenticatorId: w.authenticatorId });
    t.is(credentials.length, 1);
    t.true(credentials[0]!.isResidentCredential, 'a discoverable credential');

    await logout(page);
    await page.goto(`${h.url}/anmelden`);
    await audit(t, page, 'login page with the Pass');
    await screenshot(page, 'pass-login-page');
    await passLogin(page);
    await page.waitForURL(/\/konto$/);
    t.is(await level(page), 'Aktuelle Sitzung: niedrig');
    t.regex(await main.innerText(), new RegExp(`Angemeldet als ${username}`));
    t.regex(await main.innerText(), /Anmeldung \(Servicekonto\.Pass, Vertrauensniveau niedrig\)/);
  } finally {
    await w.context.close();
  }
});

test.serial(
  'on an account with the ID card (hoch through the simulator) the passkey gives substanziell, and the portal receives acr substantial',
  async (t) => {
    const w = await newWindow();
    const { page } = w;
    try {
      const main = page.getByRole('main');
      // Erika registers with her card (and a password) through the simulator, by HTTP: Chromium
      // refuses the eID start's redirect to the eID-Client under the hub's form-action 'self'.
      await eidRegisterAndConfirm(h, new Client(h.url), 'erika', {
        username: 'erika.browser',
        email: 'erika.browser@example.org',
        password: GOOD_PASSWORD,
      });

      // A password session may not add a passkey to this account: the page says how to step up.
      await passwordLogin(page, 'erika.browser');
      await page.goto(`${h.url}${PAGE}`);
      t.regex(await main.innerText(), /mindestens das Vertrauensniveau „substanziell“ \(jetzt: „niedrig“\)/);
      t.is(await main.getByRole('button', { name: 'Auf diesem Gerät einrichten' }).count(), 0);
      await audit(t, page, 'Meine Authentifizierungsmittel, session too low');
      await screenshot(page, 'pass-authenticators-gated');
      const stepUp = main.getByRole('link', { name: 'Mit Online-Ausweis bestätigen' });
      t.is(await stepUp.getAttribute('href'), '/konto/ausweis-bestaetigen?aktion=changeAuthenticators');
      await stepUp.click();
      await page.waitForURL(/\/konto\/ausweis-bestaetigen\?aktion=changeAuthenticators$/);
      t.regex(await main.innerText(), /Bevor Sie einen Servicekonto\.Pass hinzufügen oder entfernen/);
      await audit(t, page, 'eID confirmation before adding a passkey');
      // The card confirms through the simulator (by HTTP, see above); the browser takes over that session.
      const card = new Client(h.url);
      await eidLogin(card, 'erika');
      t.is(card.sessionLevel(), 'hoch');
      const cookie = h.hub.config.session.cookieName;
      await w.context.clearCookies();
      await w.context.addCookies([{ name: cookie, value: card.cookie(cookie)!, url: h.url }]);
      await page.goto(`${h.url}${PAGE}`);
      t.is(await level(page), 'Aktuelle Sitzung: hoch');

      await page.getByLabel(/Name des Passkeys/).fill('Erikas Telefon');
      await main.getByRole('button', { name: 'Auf diesem Gerät einrichten' }).click();
      await page.getByRole('status').filter({ hasText: 'wurde eingerichtet' }).waitFor();
      t.regex(await main.innerText(), /„Erikas Telefon“ wurde eingerichtet \(Vertrauensniveau „substanziell“\)/);
      await audit(t, page, 'Meine Authentifizierungsmittel with card and passkey');
      await screenshot(page, 'pass-authenticators-eid');
      await logout(page);

      // The portal needs substanziell: the Pass is offered (the password is not) and reaches it.
      const config = await rp({ h } as OidcBed, portal);
      const authorization = await authorizationUrl(config, portal, { scope: 'openid profile' });
      await page.goto(authorization.url.href);
      t.regex(await main.innerText(), /verlangt das Vertrauensniveau „substanziell“/);
      t.is(await page.locator('form[action="/anmelden/passwort"]').count(), 0);
      await audit(t, page, 'login page for a portal needing substanziell');
      await screenshot(page, 'pass-login-portal');
      await passLogin(page);
      await page.getByRole('button', { name: 'Zustimmen und Daten übermitteln' }).waitFor();
      t.is(await level(page), 'Aktuelle Sitzung: substanziell');
      await page.getByRole('button', { name: 'Zustimmen und Daten übermitteln' }).click();
      await page.waitForURL((u) => u.href.startsWith(portal.redirectUri));
      const claims = (await redeem(config, new URL(page.url()), authorization)).claims()!;
      t.is(claims.acr, 'http://eidas.europa.eu/LoA/substantial');
      t.deepEqual(claims.amr, ['pass']);
    } finally {
      await w.context.close();
    }
  },
);

test.serial('a second device enrols through the QR code once; removing its passkey ends its session and its login', async (t) => {
  const username = await passwordCitizen();
  const computer = await newWindow();
  const phone = await newWindow({ phone: true });
  try {
    const main = computer.page.getByRole('main');
    await passwordLogin(computer.page, username);
    await computer.page.goto(`${h.url}${PAGE}`);
    await main.getByRole('button', { name: 'QR-Code für ein anderes Gerät anzeigen' }).click();
    await computer.page.waitForURL(new RegExp(`${PAGE}/pass/qr$`));
    await computer.page.getByRole('img', { name: 'QR-Code mit dem Einrichtungslink' }).waitFor();
    await audit(t, computer.page, 'enrolment QR code');
    await screenshot(computer.page, 'pass-enrolment-qr');
    const link = (await computer.page.locator('.enrolment-link code').innerText()).trim();
    t.regex(link, /^http:\/\/localhost:\d+\/pass\/einrichten\?t=/);

    const p = phone.page;
    const phoneMain = p.getByRole('main');
    await p.goto(link);
    await p.waitForURL(/\/pass\/einrichten$/);
    t.regex(await phoneMain.innerText(), new RegExp(`für das Servicekonto „${username}“`));
    await audit(t, p, 'enrolment on the phone');
    await screenshot(p, 'pass-enrolment-phone');
    await p.getByLabel(/Name des Passkeys/).fill('Handy');
    await phoneMain.getByRole('button', { name: 'Servicekonto.Pass einrichten' }).click();
    await p.getByRole('heading', { name: 'Ihr Servicekonto.Pass ist eingerichtet' }).waitFor();
    t.regex(await phoneMain.innerText(), /„Handy“ gehört jetzt zum Servicekonto .* \(Vertrauensniveau „niedrig“\)/);
    t.is(await level(p), 'Aktuelle Sitzung: nicht angemeldet');
    await audit(t, p, 'enrolment done');
    await screenshot(p, 'pass-enrolment-done');

    await p.goto(link);
    await p.getByRole('heading', { name: 'Einrichtungslink ungültig' }).waitFor();
    await audit(t, p, 'enrolment link used');
    await screenshot(p, 'pass-enrolment-used');

    await p.goto(`${h.url}/anmelden`);
    await passLogin(p);
    await p.waitForURL(/\/konto$/);
    t.is(await level(p), 'Aktuelle Sitzung: niedrig');

    // The phone is lost: the computer removes its passkey.
    await computer.page.goto(`${h.url}${PAGE}`);
    await main.getByRole('link', { name: '„Handy“ entfernen' }).click();
    await computer.page.getByRole('heading', { name: 'Servicekonto.Pass „Handy“ entfernen?' }).waitFor();
    await audit(t, computer.page, 'remove passkey confirmation');
    await screenshot(computer.page, 'pass-remove-confirm');
    await main.getByRole('button', { name: 'Servicekonto.Pass entfernen' }).click();
    await computer.page.getByRole('status').filter({ hasText: 'wurde entfernt' }).waitFor();
    t.regex(await main.innerText(), /„Handy“ wurde entfernt\. 1 Sitzung\(en\), die mit ihm angemeldet waren, wurden beendet/);

    await p.goto(`${h.url}/konto`);
    await p.waitForURL(/\/anmelden$/);
    t.is(await level(p), 'Aktuelle Sitzung: nicht angemeldet');
    await passLogin(p);
    const alert = p.getByRole('region', { name: 'Mit dem Servicekonto.Pass' }).getByRole('alert');
    await alert.waitFor();
    t.regex(await alert.innerText(), /bei keinem Servicekonto registriert/);
    t.is(await level(p), 'Aktuelle Sitzung: nicht angemeldet');
    await audit(t, p, 'login with a removed passkey');
    await screenshot(p, 'pass-login-removed');
  } finally {
    await computer.context.close();
    await phone.context.close();
  }
});

test.serial('a copied passkey whose counter lags behind is refused with a clear message', async (t) => {
  const username = await passwordCitizen();
  const original = await newWindow();
  const copy = await newWindow();
  try {
    await passwordLogin(original.page, username);
    await original.page.goto(`${h.url}${PAGE}`);
    await original.page.getByRole('main').getByRole('button', { name: 'Auf diesem Gerät einrichten' }).click();
    await original.page.getByRole('status').filter({ hasText: 'wurde eingerichtet' }).waitFor();
    const { credentials } = await original.cdp.send('WebAuthn.getCredentials', { authenticatorId: original.authenticatorId });
    const key = credentials[0]!;
    // The original logs in twice more, so its counter runs ahead of the copy's.
    for (let i = 0; i < 2; i++) {
      await logout(original.page);
      await original.page.goto(`${h.url}/anmelden`);
      await passLogin(original.page);
      await original.page.waitForURL(/\/konto$/);
    }
    await copy.cdp.send('WebAuthn.addCredential', {
      authenticatorId: copy.authenticatorId,
      credential: { ...key, signCount: key.signCount },
    });
    await copy.page.goto(`${h.url}/anmelden`);
    await passLogin(copy.page);
    const alert = copy.page.getByRole('region', { name: 'Mit dem Servicekonto.Pass' }).getByRole('alert');
    await alert.waitFor();
    t.regex(await alert.innerText(), /Zählerstand gemeldet, der nicht zu den bisherigen Anmeldungen passt/);
    t.is(await level(copy.page), 'Aktuelle Sitzung: nicht angemeldet');
    await audit(t, copy.page, 'login refused: counter regression');
    await screenshot(copy.page, 'pass-login-clone');
    await original.page.goto(`${h.url}${PAGE}`);
    t.regex(await original.page.getByRole('main').innerText(), /Achtung: Am .* unpassenden Zählerstand abgelehnt/);
  } finally {
    await original.context.close();
    await copy.context.close();
  }
});

test.serial('without JavaScript the Pass explains that it needs it; the English pages pass axe too', async (t) => {
  const w = await newWindow({ javaScript: false });
  try {
    await w.page.goto(`${h.url}/anmelden`);
    const region = w.page.getByRole('region', { name: 'Mit dem Servicekonto.Pass' });
    t.regex(await region.innerText(), /Der Servicekonto\.Pass braucht JavaScript/);
    await region.getByRole('button', { name: 'Anmelden mit dem Servicekonto.Pass' }).click();
    await region.getByRole('alert').waitFor();
    t.regex(
      await region.getByRole('alert').innerText(),
      /Es kam keine Antwort Ihres Geräts an\. Der Servicekonto\.Pass braucht JavaScript/,
    );
  } finally {
    await w.context.close();
  }
  const en = await newWindow({ locale: 'en-GB' });
  try {
    await en.page.goto(`${h.url}/anmelden`);
    await en.page
      .getByRole('region', { name: 'With the Servicekonto.Pass' })
      .getByRole('button', { name: 'Log in with the Servicekonto.Pass' })
      .waitFor();
    await audit(t, en.page, 'English login page');
    await screenshot(en.page, 'pass-login-en');
    await en.page
      .getByRole('region', { name: 'With the Servicekonto.Pass' })
      .getByRole('button', { name: 'Log in with the Servicekonto.Pass' })
      .click();
    const status = en.page.getByRole('region', { name: 'With the Servicekonto.Pass' }).getByRole('status');
    await status
      .filter({ hasText: /cancelled or took too long|not registered/ })
      .or(en.page.getByRole('alert'))
      .first()
      .waitFor();
    await audit(t, en.page, 'English login page after an attempt without a passkey');
  } finally {
    await en.context.close();
  }
});
