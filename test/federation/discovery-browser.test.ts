import test from 'ava';
import type { Browser } from 'playwright-core';
import { audit, launchChromium, newWindow } from '../helpers/browser.ts';
import { startFedBed, type FedBed } from './fixture.ts';

/**
 * The list of states in Chromium: no axe findings, filtering as one types (announced in a live
 * region), reachable and usable by keyboard alone, and the whole way through the partner back to
 * the consent page.
 */

let bed: FedBed;
let browser: Browser;

test.before(async () => {
  bed = await startFedBed();
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
  await bed?.close();
});

test.serial('the list of states is accessible, filters as one types and is usable by keyboard alone', async (t) => {
  const { context, page } = await newWindow(browser);
  try {
    bed.hamburg.answer = () => ({});
    bed.bremen.answer = () => ({});
    await page.goto(await bed.portals.low.sp.getAuthorizeUrlAsync('', undefined, {}));
    await audit(t, page, 'login page with "Anmelden mit anderem deutschen Nutzerkonto"');
    await page.getByRole('link', { name: 'Land auswählen' }).click();
    await page.waitForURL(/\/anmelden\/anderes-konto/);
    await audit(t, page, 'list of states');

    await page.getByLabel('Land suchen').fill('brem');
    t.true(await page.locator('#partner-list li', { hasText: 'Hamburg' }).isHidden());
    t.true(await page.locator('#partner-list li', { hasText: 'Bremen' }).isVisible());
    t.is((await page.locator('#partner-count').textContent())?.trim(), '1 von 2 Ländern angezeigt');
    t.is(await page.locator('#partner-count').getAttribute('aria-live'), 'polite');

    // From the search field: Tab to the search button, Tab to the only state shown, Enter.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    t.is(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Bremen');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/anmelden\/einwilligung/);
    await audit(t, page, 'consent page after the partner');
    t.true(bed.bremen.requests.length > 0);
  } finally {
    await context.close();
  }
});

test.serial('a state that cannot reach the portal’s level is shown disabled with the reason, without axe findings', async (t) => {
  await bed.setTrust(bed.defaultEntries({ bremen: { cap: 'low' } }));
  const { context, page } = await newWindow(browser);
  try {
    await page.goto(await bed.portals.substantial.sp.getAuthorizeUrlAsync('', undefined, {}));
    await page.getByRole('link', { name: 'Land auswählen' }).click();
    await page.waitForURL(/\/anmelden\/anderes-konto/);
    await audit(t, page, 'list of states with one disabled');
    t.is(await page.locator('#partner-list li', { hasText: 'Bremen' }).locator('a').count(), 0);
    await t.notThrowsAsync(page.getByText(/nicht wählbar: erreicht höchstens/).waitFor());
  } finally {
    await context.close();
    await bed.setTrust();
  }
});
