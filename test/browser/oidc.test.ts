import test from 'ava';
import * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import { audit, launchChromium, newWindow } from '../helpers/browser.ts';
import { GOOD_PASSWORD } from '../helpers/citizen.ts';
import { authorizationUrl, newCitizen, redeem, rp, startBed, type OidcBed } from '../portals/oidc/fixture.ts';

/**
 * An OpenID Connect login and logout in Debian's Chromium with the hub's Content-Security-Policy
 * in force (no bypass): Chromium applies `form-action` to every redirect after a form, so the
 * way back to the portal after the password, consent and logout forms must still work. axe-core
 * checks the logout question page (in a second window that lets axe's script in).
 */

let bed: OidcBed;
let browser: Browser;

test.before(async () => {
  bed = await startBed([{ id: 'stadt', auth: 'client_secret_basic', backchannel: true }]);
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
  await bed?.close();
});

test('a citizen logs in to a portal and out again in Chromium, with the hub’s CSP in force', async (t) => {
  const citizen = await newCitizen(bed);
  const portal = bed.portals.stadt!;
  const config = await rp(bed, portal);
  const authorization = await authorizationUrl(config, portal, { scope: 'openid profile' });
  const context = await browser.newContext({ locale: 'de-DE' });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  try {
    await page.goto(authorization.url.href);
    await page.locator('#f-username').fill(citizen);
    await page.locator('#f-password').fill(GOOD_PASSWORD);
    await page.locator('form[action="/anmelden/passwort"] button[type=submit]').click();
    await page.getByRole('button', { name: 'Zustimmen und Daten übermitteln' }).click();
    await page.waitForURL((u) => u.href.startsWith(portal.redirectUri));
    const tokens = await redeem(config, new URL(page.url()), authorization);
    t.is(tokens.claims()!.acr, 'http://eidas.europa.eu/LoA/low');

    const end = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: portal.postLogoutRedirectUri,
      state: 'weiter',
    });
    await page.goto(end.href);
    await page.getByRole('button', { name: 'Beim Servicekonto abmelden' }).click();
    await page.waitForURL((u) => u.href.startsWith(portal.postLogoutRedirectUri));
    t.is(new URL(page.url()).searchParams.get('state'), 'weiter');
    t.true(portal.server.logoutTokens.length > 0, 'the portal got its back-channel logout');
    await page.goto(`${bed.h.url}/konto`);
    t.true(page.url().endsWith('/anmelden'), 'the hub session has ended');
  } finally {
    await context.close();
  }
});

test('the logout question page passes axe (WCAG 2.1 AA)', async (t) => {
  const citizen = await newCitizen(bed);
  const portal = bed.portals.stadt!;
  const config = await rp(bed, portal);
  const authorization = await authorizationUrl(config, portal);
  const { context, page } = await newWindow(browser);
  try {
    await page.goto(authorization.url.href);
    await page.locator('#f-username').fill(citizen);
    await page.locator('#f-password').fill(GOOD_PASSWORD);
    await page.locator('form[action="/anmelden/passwort"] button[type=submit]').click();
    await page.getByRole('button', { name: 'Zustimmen und Daten übermitteln' }).click();
    await page.waitForURL((u) => u.href.startsWith(portal.redirectUri));
    const tokens = await redeem(config, new URL(page.url()), authorization);
    await page.goto(oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token! }).href);
    await audit(t, page, 'the logout question');
  } finally {
    await context.close();
  }
});
