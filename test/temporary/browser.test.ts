import test, { type ExecutionContext } from 'ava';
import type { Browser, Page } from 'playwright-core';
import { audit, launchChromium, newWindow, screenshot } from '../helpers/browser.ts';
import { SAML_OID, startTempBed, TRANSIENT, type TempBed } from './bed.ts';

/**
 * Issue 9 in Debian's Chromium, in German: a portal sends the citizen to the hub, who logs in
 * temporarily with the Online-Ausweisfunktion (the eID-Server simulator and its AusweisApp
 * stand-in), consents and is back at the portal with the data. Then, from the consent page of
 * such a login, "Servicekonto mit diesen Daten anlegen" leads to a confirmed account without a
 * second card read. axe-core checks every page of the hub on the way; screenshots go to
 * test-results/.
 */

let bed: TempBed;
let browser: Browser;

test.before(async () => {
  bed = await startTempBed();
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
  await bed?.close();
});

/** Counts the visits of the AusweisApp simulator's card page (each is one card read). */
function countCardReads(page: Page): () => number {
  let reads = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame() && /\/eID-Client\?tcTokenURL=/.test(frame.url())) reads += 1;
  });
  return () => reads;
}

/** From the portal to the consent page: "Temporär anmelden", the eID, the test card "Erika Mustermann". */
async function temporaryToConsent(t: ExecutionContext, page: Page, relayState: string, shots: boolean): Promise<void> {
  const main = page.getByRole('main');
  await page.goto(await bed.both.sp.getAuthorizeUrlAsync(relayState, undefined, {}));
  await page.waitForURL(/\/anmelden\?auftrag=/);
  await main.getByRole('heading', { name: 'Temporär anmelden' }).waitFor();
  if (shots) {
    await audit(t, page, 'login page with the temporary option');
    await screenshot(page, 'temporary-login-page');
  }
  await main.getByRole('button', { name: 'Temporär anmelden' }).click();
  await page.getByRole('heading', { level: 1, name: 'Temporär anmelden' }).waitFor();
  t.regex(await main.innerText(), /Es wird kein Konto angelegt/);
  t.is(await main.getByLabel('Benutzername').count(), 0, 'no username and password');
  if (shots) {
    await audit(t, page, 'temporary login: methods without an account');
    await screenshot(page, 'temporary-login-methods');
  }
  await main.getByRole('button', { name: 'Mit Online-Ausweis anmelden' }).click();
  await page.getByRole('heading', { name: 'Testausweis wählen' }).waitFor();
  if (shots) await audit(t, page, 'AusweisApp simulator: card choice');
  await page.getByLabel('Erika Mustermann', { exact: true }).check();
  await page.getByRole('button', { name: 'Ausweis auslesen' }).click();
  await page.waitForURL(/\/anmelden\/einwilligung\?auftrag=/);
}

test.serial('portal → Temporär anmelden → eID simulator → consent → back at the portal with the data; every page passes axe', async (t) => {
  const { context, page } = await newWindow(browser);
  try {
    const main = page.getByRole('main');
    const reads = countCardReads(page);
    await temporaryToConsent(t, page, 'antrag-browser', true);
    const text = await main.innerText();
    t.regex(text, /ERIKA/);
    t.regex(text, /eine nur für diese Anmeldung gültige Kennung/);
    t.regex(text, /nicht gespeichert/);
    t.regex(await page.locator('#session-level').innerText(), /hoch/);
    await audit(t, page, 'consent page of a temporary login');
    await screenshot(page, 'temporary-consent');

    await main.getByRole('button', { name: 'Zustimmen und Daten übermitteln' }).click();
    await page.waitForURL(`${bed.both.url}/acs`);
    await page.getByText('ACS: logged in').waitFor();
    await screenshot(page, 'temporary-back-at-portal');
    const received = bed.both.last('response')!;
    t.falsy(received.error, received.error?.message);
    t.is(received.relayState, 'antrag-browser');
    t.is(received.profile!.nameIDFormat, TRANSIENT);
    t.is(received.profile![SAML_OID.givenName], 'ERIKA');
    t.is(received.profile![SAML_OID.storkQaa], 'STORK-QAA-Level-4');
    t.is(reads(), 1);

    // Nothing is left in the hub: the browser's session knows nobody.
    await page.goto(`${bed.h.url}/`);
    t.regex(await page.locator('#session-level').innerText(), /nicht angemeldet/);
    t.is(Number((await bed.h.hub.store.db('accounts').count({ n: '*' }).first())?.n), 0);
  } finally {
    await context.close();
  }
});

test.serial(
  '"Servicekonto mit diesen Daten anlegen" after a temporary eID login leads to a confirmed account without a second card read',
  async (t) => {
    const { context, page } = await newWindow(browser);
    try {
      const main = page.getByRole('main');
      const reads = countCardReads(page);
      await temporaryToConsent(t, page, 'antrag-konto', false);
      t.is(reads(), 1);
      await main.getByRole('button', { name: 'Servicekonto mit diesen Daten anlegen' }).click();
      await page.waitForURL(/\/registrieren\/ausweis\/zugangsdaten$/);
      t.regex(await main.innerText(), /MUSTERMANN/, 'the data already read');
      await audit(t, page, 'registration from a temporary login: credentials');
      await screenshot(page, 'temporary-create-account');
      await page.getByLabel('Benutzername').fill('erika.temporaer');
      await page.getByLabel('E-Mail-Adresse').fill('erika.temporaer@example.org');
      await page.getByRole('checkbox', { name: /Datenschutzerklärung gelesen/ }).check();
      await page.getByRole('button', { name: 'Weiter' }).click();
      await page.waitForURL(/\/registrieren\/ausweis\/pruefen$/);
      await page.getByRole('button', { name: 'Sichern' }).click();
      await page.waitForURL(/\/registrieren\/ausweis\/gesendet$/);
      await audit(t, page, 'registration from a temporary login: mail sent, way back to the portal');
      await screenshot(page, 'temporary-account-sent');

      // The temporary login goes on to the portal.
      await main.getByRole('link', { name: 'Weiter zu „Portal beides“' }).click();
      await page.waitForURL(/\/anmelden\/einwilligung\?auftrag=/);
      await main.getByRole('button', { name: 'Zustimmen und Daten übermitteln' }).click();
      await page.waitForURL(`${bed.both.url}/acs`);
      await page.getByText('ACS: logged in').waitFor();
      const received = bed.both.last('response')!;
      t.is(received.relayState, 'antrag-konto');
      t.is(received.profile![SAML_OID.givenName], 'ERIKA');

      // The confirmation link activates the account, which is bound to the card read once.
      const mail = await bed.h.outbox.latest('erika.temporaer@example.org', 'Registrierung');
      await page.goto(mail.links.find((l) => l.includes('/registrieren/bestaetigen'))!);
      await page.getByRole('heading', { name: 'Ihr Servicekonto ist aktiviert' }).waitFor();
      await audit(t, page, 'account confirmed');
      await screenshot(page, 'temporary-account-confirmed');
      const db = bed.h.hub.store.db;
      const account = await db('accounts').where({ username_key: 'erika.temporaer' }).first();
      t.is(account?.status, 'active');
      t.truthy(await db('eid_bindings').where({ account_id: account.id }).first(), 'bound to the card');
      t.is(reads(), 1, 'the card was read once');
    } finally {
      await context.close();
    }
  },
);
