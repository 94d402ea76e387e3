import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { stringify } from 'yaml';
import type { AuthnRequestContext, LoginOutcome } from '../../../src/core/authn-request.ts';
import { MINUTE } from '../../../src/core/clock.ts';
import type { PortalEdge } from '../../../src/login/login.ts';
import { newRequestId } from '../../../src/login/requests.ts';
import { Client } from '../../helpers/client.ts';
import { login, personalData, registerAndConfirm } from '../../helpers/citizen.ts';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { chooseCard, eidLogin, eidRegisterAndConfirm } from './helpers.ts';

/**
 * Login with the Online-Ausweisfunktion over HTTP through the simulator: level "hoch" in the
 * header, data an authority changed on the chip taken over, under-16 and expired cards refused
 * without any change, and a portal that needs "hoch" offered only the ID card, stepping up a
 * lower session of the same account instead of starting over.
 */

let h: TestHub;
let dir: string;
const answers: { request: AuthnRequestContext; outcome: LoginOutcome }[] = [];

test.before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'eid-login-'));
  const portalsFile = path.join(dir, 'portals.yaml');
  writeFileSync(
    portalsFile,
    stringify({
      portals: [
        {
          id: 'bauantrag',
          name: { de: 'Bauantrag online', en: 'Building permit online' },
          minLoa: 'high',
          attributes: ['givenName', 'familyName', 'dateOfBirth', 'locality'],
          oidc: { clientId: 'bauantrag', tokenEndpointAuthMethod: 'none', redirectUris: ['http://127.0.0.1:9/callback'] },
        },
      ],
    }),
  );
  h = await startTestHub({ overrides: { federation: { portalsFile } } });
  // The portal's side of the hub: an edge that records what it would have sent.
  const edge: PortalEdge = {
    protocol: 'oidc',
    async answer(ctx, request, outcome) {
      answers.push({ request, outcome });
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = '<!DOCTYPE html><html lang="de"><title>Portal</title><main>Antwort an das Portal</main></html>';
    },
  };
  h.hub.login.addEdge(edge);
  h.hub.web.router.get('/test/portal-login', async (ctx) => {
    await h.hub.login.start(ctx, {
      id: newRequestId(),
      portalId: 'bauantrag',
      protocol: 'oidc',
      minLoa: 'high',
      requestedAttributes: undefined,
      forceAuthn: false,
      isPassive: false,
      edge: {},
      createdAt: h.clock.now(),
    });
  });
  await eidRegisterAndConfirm(h, new Client(h.url), 'erika', { username: 'erika', email: 'erika@example.org', password: 'Sommer2026!' });
});

test.after.always(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function attributesOf(username: string): Promise<Record<string, { value: string; loa: string; source: string }>> {
  const account = await h.hub.store.db('accounts').where({ username_key: username }).first();
  const rows = await h.hub.store.db('account_attributes').where({ account_id: account.id });
  return Object.fromEntries(rows.map((r: { name: string; value: string; loa: string; source: string }) => [r.name, r]));
}

test.serial('the login page offers the ID card beside the password', async (t) => {
  const page = await new Client(h.url).get('/anmelden');
  t.truthy(page.root.querySelector('form[action="/anmelden/ausweis"]'));
  t.regex(page.text, /Mit der Online-Ausweisfunktion/);
  t.regex(page.text, /Registrieren mit der Online-Ausweisfunktion/);
});

test.serial('logging in with the ID card gives a session at level hoch, shown in the header', async (t) => {
  const c = new Client(h.url);
  const page = await eidLogin(c, 'erika');
  t.true(page.url.endsWith('/konto'), page.text);
  t.regex(page.root.querySelector('#session-level')!.textContent.replace(/\s+/g, ' '), /Aktuelle Sitzung: hoch/);
  t.is(c.sessionLevel(), 'hoch');
  t.regex(page.text, /Anmeldung \(Online-Ausweisfunktion, Vertrauensniveau hoch\)/, 'listed under recent logins');
  const binding = await h.hub.store.db('eid_bindings').first();
  t.is(Number(binding.last_used_at), h.clock.now());
});

test.serial('the hoch level lapses after 5 minutes without activity and the session falls back', async (t) => {
  const c = new Client(h.url);
  await eidLogin(c, 'erika');
  h.clock.advance(6 * MINUTE);
  await c.get('/konto');
  t.is(c.sessionLevel(), 'substanziell', 'TR-03160: hoch 5 min idle, substanziell 30 min');
});

test.serial('an address changed on the chip is taken over at the next login', async (t) => {
  const c = new Client(h.url);
  const page = await eidLogin(c, 'erika-umzug');
  t.true(page.url.endsWith('/konto'));
  t.regex(page.text, /Ihre Daten wurden aus Ihrem Ausweis aktualisiert: Straße und Hausnummer, Postleitzahl, Ort/);
  t.regex(page.text, /SCHLOSSALLEE 3/);
  const a = await attributesOf('erika');
  t.like(a.street, { value: 'SCHLOSSALLEE 3', loa: 'high', source: 'eid' });
  t.like(a.locality, { value: 'BONN', loa: 'high', source: 'eid' });
  t.like(a.postalCode, { value: '53113' });
  const audit = await h.hub.store.db('audit_events').where({ event: 'data.changed' }).orderBy('id', 'desc').first();
  t.deepEqual(JSON.parse(audit.detail), { fields: ['street', 'postalCode', 'locality'], source: 'eid' });
  // And back to Köln with the other card state: the same card, so the same account.
  await eidLogin(new Client(h.url), 'erika');
  t.is((await attributesOf('erika')).locality?.value, 'KÖLN');
});

test.serial('an under-16 card and an expired card are refused at login with a clear message, and nothing changes', async (t) => {
  const before = JSON.stringify(await h.hub.store.db('account_attributes').orderBy(['account_id', 'name']));
  for (const [card, message] of [
    ['jugendlich', /mindestens 16 Jahre alt sein/],
    ['abgelaufen', /abgelaufen oder gesperrt/],
  ] as const) {
    const c = new Client(h.url);
    const page = await eidLogin(c, card);
    t.is(page.status, 403, card);
    t.true(page.url.includes('/anmelden/ausweis/zurueck'));
    t.regex(page.root.querySelector('#eid-title')!.parentNode!.textContent, message);
    t.is(c.sessionLevel(), 'nicht angemeldet');
  }
  t.is(JSON.stringify(await h.hub.store.db('account_attributes').orderBy(['account_id', 'name'])), before);
});

test.serial('deselecting required data is impossible, deselecting optional data keeps what the account has', async (t) => {
  const c = new Client(h.url);
  const page = await eidLogin(c, 'erika', { deselect: ['BirthName'] });
  t.true(page.url.endsWith('/konto'));
  t.like((await attributesOf('erika')).birthName, { value: 'GABLER', source: 'eid' }, 'not read this time, so not removed');
});

test.serial('the RefreshAddress works once, only in the browser that started, and only with its secret', async (t) => {
  const victim = new Client(h.url);
  await victim.get('/anmelden');
  await victim.submit({}, '/anmelden/ausweis');
  const toClient = (await victim.followRefresh())!;
  const tcTokenUrl = new URL(toClient.url).searchParams.get('tcTokenURL')!;
  // The card page fetched the TC Token; its RefreshAddress comes back on the redirect.
  const res = await fetch(new URL('/eID-Client/karte', toClient.url), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ vorgang: toClient.root.querySelector('input[name=vorgang]')!.getAttribute('value')!, karte: 'erika' }),
    redirect: 'manual',
  });
  const refresh = new URL(res.headers.get('location')!);
  t.is(refresh.searchParams.get('ResultMajor'), 'ok');
  // An attacker who knows the tcTokenURL cannot fetch the token again.
  t.is((await fetch(tcTokenUrl)).status, 404, 'the TC Token is handed out once');
  // Another browser at the RefreshAddress gets nothing.
  const attacker = new Client(h.url);
  const stolen = await attacker.get(refresh.toString());
  t.is(stolen.status, 400);
  t.regex(stolen.text, /nicht in diesem Browser begonnen/);
  t.is(attacker.sessionLevel(), 'nicht angemeldet');
  // The right browser with a wrong secret gets nothing either, and the flow is used up.
  const wrong = new URL(refresh);
  wrong.searchParams.set('k', 'x'.repeat(43));
  t.is((await victim.get(wrong.toString())).status, 400);
  t.is((await victim.get(refresh.toString())).status, 400, 'single use');
  t.is(victim.sessionLevel(), 'nicht angemeldet');
});

test.serial('a portal that needs hoch offers only the ID card, says why not the password, and steps up a low session', async (t) => {
  const c = new Client(h.url);
  await login(c, 'erika', 'Sommer2026!');
  t.is(c.sessionLevel(), 'niedrig');
  const sessionBefore = c.cookie('skh_session');

  let page = await c.get('/test/portal-login');
  t.true(page.url.includes('/anmelden?auftrag='), page.url);
  t.regex(page.text, /Anmeldung für: Bauantrag online/);
  t.regex(page.text, /verlangt das Vertrauensniveau „hoch“/);
  t.regex(page.text, /Ihre aktuelle Sitzung hat das Vertrauensniveau „niedrig“/);
  t.falsy(page.root.querySelector('form[action="/anmelden/passwort"]'), 'no password form');
  t.truthy(page.root.querySelector('form[action="/anmelden/ausweis"] input[name=auftrag]'));
  t.regex(page.text, /Nicht angeboten[^:]*: Benutzername und Passwort \(höchstens „niedrig“\)/);

  await c.submit({}, '/anmelden/ausweis');
  page = await chooseCard(c, 'erika');
  t.regex(page.text, /Einwilligung|einwilligen|übermittelt/i, 'consent before the first answer');
  t.is(c.sessionLevel(), 'hoch');
  t.not(c.cookie('skh_session'), sessionBefore, 'a new session id at the step-up');
  page = await c.submit({ entscheidung: 'ja' });
  t.regex(page.text, /Antwort an das Portal/);

  const last = answers[answers.length - 1]!;
  t.true(last.outcome.ok);
  if (!last.outcome.ok) return;
  const identity = last.outcome.identity;
  t.is(identity.loa, 'high');
  t.deepEqual([...identity.methods].sort(), ['eid', 'pwd'], 'stepped up the same session: both methods');
  t.like(identity.attributes.familyName, { value: 'MUSTERMANN', loa: 'high', source: 'eid' });
  t.deepEqual(Object.keys(identity.attributes).sort(), ['dateOfBirth', 'familyName', 'givenName', 'locality']);
});

test.serial('a second login for the portal within the hoch limits needs no new card reading', async (t) => {
  const c = new Client(h.url);
  await eidLogin(c, 'erika');
  const count = answers.length;
  const page = await c.get('/test/portal-login');
  t.regex(page.text, /Antwort an das Portal/, 'consent was given before, the session is hoch: straight back');
  t.is(answers.length, count + 1);
});

test.serial('a password account that never added its card gets told how to add it', async (t) => {
  await registerAndConfirm(new Client(h.url), h.outbox, {
    username: 'max',
    personal: personalData({ givenName: 'Max', email: 'max@example.org' }),
  });
  const c = new Client(h.url);
  await login(c, 'max');
  const page = await c.get('/test/portal-login');
  t.true(page.url.includes('auftrag='));
  await c.submit({}, '/anmelden/ausweis');
  const result = await chooseCard(c, 'doktor');
  t.is(result.status, 403);
  t.regex(result.text, /nicht mit Ihrem Servicekonto verknüpft/);
  t.is(c.sessionLevel(), 'niedrig', 'the session stays as it was');
  // And a card of another account does not switch accounts.
  const other = await (async () => {
    await c.get('/test/portal-login');
    await c.submit({}, '/anmelden/ausweis');
    return chooseCard(c, 'erika');
  })();
  t.regex(other.text, /gehört zu einem anderen Servicekonto/);
  t.is(c.sessionLevel(), 'niedrig');
});
