import test from 'ava';
import type { Browser } from 'playwright-core';
import { audit, launchChromium, newWindow, screenshot } from '../helpers/browser.ts';
import { GOOD_PASSWORD, personalData } from '../helpers/citizen.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

/**
 * A citizen's whole way through the hub in Debian's Chromium, in German: register in three
 * steps, confirm the mail, log in, look at the account pages, delete the account. axe-core
 * checks every page on the way against WCAG 2.1 A and AA (BITV 2.0); a few pages are kept as
 * screenshots in test-results/ for a human to look at.
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

test('a citizen registers, confirms, logs in, looks at the account and deletes it; every page passes axe', async (t) => {
  const { context, page } = await newWindow(browser);
  try {
    const data = personalData({ email: 'erika.browser@example.org' });
    const username = 'erika.browser';
    const main = page.getByRole('main');

    await page.goto(h.url + '/');
    t.is(await page.locator('html').getAttribute('lang'), 'de');
    await audit(t, page, 'start page');

    // Step 1, first with mistakes.
    await main.getByRole('link', { name: 'Registrieren' }).click();
    await page.waitForURL(/\/registrieren$/);
    await audit(t, page, 'registration step 1');
    const fillStep1 = async (values: Record<string, string>): Promise<void> => {
      await page.getByLabel('Vorname(n)').fill(values.givenName!);
      await page.getByLabel('Familienname').fill(values.familyName!);
      await page.getByLabel('Geburtsdatum').fill('12.08.1964'); // typed as a German citizen writes it
      await page.getByLabel('Geburtsort').fill(values.placeOfBirth!);
      await page.getByLabel('Straße und Hausnummer').fill(values.street!);
      await page.getByLabel('Postleitzahl').fill(values.postalCode!);
      await page.getByLabel('Ort', { exact: true }).fill(values.locality!);
      await page.getByLabel('E-Mail-Adresse', { exact: true }).fill(values.email!);
      await page.getByLabel('Geburtsname').fill(values.birthName!);
    };
    await fillStep1({ ...data, givenName: '', street: 'Am Abdinghof, 11' });
    await page.getByRole('button', { name: 'Weiter' }).click();
    await page.locator('.error-summary').waitFor();
    t.regex(await page.locator('#f-givenName-error').innerText(), /Vorname\(n\): Bitte füllen Sie dieses Feld aus/);
    t.regex(await page.locator('#f-street-error').innerText(), /ohne Komma/);
    await audit(t, page, 'registration step 1 with errors');
    await screenshot(page, 'registration-step1-errors');

    await fillStep1(data);
    await page.getByRole('button', { name: 'Weiter' }).click();
    await page.waitForURL(/\/registrieren\/zugangsdaten$/);
    await audit(t, page, 'registration step 2');

    await page.getByLabel('Benutzername').fill(username);
    await page.getByLabel('Passwort', { exact: true }).fill(GOOD_PASSWORD);
    await page.getByLabel('Passwort wiederholen').fill(GOOD_PASSWORD);
    await page.getByRole('checkbox', { name: /Datenschutzerklärung gelesen/ }).check();
    await page.getByRole('button', { name: 'Weiter' }).click();
    await page.waitForURL(/\/registrieren\/pruefen$/);
    t.regex(await main.innerText(), /12\.08\.1964/);
    await audit(t, page, 'registration step 3 (review)');

    await page.getByRole('button', { name: 'Sichern' }).click();
    await page.waitForURL(/\/registrieren\/gesendet$/);
    t.regex(await main.innerText(), /erika\.browser@example\.org/);
    await audit(t, page, 'registration sent');

    // The confirmation mail, opened in the same browser.
    const mail = await h.outbox.latest(data.email!, 'Registrierung');
    const link = mail.links.find((l) => l.includes('/registrieren/bestaetigen'));
    if (!link) return t.fail('no confirmation link in the mail');
    await page.goto(link);
    await page.getByRole('heading', { name: 'Ihr Servicekonto ist aktiviert' }).waitFor();
    await audit(t, page, 'registration confirmed');

    // Log in: once wrong, then right.
    await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Anmelden' }).click();
    await page.waitForURL(/\/anmelden$/);
    await audit(t, page, 'login page');
    const passwordLogin = page.getByRole('region', { name: 'Mit Benutzername und Passwort' });
    await passwordLogin.getByLabel('Benutzername').fill(username);
    await passwordLogin.getByLabel('Passwort').fill('Falsch2026!');
    await passwordLogin.getByRole('button', { name: 'Anmelden' }).click();
    await passwordLogin.getByRole('alert').waitFor();
    t.regex(await passwordLogin.getByRole('alert').innerText(), /Benutzername oder Passwort ist falsch/);
    await audit(t, page, 'login page with a wrong password');
    await screenshot(page, 'login-wrong-password');

    await passwordLogin.getByLabel('Passwort').fill(GOOD_PASSWORD);
    await passwordLogin.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL(/\/konto$/);
    t.is((await page.locator('#session-level').innerText()).replace(/\s+/g, ' ').trim(), 'Aktuelle Sitzung: niedrig');
    await audit(t, page, '/konto');
    await screenshot(page, 'konto');

    // The account pages.
    await main.getByRole('link', { name: 'Meine Daten ändern' }).click();
    await page.waitForURL(/\/konto\/daten$/);
    t.is(await page.getByLabel('Vorname(n)').inputValue(), 'Erika');
    await audit(t, page, '/konto/daten');
    await main.getByRole('link', { name: 'Abbrechen' }).click();
    await page.waitForURL(/\/konto$/);

    await main.getByRole('link', { name: 'Passwort ändern' }).click();
    await page.waitForURL(/\/konto\/passwort$/);
    await audit(t, page, '/konto/passwort');
    await main.getByRole('link', { name: 'Abbrechen' }).click();
    await page.waitForURL(/\/konto$/);

    await main.getByRole('link', { name: 'Servicekonto löschen' }).click();
    await page.waitForURL(/\/konto\/loeschen$/);
    await audit(t, page, '/konto/loeschen');
    await page.getByLabel('Zur Bestätigung Ihr Passwort').fill(GOOD_PASSWORD);
    await page.getByRole('button', { name: 'Servicekonto löschen' }).click();
    await page.getByRole('heading', { name: 'Ihr Servicekonto wurde gelöscht' }).waitFor();
    t.regex((await page.locator('#session-level').innerText()).replace(/\s+/g, ' '), /nicht angemeldet/);
    await audit(t, page, 'account deleted');
    await screenshot(page, 'account-deleted');
  } finally {
    await context.close();
  }
});

test('the recovery pages, the legal and accessibility pages and the English start page pass axe', async (t) => {
  const { context, page } = await newWindow(browser);
  try {
    await page.goto(h.url + '/anmelden');
    await page.getByRole('link', { name: 'Benutzername vergessen?' }).click();
    await page.waitForURL(/\/benutzername-vergessen$/);
    await audit(t, page, '/benutzername-vergessen');
    await page.goBack();
    await page.getByRole('link', { name: 'Passwort vergessen?' }).click();
    await page.waitForURL(/\/passwort-vergessen$/);
    await audit(t, page, '/passwort-vergessen');

    const footer = page.getByRole('navigation', { name: 'Rechtliches und Barrierefreiheit' });
    for (const [name, slug] of [
      ['Impressum', 'impressum'],
      ['Datenschutzerklärung', 'datenschutz'],
      ['Erklärung zur Barrierefreiheit', 'barrierefreiheit'],
      ['Leichte Sprache', 'leichte-sprache'],
      ['Gebärdensprache', 'gebaerdensprache'],
    ] as const) {
      await footer.getByRole('link', { name }).click();
      await page.waitForURL(new RegExp(`/${slug}$`));
      await audit(t, page, `/${slug}`);
    }

    await page.goto(h.url + '/');
    await page.getByRole('link', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Welcome to the Servicekonto' }).waitFor();
    t.is(await page.locator('html').getAttribute('lang'), 'en');
    await audit(t, page, 'English start page');
    await screenshot(page, 'start-english');
  } finally {
    await context.close();
  }
});
