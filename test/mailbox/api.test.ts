import test, { type ExecutionContext } from 'ava';
import { parse } from 'yaml';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as oidc from 'openid-client';
import { MINUTE } from '../../src/core/clock.ts';
import { Client } from '../helpers/client.ts';
import { login } from '../helpers/citizen.ts';
import { authorize, Browser, redeem, rp } from '../portals/oidc/fixture.ts';
import { api, executable, newKey, pdf, png, send, startPostkorbBed, type ApiAnswer, type PostkorbBed } from './bed.ts';
import { handleOf, newUsername, registerCitizen } from './citizens.ts';

/**
 * The sending API's refusals (issue 8, "Bad input"): each answers application/problem+json with
 * the status the issue names and a reason a developer can act on, and stores nothing — no
 * message, attachment, notice, idempotency key or delivery record.
 */

let bed: PostkorbBed;
let username: string;
let handle: string;
let token: string;

test.before(async () => {
  bed = await startPostkorbBed();
  username = newUsername('api');
  await registerCitizen(bed.h, new Client(bed.h.url), username, true);
  handle = await handleOf(bed.h, username);
  token = await bed.token('amt');
});
test.after.always(async () => {
  await bed?.close();
});

const STORE = [
  'postkorb_messages',
  'postkorb_attachments',
  'postkorb_attachment_chunks',
  'postkorb_notices',
  'postkorb_idempotency',
  'postkorb_events',
];

async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of STORE) out[table] = Number((await bed.h.hub.store.db(table).count({ n: '*' }).first())?.n ?? 0);
  return out;
}

/** Runs `act`, checks the problem it answers and that nothing was stored. */
async function refused(t: ExecutionContext, status: number, kind: string, act: () => Promise<ApiAnswer>): Promise<ApiAnswer> {
  const before = await counts();
  const answer = await act();
  t.is(answer.status, status, JSON.stringify(answer.body));
  t.is(answer.headers.get('content-type'), 'application/problem+json');
  t.is(answer.body.status, status);
  t.true(String(answer.body.type).endsWith(`/api/postkorb/v1/problems#${kind}`), String(answer.body.type));
  t.is(typeof answer.body.title, 'string');
  t.true(String(answer.body.detail).length > 10, 'a reason to act on');
  t.deepEqual(await counts(), before, 'nothing stored');
  return answer;
}

test.serial('a well-formed message is accepted (the baseline the refusals below differ from)', async (t) => {
  const answer = await send(bed, token, handle, {
    attachments: [{ fileName: 'a.pdf', contentType: 'application/pdf', content: pdf('ok') }],
  });
  t.is(answer.status, 201, JSON.stringify(answer.body));
  t.regex(String(answer.body.id), /^[0-9a-f-]{36}$/);
});

test.serial('unknown handle: 404', async (t) => {
  await refused(t, 404, 'unknown-mailbox', () => send(bed, token, '0b8e7e4c-5c6a-4f8e-9d61-3f0f6a2b9c11'));
  await refused(t, 404, 'unknown-mailbox', () => send(bed, token, 'not-a-handle'));
});

test.serial('no token, a wrong token, an expired token: 401 with WWW-Authenticate', async (t) => {
  let a = await refused(t, 401, 'invalid-token', () =>
    api(bed, 'POST', `/api/postkorb/v1/mailboxes/${handle}/messages`, { headers: { 'Idempotency-Key': newKey() }, body: { subject: 'x' } }),
  );
  t.regex(a.headers.get('www-authenticate') ?? '', /^Bearer realm="postkorb"$/);
  a = await refused(t, 401, 'invalid-token', () => send(bed, `${token}x`, handle));
  t.regex(a.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  const soon = await bed.token('amt');
  bed.clock.advance(11 * MINUTE);
  try {
    a = await refused(t, 401, 'invalid-token', () => send(bed, soon, handle));
    t.regex(String(a.body.detail), /expired/);
  } finally {
    bed.clock.advance(-11 * MINUTE);
  }
  token = await bed.token('amt');
});

test.serial('a token without the scope postkorb: 403 insufficient_scope', async (t) => {
  const bare = await bed.token('amt', 'openid');
  const a = await refused(t, 403, 'insufficient-scope', () => send(bed, bare, handle));
  t.regex(a.headers.get('www-authenticate') ?? '', /error="insufficient_scope", scope="postkorb"/);
});

test.serial(
  'a portal without a postkorb section gets no token; one whose Postkorb is switched off or removed is refused with 403',
  async (t) => {
    const before = await counts();
    const config = await rp(bed, bed.portals.ohnepost!);
    const error = await t.throwsAsync(oidc.clientCredentialsGrant(config, { scope: 'postkorb' }));
    // oidc-provider words it as invalid_request; the point is that no token is issued.
    t.regex(String((error as { error_description?: string }).error_description), /grant type is not allowed for this client/);
    t.deepEqual(await counts(), before, 'nothing stored');

    const off = await bed.token('gesperrt');
    const a = await refused(t, 403, 'portal-not-allowed', () => send(bed, off, handle));
    t.regex(String(a.body.detail), /switched off/);

    // A token issued while the portal could send, then the operator removes its postkorb section.
    const finanz = await bed.token('finanzamt');
    const file = path.join(bed.dir, 'portals.yaml');
    const original = readFileSync(file, 'utf8');
    const doc = parse(original) as { portals: Record<string, unknown>[] };
    for (const p of doc.portals) if (p.id === 'finanzamt') delete p.postkorb;
    writeFileSync(file, JSON.stringify(doc));
    try {
      t.like(await bed.h.hub.reloadTrust(), { ok: true });
      await refused(t, 403, 'portal-not-allowed', () => send(bed, finanz, handle));
    } finally {
      writeFileSync(file, original);
      await bed.h.hub.reloadTrust();
    }
  },
);

test.serial(
  "the access token of a citizen's login is no sending token, even with the scope postkorb and from a portal without a postkorb section: 401",
  async (t) => {
    for (const id of ['ohnepost', 'amt']) {
      const portal = bed.portals[id]!;
      const config = await rp(bed, portal);
      const login1 = await authorize(new Browser(bed.h.url), config, portal, { scope: 'openid postkorb' }, { username, consent: 'ja' });
      const tokens = await redeem(config, login1.callback, login1.authorization);
      t.true(String(tokens.scope).split(' ').includes('postkorb'), `${id}: the login token carries the scope postkorb`);
      const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
      t.is(info.postkorb_handle, handle, `${id}: the portal learnt the handle through the login`);
      const a = await refused(t, 401, 'invalid-token', () => send(bed, tokens.access_token, handle));
      t.regex(a.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    }
  },
);

test.serial('an executable renamed to .pdf: 415, naming what the content is', async (t) => {
  const a = await refused(t, 415, 'unsupported-type', () =>
    send(bed, token, handle, { attachments: [{ fileName: 'bescheid.pdf', contentType: 'application/pdf', content: executable() }] }),
  );
  t.regex(String(a.body.detail), /\/attachments\/0.*(exe|msdownload|portable-executable)/i);
  // Declared as one allowed type, being another; text that is binary; an unknown declared type.
  await refused(t, 415, 'unsupported-type', () =>
    send(bed, token, handle, { attachments: [{ fileName: 'bild.png', contentType: 'image/png', content: pdf('x') }] }),
  );
  await refused(t, 415, 'unsupported-type', () =>
    send(bed, token, handle, { attachments: [{ fileName: 'liesmich.txt', contentType: 'text/plain', content: png() }] }),
  );
  await refused(t, 415, 'unsupported-type', () =>
    send(bed, token, handle, { attachments: [{ fileName: 'x.docx', contentType: 'application/msword', content: pdf('x') }] }),
  );
  await refused(t, 415, 'unsupported-type', () =>
    api(bed, 'POST', `/api/postkorb/v1/mailboxes/${handle}/messages`, {
      token,
      headers: { 'Idempotency-Key': newKey(), 'Content-Type': 'text/plain' },
      raw: '{}',
    }),
  );
});

test.serial('an oversized attachment, and too much altogether: 413', async (t) => {
  const a = await refused(t, 413, 'too-large', () =>
    send(bed, token, handle, {
      attachments: [{ fileName: 'gross.pdf', contentType: 'application/pdf', content: pdf('big', 10 * 1024 * 1024 + 1) }],
    }),
  );
  t.regex(String(a.body.detail), /10 MB/);
  const nine = pdf('nine', 9 * 1024 * 1024);
  await refused(t, 413, 'too-large', () =>
    send(bed, token, handle, {
      attachments: [
        { fileName: 'a.pdf', contentType: 'application/pdf', content: nine },
        { fileName: 'b.pdf', contentType: 'application/pdf', content: nine },
        { fileName: 'c.pdf', contentType: 'application/pdf', content: nine },
      ],
    }),
  );
});

test.serial('an invalid level and other invalid fields: 422 with a JSON Pointer for each', async (t) => {
  let a = await refused(t, 422, 'invalid-fields', () => send(bed, token, handle, { level: 'very-high' }));
  t.like((a.body.errors as { pointer: string }[])[0], { pointer: '/level' });
  a = await refused(t, 422, 'invalid-fields', () => send(bed, token, handle, { subject: '', sender: 'Bundeskanzleramt' }));
  const pointers = (a.body.errors as { pointer: string; detail: string }[]).map((e) => e.pointer).sort();
  t.deepEqual(pointers, ['/sender', '/subject']);
  t.regex(JSON.stringify(a.body.errors), /a message cannot set it/);
  a = await refused(t, 422, 'invalid-fields', () =>
    api(bed, 'POST', `/api/postkorb/v1/mailboxes/${handle}/messages`, {
      token,
      headers: { 'Idempotency-Key': newKey() },
      body: {
        subject: 'x',
        text: 'y',
        level: 'low',
        attachments: [{ fileName: 'a.pdf', contentType: 'application/pdf', content: 'not base64!' }],
      },
    }),
  );
  t.like((a.body.errors as { pointer: string }[])[0], { pointer: '/attachments/0/content' });
  await refused(t, 400, 'invalid-request', () =>
    api(bed, 'POST', `/api/postkorb/v1/mailboxes/${handle}/messages`, {
      token,
      headers: { 'Idempotency-Key': newKey(), 'Content-Type': 'application/json' },
      raw: '{"subject": ',
    }),
  );
  await refused(t, 400, 'invalid-request', () =>
    api(bed, 'POST', `/api/postkorb/v1/mailboxes/${handle}/messages`, { token, body: { subject: 'x', text: 'y', level: 'low' } }),
  );
});

test.serial('a repeated Idempotency-Key: the first message again and nothing new; with another request, 422', async (t) => {
  const key = newKey();
  const message = { subject: 'Einmalig', attachments: [{ fileName: 'a.pdf', contentType: 'application/pdf', content: pdf('once') }] };
  const first = await send(bed, token, handle, message, key);
  t.is(first.status, 201);
  const before = await counts();
  const again = await send(bed, token, handle, message, key);
  t.is(again.status, 201);
  t.is(again.body.id, first.body.id, 'the first message id');
  t.is(again.headers.get('idempotent-replayed'), 'true');
  t.deepEqual(await counts(), before, 'nothing new stored');
  const a = await refused(t, 422, 'idempotency-key-reused', () => send(bed, token, handle, { subject: 'Etwas anderes' }, key));
  t.true(String(a.body.detail).includes(String(first.body.id)));
  // The same new key twice at once: one message, both answers name it.
  const racing = newKey();
  const start = await counts();
  const [x, y] = await Promise.all([send(bed, token, handle, message, racing), send(bed, token, handle, message, racing)]);
  t.deepEqual([x.status, y.status], [201, 201], JSON.stringify([x.body, y.body]));
  t.is(x.body.id, y.body.id);
  t.is((await counts()).postkorb_messages, (start.postkorb_messages ?? 0) + 1, 'one message stored');
  // The same key of another portal is that portal's own.
  const other = await send(bed, await bed.token('finanzamt'), handle, message, key);
  t.is(other.status, 201);
  t.not(other.body.id, first.body.id);
});

test.serial('another portal asking for the status of a message it did not send: 404, and nothing about it', async (t) => {
  const sent = await send(bed, token, handle);
  const id = String(sent.body.id);
  const finanz = await bed.token('finanzamt');
  const a = await refused(t, 404, 'unknown-message', () =>
    api(bed, 'GET', `/api/postkorb/v1/mailboxes/${handle}/messages/${id}`, { token: finanz }),
  );
  t.false(JSON.stringify(a.body).includes('delivered'));
  // The sender with another handle learns nothing either.
  await refused(t, 404, 'unknown-message', () =>
    api(bed, 'GET', `/api/postkorb/v1/mailboxes/0b8e7e4c-5c6a-4f8e-9d61-3f0f6a2b9c11/messages/${id}`, { token }),
  );
  const own = await api(bed, 'GET', `/api/postkorb/v1/mailboxes/${handle}/messages/${id}`, { token });
  t.like(own.body, { id, state: 'delivered', readAt: null, deletedAt: null, deletedBy: null });
});

test.serial(
  "a citizen trying to open another account's message id gets 404, for the message, its attachment and its deletion",
  async (t) => {
    const sent = await send(bed, token, handle, {
      attachments: [{ fileName: 'a.pdf', contentType: 'application/pdf', content: pdf('mine') }],
    });
    const id = String(sent.body.id);
    const attachment = await bed.h.hub.store.db('postkorb_attachments').where({ message_id: id }).first();
    const intruder = newUsername('fremd');
    const c = new Client(bed.h.url);
    await registerCitizen(bed.h, c, intruder, true);
    await login(c, intruder);
    const before = await counts();
    for (const target of [
      `/postkorb/nachrichten/${id}`,
      `/postkorb/nachrichten/${id}/anhaenge/${attachment.id}`,
      `/postkorb/nachrichten/${id}/loeschen`,
    ]) {
      const page = await c.get(target);
      t.is(page.status, 404, target);
      t.notRegex(page.text, /Ihr Antrag auf Wohngeld|anbei der Bescheid/);
    }
    await c.get('/postkorb');
    const forged = await c.post(`/postkorb/nachrichten/${id}/loeschen`, {
      _csrf: c.page!.root.querySelector('input[name=_csrf]')!.getAttribute('value')!,
    });
    t.is(forged.status, 404);
    t.deepEqual(await counts(), before, 'nothing changed: not read, not deleted');
    t.is((await bed.h.hub.store.db('postkorb_messages').where({ id }).first()).read_at, null);
  },
);

test.serial("over the portal's rate limit: 429 with Retry-After", async (t) => {
  const knapp = await bed.token('knapp');
  t.is((await send(bed, knapp, handle)).status, 201);
  t.is((await send(bed, knapp, handle)).status, 201);
  const a = await refused(t, 429, 'rate-limited', () => send(bed, knapp, handle));
  t.regex(a.headers.get('retry-after') ?? '', /^\d+$/);
  t.is((await send(bed, token, handle)).status, 201, 'other portals are not affected');
});

test.serial('a SAML-only portal sends with the client of its postkorb section', async (t) => {
  const samlToken = await bed.token('saml-amt');
  const answer = await send(bed, samlToken, handle, { subject: 'Von der SAML-Behörde' });
  t.is(answer.status, 201, JSON.stringify(answer.body));
  const row = await bed.h.hub.store
    .db('postkorb_messages')
    .where({ id: String(answer.body.id) })
    .first();
  t.is(row.sender_de, 'Landesamt (SAML)');
  t.is(row.portal_id, 'saml-amt');
});

test.serial('the OpenAPI description and the problem types are served; unknown paths and methods answer as problems', async (t) => {
  const doc = await api(bed, 'GET', '/api/postkorb/v1/openapi.json');
  t.is(doc.status, 200);
  t.is(doc.body.openapi, '3.1.0');
  const paths = doc.body.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
  t.deepEqual(Object.keys(paths['/mailboxes/{handle}/messages']!.post!.responses).sort(), [
    '201',
    '400',
    '401',
    '403',
    '404',
    '413',
    '415',
    '422',
    '429',
  ]);
  t.truthy(paths['/mailboxes/{handle}/messages/{id}']!.get);
  const flows = (doc.body.components as { securitySchemes: { clientCredentials: { flows: { clientCredentials: { tokenUrl: string } } } } })
    .securitySchemes.clientCredentials.flows.clientCredentials;
  t.is(flows.tokenUrl, `${bed.h.url}/oidc/token`);
  const problems = await api(bed, 'GET', '/api/postkorb/v1/problems');
  t.true((problems.body.problems as unknown[]).length >= 10);
  await refused(t, 404, 'not-found', () => api(bed, 'GET', '/api/postkorb/v1/nichts', { token }));
  const wrong = await refused(t, 405, 'method-not-allowed', () =>
    api(bed, 'DELETE', `/api/postkorb/v1/mailboxes/${handle}/messages`, { token }),
  );
  t.is(wrong.headers.get('allow'), 'POST');
});

test.serial('attachment names are sanitised and get the extension of their checked type', async (t) => {
  const answer = await send(bed, token, handle, {
    attachments: [
      { fileName: '../../etc/Bescheid\u202Efdp.exe', contentType: 'application/pdf', content: pdf('a') },
      { fileName: 'CON', contentType: 'text/plain', content: Buffer.from('Hallo') },
      { fileName: 'daten.xml', contentType: 'text/xml', content: Buffer.from('<?xml version="1.0"?><antrag/>') },
    ],
  });
  t.is(answer.status, 201, JSON.stringify(answer.body));
  const rows = await bed.h.hub.store
    .db('postkorb_attachments')
    .where({ message_id: String(answer.body.id) })
    .orderBy('position');
  t.deepEqual(
    rows.map((r: { file_name: string; content_type: string }) => [r.file_name, r.content_type]),
    [
      ['Bescheidfdp.exe.pdf', 'application/pdf'],
      ['_CON.txt', 'text/plain'],
      ['daten.xml', 'application/xml'],
    ],
  );
});
