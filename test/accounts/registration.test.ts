import test from 'ava';
import { HOUR, MINUTE } from '../../src/core/clock.ts';
import { Client } from '../helpers/client.ts';
import { GOOD_PASSWORD, personalData, register, registerAndConfirm } from '../helpers/citizen.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { countAccountRows } from '../helpers/rows.ts';

let h: TestHub;
test.before(async () => {
  h = await startTestHub();
});
test.after.always(async () => {
  await h?.close();
});

let n = 0;
/** A fresh citizen for each test: distinct username and address. */
function citizen(): { username: string; personal: Record<string, string> } {
  n += 1;
  return { username: `reg${n}`, personal: personalData({ email: `reg${n}@example.org` }) };
}

test.serial('registers in three steps, mails a 24-hour link, and the link activates the account', async (t) => {
  const c = new Client(h.url);
  const who = citizen();
  await c.get('/registrieren');
  t.regex(c.page!.text, /Schritt|Persönliche Daten/);
  t.truthy(c.page!.root.querySelector('label[for="f-street"]'), 'every field has a visible label');
  t.regex(c.page!.root.querySelector('#f-street-hint')!.textContent, /ohne Komma, z\. B\. Am Abdinghof 11/);

  let page = await c.submit(who.personal);
  t.true(page.url.endsWith('/registrieren/zugangsdaten'));
  t.regex(page.text, /mindestens 8 Zeichen/);
  t.regex(page.text, /Sonderzeichen: - \+ _ \[ \] \( \) \$ # ! \? % & \/ \* , \. ; : < > \| @ oder Leerzeichen/);

  page = await c.submit({ username: who.username, password: GOOD_PASSWORD, passwordRepeat: GOOD_PASSWORD, privacy: 'yes' });
  t.true(page.url.endsWith('/registrieren/pruefen'));
  t.regex(page.text, /Erika/);
  t.regex(page.text, /Am Abdinghof 11/);
  t.regex(page.text, /12\.08\.1964/);
  t.notRegex(page.html, new RegExp(GOOD_PASSWORD.replace('!', '\\!')), 'the review never shows the password');
  t.is(await countAccountRows(h, who.username), 0, 'nothing is stored before Sichern');

  page = await c.submit({});
  t.true(page.url.endsWith('/registrieren/gesendet'), page.text);
  t.regex(page.text, new RegExp(who.personal.email!));

  const mail = await h.outbox.latest(who.personal.email!, 'Registrierung');
  t.regex(mail.text, /gültig bis/);
  const link = mail.links.find((l) => l.includes('/registrieren/bestaetigen'))!;
  t.true(link.startsWith(h.url), 'the link points at the public URL');

  // Before confirmation, the password is right but the account is not active.
  await c.get('/anmelden');
  page = await c.submit({ username: who.username, password: GOOD_PASSWORD }, '/anmelden/passwort');
  t.is(page.status, 403);
  t.regex(page.text, /noch nicht aktiviert/);

  page = await c.get(link);
  t.is(page.status, 200);
  t.regex(page.text, /Ihr Servicekonto ist aktiviert/);
  page = await c.get(link);
  t.is(page.status, 400, 'the link works once');
  t.regex(page.text, /ungültig oder wurde bereits verwendet/);
});

test.serial('errors are shown per field, tied to the field, and the form keeps what was entered', async (t) => {
  const c = new Client(h.url);
  await c.get('/registrieren');
  const page = await c.submit(
    personalData({
      givenName: '',
      street: 'Am Abdinghof, 11',
      postalCode: '3309',
      email: 'kein-at-zeichen',
      deMail: 'erika@gmail.com',
      dateOfBirth: '1964-02-30',
    }),
  );
  t.is(page.status, 400);
  t.true(page.url.endsWith('/registrieren'));
  t.regex(c.fieldError('givenName')!, /Vorname\(n\): Bitte füllen Sie dieses Feld aus/);
  t.regex(c.fieldError('street')!, /ohne Komma/);
  t.regex(c.fieldError('postalCode')!, /fünfstellige Postleitzahl/);
  t.regex(c.fieldError('email')!, /gültige E-Mail-Adresse/);
  t.regex(c.fieldError('deMail')!, /De-Mail-Adresse/);
  t.regex(c.fieldError('dateOfBirth')!, /gültiges Datum/);
  const street = page.root.querySelector('#f-street')!;
  t.is(street.getAttribute('value'), 'Am Abdinghof, 11', 'the value is kept');
  t.is(street.getAttribute('aria-invalid'), 'true');
  t.true(street.getAttribute('aria-describedby')!.includes('f-street-error'));
  t.is(page.root.querySelectorAll('.error-summary li').length, 6, 'the summary lists each problem');
  t.is(page.root.querySelector('.error-summary a')!.getAttribute('href'), '#f-givenName');
});

test.serial('errors are in English when the browser prefers English', async (t) => {
  const c = new Client(h.url, { 'Accept-Language': 'en-GB,en;q=0.9,de;q=0.5' });
  await c.get('/registrieren');
  t.is(c.page!.root.querySelector('html')!.getAttribute('lang'), 'en');
  await c.submit(personalData({ familyName: '' }));
  t.regex(c.fieldError('familyName')!, /Family name: Please fill in this field/);
});

test.serial('an applicant under 16 is refused with a message, and 16 today is enough', async (t) => {
  const c = new Client(h.url);
  // The test clock stands at 2026-11-23.
  await c.get('/registrieren');
  let page = await c.submit(personalData({ dateOfBirth: '2010-11-24' }));
  t.is(page.status, 400);
  t.regex(c.fieldError('dateOfBirth')!, /mindestens 16 Jahre/);
  page = await c.submit(personalData({ dateOfBirth: '24.11.2010' }));
  t.regex(c.fieldError('dateOfBirth')!, /mindestens 16 Jahre/, 'the German date format is read too');
  page = await c.submit(personalData({ dateOfBirth: '2010-11-23' }));
  t.true(page.url.endsWith('/registrieren/zugangsdaten'), 'sixteenth birthday today');
});

test.serial('step 2 checks the password policy and the repetition, and never echoes the password', async (t) => {
  const c = new Client(h.url);
  await c.get('/registrieren');
  await c.submit(personalData({ email: 'policy@example.org' }));
  let page = await c.submit({ username: 'policyuser', password: 'sommer2026', passwordRepeat: 'sommer2026', privacy: 'yes' });
  t.is(page.status, 400);
  t.regex(c.fieldError('password')!, /Großbuchstabe/);
  t.regex(c.fieldError('password')!, /Sonderzeichen/);
  t.notRegex(page.html, /sommer2026/);
  t.is(page.root.querySelector('#f-username')!.getAttribute('value'), 'policyuser');
  page = await c.submit({ username: 'policyuser', password: 'Sommer~2026!', passwordRepeat: 'Sommer~2026!', privacy: 'yes' });
  t.regex(c.fieldError('password')!, /nicht erlaubt: „~“/);
  page = await c.submit({ username: 'policyuser', password: GOOD_PASSWORD, passwordRepeat: 'Sommer2026?', privacy: 'yes' });
  t.regex(c.fieldError('passwordRepeat')!, /stimmen nicht überein/);
  page = await c.submit({ username: 'policyuser', password: GOOD_PASSWORD, passwordRepeat: GOOD_PASSWORD });
  t.regex(c.fieldError('privacy')!, /Datenschutzerklärung/);
});

test.serial('usernames are unique without regard to case', async (t) => {
  const first = citizen();
  await registerAndConfirm(new Client(h.url), h.outbox, first);
  const c = new Client(h.url);
  await c.get('/registrieren');
  await c.submit(personalData({ email: 'other@example.org' }));
  const page = await c.submit({
    username: first.username.toUpperCase(),
    password: GOOD_PASSWORD,
    passwordRepeat: GOOD_PASSWORD,
    privacy: 'yes',
  });
  t.is(page.status, 400);
  t.regex(c.fieldError('username')!, /bereits vergeben/);
});

test.serial('a De-Mail address can belong to one account only', async (t) => {
  const first = citizen();
  first.personal.deMail = 'erika.mustermann@anbieter.de-mail.de';
  await registerAndConfirm(new Client(h.url), h.outbox, first);
  const c = new Client(h.url);
  await c.get('/registrieren');
  const page = await c.submit(personalData({ email: 'x@example.org', deMail: 'Erika.Mustermann@anbieter.de-mail.de' }));
  t.is(page.status, 400);
  t.regex(c.fieldError('deMail')!, /bereits zu einem anderen Servicekonto/);
});

test.serial('a username taken between step 2 and Sichern sends the citizen back to step 2, storing nothing', async (t) => {
  const a = new Client(h.url);
  const b = new Client(h.url);
  for (const [c, mail] of [
    [a, 'race-a@example.org'],
    [b, 'race-b@example.org'],
  ] as const) {
    await c.get('/registrieren');
    await c.submit(personalData({ email: mail }));
    await c.submit({ username: 'raceuser', password: GOOD_PASSWORD, passwordRepeat: GOOD_PASSWORD, privacy: 'yes' });
  }
  const pa = await a.submit({});
  t.true(pa.url.endsWith('/registrieren/gesendet'));
  const pb = await b.submit({});
  t.true(pb.url.endsWith('/registrieren/zugangsdaten'));
  t.regex(b.fieldError('username')!, /bereits vergeben/);
  t.is((await countAccountRows(h, 'raceuser')) > 0, true, 'the first registration was stored');
  t.deepEqual(await h.outbox.to('race-b@example.org'), [], 'the second got no mail');
});

test.serial('an interrupted registration stores nothing', async (t) => {
  const c = new Client(h.url);
  await c.get('/registrieren');
  await c.submit(personalData({ email: 'halfway@example.org' }));
  await c.submit({ username: 'halfway', password: GOOD_PASSWORD, passwordRepeat: GOOD_PASSWORD, privacy: 'yes' });
  // The citizen closes the browser on the review page.
  t.is(await countAccountRows(h, 'halfway'), 0);
  t.deepEqual(await h.outbox.to('halfway@example.org'), []);
});

test.serial('a form posted without its CSRF token is refused and changes nothing', async (t) => {
  const c = new Client(h.url);
  await c.get('/registrieren');
  let page = await c.post('/registrieren', personalData({ email: 'csrf@example.org' }));
  t.is(page.status, 403);
  t.regex(page.text, /Formular abgelaufen/);
  page = await c.post('/registrieren', { ...personalData({ email: 'csrf@example.org' }), _csrf: 'x'.repeat(43) });
  t.is(page.status, 403, 'a wrong token is refused too');
  page = await c.get('/registrieren/zugangsdaten');
  t.true(page.url.endsWith('/registrieren'), 'step 1 was not stored');
});

test.serial('the link expires after 24 hours and the purge job deletes the registration completely', async (t) => {
  const c = new Client(h.url);
  const who = citizen();
  await register(c, who);
  const mail = await h.outbox.latest(who.personal.email!, 'Registrierung');
  const link = mail.links.find((l) => l.includes('/registrieren/bestaetigen'))!;
  t.true((await countAccountRows(h, who.username)) > 1, 'account with its attributes and token');

  h.clock.advance(23 * HOUR + 59 * MINUTE);
  await h.hub.scheduler.runDue();
  t.true((await countAccountRows(h, who.username)) > 0, 'still there a minute before the deadline');

  h.clock.advance(MINUTE);
  const page = await c.get(link);
  t.is(page.status, 410);
  t.regex(page.text, /abgelaufen/);

  await h.hub.scheduler.runDue();
  t.is(await countAccountRows(h, who.username), 0, 'account, attributes and token are gone');
  const rows = await h.hub.store.db('account_tokens').count({ n: '*' }).first();
  t.is(Number(rows?.n), 0, 'no token of it is left');
  // The username is free again.
  t.false(await h.hub.accounts.isUsernameTaken(who.username));
});

test.serial('registrations are throttled per client address', async (t) => {
  const limited = await startTestHub({ overrides: { throttle: { registrationPerAddress: { max: 2, windowMinutes: 60 } } } });
  try {
    for (let i = 0; i < 2; i++) {
      const page = await register(new Client(limited.url), {
        username: `thr${i}`,
        personal: personalData({ email: `thr${i}@example.org` }),
      });
      t.true(page.url.endsWith('/registrieren/gesendet'));
    }
    const page = await register(new Client(limited.url), { username: 'thr2', personal: personalData({ email: 'thr2@example.org' }) });
    t.is(page.status, 429);
    t.regex(page.text, /Zu viele Versuche/);
    t.regex(page.text, /Minuten/);
    t.is(await countAccountRows(limited, 'thr2'), 0);
    limited.clock.advance(61 * MINUTE);
    const later = await register(new Client(limited.url), { username: 'thr3', personal: personalData({ email: 'thr3@example.org' }) });
    t.true(later.url.endsWith('/registrieren/gesendet'), 'allowed again after the window');
  } finally {
    await limited.close();
  }
});
