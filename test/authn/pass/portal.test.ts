import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { Client, type Page } from '../../helpers/client.ts';
import { GOOD_PASSWORD, login } from '../../helpers/citizen.ts';
import { TestClock } from '../../helpers/clock.ts';
import type { TestHub } from '../../helpers/hub.ts';
import { SoftAuthenticator } from '../../helpers/passkey.ts';
import {
  authorizationUrl,
  drive,
  jwtPayload,
  newCitizen,
  redeem,
  registerPortals,
  rp,
  type OidcBed,
  type RegisteredPortal,
} from '../../portals/oidc/fixture.ts';
import { FakePortal, LiveClock, spMetadata, writePortals } from '../../portals/saml/helpers.ts';
import { eidLogin, eidRegisterAndConfirm } from '../eid/helpers.ts';
import { addPasskey, PAGE, passLogin, startPassHub } from './helpers.ts';

/**
 * The level a portal receives for the Servicekonto.Pass, through the real edges: an OpenID Connect
 * portal (openid-client as RP) reads `acr`, a SAML portal (node-saml as SP) AuthnContextClassRef.
 * A portal needing substanziell is offered the Pass and the ID card, not the password; a low
 * session is stepped up; removing the passkey ends its session and the portal hears of it by
 * back-channel logout (DECISIONS 5).
 */

let h: TestHub;
let dir: string;
let bed: OidcBed;
let finanzamt: RegisteredPortal;
let buergerbuero: RegisteredPortal;
const erikaPhone = new SoftAuthenticator('');

test.before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'skh-pass-oidc-'));
  const portals = await registerPortals(dir, [
    { id: 'finanzamt', auth: 'none', minLoa: 'substantial', attributes: ['givenName', 'familyName'], backchannel: true },
    { id: 'buergerbuero', auth: 'none', minLoa: 'low', attributes: ['givenName'], backchannel: true },
  ]);
  finanzamt = portals[0]!;
  buergerbuero = portals[1]!;
  // oidc-provider checks times against the real clock.
  h = await startPassHub({
    dir,
    clock: new TestClock(Date.now()),
    overrides: { throttle: { registrationPerAddress: { max: 1000, windowMinutes: 60 } } },
  });
  bed = { h } as OidcBed;
  Object.assign(erikaPhone, { origin: h.url });
  await eidRegisterAndConfirm(h, new Client(h.url), 'erika', {
    username: 'erika.portal',
    email: 'erika.portal@example.org',
    password: GOOD_PASSWORD,
  });
  const c = new Client(h.url);
  await eidLogin(c, 'erika');
  await addPasskey(c, erikaPhone, { name: 'Telefon' });
});
test.after.always(async () => {
  await h?.close();
  for (const p of [finanzamt, buergerbuero]) await p?.server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function toPortal(browser: Client, page: Page, portal: RegisteredPortal): Promise<Page> {
  return drive(browser, page, portal, { consent: 'ja' });
}

test.serial(
  'a portal needing substanziell is offered the Pass and the ID card, not the password; the Pass gives acr substantial',
  async (t) => {
    const config = await rp(bed, finanzamt);
    const authorization = await authorizationUrl(config, finanzamt, { scope: 'openid profile' });
    const browser = new Client(h.url);
    let page = await browser.get(authorization.url.href);
    t.regex(page.text, /verlangt das Vertrauensniveau „substanziell“/);
    t.truthy(page.root.querySelector('form[action="/anmelden/pass"] input[name=auftrag]'), 'the Pass is offered, for this request');
    t.truthy(page.root.querySelector('form[action="/anmelden/ausweis"]'), 'the ID card is offered');
    t.falsy(page.root.querySelector('form[action="/anmelden/passwort"]'), 'the password is not');
    t.regex(page.text, /Benutzername und Passwort \(höchstens „niedrig“\)/);

    page = await passLogin(browser, erikaPhone);
    t.is(browser.sessionLevel(), 'substanziell');
    const last = await toPortal(browser, page, finanzamt);
    const claims = (await redeem(config, new URL(last.url), authorization)).claims()!;
    t.is(claims.acr, 'http://eidas.europa.eu/LoA/substantial');
    t.deepEqual(claims.amr, ['pass']);
  },
);

test.serial('a password session is stepped up by the Pass for a portal needing substanziell', async (t) => {
  const config = await rp(bed, finanzamt);
  const browser = new Client(h.url);
  await login(browser, 'erika.portal');
  t.is(browser.sessionLevel(), 'niedrig');
  const authorization = await authorizationUrl(config, finanzamt, { scope: 'openid profile' });
  let page = await browser.get(authorization.url.href);
  t.regex(page.text, /Ihre aktuelle Sitzung hat das Vertrauensniveau „niedrig“/);
  page = await passLogin(browser, erikaPhone);
  t.is(browser.sessionLevel(), 'substanziell');
  const last = await toPortal(browser, page, finanzamt);
  const claims = (await redeem(config, new URL(last.url), authorization)).claims()!;
  t.is(claims.acr, 'http://eidas.europa.eu/LoA/substantial');
  t.deepEqual([...(claims.amr as string[])].sort(), ['pass', 'pwd']);
});

test.serial('a niedrig passkey cannot serve a portal needing substanziell, but gives acr low where that is enough', async (t) => {
  const username = await newCitizen(bed);
  const owner = new Client(h.url);
  await login(owner, username);
  const phone = new SoftAuthenticator(h.url);
  await addPasskey(owner, phone);

  const strict = await rp(bed, finanzamt);
  const browser = new Client(h.url);
  await browser.get((await authorizationUrl(strict, finanzamt)).url.href);
  const page = await passLogin(browser, phone);
  t.is(page.status, 403);
  t.regex(page.text, /Vertrauensniveau „niedrig“.*„substanziell“/);

  const lenient = await rp(bed, buergerbuero);
  const authorization = await authorizationUrl(lenient, buergerbuero);
  const other = new Client(h.url);
  const first = await other.get(authorization.url.href);
  t.truthy(first.root.querySelector('form[action="/anmelden/passwort"]'));
  const last = await toPortal(other, await passLogin(other, phone), buergerbuero);
  t.is((await redeem(lenient, new URL(last.url), authorization)).claims()!.acr, 'http://eidas.europa.eu/LoA/low');
});

test.serial('removing the passkey ends its session, and the portal of that session gets a back-channel logout', async (t) => {
  const username = await newCitizen(bed);
  const owner = new Client(h.url);
  await login(owner, username);
  const lost = new SoftAuthenticator(h.url);
  await addPasskey(owner, lost, { name: 'Verloren' });

  const config = await rp(bed, buergerbuero);
  const authorization = await authorizationUrl(config, buergerbuero);
  const thief = new Client(h.url);
  await thief.get(authorization.url.href);
  const last = await toPortal(thief, await passLogin(thief, lost), buergerbuero);
  const tokens = await redeem(config, new URL(last.url), authorization);
  const sid = tokens.claims()!.sid;
  const before = buergerbuero.server.logoutTokens.length;

  await owner.get(PAGE);
  const id = owner.page!.root.querySelector('a[href*="/pass/entfernen?id="]')!.getAttribute('href')!;
  await owner.get(id);
  const page = await owner.submit({}, `${PAGE}/pass/entfernen`);
  t.regex(page.text, /1 Sitzung\(en\), die mit ihm angemeldet waren, wurden beendet/);
  t.is(buergerbuero.server.logoutTokens.length, before + 1, 'the portal was told');
  const logout = jwtPayload(buergerbuero.server.logoutTokens.at(-1)!);
  t.is(logout.sid, sid);
  t.true((await thief.get('/konto')).url.endsWith('/anmelden'));
});

test.serial('a SAML portal needing substanziell receives AuthnContextClassRef substantial for the Pass', async (t) => {
  const portal = await FakePortal.start();
  const samlDir = mkdtempSync(path.join(os.tmpdir(), 'skh-pass-saml-'));
  const portalsFile = writePortals(samlDir, [
    {
      id: 'rathaus',
      minLoa: 'substantial',
      attributes: ['givenName', 'familyName'],
      saml: { signResponse: true },
      metadata: spMetadata({ entityId: portal.entityId, acs: [{ url: portal.acsUrl, index: 0, isDefault: true }] }),
    },
  ]);
  const saml = await startPassHub({ clock: new LiveClock(), overrides: { federation: { portalsFile } } });
  try {
    portal.configure(saml.url, saml.hub.keys.saml.signing.certificatePem!, undefined);
    await eidRegisterAndConfirm(saml, new Client(saml.url), 'erika', { username: 'erika.saml', email: 'erika.saml@example.org' });
    const phone = new SoftAuthenticator(saml.url);
    const owner = new Client(saml.url);
    await eidLogin(owner, 'erika');
    await addPasskey(owner, phone);

    const c = new Client(saml.url);
    let page = await c.get(await portal.sp.getAuthorizeUrlAsync('', undefined, {}));
    t.falsy(page.root.querySelector('form[action="/anmelden/passwort"]'));
    page = await passLogin(c, phone);
    t.is(c.sessionLevel(), 'substanziell');
    if (page.root.querySelector('form[action="/anmelden/einwilligung"]'))
      page = await c.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
    await c.submit({}, portal.acsUrl);
    const received = portal.last('response')!;
    t.falsy(received.error, received.error?.message);
    const assertion = received.profile!.getAssertionXml!();
    t.regex(assertion, /<saml:AuthnContextClassRef>http:\/\/eidas\.europa\.eu\/LoA\/substantial<\/saml:AuthnContextClassRef>/);
  } finally {
    await saml.close();
    await portal.close();
    rmSync(samlDir, { recursive: true, force: true });
  }
});
