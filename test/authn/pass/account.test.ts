import test from 'ava';
import { MINUTE } from '../../../src/core/clock.ts';
import { Client } from '../../helpers/client.ts';
import { GOOD_PASSWORD, login, personalData, registerAndConfirm } from '../../helpers/citizen.ts';
import type { TestHub } from '../../helpers/hub.ts';
import { SoftAuthenticator } from '../../helpers/passkey.ts';
import { dumpAllTables } from '../../helpers/rows.ts';
import { chooseCard, eidLogin, eidRegisterAndConfirm } from '../eid/helpers.ts';
import { addPasskey, csrfOf, enrolmentLink, enrolWithLink, fetchOptions, PAGE, passLogin, startPassHub } from './helpers.ts';

/**
 * The Servicekonto.Pass on "Meine Authentifizierungsmittel" (DECISIONS 14): the level a passkey
 * gets (substanziell only when registered in a session of substanziell or higher on an account
 * with an ID card), the substantial session that adding and removing need on such an account,
 * removing a lost device (its sessions end), the single-use enrolment link for a second device,
 * and the deletion of the account with everything the Pass stored.
 */

let h: TestHub;
test.before(async () => {
  h = await startPassHub({ overrides: { throttle: { registrationPerAddress: { max: 1000, windowMinutes: 60 } } } });
  // Erika registered with her ID card and chose a password as well.
  await eidRegisterAndConfirm(h, new Client(h.url), 'erika', {
    username: 'erika.pass',
    email: 'erika.pass@example.org',
    password: GOOD_PASSWORD,
  });
});
test.after.always(async () => {
  await h?.close();
});

async function accountOf(username: string) {
  return h.hub.store.db('accounts').where({ username_key: username }).first();
}

async function passkeysOf(username: string) {
  return h.hub.store
    .db('passkeys')
    .where({ account_id: (await accountOf(username)).id })
    .orderBy('created_at');
}

let n = 0;
async function passwordCitizen(personal: Record<string, string> = {}): Promise<{ c: Client; username: string; email: string }> {
  n += 1;
  const username = `konto${n}`;
  const email = `${username}@example.org`;
  await registerAndConfirm(new Client(h.url), h.outbox, { username, personal: personalData({ email, ...personal }) });
  const c = new Client(h.url);
  await login(c, username);
  return { c, username, email };
}

const erikaPhone = new SoftAuthenticator('');

test.serial('on an account with the ID card, a passkey added in a session of hoch gives substanziell, and so does its login', async (t) => {
  Object.assign(erikaPhone, { origin: h.url });
  const c = new Client(h.url);
  await eidLogin(c, 'erika');
  t.is(c.sessionLevel(), 'hoch');
  const page = await addPasskey(c, erikaPhone, { name: 'Erikas Telefon' });
  t.regex(page.text, /„Erikas Telefon“ wurde eingerichtet \(Vertrauensniveau „substanziell“\)/);
  t.is((await passkeysOf('erika.pass'))[0].loa, 'substantial');

  const b = new Client(h.url);
  t.true((await passLogin(b, erikaPhone)).url.endsWith('/konto'));
  t.is(b.sessionLevel(), 'substanziell');

  // Once hoch has lapsed (5 idle minutes), the session is still substanziell: enough to add another.
  h.clock.advance(6 * MINUTE);
  await c.get(PAGE);
  t.is(c.sessionLevel(), 'substanziell');
  const second = await addPasskey(c, new SoftAuthenticator(h.url), { name: 'Tablet' });
  t.regex(second.text, /„Tablet“ wurde eingerichtet \(Vertrauensniveau „substanziell“\)/);
});

test.serial('a password session on an account with the ID card may not add or remove passkeys, and is shown how to step up', async (t) => {
  const c = new Client(h.url);
  await login(c, 'erika.pass');
  t.is(c.sessionLevel(), 'niedrig');
  let page = await c.get(PAGE);
  t.regex(page.text, /braucht Ihre Sitzung mindestens das Vertrauensniveau „substanziell“ \(jetzt: „niedrig“\)/);
  t.falsy(page.root.querySelector('form[data-pass="register"]'), 'no form to add');
  t.falsy(page.root.querySelector(`a[href^="${PAGE}/pass/entfernen"]`), 'no link to remove');
  t.truthy(page.root.querySelector('a[href="/konto/ausweis-bestaetigen?aktion=changeAuthenticators"]'));
  t.truthy(page.root.querySelector('form[action="/anmelden/pass"] input[name=zurueck]'), 'the Pass can confirm too');

  // The server refuses, whatever the page shows.
  const csrf = csrfOf(page);
  const options = await fetchOptions(c, `${PAGE}/pass/optionen`, { _csrf: csrf, name: '' });
  t.is(options.status, 403);
  t.regex(options.body.message ?? '', /mindestens das Vertrauensniveau „substanziell“/);
  const forged = new SoftAuthenticator(h.url).register({
    rp: { id: 'localhost', name: 'x' },
    user: { id: 'AAAA', name: 'x', displayName: 'x' },
    challenge: 'AAAA',
    pubKeyCredParams: [],
  });
  page = await c.post(`${PAGE}/pass`, { _csrf: csrf, credential: JSON.stringify(forged), name: '' });
  t.is(page.status, 403);
  page = await c.post(`${PAGE}/pass/qr`, { _csrf: csrf });
  t.is(page.status, 403);
  const id = (await passkeysOf('erika.pass'))[0].id;
  t.is((await c.get(`${PAGE}/pass/entfernen?id=${id}`)).status, 403);
  page = await c.post(`${PAGE}/pass/entfernen`, { _csrf: csrf, id });
  t.is(page.status, 403);
  t.is((await passkeysOf('erika.pass')).length, 2, 'nothing was removed');

  // Step up with the substantial passkey: back on the page, substanziell, the forms are there.
  await c.get(PAGE);
  page = await passLogin(c, erikaPhone);
  t.true(page.url.endsWith(PAGE), page.url);
  t.is(c.sessionLevel(), 'substanziell');
  t.truthy(page.root.querySelector('form[data-pass="register"]'));

  // Or with the ID card, through the eID module's confirmation page.
  const d = new Client(h.url);
  await login(d, 'erika.pass');
  await d.get(PAGE);
  page = await d.get('/konto/ausweis-bestaetigen?aktion=changeAuthenticators');
  t.regex(page.text, /Bevor Sie einen Servicekonto\.Pass hinzufügen oder entfernen/);
  await d.submit({}, '/konto/ausweis-bestaetigen');
  page = await chooseCard(d, 'erika');
  t.true(page.url.endsWith(PAGE), page.url);
  t.is(d.sessionLevel(), 'hoch');
  t.truthy(page.root.querySelector('form[data-pass="register"]'));
});

test.serial(
  'a passkey added before the card was bound stays niedrig; one added afterwards in the card session is substanziell',
  async (t) => {
    const { c, username } = await passwordCitizen({
      givenName: 'Anna Lena',
      familyName: 'Bergmann',
      dateOfBirth: '1990-03-03',
      birthName: 'Weber',
    });
    const early = new SoftAuthenticator(h.url);
    await addPasskey(c, early, { name: 'Früh' });
    await c.get(PAGE);
    await c.submit({}, `${PAGE}/ausweis`);
    let page = await chooseCard(c, 'geburtsname');
    t.regex(page.text, /Ihr Ausweis ist jetzt mit Ihrem Servicekonto verknüpft/, page.text.slice(0, 300));
    t.is(c.sessionLevel(), 'hoch');
    const late = new SoftAuthenticator(h.url);
    page = await addPasskey(c, late, { name: 'Spät' });
    t.regex(page.text, /„Spät“ wurde eingerichtet \(Vertrauensniveau „substanziell“\)/);
    const rows = await passkeysOf(username);
    t.deepEqual(
      rows.map((r: { name: string; loa: string }) => [r.name, r.loa]),
      [
        ['Früh', 'low'],
        ['Spät', 'substantial'],
      ],
    );
    const a = new Client(h.url);
    await passLogin(a, early);
    t.is(a.sessionLevel(), 'niedrig', 'the level stored with the passkey counts');
    const b = new Client(h.url);
    await passLogin(b, late);
    t.is(b.sessionLevel(), 'substanziell');
  },
);

test.serial('removing a passkey ends the sessions it opened (other devices, not this one), and its login no longer works', async (t) => {
  const { c, username, email } = await passwordCitizen();
  const lost = new SoftAuthenticator(h.url);
  const kept = new SoftAuthenticator(h.url);
  await addPasskey(c, lost, { name: 'Verloren' });
  await addPasskey(c, kept, { name: 'Behalten' });
  const thief = new Client(h.url);
  await passLogin(thief, lost);
  const stepped = new Client(h.url);
  await login(stepped, username);
  await passLogin(stepped, lost);
  const other = new Client(h.url);
  await passLogin(other, kept);
  for (const x of [thief, stepped, other]) t.regex((await x.get('/konto')).text, new RegExp(`Angemeldet als ${username}`));

  const id = (await passkeysOf(username)).find((r: { name: string }) => r.name === 'Verloren').id;
  let page = await c.get(PAGE);
  t.truthy(page.root.querySelector(`a[href="${PAGE}/pass/entfernen?id=${id}"]`));
  page = await c.get(`${PAGE}/pass/entfernen?id=${id}`);
  t.regex(page.text, /Servicekonto\.Pass „Verloren“ entfernen\?/);
  t.regex(page.text, /Sitzungen, die mit ihm angemeldet wurden, werden beendet/);
  page = await c.submit({}, `${PAGE}/pass/entfernen`);
  t.true(page.url.endsWith(PAGE));
  t.regex(page.text, /Der Servicekonto\.Pass „Verloren“ wurde entfernt\. 2 Sitzung\(en\), die mit ihm angemeldet waren, wurden beendet/);
  t.deepEqual(
    page.root.querySelectorAll('li.passkey h4').map((e) => e.textContent),
    ['Behalten'],
  );

  for (const x of [thief, stepped]) {
    const after = await x.get('/konto');
    t.true(after.url.endsWith('/anmelden'), 'the session opened or raised with the lost passkey has ended');
  }
  t.regex((await other.get('/konto')).text, new RegExp(`Angemeldet als ${username}`), 'the other passkey’s session stays');
  t.regex((await c.get('/konto')).text, new RegExp(`Angemeldet als ${username}`), 'the session that removed it stays');

  page = await passLogin(new Client(h.url), lost);
  t.is(page.status, 401);
  t.regex(page.text, /bei keinem Servicekonto registriert/);
  t.regex(
    (await h.outbox.latest(email, 'Servicekonto.Pass entfernt')).text,
    /„Verloren“ entfernt\. Sitzungen, die mit ihm angemeldet waren, wurden beendet/,
  );
  t.regex((await c.get('/konto')).text, /Servicekonto\.Pass entfernt/);
  t.is((await passkeysOf(username)).length, 1);

  // Removing twice, or a passkey of someone else, finds nothing.
  await c.get(PAGE);
  page = await c.post(`${PAGE}/pass/entfernen`, { _csrf: csrfOf(c.page), id });
  t.is(page.status, 404);
});

test.serial('the enrolment link registers a passkey on a second device once, without a login there', async (t) => {
  const { c, username, email } = await passwordCitizen();
  await c.get(PAGE);
  let page = await c.submit({}, `${PAGE}/pass/qr`);
  t.true(page.url.endsWith(`${PAGE}/pass/qr`));
  const svg = page.root.querySelector('figure.qr svg');
  t.truthy(svg);
  t.is(svg!.getAttribute('role'), 'img');
  t.is(svg!.getAttribute('aria-label'), 'QR-Code mit dem Einrichtungslink');
  t.regex(page.text, /funktioniert nur einmal/);
  const link = page.root.querySelector('.enrolment-link code')!.textContent.trim();
  t.regex(link, /^http:\/\/localhost:\d+\/pass\/einrichten\?t=[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
  const row = await h.hub.store
    .db('passkey_enrolments')
    .where({ account_id: (await accountOf(username)).id })
    .first();
  t.false(JSON.stringify(row).includes(new URL(link).searchParams.get('t')!.split('.')[1]!), 'only a hash of the token is stored');
  t.is(Number(row.expires_at) - Number(row.created_at), 10 * MINUTE);

  const phone = new Client(h.url);
  const device = new SoftAuthenticator(h.url);
  page = await phone.get(link);
  t.true(page.url.endsWith('/pass/einrichten'), 'the token leaves the address bar');
  t.regex(page.text, new RegExp(`für das Servicekonto „${username}“`));
  t.is(phone.sessionLevel(), 'nicht angemeldet');
  page = await enrolWithLink(phone, link, device, { name: 'Handy' });
  t.regex(page.text, /Ihr Servicekonto\.Pass ist eingerichtet/);
  t.regex(page.text, /„Handy“ gehört jetzt zum Servicekonto .* \(Vertrauensniveau „niedrig“\)/);
  t.is(phone.sessionLevel(), 'nicht angemeldet', 'enrolling does not log in');
  t.regex((await h.outbox.latest(email, 'Servicekonto.Pass eingerichtet')).text, /„Handy“/);
  t.deepEqual(
    (await passkeysOf(username)).map((r: { name: string; loa: string }) => [r.name, r.loa]),
    [['Handy', 'low']],
  );

  // The link worked once.
  page = await new Client(h.url).get(link);
  t.is(page.status, 404);
  t.regex(page.text, /Einrichtungslink ungültig.*nur einmal/);
  page = await c.get(`${PAGE}/pass/qr`);
  t.regex(page.text, /Der Link wurde verwendet, ist abgelaufen oder wurde durch einen neueren ersetzt/);

  // And the phone now logs in with it.
  t.true((await passLogin(phone, device)).url.endsWith('/konto'));
  t.is(phone.sessionLevel(), 'niedrig');
});

test.serial('an enrolment link expires after 10 minutes, only the newest works, and a second device cannot reuse it', async (t) => {
  const { c, username } = await passwordCitizen();
  const first = await enrolmentLink(c);
  const second = await enrolmentLink(c);
  let page = await new Client(h.url).get(first);
  t.is(page.status, 404, 'a newer link replaces the older one');
  page = await new Client(h.url).get(`${new URL(second).origin}/pass/einrichten?t=kaputt`);
  t.is(page.status, 404);
  page = await new Client(h.url).get('/pass/einrichten');
  t.is(page.status, 404, 'no link in the session');

  // Two phones open the same link; the first to register wins, the other gets the clear page.
  const a = new Client(h.url);
  const b = new Client(h.url);
  await a.get(second);
  await b.get(second);
  const bOptions = await fetchOptions(b, '/pass/einrichten/optionen', { _csrf: csrfOf(await b.get('/pass/einrichten')), name: '' });
  t.regex((await enrolWithLink(a, second, new SoftAuthenticator(h.url))).text, /ist eingerichtet/);
  page = await b.post('/pass/einrichten', {
    _csrf: csrfOf(await b.get('/anmelden')),
    name: '',
    credential: JSON.stringify(new SoftAuthenticator(h.url).register(bOptions.body)),
  });
  t.is(page.status, 404);
  t.regex(page.text, /Einrichtungslink ungültig/);
  t.is((await passkeysOf(username)).length, 1);

  // Ten minutes: expired, whether opened before or not.
  const third = await enrolmentLink(c);
  const opened = new Client(h.url);
  await opened.get(third);
  h.clock.advance(10 * MINUTE);
  page = await new Client(h.url).get(third);
  t.is(page.status, 410);
  t.regex(page.text, /Einrichtungslink abgelaufen.*10 Minuten/);
  page = await opened.get('/pass/einrichten');
  t.is(page.status, 410);
  const options = await fetchOptions(opened, '/pass/einrichten/optionen', { _csrf: csrfOf(await opened.get('/anmelden')), name: '' });
  t.is(options.status, 410);
  page = await c.get(`${PAGE}/pass/qr`);
  t.regex(page.text, /abgelaufen/);

  // Expired links are purged by the housekeeping job.
  await h.hub.scheduler.runDue();
  t.is((await h.hub.store.db('passkey_enrolments').where({ account_id: (await accountOf(username)).id })).length, 0);
});

test.serial('an enrolment link made in a substantial session of an account with the card gives a substantial passkey', async (t) => {
  const c = new Client(h.url);
  await login(c, 'erika.pass');
  let page = await c.post(`${PAGE}/pass/qr`, { _csrf: csrfOf(await c.get(PAGE)) });
  t.is(page.status, 403, 'not from a niedrig session');
  await passLogin(c, erikaPhone);
  t.is(c.sessionLevel(), 'substanziell');
  const link = await enrolmentLink(c);
  const phone = new Client(h.url);
  const device = new SoftAuthenticator(h.url);
  page = await enrolWithLink(phone, link, device, { name: 'Zweitgerät' });
  t.regex(page.text, /\(Vertrauensniveau „substanziell“\)/);
  await passLogin(phone, device);
  t.is(phone.sessionLevel(), 'substanziell');
});

test.serial('deleting the account deletes its passkeys, user handle and enrolment links, leaving nothing in any table', async (t) => {
  const { c, username, email } = await passwordCitizen();
  const device = new SoftAuthenticator(h.url);
  await addPasskey(c, device, { name: 'Geheimname' });
  await passLogin(new Client(h.url), device);
  await enrolmentLink(c);
  const account = await accountOf(username);
  const traces = [
    account.id,
    h.hub.accounts.accountRef(account.id),
    email,
    'Geheimname',
    device.credentials[0]!.id.toString('base64url'),
    device.credentials[0]!.userHandle,
  ];
  t.truthy(await h.hub.store.db('passkey_users').where({ user_handle: device.credentials[0]!.userHandle }).first());
  await c.get('/konto/loeschen');
  const page = await c.submit({ currentPassword: GOOD_PASSWORD });
  t.regex(page.text, /Ihr Servicekonto wurde gelöscht/);
  const tables = await dumpAllTables(h);
  for (const table of ['passkeys', 'passkey_users', 'passkey_enrolments']) t.true(table in tables, `${table} was walked`);
  for (const [table, rows] of Object.entries(tables)) {
    const text = JSON.stringify(rows);
    for (const trace of traces) t.false(text.includes(trace), `${table} still holds ${trace}`);
  }
  t.is((await passLogin(new Client(h.url), device)).status, 401);
});

test.serial('on the second device, answers without JavaScript, unreadable, late or with a bad name change nothing', async (t) => {
  const { c, username } = await passwordCitizen();
  const link = await enrolmentLink(c);
  const phone = new Client(h.url);
  let page = await phone.get(link);
  const csrf = csrfOf(page);
  page = await phone.post('/pass/einrichten', { _csrf: csrf, name: '', credential: '' });
  t.is(page.status, 400);
  t.regex(page.text, /Der Servicekonto\.Pass braucht JavaScript/);
  page = await phone.post('/pass/einrichten', { _csrf: csrf, name: '', credential: '{"id":1}' });
  t.is(page.status, 400);
  t.regex(page.text, /konnte nicht gelesen werden/);
  const device = new SoftAuthenticator(h.url);
  const stale = await fetchOptions(phone, '/pass/einrichten/optionen', { _csrf: csrf, name: '' });
  page = await phone.post('/pass/einrichten', { _csrf: csrf, name: '', credential: JSON.stringify(device.register(stale.body)) });
  t.is(page.status, 200, 'the first answer to the challenge');
  t.regex(page.text, /ist eingerichtet/);
  t.is((await passkeysOf(username)).length, 1);

  const second = await enrolmentLink(c);
  const other = new Client(h.url);
  const otherCsrf = csrfOf(await other.get(second));
  const options = await fetchOptions(other, '/pass/einrichten/optionen', { _csrf: otherCsrf, name: 'ok' });
  const answer = JSON.stringify(new SoftAuthenticator(h.url).register(options.body));
  const tooLong = await fetchOptions(other, '/pass/einrichten/optionen', { _csrf: otherCsrf, name: 'x'.repeat(65) });
  t.is(tooLong.status, 400);
  t.regex(tooLong.body.message ?? '', /höchstens 64 Zeichen/);
  // Five minutes later the challenge has lapsed (the link, valid ten, has not).
  h.clock.advance(5 * MINUTE);
  page = await other.post('/pass/einrichten', { _csrf: otherCsrf, name: 'ok', credential: answer });
  t.is(page.status, 400);
  t.regex(page.text, /abgelaufen oder wurde bereits verwendet/);
  const again = await fetchOptions(other, '/pass/einrichten/optionen', { _csrf: otherCsrf, name: '' });
  page = await other.post('/pass/einrichten', {
    _csrf: otherCsrf,
    name: 'a\u0001',
    credential: JSON.stringify(new SoftAuthenticator(h.url).register(again.body)),
  });
  t.is(page.status, 400);
  t.regex(page.text, /höchstens 64 Zeichen/);
  const taken = device.credentials[0]!.id;
  const third = await fetchOptions(other, '/pass/einrichten/optionen', { _csrf: otherCsrf, name: '' });
  page = await other.post('/pass/einrichten', {
    _csrf: otherCsrf,
    name: '',
    credential: JSON.stringify(new SoftAuthenticator(h.url).register(third.body, { credentialId: taken })),
  });
  t.is(page.status, 409);
  t.regex(page.text, /bereits registriert/);
  t.is((await passkeysOf(username)).length, 1, 'nothing was added, and the link still works');
  t.is((await other.get('/pass/einrichten')).status, 200);
});
