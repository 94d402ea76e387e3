import test from 'ava';
import { Client } from '../../helpers/client.ts';
import { login } from '../../helpers/citizen.ts';
import { authorizationUrl, drive, redeem, rp, startBed, type OidcBed } from '../../portals/oidc/fixture.ts';
import { chooseCard, eidRegisterAndConfirm } from './helpers.ts';

/**
 * The level a portal receives: an OpenID Connect portal that needs "hoch" (through the real OIDC
 * edge and openid-client as its RP) gets only the ID card offered, the citizen's password session
 * is stepped up with the card, and the ID token says acr = eIDAS high with both methods.
 */

let bed: OidcBed;
test.before(async () => {
  bed = await startBed([{ id: 'bauamt', auth: 'none', minLoa: 'high', attributes: ['givenName', 'familyName', 'dateOfBirth'] }]);
  await eidRegisterAndConfirm(bed.h, new Client(bed.h.url), 'erika', {
    username: 'erika.oidc',
    email: 'erika.oidc@example.org',
    password: 'Sommer2026!',
  });
});
test.after.always(async () => {
  await bed?.close();
});

test('a portal needing hoch steps up a password session with the ID card and receives acr high', async (t) => {
  const portal = bed.portals.bauamt!;
  const config = await rp(bed, portal);
  const browser = new Client(bed.h.url);
  await login(browser, 'erika.oidc', 'Sommer2026!');
  t.is(browser.sessionLevel(), 'niedrig');

  const authorization = await authorizationUrl(config, portal, { scope: 'openid profile' });
  let page = await browser.get(authorization.url.href);
  t.regex(page.text, /verlangt das Vertrauensniveau „hoch“/);
  t.falsy(page.root.querySelector('form[action="/anmelden/passwort"]'), 'the password is not offered');
  await browser.submit({}, '/anmelden/ausweis');
  page = await chooseCard(browser, 'erika');
  t.is(browser.sessionLevel(), 'hoch');
  const last = await drive(browser, page, portal, { consent: 'ja' });
  const tokens = await redeem(config, new URL(last.url), authorization);
  const claims = tokens.claims()!;
  t.is(claims.acr, 'http://eidas.europa.eu/LoA/high');
  t.deepEqual([...((claims.amr as string[] | undefined) ?? [])].sort(), ['eid', 'pwd']);
});
