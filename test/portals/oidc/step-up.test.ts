import test from 'ava';
import { login } from '../../helpers/citizen.ts';
import { chooseCard, eidRegisterAndConfirm } from '../../authn/eid/helpers.ts';
import { authorizationUrl, authorize, Browser, drive, redeem, rp, startBed, type OidcBed } from './fixture.ts';

/**
 * Step-up through OIDC with the ID card (the eID-Server simulator): a portal that needs more
 * than the session has gets the login page with the methods that reach its level, the session
 * of the same account is raised (not replaced), and the ID token names the level reached and
 * both methods.
 */
let bed: OidcBed;

test.before(async () => {
  bed = await startBed([
    { id: 'low', auth: 'client_secret_basic', minLoa: 'low' },
    { id: 'strict', auth: 'client_secret_post', minLoa: 'substantial' },
  ]);
  await eidRegisterAndConfirm(bed.h, new Browser(bed.h.url), 'erika', {
    username: 'erika',
    email: 'erika@example.org',
    password: 'Sommer2026!',
  });
});
test.after.always(async () => {
  await bed?.close();
});

test.serial('a low session is stepped up with the ID card for a portal that needs substantial; acr and amr say so', async (t) => {
  const browser = new Browser(bed.h.url);
  await login(browser, 'erika', 'Sommer2026!');
  const low = await rp(bed, bed.portals.low!);
  let r = await authorize(browser, low, bed.portals.low!, {}, { consent: 'ja' });
  let tokens = await redeem(low, r.callback, r.authorization);
  t.is(tokens.claims()!.acr, 'http://eidas.europa.eu/LoA/low');

  const strictPortal = bed.portals.strict!;
  const strict = await rp(bed, strictPortal);
  const authorization = await authorizationUrl(strict, strictPortal, { scope: 'openid profile' });
  let page = await browser.get(authorization.url.href);
  t.regex(page.text, /Ihre aktuelle Sitzung hat das Vertrauensniveau „niedrig“/);
  t.falsy(page.root.querySelector('form[action="/anmelden/passwort"]'), 'the password cannot reach substantial');
  await browser.submit({}, '/anmelden/ausweis');
  page = await chooseCard(browser, 'erika');
  page = await drive(browser, page, strictPortal, { consent: 'ja' });
  tokens = await redeem(strict, new URL(page.url), authorization);
  const claims = tokens.claims()!;
  t.is(claims.acr, 'http://eidas.europa.eu/LoA/high', 'the level reached, above what was asked');
  t.deepEqual([...(claims.amr as string[])].sort(), ['eid', 'pwd']);

  // The raised session now answers the first portal silently, at its new level.
  r = await authorize(browser, low, bed.portals.low!, { prompt: 'none' });
  tokens = await redeem(low, r.callback, r.authorization);
  t.is(tokens.claims()!.acr, 'http://eidas.europa.eu/LoA/high');
});
