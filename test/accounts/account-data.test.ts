import test from 'ava';
import { HOUR } from '../../src/core/clock.ts';
import { Client } from '../helpers/client.ts';
import { GOOD_PASSWORD, login, personalData, registerAndConfirm } from '../helpers/citizen.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { dumpAllTables } from '../helpers/rows.ts';

let h: TestHub;
test.before(async () => {
  h = await startTestHub();
});
test.after.always(async () => {
  await h?.close();
});

let n = 0;
async function newCitizen(extra: Record<string, string> = {}): Promise<{ c: Client; username: string; email: string }> {
  n += 1;
  const username = `data${n}`;
  const email = `data${n}@example.org`;
  await registerAndConfirm(new Client(h.url), h.outbox, { username, personal: personalData({ email, ...extra }) });
  const c = new Client(h.url);
  await login(c, username);
  return { c, username, email };
}

test.serial('Meine Daten ändern stores the new data and lists the change', async (t) => {
  const { c } = await newCitizen();
  let page = await c.get('/konto/daten');
  t.is(page.root.querySelector('#f-street')!.getAttribute('value'), 'Am Abdinghof 11', 'the form shows the current data');
  page = await c.submit(
    personalData({ email: `data${n}@example.org`, street: 'Marienplatz 2', postalCode: '33098', doctoralDegree: 'Dr.' }),
  );
  t.true(page.url.endsWith('/konto'));
  t.regex(page.text, /Ihre Daten wurden gespeichert/);
  t.regex(page.text, /Marienplatz 2/);
  t.regex(page.text, /Daten geändert: Straße und Hausnummer, Doktorgrad/);
});

test.serial('Meine Daten ändern checks the data like registration and keeps the input on error', async (t) => {
  const { c } = await newCitizen();
  await c.get('/konto/daten');
  const page = await c.submit(personalData({ email: `data${n}@example.org`, postalCode: 'ABCDE', dateOfBirth: '2015-01-01' }));
  t.is(page.status, 400);
  t.regex(c.fieldError('postalCode')!, /fünfstellige/);
  t.regex(c.fieldError('dateOfBirth')!, /16 Jahre/);
  t.is(page.root.querySelector('#f-postalCode')!.getAttribute('value'), 'ABCDE');
  await c.get('/konto');
  t.regex(c.page!.text, /33098/, 'nothing was changed');
});

test.serial('a new e-mail address takes effect only after its confirmation link is opened', async (t) => {
  const { c, email, username } = await newCitizen();
  await c.get('/konto/daten');
  let page = await c.submit(personalData({ email: 'new-address@example.org' }));
  t.regex(page.text, /Bitte bestätigen Sie Ihre neue E-Mail-Adresse/);
  t.regex(page.text, new RegExp(`E-Mail-Adresse ${email}`), 'the old address is still in use');
  t.regex(page.text, /new-address@example\.org wartet auf Bestätigung/);
  await h.hub.accounts.settled();
  const notice = await h.outbox.latest(email, 'Änderung Ihrer E-Mail-Adresse');
  t.regex(notice.text, /n…@e…\.org/, 'the old address is told, with the new one masked');
  const confirm = await h.outbox.latest('new-address@example.org', 'neue E-Mail-Adresse');
  const link = confirm.links.find((l) => l.includes('/konto/email-bestaetigen'))!;

  // Until then, "Benutzername vergessen" still goes to the old address.
  const account = await h.hub.store.db('accounts').where({ username_key: username }).first();
  t.is(account.email, email);

  page = await new Client(h.url).get(link);
  t.regex(page.text, /E-Mail-Adresse bestätigt/);
  page = await c.get('/konto');
  t.regex(page.text, /new-address@example\.org/);
  t.notRegex(page.text, /wartet auf Bestätigung/);
  t.is((await new Client(h.url).get(link)).status, 400, 'single use');
});

test.serial('an e-mail change link expires after 24 hours and the old address stays', async (t) => {
  const { c, email } = await newCitizen();
  await c.get('/konto/daten');
  await c.submit(personalData({ email: 'late@example.org' }));
  const link = (await h.outbox.latest('late@example.org', 'neue E-Mail-Adresse')).links.find((l) => l.includes('email-bestaetigen'))!;
  h.clock.advance(25 * HOUR);
  const page = await new Client(h.url).get(link);
  t.is(page.status, 410);
  await login(c, `data${n}`);
  t.regex((await c.get('/konto')).text, new RegExp(email));
});

test.serial('a De-Mail address taken by another account is refused on change', async (t) => {
  await newCitizen({ deMail: 'taken@anbieter.de-mail.de' });
  const { c } = await newCitizen();
  await c.get('/konto/daten');
  const page = await c.submit(personalData({ email: `data${n}@example.org`, deMail: 'TAKEN@anbieter.de-mail.de' }));
  t.is(page.status, 400);
  t.regex(c.fieldError('deMail')!, /bereits zu einem anderen Servicekonto/);
});

test.serial('Passwort ändern needs the current password, applies the policy and ends the other sessions', async (t) => {
  const { c, username, email } = await newCitizen();
  const other = new Client(h.url);
  await login(other, username);
  await c.get('/konto/passwort');
  let page = await c.submit({ currentPassword: 'Falsch2026!', password: 'Herbst2026!', passwordRepeat: 'Herbst2026!' });
  t.is(page.status, 400);
  t.regex(c.fieldError('currentPassword')!, /Das Passwort ist falsch/);
  page = await c.submit({ currentPassword: GOOD_PASSWORD, password: 'herbst', passwordRepeat: 'herbst' });
  t.regex(c.fieldError('password')!, /Großbuchstabe/);
  page = await c.submit({ currentPassword: GOOD_PASSWORD, password: 'Herbst2026!', passwordRepeat: 'Herbst2026!' });
  t.regex(page.text, /Ihr Passwort wurde geändert/);
  t.is(c.sessionLevel(), 'niedrig', 'this session stays');
  await other.get('/konto');
  t.true(other.page!.url.endsWith('/anmelden'), 'the other session ended');
  await h.hub.accounts.settled();
  t.truthy(await h.outbox.latest(email, 'Passwort wurde geändert'));
});

test.serial('Servicekonto löschen with a wrong password changes nothing', async (t) => {
  const { c, username } = await newCitizen();
  await c.get('/konto/loeschen');
  const page = await c.submit({ currentPassword: 'Falsch2026!' });
  t.is(page.status, 400);
  t.regex(c.fieldError('currentPassword')!, /Das Passwort ist falsch/);
  t.truthy(await h.hub.store.db('accounts').where({ username_key: username }).first());
});

test.serial('Servicekonto löschen removes every row of the account, in every table', async (t) => {
  const { c, username, email } = await newCitizen({ deMail: 'weg@anbieter.de-mail.de', birthName: 'Geburtsname' });
  // Leave traces everywhere an account can: a second session, a pending e-mail change,
  // a reset token, audit rows, throttle counters.
  await login(new Client(h.url), username);
  await login(new Client(h.url), username, 'Falsch2026!');
  await c.get('/konto/daten');
  await c.submit(personalData({ email: 'pending-change@example.org', deMail: 'weg@anbieter.de-mail.de', birthName: 'Geburtsname' }));
  const f = new Client(h.url);
  await f.get('/passwort-vergessen');
  await f.submit({ username });
  await h.hub.accounts.settled();
  const account = await h.hub.store.db('accounts').where({ username_key: username }).first();
  const accountRef = h.hub.accounts.accountRef(account.id);

  await c.get('/konto/loeschen');
  const page = await c.submit({ currentPassword: GOOD_PASSWORD });
  t.regex(page.text, /Ihr Servicekonto wurde gelöscht/);
  t.is(c.sessionLevel(), 'nicht angemeldet');

  const tables = await dumpAllTables(h);
  const traces = [account.id, accountRef, username, email, 'pending-change@example.org', 'weg@anbieter.de-mail.de', 'Geburtsname'];
  for (const [table, rows] of Object.entries(tables)) {
    const text = JSON.stringify(rows).toLowerCase();
    for (const trace of traces) t.false(text.includes(trace.toLowerCase()), `${table} still holds ${trace}`);
  }
  t.true(Object.keys(tables).length >= 7, 'all tables were walked');
  t.is((await login(new Client(h.url), username)).status, 401, 'the login is gone');
  await h.hub.accounts.settled();
  t.truthy(await h.outbox.latest(email, 'gelöscht'), 'a notice goes to the address');
});

test.serial('a deletion page posted without CSRF token deletes nothing', async (t) => {
  const { c, username } = await newCitizen();
  const page = await c.post('/konto/loeschen', { currentPassword: GOOD_PASSWORD });
  t.is(page.status, 403);
  t.truthy(await h.hub.store.db('accounts').where({ username_key: username }).first());
});
