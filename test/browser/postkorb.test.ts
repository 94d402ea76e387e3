import { readFileSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import { unzipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { audit, launchChromium, newWindow, screenshot } from '../helpers/browser.ts';
import { Client } from '../helpers/client.ts';
import { GOOD_PASSWORD } from '../helpers/citizen.ts';
import { pdf, send, SENDER, startPostkorbBed, type PostkorbBed } from '../mailbox/bed.ts';
import { handleOf, newUsername, registerWithCard } from '../mailbox/citizens.ts';

/**
 * The Postkorb in Debian's Chromium with the hub's CSP in force, in German: a password session
 * sees a locked message, presses the step-up button, logs in with the ID card through the eID
 * simulator, lands on the message, reads it and downloads its attachment and the whole Postkorb;
 * then deletes the message and looks at removing the Postkorb. axe-core checks every page.
 */

let bed: PostkorbBed;
let browser: Browser;

test.before(async () => {
  bed = await startPostkorbBed();
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
  await bed?.close();
});

async function level(page: Page): Promise<string> {
  return (await page.locator('#session-level').innerText()).replace(/\s+/g, ' ').trim();
}

async function chooseCard(t: ExecutionContext, page: Page, label: string): Promise<void> {
  await page.getByRole('heading', { name: 'Testausweis wählen' }).waitFor();
  await audit(t, page, 'AusweisApp simulator: card choice');
  await page.getByLabel(label, { exact: true }).check();
  await page.getByRole('button', { name: 'Ausweis auslesen' }).click();
}

test('a locked message, the step-up button, reading, downloading; every page passes axe', async (t) => {
  const username = newUsername('browser');
  await registerWithCard(bed.h, new Client(bed.h.url), username);
  const handle = await handleOf(bed.h, username);
  const bescheid = pdf('Bescheid im Browser', 40_000);
  const token = await bed.token('amt');
  const sent = await send(bed, token, handle, {
    subject: 'Bescheid über Ihren Antrag',
    text: 'Sehr geehrte Frau Mustermann,\n\nanbei Ihr Bescheid.',
    reference: 'AZ 12/345',
    level: 'substantial',
    attachments: [{ fileName: 'Bescheid.pdf', contentType: 'application/pdf', content: bescheid }],
  });
  t.is(sent.status, 201);
  t.is((await send(bed, token, handle, { subject: 'Eingangsbestätigung', level: 'low' })).status, 201);

  const { context, page } = await newWindow(browser, { acceptDownloads: true });
  try {
    const main = page.getByRole('main');
    await page.goto(`${bed.h.url}/anmelden`);
    const passwordLogin = page.getByRole('region', { name: 'Mit Benutzername und Passwort' });
    await passwordLogin.getByLabel('Benutzername').fill(username);
    await passwordLogin.getByLabel('Passwort').fill(GOOD_PASSWORD);
    await passwordLogin.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL(/\/konto$/);
    t.is(await level(page), 'Aktuelle Sitzung: niedrig');
    t.regex(await main.innerText(), /2 Nachricht\(en\), davon 2 ungelesen/);
    await audit(t, page, '/konto with the Postkorb section');

    // The inbox: the substantial message is locked, with the FAQ's words.
    await main.getByRole('link', { name: 'Zum Postkorb' }).click();
    await page.waitForURL(/\/postkorb$/);
    const inbox = await main.innerText();
    t.regex(inbox, /nur lesbar nach Anmeldung mit Servicekonto\.Pass \(substanziell\) oder Online-Ausweisfunktion \(hoch\)/);
    t.notRegex(inbox, /Bescheid über Ihren Antrag/);
    t.regex(inbox, /Eingangsbestätigung/);
    await audit(t, page, 'Postkorb inbox with a locked message');
    await screenshot(page, 'postkorb-inbox-locked');

    // The locked message and its step-up button.
    await page.goto(`${bed.h.url}/postkorb/nachrichten/${String(sent.body.id)}`);
    t.regex(await main.innerText(), new RegExp(SENDER));
    await audit(t, page, 'locked message');
    await screenshot(page, 'postkorb-message-locked');
    await main.getByRole('link', { name: 'Mit höherem Vertrauensniveau anmelden und Nachricht öffnen' }).click();
    await page.waitForURL(/\/anmelden\/hoeherstufen\?/);
    t.regex(await main.innerText(), /mindestens das Vertrauensniveau „substanziell“/);
    await audit(t, page, 'step-up page');
    await screenshot(page, 'postkorb-step-up');
    await page
      .getByRole('region', { name: 'Mit der Online-Ausweisfunktion' })
      .getByRole('button', { name: 'Mit Online-Ausweis anmelden' })
      .click();
    await chooseCard(t, page, 'Erika Mustermann');

    // Back on the message, now readable.
    await page.waitForURL(new RegExp(`/postkorb/nachrichten/${String(sent.body.id)}$`));
    t.is(await level(page), 'Aktuelle Sitzung: hoch');
    t.regex(await main.innerText(), /anbei Ihr Bescheid/);
    t.regex(await main.innerText(), /AZ 12\/345/);
    await audit(t, page, 'opened message');
    await screenshot(page, 'postkorb-message-open');

    // The attachment downloads, byte for byte.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      main.getByRole('link', { name: /Bescheid\.pdf herunterladen/ }).click(),
    ]);
    t.is(download.suggestedFilename(), 'Bescheid.pdf');
    t.true(readFileSync((await download.path())!).equals(bescheid));

    // The whole Postkorb as a ZIP.
    await main.getByRole('link', { name: 'Zurück zum Postkorb' }).first().click();
    await page.waitForURL(/\/postkorb$/);
    t.regex(await main.innerText(), /gelesen/);
    await audit(t, page, 'inbox after reading');
    const [zip] = await Promise.all([
      page.waitForEvent('download'),
      main.getByRole('link', { name: 'Alle Nachrichten herunterladen' }).click(),
    ]);
    t.regex(zip.suggestedFilename(), /^Postkorb-\d{4}-\d{2}-\d{2}\.zip$/);
    const files = unzipSync(new Uint8Array(readFileSync((await zip.path())!)));
    const pdfName = Object.keys(files).find((n) => n.endsWith('/Bescheid.pdf'));
    t.truthy(pdfName);
    t.true(Buffer.from(files[pdfName!]!).equals(bescheid));

    // Deleting the message.
    await page.goto(`${bed.h.url}/postkorb/nachrichten/${String(sent.body.id)}`);
    await main.getByRole('link', { name: 'Nachricht löschen' }).click();
    await page.waitForURL(/\/loeschen$/);
    await audit(t, page, 'delete a message');
    await main.getByRole('button', { name: 'Endgültig löschen' }).click();
    await page.waitForURL(/\/postkorb$/);
    t.regex(await main.innerText(), /Die Nachricht wurde gelöscht/);
    await audit(t, page, 'inbox after deleting');

    // Removing the Postkorb: the page, with its download offer (not carried out here).
    await main.getByRole('link', { name: 'Postkorb entfernen' }).click();
    await page.waitForURL(/\/postkorb\/entfernen$/);
    await audit(t, page, 'remove the Postkorb');
    await screenshot(page, 'postkorb-remove');

    // "Servicekonto löschen" offers the download too.
    await page.goto(`${bed.h.url}/konto/loeschen`);
    t.regex(await main.innerText(), /Alle Nachrichten herunterladen/);
    await audit(t, page, '/konto/loeschen with the Postkorb download');
  } finally {
    await context.close();
  }
});

test('in English: the registration with the "Create a Postkorb" box left unticked, then creating one from the account page; axe on each page', async (t) => {
  const { context, page } = await newWindow(browser, { locale: 'en-GB' });
  try {
    const main = page.getByRole('main');
    const username = newUsername('reg');
    // The registration's credentials step with the box, and its review, in Chromium (English).
    await page.goto(`${bed.h.url}/registrieren`);
    await page.getByLabel('Given name(s)').fill('Erika');
    await page.getByLabel('Family name').fill('Mustermann');
    await page.getByLabel('Date of birth').fill('12.08.1964');
    await page.getByLabel('Street and house number').fill('Am Abdinghof 11');
    await page.getByLabel('Postcode').fill('33098');
    await page.getByLabel('Town', { exact: true }).fill('Paderborn');
    await page.getByLabel('E-mail address', { exact: true }).fill(`${username}@example.org`);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForURL(/\/registrieren\/zugangsdaten$/).catch(async (err: unknown) => {
      throw new Error(`step 1 refused: ${await main.innerText()}`, { cause: err });
    });
    await audit(t, page, 'registration step 2 with the Postkorb box (English)');
    await page.getByLabel('User name').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(GOOD_PASSWORD);
    await page.getByLabel('Repeat password').fill(GOOD_PASSWORD);
    await page.getByRole('checkbox', { name: /privacy/i }).check();
    t.is(await page.getByRole('checkbox', { name: 'Create a Postkorb' }).isChecked(), false);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForURL(/\/registrieren\/pruefen$/);
    t.regex(await main.innerText(), /Create a Postkorb\s+no/);
    await audit(t, page, 'registration review without a Postkorb');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/registrieren\/gesendet$/);
    const mail = await bed.h.outbox.latest(`${username}@example.org`);
    await page.goto(mail.links.find((l) => l.includes('/registrieren/bestaetigen'))!);

    await page.goto(`${bed.h.url}/anmelden`);
    const passwordLogin = page.getByRole('region', { name: 'With user name and password' });
    await passwordLogin.getByLabel('User name').fill(username);
    await passwordLogin.getByLabel('Password').fill(GOOD_PASSWORD);
    await passwordLogin.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/konto$/);
    await main.getByRole('button', { name: 'Create a Postkorb' }).click();
    await page.waitForURL(/\/postkorb$/);
    t.regex(await main.innerText(), /Your Postkorb was created/);
    await audit(t, page, 'new empty Postkorb (English)');
    await screenshot(page, 'postkorb-empty-en');
  } finally {
    await context.close();
  }
});
