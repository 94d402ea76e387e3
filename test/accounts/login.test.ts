import test from 'ava';
import { HOUR, MINUTE, SECOND } from '../../src/core/clock.ts';
import { Client } from '../helpers/client.ts';
import { GOOD_PASSWORD, login, personalData, registerAndConfirm } from '../helpers/citizen.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

let h: TestHub;
test.before(async () => {
  h = await startTestHub();
  await registerAndConfirm(new Client(h.url), h.outbox, { username: 'erika', personal: personalData({ email: 'erika@example.org' }) });
});
test.after.always(async () => {
  await h?.close();
});

test.serial('logging in with username and password gives a low session, shown in the header of every page', async (t) => {
  const c = new Client(h.url);
  await c.get('/');
  t.is(c.sessionLevel(), 'nicht angemeldet');
  const page = await login(c, 'Erika'); // the username is not case-sensitive
  t.true(page.url.endsWith('/konto'), page.text);
  t.is(c.sessionLevel(), 'niedrig');
  t.regex(page.root.querySelector('#session-level')!.textContent, /Aktuelle Sitzung:\s*niedrig/);
  for (const path of ['/', '/konto/daten', '/impressum']) {
    await c.get(path);
    t.is(c.sessionLevel(), 'niedrig', path);
  }
  await c.get('/konto');
  t.regex(c.page!.text, /Anmeldung \(Benutzername und Passwort, Vertrauensniveau niedrig\)/, 'the login is listed under recent activity');
});

test.serial('the session id changes at login, and the old id is worthless', async (t) => {
  const c = new Client(h.url);
  await c.get('/anmelden'); // the form creates a session for its CSRF token
  const before = c.cookie('skh_session');
  t.truthy(before);
  await c.submit({ username: 'erika', password: GOOD_PASSWORD }, '/anmelden/passwort');
  const after = c.cookie('skh_session');
  t.truthy(after);
  t.not(after, before);
  const thief = new Client(h.url);
  thief.setCookie('skh_session', before!);
  await thief.get('/konto');
  t.true(thief.page!.url.endsWith('/anmelden'), 'the pre-login id does not open the account');
});

test.serial('the session cookie is HttpOnly and SameSite=Lax and carries only a random id', async (t) => {
  const res = await fetch(`${h.url}/anmelden`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('skh_session='))!;
  t.truthy(cookie);
  t.regex(cookie, /HttpOnly/);
  t.regex(cookie, /SameSite=Lax/);
  t.notRegex(cookie, /Secure/, 'plain http on loopback: no Secure flag');
  t.regex(cookie, /^skh_session=[A-Za-z0-9_-]{43};/);
  const rows = await h.hub.store.db('sessions').select('id_hash');
  t.false(
    rows.some((r: { id_hash: string }) => cookie.includes(r.id_hash)),
    'the table stores a hash, not the id',
  );
});

test.serial('a wrong password and an unknown username get the same answer', async (t) => {
  const c = new Client(h.url);
  const wrong = await login(c, 'erika', 'Falsch2026!');
  const unknown = await login(c, 'nobody-here', 'Falsch2026!');
  t.is(wrong.status, 401);
  t.is(unknown.status, 401);
  t.regex(wrong.text, /Benutzername oder Passwort ist falsch/);
  t.is(wrong.root.querySelector('[role=alert]')!.textContent, unknown.root.querySelector('[role=alert]')!.textContent);
  t.is(c.sessionLevel(), 'nicht angemeldet');
  t.is(wrong.root.querySelector('#f-username')!.getAttribute('value'), 'erika', 'the username is kept');
  t.notRegex(wrong.html, /Falsch2026/, 'the password is not');
});

test.serial('failed logins are throttled per account: a growing wait, then a temporary lock with a clear message', async (t) => {
  const limited = await startTestHub({
    overrides: {
      throttle: {
        loginPerAccount: {
          freeAttempts: 2,
          baseDelaySeconds: 2,
          maxDelaySeconds: 60,
          lockAfter: 5,
          lockMinutes: 15,
          forgetAfterMinutes: 1440,
        },
        // Every attempt here comes from 127.0.0.1; this test is about the account counter.
        loginPerAddress: {
          freeAttempts: 100,
          baseDelaySeconds: 1,
          maxDelaySeconds: 1,
          lockAfter: 1000,
          lockMinutes: 1,
          forgetAfterMinutes: 1,
        },
      },
    },
  });
  try {
    await registerAndConfirm(new Client(limited.url), limited.outbox, {
      username: 'max',
      personal: personalData({ email: 'max@example.org' }),
    });
    const c = new Client(limited.url);
    t.is((await login(c, 'max', 'Falsch1!')).status, 401);
    t.is((await login(c, 'max', 'Falsch2!')).status, 401);
    // Third attempt comes too fast: 2 s wait after two free failures.
    let page = await login(c, 'max', GOOD_PASSWORD);
    t.is(page.status, 429, 'even the right password must wait');
    t.regex(page.text, /Bitte warten Sie 2 Sekunden/);
    t.is(page.headers.get('retry-after'), '2');
    limited.clock.advance(2 * SECOND);
    t.is((await login(c, 'max', 'Falsch3!')).status, 401);
    page = await login(c, 'max', 'Falsch4!');
    t.regex(page.text, /Bitte warten Sie 4 Sekunden/, 'the wait doubles');
    limited.clock.advance(4 * SECOND);
    t.is((await login(c, 'max', 'Falsch4!')).status, 401);
    limited.clock.advance(8 * SECOND);
    t.is((await login(c, 'max', 'Falsch5!')).status, 401);
    page = await login(c, 'max', GOOD_PASSWORD);
    t.is(page.status, 429);
    t.regex(page.text, /vorübergehend gesperrt/);
    t.regex(page.text, /15 Minuten/);
    t.regex(page.text, /Passwort vergessen/, 'the message says how to get in anyway');
    // Another browser (same address here) is locked out of this account too…
    t.is((await login(new Client(limited.url), 'max', GOOD_PASSWORD)).status, 429);
    // …but other accounts are not.
    await registerAndConfirm(new Client(limited.url), limited.outbox, {
      username: 'other',
      personal: personalData({ email: 'other@example.org' }),
    });
    t.true((await login(new Client(limited.url), 'other')).url.endsWith('/konto'));
    limited.clock.advance(15 * MINUTE);
    page = await login(c, 'max', GOOD_PASSWORD);
    t.true(page.url.endsWith('/konto'), 'the lock lifts after 15 minutes');
    // A success clears the count: two more failures are free again.
    const d = new Client(limited.url);
    t.is((await login(d, 'max', 'Falsch6!')).status, 401);
    t.is((await login(d, 'max', 'Falsch7!')).status, 401);
  } finally {
    await limited.close();
  }
});

test.serial('failed logins are throttled per client address across usernames', async (t) => {
  const limited = await startTestHub({
    overrides: {
      throttle: {
        loginPerAddress: {
          freeAttempts: 3,
          baseDelaySeconds: 1,
          maxDelaySeconds: 30,
          lockAfter: 6,
          lockMinutes: 15,
          forgetAfterMinutes: 60,
        },
      },
    },
  });
  try {
    const c = new Client(limited.url);
    for (let i = 0; i < 3; i++) t.is((await login(c, `user${i}`, 'Falsch1!')).status, 401);
    const page = await login(c, 'user9', 'Falsch1!');
    t.is(page.status, 429, 'a fourth username from the same address must wait');
    t.regex(page.text, /Bitte warten Sie 1 Sekunde\b/);
  } finally {
    await limited.close();
  }
});

test.serial('parallel wrong passwords cannot slip past the limit', async (t) => {
  const limited = await startTestHub({
    overrides: {
      throttle: {
        loginPerAccount: {
          freeAttempts: 3,
          baseDelaySeconds: 60,
          maxDelaySeconds: 60,
          lockAfter: 100,
          lockMinutes: 15,
          forgetAfterMinutes: 1440,
        },
      },
    },
  });
  try {
    const attempts = await Promise.all(Array.from({ length: 12 }, () => login(new Client(limited.url), 'someone', 'Falsch1!')));
    const checked = attempts.filter((p) => p.status === 401).length;
    t.is(checked, 3, 'only the free attempts reach the password check');
    t.is(attempts.filter((p) => p.status === 429).length, 9);
  } finally {
    await limited.close();
  }
});

test.serial('Abmelden ends the session: the row is gone and the old cookie opens nothing', async (t) => {
  const c = new Client(h.url);
  await login(c, 'erika');
  const id = c.cookie('skh_session')!;
  const page = await c.submit({}, '/abmelden');
  t.regex(page.text, /Sie wurden abgemeldet/);
  t.is(c.sessionLevel(), 'nicht angemeldet');
  const replay = new Client(h.url);
  replay.setCookie('skh_session', id);
  await replay.get('/konto');
  t.true(replay.page!.url.endsWith('/anmelden'));
});

test.serial('Abmelden without the CSRF token is refused and the session stays', async (t) => {
  const c = new Client(h.url);
  await login(c, 'erika');
  const page = await c.post('/abmelden', {});
  t.is(page.status, 403);
  await c.get('/konto');
  t.is(c.sessionLevel(), 'niedrig');
});

test.serial('a low session ends after 60 minutes without activity', async (t) => {
  const c = new Client(h.url);
  await login(c, 'erika');
  h.clock.advance(59 * MINUTE);
  await c.get('/konto');
  t.is(c.sessionLevel(), 'niedrig', 'activity within the hour keeps it');
  h.clock.advance(60 * MINUTE);
  const page = await c.get('/konto');
  t.true(page.url.endsWith('/anmelden'));
  t.regex(page.text, /Sitzung ist aus Sicherheitsgründen abgelaufen/);
  t.is(c.sessionLevel(), 'nicht angemeldet');
});

test.serial('a low session ends after 12 hours even with activity', async (t) => {
  const c = new Client(h.url);
  await login(c, 'erika');
  for (let i = 0; i < 23; i++) {
    h.clock.advance(30 * MINUTE);
    await c.get('/konto');
    t.is(c.sessionLevel(), 'niedrig', `after ${(i + 1) * 30} minutes`);
  }
  h.clock.advance(30 * MINUTE);
  await c.get('/konto');
  t.true(c.page!.url.endsWith('/anmelden'), 'at 12 hours it is over');
});

test.serial('a page that needs login brings the citizen back to it after login', async (t) => {
  const c = new Client(h.url);
  await c.get('/konto/passwort');
  t.true(c.page!.url.endsWith('/anmelden'));
  const page = await c.submit({ username: 'erika', password: GOOD_PASSWORD }, '/anmelden/passwort');
  t.true(page.url.endsWith('/konto/passwort'));
});

test.serial('expired sessions are purged from the store by the housekeeping job', async (t) => {
  const c = new Client(h.url);
  await login(c, 'erika');
  h.clock.advance(13 * HOUR);
  await h.hub.scheduler.runDue();
  const rows = await h.hub.store.db('sessions').where('expires_at', '<=', h.clock.now()).count({ n: '*' }).first();
  t.is(Number(rows?.n), 0);
});
