import test from 'ava';
import { MINUTE } from '../../../src/core/clock.ts';
import { Client } from '../../helpers/client.ts';
import { login, personalData, registerAndConfirm } from '../../helpers/citizen.ts';
import type { TestHub } from '../../helpers/hub.ts';
import { SoftAuthenticator } from '../../helpers/passkey.ts';
import { addPasskey, csrfOf, fetchOptions, PAGE, passLogin, startPassHub } from './helpers.ts';

/**
 * The Servicekonto.Pass over HTTP, with a software authenticator: adding a passkey on "Meine
 * Authentifizierungsmittel", the discoverable login without a username, and every reason a login
 * or a registration is refused: a challenge used twice or too late, another origin or RP ID, no
 * user verification, a forged signature, an unknown credential, a signature counter that goes
 * backwards (recorded and mailed).
 */

let h: TestHub;
test.before(async () => {
  h = await startPassHub({ overrides: { throttle: { registrationPerAddress: { max: 1000, windowMinutes: 60 } } } });
});
test.after.always(async () => {
  await h?.close();
});

let n = 0;
/** A confirmed password account, logged in (niedrig); its passkey authenticator. */
async function citizen(): Promise<{ c: Client; username: string; email: string; phone: SoftAuthenticator }> {
  n += 1;
  const username = `pass${n}`;
  const email = `${username}@example.org`;
  await registerAndConfirm(new Client(h.url), h.outbox, { username, personal: personalData({ email }) });
  const c = new Client(h.url);
  await login(c, username);
  return { c, username, email, phone: new SoftAuthenticator(h.url) };
}

async function passkeyRows(username: string) {
  const account = await h.hub.store.db('accounts').where({ username_key: username }).first();
  return h.hub.store.db('passkeys').where({ account_id: account.id });
}

test.serial('a password account adds a passkey and logs in with it, without a username, at level niedrig', async (t) => {
  const { c, username, email, phone } = await citizen();
  let page = await c.get(PAGE);
  t.regex(page.text, /Sie haben noch keinen Servicekonto\.Pass eingerichtet/);
  t.regex(page.headers.get('content-security-policy') ?? '', /script-src 'self'/, 'the page with the Pass allows its scripts');

  page = await addPasskey(c, phone, { name: 'Mein Smartphone' });
  t.true(page.url.endsWith(PAGE), page.text);
  t.regex(page.text, /Ihr Servicekonto\.Pass „Mein Smartphone“ wurde eingerichtet \(Vertrauensniveau „niedrig“\)/);
  t.regex(page.text, /Mein Smartphone.*Eingerichtet.*Zuletzt verwendet noch nie.*Vertrauensniveau niedrig/);
  const rows = await passkeyRows(username);
  t.is(rows.length, 1);
  t.is(rows[0].loa, 'low');
  t.is(rows[0].credential_id, phone.credentials[0]!.id.toString('base64url'));
  const mail = await h.outbox.latest(email, 'Servicekonto.Pass eingerichtet');
  t.regex(mail.text, /„Mein Smartphone“, Vertrauensniveau „niedrig“/);
  t.regex((await c.get('/konto')).text, /Servicekonto\.Pass: 1 Passkey.*Servicekonto\.Pass hinzugefügt \(Vertrauensniveau niedrig\)/);

  const other = new Client(h.url);
  page = await passLogin(other, phone);
  t.true(page.url.endsWith('/konto'), page.text);
  t.is(other.sessionLevel(), 'niedrig');
  t.regex(page.text, new RegExp(`Angemeldet als ${username}`));
  t.regex(page.text, /Anmeldung \(Servicekonto\.Pass, Vertrauensniveau niedrig\)/);
  t.regex((await other.get(PAGE)).text, /Zuletzt verwendet \d/);
  const stored = (await passkeyRows(username))[0];
  t.is(Number(stored.counter), 2, 'the counter is kept');
});

test.serial('the login page offers the Pass, with its scripts allowed; without an answer it says that JavaScript is needed', async (t) => {
  const c = new Client(h.url);
  const page = await c.get('/anmelden');
  const section = page.root.querySelector('section.method-pass');
  t.truthy(section);
  t.regex(section!.textContent, /Mit dem Servicekonto\.Pass/);
  t.truthy(section!.querySelector('noscript'));
  t.truthy(page.root.querySelector('script[src="/static/pass.js"]'));
  t.truthy(page.root.querySelector('script[src="/static/pass/simplewebauthn-browser.js"]'));
  const csp = page.headers.get('content-security-policy') ?? '';
  t.regex(csp, /script-src 'self'; connect-src 'self'/);
  t.regex(csp, /default-src 'none'/);
  t.notRegex((await c.get('/registrieren')).headers.get('content-security-policy') ?? '', /script-src/, 'other pages stay without script');
  const lib = await fetch(`${h.url}/static/pass/simplewebauthn-browser.js`);
  t.is(lib.status, 200);
  t.regex(lib.headers.get('content-type') ?? '', /javascript/);
  t.regex(await lib.text(), /SimpleWebAuthnBrowser/);
  t.is((await fetch(`${h.url}/static/pass.js`)).status, 200);

  await c.get('/anmelden');
  const refused = await c.post('/anmelden/pass', { _csrf: csrfOf(c.page), credential: '' });
  t.is(refused.status, 400);
  t.regex(refused.text, /Der Servicekonto\.Pass braucht JavaScript/);
  t.is(c.sessionLevel(), 'nicht angemeldet');
});

test.serial('a challenge works once and only for five minutes', async (t) => {
  const { c, phone } = await citizen();
  await addPasskey(c, phone);

  // Used twice: the second answer finds no challenge.
  const b = new Client(h.url);
  await b.get('/anmelden');
  const csrf = csrfOf(b.page);
  const options = (await fetchOptions(b, '/anmelden/pass/optionen', { _csrf: csrf })).body;
  t.is(options.rpId, 'localhost');
  t.is(options.userVerification, 'required');
  t.deepEqual(options.allowCredentials ?? [], [], 'discoverable: no list of credentials');
  const answer = JSON.stringify(phone.authenticate(options));
  let page = await b.post('/anmelden/pass', { _csrf: csrf, credential: answer });
  t.true(page.url.endsWith('/konto'));
  const replay = new Client(h.url);
  await replay.get('/anmelden');
  page = await replay.post('/anmelden/pass', { _csrf: csrfOf(replay.page), credential: answer });
  t.is(page.status, 400);
  t.regex(page.text, /abgelaufen oder wurde bereits verwendet/);

  // The same session cannot use its challenge twice either (here: a wrong answer uses it up).
  const d = new Client(h.url);
  await d.get('/anmelden');
  const dOptions = (await fetchOptions(d, '/anmelden/pass/optionen', { _csrf: csrfOf(d.page) })).body;
  await d.get('/anmelden');
  page = await passLogin(d, phone, { options: dOptions, bend: { userVerified: false } });
  t.is(page.status, 401);
  page = await passLogin(d, phone, { options: dOptions });
  t.is(page.status, 400);
  t.regex(page.text, /abgelaufen oder wurde bereits verwendet/);

  // Five minutes later the challenge has expired.
  const e = new Client(h.url);
  await e.get('/anmelden');
  const eOptions = (await fetchOptions(e, '/anmelden/pass/optionen', { _csrf: csrfOf(e.page) })).body;
  h.clock.advance(5 * MINUTE);
  await e.get('/anmelden');
  page = await passLogin(e, phone, { options: eOptions });
  t.is(page.status, 400);
  t.regex(page.text, /abgelaufen oder wurde bereits verwendet \(jede gilt 5 Minuten und nur einmal\)/);
  t.is(e.sessionLevel(), 'nicht angemeldet');

  // An answer to another session's challenge does not fit this session's.
  const f = new Client(h.url);
  await f.get('/anmelden');
  const foreign = (await fetchOptions(f, '/anmelden/pass/optionen', { _csrf: csrfOf(f.page) })).body;
  const g = new Client(h.url);
  await g.get('/anmelden');
  await fetchOptions(g, '/anmelden/pass/optionen', { _csrf: csrfOf(g.page) });
  await g.get('/anmelden');
  page = await passLogin(g, phone, { options: foreign });
  t.is(page.status, 401, 'the answer signs f’s challenge, g holds its own');
  t.regex(page.text, /konnte nicht bestätigt werden/);
});

test.serial('an answer for another origin or RP ID, without user verification, or with a forged signature is refused', async (t) => {
  const { c, username, phone } = await citizen();
  await addPasskey(c, phone);
  const port = new URL(h.url).port;
  const cases: [string, Parameters<typeof passLogin>[2]][] = [
    ['another origin', { bend: { origin: `http://evil.localhost:${port}` } }],
    ['another port', { bend: { origin: 'http://localhost:1' } }],
    ['https instead of http', { bend: { origin: `https://localhost:${port}` } }],
    ['another RP ID', { bend: { rpId: 'example.org' } }],
    ['no user verification', { bend: { userVerified: false } }],
    ['a signature by another key', { bend: { signWith: otherKey() } }],
    [
      'a create answer instead of a get',
      { tamper: (a) => ({ ...a, response: { ...a.response, clientDataJSON: retype(a.response.clientDataJSON) } }) },
    ],
  ];
  for (const [label, options] of cases) {
    const b = new Client(h.url);
    const page = await passLogin(b, phone, options);
    t.is(page.status, 401, label);
    t.regex(page.text, /konnte nicht bestätigt werden/, label);
    t.is(b.sessionLevel(), 'nicht angemeldet', label);
  }
  const audit = await h.hub.store.db('audit_events').where({ event: 'login.failed' });
  const account = await h.hub.store.db('accounts').where({ username_key: username }).first();
  const mine = audit.filter((r: { account_ref: string }) => r.account_ref === h.hub.accounts.accountRef(account.id));
  t.true(mine.length >= cases.length, 'each refusal is audited');

  // Registration is checked the same way.
  for (const [label, bend] of [
    ['another origin', { origin: 'http://evil.localhost' }],
    ['another RP ID', { rpId: 'example.org' }],
    ['no user verification', { userVerified: false }],
  ] as const) {
    const page = await addPasskey(c, new SoftAuthenticator(h.url), { bend });
    t.is(page.status, 400, label);
    t.regex(page.text, /konnte nicht eingerichtet werden.*Es wurde nichts geändert/, label);
  }
  t.is((await passkeyRows(username)).length, 1);
});

function otherKey() {
  const a = new SoftAuthenticator('http://localhost');
  a.register({
    rp: { id: 'localhost', name: 'x' },
    user: { id: 'AAAA', name: 'x', displayName: 'x' },
    challenge: 'AAAA',
    pubKeyCredParams: [],
  });
  return a.credentials[0]!.privateKey;
}

function retype(clientDataJSON: string): string {
  const data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
  return Buffer.from(JSON.stringify({ ...data, type: 'webauthn.create' })).toString('base64url');
}

test.serial('a passkey nobody registered, and garbage instead of an answer, are refused', async (t) => {
  const stranger = new SoftAuthenticator(h.url);
  stranger.register({
    rp: { id: 'localhost', name: 'x' },
    user: { id: 'AAAA', name: 'x', displayName: 'x' },
    challenge: 'AAAA',
    pubKeyCredParams: [],
  });
  const c = new Client(h.url);
  let page = await passLogin(c, stranger);
  t.is(page.status, 401);
  t.regex(page.text, /bei keinem Servicekonto registriert/);
  await c.get('/anmelden');
  for (const garbage of [
    '{',
    '[]',
    '{"id":"x"}',
    JSON.stringify({ id: 'a', rawId: 'b', type: 'public-key', response: {} }),
    'x'.repeat(50_000),
  ]) {
    page = await c.post('/anmelden/pass', { _csrf: csrfOf(c.page), credential: garbage });
    t.is(page.status, 400, garbage.slice(0, 20));
    t.regex(page.text, /konnte nicht gelesen werden/);
  }
});

test.serial('a signature counter that goes backwards refuses the login with a clear message, is recorded and mailed once', async (t) => {
  const { c, username, email, phone } = await citizen();
  await addPasskey(c, phone, { name: 'Altes Telefon' });
  t.true((await passLogin(new Client(h.url), phone)).url.endsWith('/konto')); // counter 2
  t.true((await passLogin(new Client(h.url), phone)).url.endsWith('/konto')); // counter 3

  // A copy of the key that still counts from where it was copied.
  const clone = new Client(h.url);
  let page = await passLogin(clone, phone, { bend: { counter: 2 } });
  t.is(page.status, 403);
  t.regex(page.text, /Zählerstand gemeldet, der nicht zu den bisherigen Anmeldungen passt.*kopiert/);
  t.is(clone.sessionLevel(), 'nicht angemeldet');
  page = await passLogin(clone, phone, { bend: { counter: 3 } });
  t.is(page.status, 403, 'an equal counter is a regression too');
  const account = await h.hub.store.db('accounts').where({ username_key: username }).first();
  const events = await h.hub.store
    .db('audit_events')
    .where({ event: 'passkey.counterRegression', account_ref: h.hub.accounts.accountRef(account.id) });
  t.is(events.length, 2);
  t.deepEqual(JSON.parse(events[0].detail), { presented: 2, stored: 3 });
  const row = (await passkeyRows(username))[0];
  t.is(Number(row.counter), 3, 'the stored counter stays');
  t.truthy(row.counter_regression_at);
  const mails = await h.outbox.to(email, 'Warnung');
  t.is(mails.length, 1, 'one warning mail');
  t.regex(mails[0]!.text, /„Altes Telefon“ abgelehnt.*kopiert/s);
  page = await c.get(PAGE);
  t.regex(page.text, /Achtung: Am .* wurde eine Anmeldung mit einem unpassenden Zählerstand abgelehnt/);
  t.regex((await c.get('/konto')).text, /Anmeldung mit einem Servicekonto\.Pass abgelehnt: unpassender Zählerstand/);

  // The genuine authenticator, which counts on, still logs in.
  t.true((await passLogin(new Client(h.url), phone)).url.endsWith('/konto'));
});

test.serial('a synced passkey that reports no counter (always 0) logs in every time', async (t) => {
  const { c, username } = await citizen();
  const synced = new SoftAuthenticator(h.url, false);
  await addPasskey(c, synced);
  for (let i = 0; i < 3; i++) t.true((await passLogin(new Client(h.url), synced)).url.endsWith('/konto'));
  t.is(Number((await passkeyRows(username))[0].counter), 0);
});

test.serial('the same authenticator cannot be registered twice; names are checked, renaming works', async (t) => {
  const { c, username, phone } = await citizen();
  await addPasskey(c, phone, { name: '  Tablet   im  Flur ' });
  t.is((await passkeyRows(username))[0].name, 'Tablet im Flur');
  // The options exclude the credential; an authenticator that ignored that is refused by the store.
  await c.get(PAGE);
  const options = await fetchOptions(c, `${PAGE}/pass/optionen`, { _csrf: csrfOf(c.page), name: '' });
  t.deepEqual(
    (options.body.excludeCredentials ?? []).map((x) => x.id),
    [phone.credentials[0]!.id.toString('base64url')],
  );
  t.is(options.body.authenticatorSelection?.residentKey, 'preferred');
  t.is(options.body.authenticatorSelection?.userVerification, 'required');
  t.is(options.body.attestation, 'none');
  t.is(options.body.rp.id, 'localhost');
  t.notRegex(options.body.user.id, new RegExp((await h.hub.store.db('accounts').where({ username_key: username }).first()).id));

  const tooLong = await fetchOptions(c, `${PAGE}/pass/optionen`, { _csrf: csrfOf(await c.get(PAGE)), name: 'x'.repeat(65) });
  t.is(tooLong.status, 400);
  t.regex(tooLong.body.message ?? '', /höchstens 64 Zeichen/);

  const id = (await passkeyRows(username))[0].id;
  await c.get(PAGE);
  let renamed = await c.submit({ name: 'Küchentablet' }, `${PAGE}/pass/umbenennen`);
  t.regex(renamed.text, /Der Passkey heißt jetzt „Küchentablet“/);
  await c.get(PAGE);
  renamed = await c.submit({ name: 'a\u0007b' }, `${PAGE}/pass/umbenennen`);
  t.is(renamed.status, 400);
  renamed = await c.post(`${PAGE}/pass/umbenennen`, { _csrf: csrfOf(c.page), id: 'f'.repeat(64), name: 'Fremd' });
  t.is(renamed.status, 404);
  t.is((await passkeyRows(username))[0].name, 'Küchentablet');
  t.is((await passkeyRows(username))[0].id, id);
});

test.serial('a passkey of another account does not switch the session', async (t) => {
  const first = await citizen();
  const second = await citizen();
  await addPasskey(second.c, second.phone);
  const page = await passLogin(first.c, second.phone);
  t.is(page.status, 403);
  t.regex(page.text, /gehört zu einem anderen Servicekonto/);
  t.regex((await first.c.get('/konto')).text, new RegExp(`Angemeldet als ${first.username}`));
});

test.serial('a credential id the hub already knows cannot be registered again, from this account or another', async (t) => {
  const owner = await citizen();
  await addPasskey(owner.c, owner.phone);
  const taken = owner.phone.credentials[0]!.id;
  let page = await addPasskey(owner.c, new SoftAuthenticator(h.url), { bend: { credentialId: taken } });
  t.is(page.status, 409);
  t.regex(page.text, /Dieser Passkey ist bereits registriert\. Es wurde nichts geändert/);
  const other = await citizen();
  page = await addPasskey(other.c, new SoftAuthenticator(h.url), { bend: { credentialId: taken } });
  t.is(page.status, 409);
  t.is((await passkeyRows(other.username)).length, 0);
  t.is((await passkeyRows(owner.username)).length, 1);
});

test.serial('a user handle that is not the account’s is refused', async (t) => {
  const { c, phone } = await citizen();
  await addPasskey(c, phone);
  const page = await passLogin(new Client(h.url), phone, {
    tamper: (a) => ({ ...a, response: { ...a.response, userHandle: Buffer.from('someone else').toString('base64url') } }),
  });
  t.is(page.status, 401);
  t.regex(page.text, /konnte nicht bestätigt werden/);
});
