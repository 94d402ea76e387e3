import test from 'ava';
import { MINUTE } from '../../../src/core/clock.ts';
import { login } from '../../helpers/citizen.ts';
import { authorizationUrl, authorize, Browser, jwtPayload, newCitizen, redeem, rp, startBed, type OidcBed } from './fixture.ts';

const EIDAS_LOW = 'http://eidas.europa.eu/LoA/low';

let bed: OidcBed;
let citizen: string;

test.before(async () => {
  // Passwords only (low): no login method reaches substantial or high here. step-up.test.ts has the ID card.
  bed = await startBed(
    [
      { id: 'low', auth: 'client_secret_basic', minLoa: 'low' },
      { id: 'strict', auth: 'client_secret_basic', minLoa: 'substantial' },
    ],
    { overrides: { eid: { enabled: false } } },
  );
  citizen = await newCitizen(bed);
});
test.after.always(async () => {
  await bed?.close();
});

/** Sends the browser to the authorization endpoint and returns where it ends (after login and consent). */
async function outcome(b: OidcBed, portalId: string, params: Record<string, string>, browser = new Browser(b.h.url), username?: string) {
  const portal = b.portals[portalId]!;
  const config = await rp(b, portal);
  const r = await authorize(browser, config, portal, params, { ...(username ? { username } : {}), consent: 'ja' });
  return { ...r, config, portal, browser };
}

test.serial('the ID token’s acr is the level reached, and never below the portal’s minimum even when it asks for less', async (t) => {
  for (const acr of ['STORK-QAA-Level-1', 'basic', '']) {
    const { callback, authorization, config } = await outcome(bed, 'low', acr ? { acr_values: acr } : {}, undefined, citizen);
    const tokens = await redeem(config, callback, authorization);
    t.is(tokens.claims()!.acr, EIDAS_LOW, `asked ${acr || 'nothing'}`);
    t.deepEqual(tokens.claims()!.amr, ['pwd']);
  }
});

test.serial('acr_values in every spelling of the core table map onto the hub’s levels', async (t) => {
  for (const acr of ['http://eidas.europa.eu/LoA/low', 'low', 'STORK-QAA-Level-2', 'http://bsi.bund.de/eID/LoA/normal']) {
    const { callback, authorization, config } = await outcome(bed, 'low', { acr_values: acr }, undefined, citizen);
    t.is((await redeem(config, callback, authorization)).claims()!.acr, EIDAS_LOW, acr);
  }
  for (const acr of ['http://eidas.europa.eu/LoA/substantial', 'substantial', 'STORK-QAA-Level-3', 'http://bsi.bund.de/eID/LoA/hoch']) {
    const { callback } = await outcome(bed, 'low', { acr_values: acr }, undefined, citizen);
    t.is(callback.searchParams.get('error'), 'unmet_authentication_requirements', acr);
  }
  // Several values are preferences: any of them will do, so the lowest counts.
  const { callback, authorization, config } = await outcome(
    bed,
    'low',
    { acr_values: 'http://eidas.europa.eu/LoA/high http://eidas.europa.eu/LoA/low' },
    undefined,
    citizen,
  );
  t.is((await redeem(config, callback, authorization)).claims()!.acr, EIDAS_LOW);
});

test.serial('when no login method reaches the level the portal gets unmet_authentication_requirements, without a login page', async (t) => {
  const browser = new Browser(bed.h.url);
  const portal = bed.portals.strict!;
  const config = await rp(bed, portal);
  const { url, state } = await authorizationUrl(config, portal);
  const page = await browser.get(url.href);
  const back = new URL(page.url);
  t.is(back.origin, portal.server.url, 'straight back to the portal');
  t.is(back.searchParams.get('error'), 'unmet_authentication_requirements');
  t.is(back.searchParams.get('state'), state);
});

test.serial('an essential acr claim is honoured by order of levels; unknown essential values cannot be met', async (t) => {
  const essential = (values: string[]): Record<string, string> => ({
    claims: JSON.stringify({ id_token: { acr: { essential: true, values } } }),
  });
  let r = await outcome(bed, 'low', essential(['http://eidas.europa.eu/LoA/high']), undefined, citizen);
  t.is(r.callback.searchParams.get('error'), 'unmet_authentication_requirements');
  r = await outcome(bed, 'low', essential(['urn:example:unknown']), undefined, citizen);
  t.is(r.callback.searchParams.get('error'), 'unmet_authentication_requirements');
  r = await outcome(bed, 'low', essential(['STORK-QAA-Level-1', 'http://eidas.europa.eu/LoA/low']), undefined, citizen);
  t.is((await redeem(r.config, r.callback, r.authorization)).claims()!.acr, EIDAS_LOW);
  r = await outcome(bed, 'low', { claims: JSON.stringify({ id_token: { acr: { values: ['urn:example:unknown'] } } }) }, undefined, citizen);
  t.truthy(r.callback.searchParams.get('code'), 'a voluntary unknown value is ignored');
});

test.serial('prompt=none: login_required without a session, unmet_authentication_requirements when the session is too low', async (t) => {
  const browser = new Browser(bed.h.url);
  let r = await outcome(bed, 'low', { prompt: 'none' }, browser);
  t.is(r.callback.searchParams.get('error'), 'login_required');
  // Log in through the portal once, then ask passively.
  r = await outcome(bed, 'low', {}, browser, citizen);
  t.truthy(r.callback.searchParams.get('code'));
  r = await outcome(bed, 'low', { prompt: 'none', acr_values: 'http://eidas.europa.eu/LoA/substantial' }, browser);
  t.is(r.callback.searchParams.get('error'), 'unmet_authentication_requirements');
  r = await outcome(bed, 'strict', { prompt: 'none' }, browser);
  t.is(r.callback.searchParams.get('error'), 'unmet_authentication_requirements', 'the portal minimum applies too');
});

test.serial('prompt=none in a live session answers silently, with the session’s level, and the release is audited', async (t) => {
  const browser = new Browser(bed.h.url);
  await outcome(bed, 'low', { scope: 'openid profile' }, browser, citizen);
  const before = (await bed.h.hub.store.db('audit_events').where({ event: 'data.released' }).count({ n: '*' }).first())?.n;
  const r = await outcome(bed, 'low', { prompt: 'none', scope: 'openid profile' }, browser);
  const tokens = await redeem(r.config, r.callback, r.authorization);
  t.is(tokens.claims()!.acr, EIDAS_LOW);
  const after = (await bed.h.hub.store.db('audit_events').where({ event: 'data.released' }).count({ n: '*' }).first())?.n;
  t.is(Number(after), Number(before) + 1);
  const rows = (await bed.h.hub.store.db('audit_events').where({ event: 'data.released' }).orderBy('id', 'desc').limit(1)) as {
    detail: string;
  }[];
  t.like(JSON.parse(rows[0]!.detail), {
    portal: 'low',
    protocol: 'oidc',
    passive: true,
    attributes: ['givenName', 'familyName', 'dateOfBirth'],
  });
});

test.serial('prompt=none after the hub session lapsed (TR-03160 idle limit) is login_required', async (t) => {
  const browser = new Browser(bed.h.url);
  await outcome(bed, 'low', {}, browser, citizen);
  bed.clock.advance(61 * MINUTE);
  const r = await outcome(bed, 'low', { prompt: 'none' }, browser);
  t.is(r.callback.searchParams.get('error'), 'login_required');
});

test.serial('a citizen logged in at the hub but never at an OIDC portal in this session gets login_required on prompt=none', async (t) => {
  const browser = new Browser(bed.h.url);
  await login(browser, citizen);
  const r = await outcome(bed, 'low', { prompt: 'none' }, browser);
  t.is(r.callback.searchParams.get('error'), 'login_required');
});

test.serial('prompt=login and max_age=0 make the citizen authenticate again although the session is valid', async (t) => {
  const browser = new Browser(bed.h.url);
  await login(browser, citizen);
  for (const params of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
    const portal = bed.portals.low!;
    const config = await rp(bed, portal);
    const { url } = await authorizationUrl(config, portal, params);
    const page = await browser.get(url.href);
    t.true(page.url.includes('/anmelden?auftrag='), `${JSON.stringify(params)}: the login page, not the portal`);
    t.truthy(page.root.querySelector('form[action="/anmelden/passwort"]'));
  }
  const { callback, authorization, config } = await outcome(bed, 'low', { max_age: '3600' }, browser);
  const tokens = await redeem(config, callback, authorization);
  t.true(typeof tokens.claims()!.auth_time === 'number');
  t.true(Math.abs(Number(tokens.claims()!.auth_time) - Math.floor(bed.clock.now() / 1000)) < 5);
});

test.serial('a deployment where passwords give "basic": STORK-QAA-Level-1 is the acr, and a portal needing low is refused', async (t) => {
  const basic = await startBed(
    [
      { id: 'basic-ok', auth: 'client_secret_basic', minLoa: 'basic' },
      { id: 'needs-low', auth: 'client_secret_basic', minLoa: 'low' },
    ],
    { overrides: { login: { passwordLoa: 'basic' }, eid: { enabled: false } } },
  );
  try {
    const user = await newCitizen(basic);
    const r = await outcome(basic, 'basic-ok', {}, new Browser(basic.h.url), user);
    t.is(jwtPayload((await redeem(r.config, r.callback, r.authorization)).id_token!).acr, 'STORK-QAA-Level-1');
    const refused = await outcome(basic, 'needs-low', {}, r.browser);
    t.is(refused.callback.searchParams.get('error'), 'unmet_authentication_requirements');
  } finally {
    await basic.close();
  }
});
