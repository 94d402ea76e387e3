import test from 'ava';
import { MINUTE } from '../../src/core/clock.ts';
import { Client } from '../helpers/client.ts';
import { GOOD_PASSWORD, login, personalData, registerAndConfirm } from '../helpers/citizen.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

let h: TestHub;
test.before(async () => {
  h = await startTestHub();
  await registerAndConfirm(new Client(h.url), h.outbox, { username: 'erika', personal: personalData({ email: 'family@example.org' }) });
  await registerAndConfirm(new Client(h.url), h.outbox, {
    username: 'paul',
    personal: personalData({ givenName: 'Paul', email: 'Family@example.org' }),
  });
});
test.after.always(async () => {
  await h?.close();
});

test.serial('Benutzername vergessen mails every username of the address and the page reveals nothing', async (t) => {
  const c = new Client(h.url);
  await c.get('/benutzername-vergessen');
  const known = await c.submit({ email: 'FAMILY@example.org' });
  await h.hub.accounts.settled();
  const mail = await h.outbox.latest('family@example.org', 'Benutzername');
  t.regex(mail.text, /erika/);
  t.regex(mail.text, /paul/);
  t.notRegex(mail.text, /Sommer2026/);

  await c.get('/benutzername-vergessen');
  const unknown = await c.submit({ email: 'nobody@example.org' });
  await h.hub.accounts.settled();
  t.is(known.status, 200);
  t.is(unknown.status, 200);
  t.is(known.text, unknown.text, 'the same page for a known and an unknown address');
  t.regex(known.text, /Wenn zu dieser E-Mail-Adresse ein aktives Servicekonto gehört/);
  t.deepEqual(await h.outbox.to('nobody@example.org'), []);
});

test.serial('Benutzername vergessen checks the address syntax', async (t) => {
  const c = new Client(h.url);
  await c.get('/benutzername-vergessen');
  const page = await c.submit({ email: 'not-an-address' });
  t.is(page.status, 400);
  t.regex(c.fieldError('email')!, /gültige E-Mail-Adresse/);
});

async function requestReset(username: string): Promise<string> {
  const c = new Client(h.url);
  await c.get('/passwort-vergessen');
  const before = (await h.outbox.to('family@example.org', 'Neues Passwort')).length;
  await c.submit({ username });
  await h.hub.accounts.settled();
  const mails = await h.outbox.to('family@example.org', 'Neues Passwort');
  if (mails.length !== before + 1) throw new Error('no reset mail');
  return mails[mails.length - 1]!.links.find((l) => l.includes('/passwort-zuruecksetzen'))!;
}

test.serial('Passwort vergessen: a single-use link sets a new password under the policy and ends every session', async (t) => {
  const other = new Client(h.url);
  await login(other, 'erika');
  t.is(other.sessionLevel(), 'niedrig');

  const link = await requestReset('Erika');
  t.regex((await h.outbox.latest('family@example.org', 'Neues Passwort')).text, /60 Minuten gültig/);
  const c = new Client(h.url);
  let page = await c.get(link);
  t.is(page.status, 200);
  t.regex(page.text, /Neues Passwort festlegen/);
  t.regex(page.text, /mindestens 8 Zeichen/, 'the rules are shown beside the field');

  page = await c.submit({ password: 'kurz', passwordRepeat: 'kurz' });
  t.is(page.status, 400);
  t.regex(c.fieldError('password')!, /mindestens 8 Zeichen/);

  page = await c.submit({ password: 'Winter2026#', passwordRepeat: 'Winter2026#' });
  t.regex(page.text, /Ihr neues Passwort ist gespeichert/);
  await h.hub.accounts.settled();
  t.regex((await h.outbox.latest('family@example.org', 'Passwort wurde geändert')).text, /erika/);

  await other.get('/konto');
  t.true(other.page!.url.endsWith('/anmelden'), 'the other session has ended');

  t.is((await login(new Client(h.url), 'erika', GOOD_PASSWORD)).status, 401, 'the old password no longer works');
  t.true((await login(new Client(h.url), 'erika', 'Winter2026#')).url.endsWith('/konto'));

  page = await new Client(h.url).get(link);
  t.is(page.status, 400, 'the link is used up');
  t.regex(page.text, /ungültig oder wurde bereits verwendet/);
});

test.serial('a reset link expires after one hour', async (t) => {
  const link = await requestReset('paul');
  h.clock.advance(61 * MINUTE);
  const page = await new Client(h.url).get(link);
  t.is(page.status, 410);
  t.regex(page.text, /abgelaufen/);
});

test.serial('only the newest reset link works', async (t) => {
  const first = await requestReset('paul');
  const second = await requestReset('paul');
  t.is((await new Client(h.url).get(first)).status, 400);
  t.is((await new Client(h.url).get(second)).status, 200);
});

test.serial('Passwort vergessen says the same for unknown usernames and sends nothing', async (t) => {
  const c = new Client(h.url);
  await c.get('/passwort-vergessen');
  const count = (await h.outbox.all()).length;
  const page = await c.submit({ username: 'ghost' });
  await h.hub.accounts.settled();
  t.regex(page.text, /Wenn zu diesem Benutzernamen ein aktives Servicekonto gehört/);
  t.is((await h.outbox.all()).length, count);
});

test.serial('reset requests are limited per username without telling the requester', async (t) => {
  // resetPerAccount allows 3 per hour by default; paul used some above, so move past the window.
  h.clock.advance(61 * MINUTE);
  for (let i = 0; i < 3; i++) await requestReset('paul');
  const c = new Client(h.url);
  await c.get('/passwort-vergessen');
  const count = (await h.outbox.all()).length;
  const page = await c.submit({ username: 'paul' });
  await h.hub.accounts.settled();
  t.is(page.status, 200);
  t.regex(page.text, /Wenn zu diesem Benutzernamen/);
  t.is((await h.outbox.all()).length, count, 'no fourth mail within the hour');
});
