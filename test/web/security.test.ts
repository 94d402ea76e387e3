import test from 'ava';
import { Client } from '../helpers/client.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';

let h: TestHub;
test.before(async () => {
  h = await startTestHub();
});
test.after.always(async () => {
  await h?.close();
});

test('every page carries a strict Content-Security-Policy and the other security headers', async (t) => {
  for (const path of ['/', '/anmelden', '/registrieren', '/does-not-exist']) {
    const res = await fetch(h.url + path);
    const csp = res.headers.get('content-security-policy') ?? '';
    t.regex(csp, /default-src 'none'/, path);
    t.regex(csp, /frame-ancestors 'none'/, path);
    t.regex(csp, /form-action 'self'/, path);
    t.notRegex(csp, /unsafe-inline|unsafe-eval/, path);
    t.is(res.headers.get('x-content-type-options'), 'nosniff');
    t.is(res.headers.get('x-frame-options'), 'DENY');
    t.is(res.headers.get('referrer-policy'), 'no-referrer');
    t.is(res.headers.get('strict-transport-security'), null, 'no HSTS over plain http');
  }
});

test('pages that may show personal data are never cached', async (t) => {
  const res = await fetch(h.url + '/anmelden');
  t.is(res.headers.get('cache-control'), 'no-store');
});

test('an unknown page gets a 404 page in the site frame', async (t) => {
  const page = await new Client(h.url).get('/nirgendwo');
  t.is(page.status, 404);
  t.regex(page.text, /Seite nicht gefunden/);
  t.regex(page.text, /Fehlernummer für Rückfragen: [0-9a-f]{12}/);
});

test('an oversized form body is refused with 413 before it is read in full', async (t) => {
  const c = new Client(h.url);
  await c.get('/anmelden');
  const csrf = c.page!.root.querySelector('input[name=_csrf]')!.getAttribute('value')!;
  const page = await c.post('/anmelden/passwort', { _csrf: csrf, username: 'x'.repeat(70_000), password: 'y' });
  t.is(page.status, 413);
  t.regex(page.text, /Eingabe zu groß/);
});

test('a POST that is not a form is refused', async (t) => {
  const res = await fetch(h.url + '/anmelden/passwort', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{"username":"a"}',
  });
  t.is(res.status, 400);
  t.notRegex(await res.text(), /at .*\.ts:\d+/, 'no stack trace');
});

test('/healthz answers 200 with JSON naming the store', async (t) => {
  const res = await fetch(h.url + '/healthz');
  t.is(res.status, 200);
  const body = (await res.json()) as { status: string; store: { kind: string; ok: boolean } };
  t.is(body.status, 'ok');
  t.is(body.store.ok, true);
  t.true(['sqlite', 'postgres'].includes(body.store.kind));
});

test('the language switch sets English and returns to the same page, never to another site', async (t) => {
  const c = new Client(h.url);
  let page = await c.get('/sprache/en?zurueck=%2Fanmelden');
  t.true(page.url.endsWith('/anmelden'));
  t.regex(page.text, /Log in with your Servicekonto/);
  page = await c.get('/sprache/de?zurueck=%2F%2Fevil.example%2F');
  t.is(new URL(page.url).origin, h.url, 'a protocol-relative target is not followed');
  page = await c.get('/sprache/fr');
  t.is(page.status, 404);
});

test('behind https the session cookie is Secure with the __Host- prefix, and HSTS is sent', async (t) => {
  const secure = await startTestHub({ overrides: { server: { publicUrl: 'https://servicekonto.example' } } });
  try {
    const res = await fetch(secure.url + '/anmelden');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('__Host-skh_session='));
    t.truthy(cookie, res.headers.getSetCookie().join(' | '));
    t.regex(cookie!, /; Secure/);
    t.regex(cookie!, /; HttpOnly/);
    t.regex(cookie!, /; SameSite=Lax/);
    t.regex(cookie!, /; Path=\//);
    t.regex(res.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
  } finally {
    await secure.close();
  }
});
