import test, { type ExecutionContext } from 'ava';
import type { Browser, Page } from 'playwright-core';
import { audit, launchChromium, newWindow, screenshot } from '../helpers/browser.ts';
import { MINUTE } from '../../src/core/clock.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

/**
 * Registration and login with the Online-Ausweisfunktion in Debian's Chromium, through the
 * eID-Server simulator and its AusweisApp stand-in (card-choice page), in German. axe-core checks
 * every page on the way, the simulator's pages included, against WCAG 2.1 A and AA; screenshots
 * land in test-results/ for a human to look at.
 */

let h: TestHub;
let browser: Browser;

test.before(async () => {
  h = await startTestHub();
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
  await h?.close();
});

async function level(page: Page): Promise<string> {
  return (await page.locator('#session-level').innerText()).replace(/\s+/g, ' ').trim();
}

/** On the simulator's card page: pick a test card and read it. */
async function chooseCard(t: ExecutionContext, page: Page, label: string, shot?: string): Promise<void> {
  await page.getByRole('heading', { name: 'Testausweis wählen' }).waitFor();
  await audit(t, page, 'AusweisApp simulator: card choice');
  if (shot) await screenshot(page, shot);
  await page.getByLabel(label, { exact: true }).check();
  await page.getByRole('button', { name: 'Ausweis auslesen' }).click();
}

test('a citizen registers with the ID card, confirms, logs in at level hoch and manages the card; every page passes axe', async (t) => {
  const { context, page } = await newWindow(browser);
  try {
    const main = page.getByRole('main');
    await page.goto(`${h.url}/registrieren`);
    await audit(t, page, 'registration step 1 with the eID offer');
    await screenshot(page, 'eid-registration-offer');
    await main.getByRole('link', { name: 'Registrieren mit der Online-Ausweisfunktion' }).click();
    await page.waitForURL(/\/registrieren\/ausweis$/);
    await audit(t, page, 'eID registration start');
    await screenshot(page, 'eid-registration-start');

    await main.getByRole('button', { name: 'Ausweis auslesen' }).click();
    await chooseCard(t, page, 'Erika Mustermann', 'eid-simulator-card-choice');
    await page.waitForURL(/\/registrieren\/ausweis\/zugangsdaten$/);
    t.regex(await main.innerText(), /MUSTERMANN/);
    await audit(t, page, 'eID registration: credentials');

    // First with a mistake, to see the errors tied to the fields.
    await page.getByLabel('Benutzername').fill('erika.browser');
    await page.getByLabel('E-Mail-Adresse').fill('erika.browser@example');
    await page.getByRole('button', { name: 'Weiter' }).click();
    await page.locator('.error-summary').waitFor();
    t.regex(await page.locator('#f-email-error').innerText(), /gültige E-Mail-Adresse/);
    await audit(t, page, 'eID registration: credentials with errors');
    await screenshot(page, 'eid-registration-credentials-errors');
    await page.getByLabel('E-Mail-Adresse').fill('erika.browser@example.org');
    await page.getByRole('checkbox', { name: /Datenschutzerklärung gelesen/ }).check();
    await page.getByRole('button', { name: 'Weiter' }).click();
    await page.waitForURL(/\/registrieren\/ausweis\/pruefen$/);
    t.regex(await main.innerText(), /kein Passwort \(Anmeldung nur mit der Online-Ausweisfunktion\)/);
    await audit(t, page, 'eID registration: review');
    await screenshot(page, 'eid-registration-review');
    await page.getByRole('button', { name: 'Sichern' }).click();
    await page.waitForURL(/\/registrieren\/ausweis\/gesendet$/);
    await audit(t, page, 'eID registration: mail sent');

    const mail = await h.outbox.latest('erika.browser@example.org', 'Registrierung');
    await page.goto(mail.links.find((l) => l.includes('/registrieren/bestaetigen'))!);
    await page.getByRole('heading', { name: 'Ihr Servicekonto ist aktiviert' }).waitFor();

    // Log in with the card.
    await page.goto(`${h.url}/anmelden`);
    await audit(t, page, 'login page with the eID method');
    await screenshot(page, 'eid-login-page');
    await page
      .getByRole('region', { name: 'Mit der Online-Ausweisfunktion' })
      .getByRole('button', { name: 'Mit Online-Ausweis anmelden' })
      .click();
    await chooseCard(t, page, 'Erika Mustermann');
    await page.waitForURL(/\/konto$/);
    t.is(await level(page), 'Aktuelle Sitzung: hoch');
    await audit(t, page, '/konto after an eID login');
    await screenshot(page, 'eid-konto');

    await main.getByRole('link', { name: 'Authentifizierungsmittel verwalten' }).click();
    await page.waitForURL(/\/konto\/authentifizierungsmittel$/);
    t.regex(await main.innerText(), /Ihr Ausweis \(Personalausweis\) ist seit/);
    await audit(t, page, 'Meine Authentifizierungsmittel');
    await screenshot(page, 'eid-authenticators');

    await page.goto(`${h.url}/konto/daten`);
    t.regex(await main.innerText(), /HEIDESTRASSE 17/);
    await audit(t, page, '/konto/daten with verified data');
    await screenshot(page, 'eid-change-data');

    // Five quiet minutes later the hoch level has lapsed: deleting asks for the card again.
    h.clock.advance(6 * MINUTE);
    await page.goto(`${h.url}/konto/loeschen`);
    await page.waitForURL(/\/konto\/ausweis-bestaetigen\?aktion=deleteAccount$/);
    t.is(await level(page), 'Aktuelle Sitzung: substanziell');
    await audit(t, page, 'fresh eID confirmation before deletion');
    await screenshot(page, 'eid-reauth');
    await main.getByRole('button', { name: 'Mit Online-Ausweis bestätigen' }).click();
    await chooseCard(t, page, 'Erika Mustermann');
    await page.waitForURL(/\/konto\/loeschen$/);
    t.is(await level(page), 'Aktuelle Sitzung: hoch');
    await audit(t, page, 'deletion confirmed by the ID card');
    await main.getByRole('button', { name: 'Servicekonto löschen' }).click();
    await page.getByRole('heading', { name: 'Ihr Servicekonto wurde gelöscht' }).waitFor();
  } finally {
    await context.close();
  }
});

test('refusals and the card of a stranger lead to clear pages that pass axe', async (t) => {
  const { context, page } = await newWindow(browser);
  try {
    const main = page.getByRole('main');
    await page.goto(`${h.url}/anmelden`);
    const eid = page.getByRole('region', { name: 'Mit der Online-Ausweisfunktion' });
    await eid.getByRole('button', { name: 'Mit Online-Ausweis anmelden' }).click();
    await chooseCard(t, page, 'Leon Schneider (14 Jahre)');
    await eid.getByRole('alert').waitFor();
    t.regex(await eid.getByRole('alert').innerText(), /mindestens 16 Jahre alt/);
    t.is(await level(page), 'Aktuelle Sitzung: nicht angemeldet');
    await audit(t, page, 'login refused: under 16');
    await screenshot(page, 'eid-login-too-young');

    await eid.getByRole('button', { name: 'Mit Online-Ausweis anmelden' }).click();
    await chooseCard(t, page, 'Anna-Lena Bergmann, geb. Weber');
    await page.getByRole('heading', { name: 'Kein Servicekonto zu diesem Ausweis' }).waitFor();
    await audit(t, page, 'no account for this card');
    await main.getByRole('link', { name: 'Mit den Daten dieses Ausweises registrieren' }).click();
    await page.waitForURL(/\/registrieren\/ausweis\/zugangsdaten$/);
    t.regex(await main.innerText(), /WEBER/);

    await page.goto(`${h.url}/registrieren/ausweis`);
    await main.getByRole('button', { name: 'Ausweis auslesen' }).click();
    await page.getByRole('heading', { name: 'Testausweis wählen' }).waitFor();
    await page.getByRole('button', { name: 'Abbrechen' }).click();
    await page.waitForURL(/\/anmelden\/ausweis\/zurueck/);
    t.regex(await main.innerText(), /abgebrochen/);
    await audit(t, page, 'registration after a cancellation');
  } finally {
    await context.close();
  }
});
