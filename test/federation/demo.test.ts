import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, newWindow, screenshot } from '../helpers/browser.ts';
import { instructions, startDemo, type RunningDemo } from '../../scripts/demo.ts';

/**
 * `npm run demo` (scripts/demo.ts), started on free ports with folders of its own: NRW's hub with
 * the demo portal, Hamburg's hub as the partner state, trusting each other through their signed
 * metadata. Chromium walks the newcomer's way: demo portal → NRW → "Anmelden mit anderem
 * deutschen Nutzerkonto" → Hamburg → the demo account → Hamburg's consent → NRW → demo portal.
 */

let demo: RunningDemo;
let browser: Browser;
let dir: string;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

test.before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'skh-demo-'));
  const [nrwPort, hamburgPort, portalPort, eidasPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  demo = await startDemo({
    nrwPort,
    hamburgPort,
    portalPort,
    eidasPort,
    nrwDir: path.join(dir, 'nrw'),
    hamburgDir: path.join(dir, 'hamburg'),
    nrwEid: false,
    logLevel: process.env.HUB_TEST_LOG ? 'debug' : 'silent',
  });
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
  await demo?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function shot(page: Page, name: string): Promise<void> {
  await screenshot(page, `demo-${name}`);
}

async function operator(page: Page): Promise<string> {
  return (await page.locator('header .brand').innerText()).trim();
}

test.serial('the demo prints where to go, the demo account and what is missing', (t) => {
  const text = instructions(demo);
  t.true(demo.account.created);
  t.regex(text, new RegExp(`Open ${demo.portalUrl}/`));
  t.regex(text, /username "hamburg-demo"/);
  t.regex(text, new RegExp(`eIDAS node +${demo.eidasUrl}/`));
  t.truthy(demo.nrw.federation.metadata.current('eidas'), "NRW uses the eIDAS node simulator's signed metadata");
  t.truthy(demo.nrw.federation.metadata.current('hamburg'), "NRW uses Hamburg's signed metadata");
  const [hamburg, eidas] = demo.nrw.trust().partners;
  t.is(eidas?.kind, 'eidas');
  t.is(eidas?.linkAccounts, true, 'link_accounts is set explicitly (DECISIONS 8)');
  t.is(hamburg?.id, 'hamburg');
  t.is(hamburg?.linkAccounts, true, 'link_accounts is set explicitly (DECISIONS 8)');
  t.is(hamburg?.loa.cap, 'substantial');
  t.is(hamburg?.consent, 'partner');
});

test.serial('production refuses the demo', async (t) => {
  await t.throwsAsync(startDemo({ env: { NODE_ENV: 'production' } }), { message: /refuses to run with NODE_ENV=production/ });
});

test.serial('demo portal → NRW → Hamburg → demo account → consent at Hamburg → back with Hamburg’s data at the capped level', async (t) => {
  const { context, page } = await newWindow(browser);
  try {
    await page.goto(`${demo.portalUrl}/`);
    await shot(page, '1-portal');
    await page.getByRole('button', { name: 'Login via SAML' }).click();
    await page.waitForURL((u) => u.href.startsWith(demo.nrwUrl));
    await shot(page, '2-nrw-login');
    t.is(await operator(page), 'Servicekonto Nordrhein-Westfalen');
    await page.getByRole('link', { name: 'Land auswählen' }).click();
    await page.waitForURL(/\/anmelden\/anderes-konto/);
    await shot(page, '3-nrw-states');
    await page.locator('#partner-list li', { hasText: 'Hamburg' }).locator('a, button').first().click();
    await page.waitForURL((u) => u.href.startsWith(demo.hamburgUrl));
    await shot(page, '4-hamburg-login');
    t.is(await operator(page), 'Servicekonto Hamburg');
    await page.locator('#f-username').fill(demo.account.username);
    await page.locator('#f-password').fill(demo.account.password);
    await page.locator('section[aria-labelledby="pw-title"] button[type="submit"]').click();
    await page.waitForURL(/\/anmelden\/einwilligung/);
    t.true(page.url().startsWith(demo.hamburgUrl), 'Hamburg asks the consent (DECISIONS 7)');
    await shot(page, '5-hamburg-consent');
    t.regex(await page.locator('main').innerText(), /Demo-Portal/, 'naming the end portal');
    await page.getByRole('button', { name: 'Zustimmen und Daten übermitteln' }).click();
    await page.waitForURL((u) => u.href.startsWith(demo.portalUrl));
    await shot(page, '6-portal-result');
    const text = await page.locator('main').innerText();
    t.regex(text, /Angemeldet über SAML/);
    t.is((await page.locator('#saml-loa').innerText()).trim(), 'http://eidas.europa.eu/LoA/low');
    const attributes = await page.locator('#saml-attributes').innerText();
    t.regex(attributes, /Hanna/);
    t.regex(attributes, /Hansen/);
    t.regex(attributes, /1985-05-17/);
    t.regex(attributes, /FINK/, "AssertionProvedBy: another state's account");
    // link_accounts: true: NRW keeps a federated account for Hamburg's citizen.
    const federated = await demo.nrw.store.db('federated_accounts').count({ n: '*' }).first();
    t.is(Number(federated?.n), 1);
  } finally {
    await context.close();
  }
});

// The partner's form post starts the navigation; Chromium holds its redirects to that page's
// form-action, so the hub leaves for an OIDC portal through a page of its own (afterForm).
test.serial('the same way with "Login via OIDC": Hamburg’s data in the userinfo, acr at the level NRW believes', async (t) => {
  const { context, page } = await newWindow(browser);
  try {
    await page.goto(`${demo.portalUrl}/`);
    await page.getByRole('button', { name: 'Login via OIDC' }).click();
    await page.waitForURL((u) => u.href.startsWith(demo.nrwUrl));
    await page.getByRole('link', { name: 'Land auswählen' }).click();
    await page.locator('#partner-list li', { hasText: 'Hamburg' }).locator('a, button').first().click();
    await page.waitForURL((u) => u.href.startsWith(demo.hamburgUrl));
    await page.locator('#f-username').fill(demo.account.username);
    await page.locator('#f-password').fill(demo.account.password);
    await page.locator('section[aria-labelledby="pw-title"] button[type="submit"]').click();
    // Hamburg stored the consent for the demo portal in the first test; it asks again only if not.
    const consent = page.getByRole('button', { name: 'Zustimmen und Daten übermitteln' });
    await page.locator('#oidc-acr').or(consent).first().waitFor({ timeout: 5000 });
    if (await consent.isVisible()) {
      t.true(page.url().startsWith(demo.hamburgUrl), 'the consent is Hamburg’s');
      await consent.click();
    }
    await page.locator('#oidc-acr').waitFor({ timeout: 5000 });
    await shot(page, '7-portal-result-oidc');
    t.is((await page.locator('#oidc-acr').innerText()).trim(), 'http://eidas.europa.eu/LoA/low');
    const userinfo = JSON.parse(await page.locator('#userinfo').innerText()) as Record<string, unknown>;
    t.is(userinfo.given_name, 'Hanna');
    t.is(userinfo.family_name, 'Hansen');
  } catch (err) {
    await shot(page, '7-oidc-stuck');
    throw err;
  } finally {
    await context.close();
  }
});

test.serial(
  'a citizen of another member state: demo portal asks for hoch → NRW → eIDAS node simulator → consent at NRW → data from the node',
  async (t) => {
    const { context, page } = await newWindow(browser);
    try {
      await page.goto(`${demo.portalUrl}/`);
      await page.locator('#level').selectOption('http://eidas.europa.eu/LoA/high');
      await page.getByRole('button', { name: 'Login via SAML' }).click();
      await page.waitForURL((u) => u.href.startsWith(demo.nrwUrl));
      await page
        .getByRole('button', { name: 'Weiter zur Anmeldung mit eIDAS' })
        .or(page.getByRole('link', { name: 'Weiter zur Anmeldung mit eIDAS' }))
        .first()
        .click();
      await page.waitForURL((u) => u.href.startsWith(demo.eidasUrl));
      await shot(page, '8-eidas-node');
      await page.getByLabel(/Javier García López/).check();
      await page.getByRole('button', { name: 'Zustimmen und Daten übermitteln' }).click();
      await page.waitForURL(/\/anmelden\/einwilligung/);
      t.true(page.url().startsWith(demo.nrwUrl), 'NRW asks the consent: the node does not name the end portal');
      await shot(page, '9-nrw-consent-eidas');
      await page.getByRole('button', { name: 'Zustimmen und Daten übermitteln' }).click();
      await page.waitForURL((u) => u.href.startsWith(demo.portalUrl));
      await shot(page, '10-portal-result-eidas');
      t.is((await page.locator('#saml-loa').innerText()).trim(), 'http://eidas.europa.eu/LoA/high');
      const attributes = await page.locator('#saml-attributes').innerText();
      t.regex(attributes, /Javier/);
      t.regex(attributes, /García López/);
      t.regex(attributes, /1985-06-15/);
      t.regex(attributes, /eIDAS/, 'AssertionProvedBy: the eIDAS node');
    } finally {
      await context.close();
    }
  },
);
