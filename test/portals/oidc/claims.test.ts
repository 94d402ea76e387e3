import test from 'ava';
import * as oidc from 'openid-client';
import { personalData } from '../../helpers/citizen.ts';
import { login } from '../../helpers/citizen.ts';
import type { Page } from '../../helpers/client.ts';
import { authorize, Browser, drive, authorizationUrl, jwtPayload, newCitizen, redeem, rp, startBed, type OidcBed } from './fixture.ts';

let bed: OidcBed;

test.before(async () => {
  bed = await startBed([
    { id: 'full', auth: 'client_secret_basic' },
    { id: 'narrow', auth: 'client_secret_post', attributes: ['givenName', 'familyName', 'email'] },
  ]);
});
test.after.always(async () => {
  await bed?.close();
});

const ALL_SCOPES = 'openid profile email address servicekonto';

test.serial('the consent page names the portal and shows each value that will be sent; declining sends access_denied', async (t) => {
  const citizen = await newCitizen(bed);
  const portal = bed.portals.full!;
  const config = await rp(bed, portal);
  const browser = new Browser(bed.h.url);
  let consent: Page | undefined;
  const { callback, authorization } = await authorize(
    browser,
    config,
    portal,
    { scope: 'openid profile address' },
    { username: citizen, consent: 'nein', onConsent: (p) => (consent = p) },
  );
  t.truthy(consent, 'the consent page was shown');
  t.regex(consent!.text, /Portal full/);
  for (const value of ['Erika', 'Mustermann', '12.08.1964', 'Am Abdinghof 11', '33098', 'Paderborn'])
    t.regex(consent!.text, new RegExp(value));
  t.notRegex(consent!.text, /erika@|Gabler|Berlin/, 'nothing that was not asked for');
  t.is(callback.searchParams.get('error'), 'access_denied');
  t.is(callback.searchParams.get('state'), authorization.state);
  t.is(callback.searchParams.get('code'), null);
  await t.throwsAsync(redeem(config, callback, authorization));
});

test.serial('claims follow the request: scopes and the claims parameter, nothing else', async (t) => {
  const citizen = await newCitizen(bed, { doctoralDegree: 'Dr.' });
  const portal = bed.portals.full!;
  const config = await rp(bed, portal);
  const browser = new Browser(bed.h.url);

  let r = await authorize(browser, config, portal, { scope: 'openid email' }, { username: citizen, consent: 'ja' });
  let tokens = await redeem(config, r.callback, r.authorization);
  let info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
  t.deepEqual(Object.keys(info).sort(), ['email', 'email_verified', 'sub']);

  // The same browser again, with a claims parameter: one claim in the ID token, one at userinfo.
  const claims = JSON.stringify({ id_token: { given_name: { essential: true } }, userinfo: { title: null } });
  r = await authorize(browser, config, portal, { scope: 'openid', claims }, { consent: 'ja' });
  tokens = await redeem(config, r.callback, r.authorization);
  t.is(tokens.claims()!.given_name, 'Erika');
  t.is(tokens.claims()!.email, undefined);
  info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
  t.is(info.title, 'Dr.');
  t.is(info.given_name, undefined, 'the ID token claim is not repeated at userinfo');
});

test.serial('every claim the hub offers, in its documented shape', async (t) => {
  const citizen = await newCitizen(bed, { doctoralDegree: 'Dr.' });
  const portal = bed.portals.full!;
  const config = await rp(bed, portal);
  const r = await authorize(new Browser(bed.h.url), config, portal, { scope: ALL_SCOPES }, { username: citizen, consent: 'ja' });
  const tokens = await redeem(config, r.callback, r.authorization);
  const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
  t.like(info, {
    given_name: 'Erika',
    family_name: 'Mustermann',
    birthdate: '1964-08-12',
    email: `${citizen}@example.org`,
    email_verified: true,
    address: { street_address: 'Am Abdinghof 11', postal_code: '33098', locality: 'Paderborn', country: 'DE' },
    birth_family_name: 'Gabler',
    place_of_birth: { locality: 'Berlin' },
    title: 'Dr.',
  });
  t.false('nationalities' in info, 'a value the account does not have is left out');
});

test.serial('the portal’s release policy filters what it asked for, on the consent page and in the tokens', async (t) => {
  const citizen = await newCitizen(bed);
  const portal = bed.portals.narrow!;
  const config = await rp(bed, portal);
  let consent: Page | undefined;
  const r = await authorize(
    new Browser(bed.h.url),
    config,
    portal,
    { scope: ALL_SCOPES, claims: JSON.stringify({ id_token: { birthdate: null, address: null } }) },
    { username: citizen, consent: 'ja', onConsent: (p) => (consent = p) },
  );
  t.notRegex(consent!.text, /12\.08\.1964|Paderborn|Gabler/);
  const tokens = await redeem(config, r.callback, r.authorization);
  const id = tokens.claims()!;
  t.is(id.birthdate, undefined);
  t.is(id.address, undefined);
  const info = await oidc.fetchUserInfo(config, tokens.access_token, id.sub);
  t.deepEqual(Object.keys(info).sort(), ['email', 'email_verified', 'family_name', 'given_name', 'sub']);
  t.deepEqual(tokens.scope?.split(' ').sort(), ['email', 'openid', 'profile'], 'scopes with nothing to release are not granted');
});

test.serial('consent is asked once per attribute set; revoking it in "Meine Daten" stops the release at once', async (t) => {
  const citizen = await newCitizen(bed);
  const portal = bed.portals.full!;
  const config = await rp(bed, portal);
  const browser = new Browser(bed.h.url);
  let asked = 0;
  const count = (): void => {
    asked += 1;
  };
  await authorize(browser, config, portal, { scope: 'openid profile' }, { username: citizen, consent: 'ja', onConsent: count });
  await authorize(browser, config, portal, { scope: 'openid profile' }, { consent: 'ja', onConsent: count });
  t.is(asked, 1, 'the same set is not asked again');
  const last = await authorize(browser, config, portal, { scope: 'openid profile email' }, { consent: 'ja', onConsent: count });
  t.is(asked, 2, 'a changed set asks again');
  const tokens = await redeem(config, last.callback, last.authorization);

  let info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
  t.is(info.given_name, 'Erika');
  const account = await browser.get('/konto');
  t.regex(account.text, /Portal full/);
  await browser.submit({ portal: 'full' }, '/konto/einwilligungen/widerrufen');
  info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
  t.deepEqual(Object.keys(info), ['sub'], 'only the pseudonym remains without consent');
});

test.serial('claims are read from the account when they are issued: a changed address shows at once', async (t) => {
  const citizen = await newCitizen(bed);
  const portal = bed.portals.full!;
  const config = await rp(bed, portal);
  const browser = new Browser(bed.h.url);
  const r = await authorize(browser, config, portal, { scope: 'openid address' }, { username: citizen, consent: 'ja' });
  const tokens = await redeem(config, r.callback, r.authorization);
  await browser.get('/konto/daten');
  await browser.submit(personalData({ email: `${citizen}@example.org`, street: 'Marienplatz 2' }));
  const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
  t.is((info.address as { street_address?: string }).street_address, 'Marienplatz 2');
  const rows = (await bed.h.hub.store.db('oidc_models').select('payload')) as { payload: string }[];
  for (const value of ['Marienplatz', 'Abdinghof', 'Mustermann', 'Erika', '1964-08-12']) {
    t.false(
      rows.some((row) => row.payload.includes(value)),
      `no claim value (${value}) is stored with oidc-provider's state`,
    );
  }
  t.true(rows.length > 0);
});

test.serial('a logged-in citizen is not asked to log in again: the portal gets its answer through consent alone', async (t) => {
  const citizen = await newCitizen(bed);
  const portal = bed.portals.narrow!;
  const config = await rp(bed, portal);
  const browser = new Browser(bed.h.url);
  await login(browser, citizen);
  const { url, verifier, state, nonce } = await authorizationUrl(config, portal, { scope: 'openid profile' });
  let page = await browser.get(url.href);
  t.true(page.url.includes('/anmelden/einwilligung'), 'straight to consent, no login page');
  page = await drive(browser, page, portal, { consent: 'ja' });
  const tokens = await redeem(config, new URL(page.url), { url, verifier, state, nonce });
  t.is(jwtPayload(tokens.id_token!).acr, 'http://eidas.europa.eu/LoA/low');
});
