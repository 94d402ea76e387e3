import test from 'ava';
import { strFromU8, unzipSync } from 'fflate';
import { MINUTE } from '../../src/core/clock.ts';
import { Client } from '../helpers/client.ts';
import { login } from '../helpers/citizen.ts';
import { api, pdf, send, SENDER, SENDER_EN, startPostkorbBed, type PostkorbBed } from './bed.ts';
import { accountIdOf, handleOf, newUsername, registerCitizen } from './citizens.ts';

/**
 * The citizen's side of the Postkorb over HTTP: creating it later from "Mein Servicekonto", the
 * inbox (newest first, unread marks, locked rows), deleting a message, the ZIP of a lower
 * session (what it left out), removing the Postkorb, the notice mail's batching and language,
 * and a delivery that fails half-way leaving nothing behind.
 */

let bed: PostkorbBed;
let token: string;
test.before(async () => {
  bed = await startPostkorbBed();
});
// Tokens live 10 minutes; some tests move the clock on.
test.beforeEach(async () => {
  token = await bed.token('amt');
});
test.after.always(async () => {
  await bed?.close();
});

async function citizen(postkorb: boolean, lang: 'de' | 'en' = 'de'): Promise<{ username: string; c: Client }> {
  const username = newUsername(postkorb ? 'mit' : 'ohne');
  const headers = { 'Accept-Language': lang === 'de' ? 'de-DE' : 'en-GB' };
  await registerCitizen(bed.h, new Client(bed.h.url, headers), username, postkorb);
  const c = new Client(bed.h.url, headers);
  await login(c, username);
  return { username, c };
}

async function cookieFetch(c: Client, target: string): Promise<Response> {
  return fetch(new URL(target, bed.h.url), { headers: { Cookie: `skh_session=${c.cookie('skh_session')}` } });
}

test.serial('without the box at registration there is no Postkorb; "Postkorb erstellen" on Mein Servicekonto makes one', async (t) => {
  const { username, c } = await citizen(false);
  const accountId = await accountIdOf(bed.h, username);
  t.falsy(await bed.h.hub.store.db('postkorb_mailboxes').where({ account_id: accountId }).first());
  let page = await c.get('/konto');
  t.regex(page.text, /Sie haben noch keinen Postkorb/);
  page = await c.submit({}, '/postkorb/erstellen');
  t.true(page.url.endsWith('/postkorb'));
  t.regex(page.text, /Ihr Postkorb wurde erstellt/);
  t.regex(page.text, /Ihr Postkorb ist leer/);
  const handle = await handleOf(bed.h, username);
  t.true(page.text.includes(handle), 'the page shows the address');
  // Creating again keeps the handle.
  await c.get('/postkorb');
  await c.post('/postkorb/erstellen', { _csrf: c.page!.root.querySelector('input[name=_csrf]')?.getAttribute('value') ?? '' });
  t.is(await handleOf(bed.h, username), handle);
  page = await c.get('/konto');
  t.regex(page.text, /0 Nachricht\(en\), davon 0 ungelesen/);
});

test.serial(
  'the inbox: newest first, sender, subject, date, level, unread mark, attachment count; a locked row only sender, date and level',
  async (t) => {
    const { username, c } = await citizen(true);
    const handle = await handleOf(bed.h, username);
    t.is(
      (
        await send(bed, token, handle, {
          subject: 'Erste Nachricht',
          attachments: [{ fileName: 'a.pdf', contentType: 'application/pdf', content: pdf('1') }],
        })
      ).status,
      201,
    );
    bed.clock.advance(MINUTE);
    t.is((await send(bed, token, handle, { subject: 'Zweite Nachricht', level: 'STORK-QAA-Level-4' })).status, 201);
    bed.clock.advance(MINUTE);
    t.is((await send(bed, token, handle, { subject: 'Dritte Nachricht', level: 'low' })).status, 201);
    const page = await c.get('/postkorb');
    const rows = page.root.querySelectorAll('table.postkorb tbody tr');
    t.is(rows.length, 3);
    const cells = rows.map((r) => r.querySelectorAll('td').map((d) => d.textContent.replace(/\s+/g, ' ').trim()));
    t.regex(cells[0]![1]!, /Dritte Nachricht/, 'newest first');
    t.is(cells[0]![0], SENDER);
    t.is(cells[0]![4], 'ungelesen');
    t.is(cells[2]![5], '1', 'the attachment count');
    // The high message: sender, date, level; no subject, status or count.
    t.notRegex(cells[1]!.join(' '), /Zweite Nachricht|ungelesen/);
    t.regex(cells[1]![1]!, /nur lesbar nach Anmeldung mit Online-Ausweisfunktion \(hoch\)/);
    t.is(cells[1]![3], 'hoch');
    t.truthy(rows[1]!.querySelector('a[href^="/anmelden/hoeherstufen?niveau=high"]'), 'a step-up link on the locked row');
    // Reading one removes its mark.
    const first = rows[2]!.querySelector('a')!.getAttribute('href')!;
    await c.get(first);
    const after = await c.get('/postkorb');
    t.is(after.root.querySelectorAll('table.postkorb tbody tr')[2]!.querySelectorAll('td')[4]!.textContent.trim(), 'gelesen');
  },
);

test.serial('deleting a message: asked once more, then gone; the portal sees "deleted by the citizen"', async (t) => {
  const { username, c } = await citizen(true);
  const handle = await handleOf(bed.h, username);
  const sent = await send(bed, token, handle, {
    subject: 'Zu löschen',
    attachments: [{ fileName: 'a.pdf', contentType: 'application/pdf', content: pdf('x') }],
  });
  const id = String(sent.body.id);
  let page = await c.get(`/postkorb/nachrichten/${id}`);
  page = await c.get(`/postkorb/nachrichten/${id}/loeschen`);
  t.regex(page.text, /Nachricht löschen\?/);
  page = await c.submit({}, `/postkorb/nachrichten/${id}/loeschen`);
  t.regex(page.text, /Die Nachricht wurde gelöscht/);
  t.falsy(await bed.h.hub.store.db('postkorb_messages').where({ id }).first());
  t.is(Number((await bed.h.hub.store.db('postkorb_attachments').where({ message_id: id }).count({ n: '*' }).first())?.n), 0);
  const status = await api(bed, 'GET', `/api/postkorb/v1/mailboxes/${handle}/messages/${id}`, { token });
  t.like(status.body, { state: 'deleted', deletedBy: 'citizen' });
  t.truthy(status.body.readAt, 'it was read before');
});

test.serial('a message above the session level cannot be deleted or downloaded from that session', async (t) => {
  const { username, c } = await citizen(true);
  const handle = await handleOf(bed.h, username);
  const id = String((await send(bed, token, handle, { subject: 'Hoch', level: 'high' })).body.id);
  const page = await c.get(`/postkorb/nachrichten/${id}/loeschen`);
  t.true(page.url.endsWith(`/postkorb/nachrichten/${id}`), 'sent to the locked view');
  const csrf = page.root.querySelector('input[name=_csrf]')?.getAttribute('value') ?? '';
  await c.post(`/postkorb/nachrichten/${id}/loeschen`, { _csrf: csrf });
  t.truthy(await bed.h.hub.store.db('postkorb_messages').where({ id }).first(), 'still there');
});

test.serial('the ZIP of a lower session holds what it may open and says how many it left out (DECISIONS 15)', async (t) => {
  const { username, c } = await citizen(true);
  const handle = await handleOf(bed.h, username);
  await send(bed, token, handle, {
    subject: 'Offen',
    level: 'low',
    attachments: [{ fileName: 'offen.pdf', contentType: 'application/pdf', content: pdf('o') }],
  });
  await send(bed, token, handle, {
    subject: 'Geschützt',
    level: 'substantial',
    attachments: [{ fileName: 'geheim.pdf', contentType: 'application/pdf', content: pdf('g') }],
  });
  const page = await c.get('/postkorb');
  t.regex(page.text, /1 Nachricht\(en\) verlangen ein höheres Vertrauensniveau/);
  const res = await cookieFetch(c, '/postkorb/herunterladen');
  t.is(res.headers.get('x-postkorb-left-out'), '1');
  const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
  const names = Object.keys(files);
  t.true(names.some((n) => n.endsWith('/offen.pdf')));
  t.false(names.some((n) => n.endsWith('/geheim.pdf')));
  t.regex(strFromU8(files['LIESMICH.txt']!), /Nicht enthalten: 1 Nachricht\(en\), die ein höheres Vertrauensniveau verlangen/);
});

test.serial(
  'removing the Postkorb: the download is offered, a higher level is needed for locked messages, then all is gone but the records',
  async (t) => {
    const { username, c } = await citizen(true);
    const handle = await handleOf(bed.h, username);
    const low = String((await send(bed, token, handle, { subject: 'Niedrig' })).body.id);
    let page = await c.get('/postkorb/entfernen');
    t.truthy(page.root.querySelector('a[href="/postkorb/herunterladen"]'));
    page = await c.submit({}, '/postkorb/entfernen');
    t.is(page.status, 400, 'the confirmation box is needed');
    t.truthy(await handleOf(bed.h, username));

    const high = String((await send(bed, token, handle, { subject: 'Hoch', level: 'high' })).body.id);
    page = await c.get('/postkorb/entfernen');
    t.is(page.status, 403);
    t.regex(page.text, /zuerst mit diesem Niveau an/);
    t.falsy(page.root.querySelector('form[action="/postkorb/entfernen"]'));

    await bed.h.hub.store.db('postkorb_messages').where({ id: high }).delete();
    page = await c.get('/postkorb/entfernen');
    page = await c.submit({ bestaetigung: 'yes' }, '/postkorb/entfernen');
    t.regex(page.text, /Ihr Postkorb wurde mit allen Nachrichten gelöscht/);
    t.falsy(await bed.h.hub.store.db('postkorb_mailboxes').where({ handle }).first());
    const status = await api(bed, 'GET', `/api/postkorb/v1/mailboxes/${handle}/messages/${low}`, { token });
    t.like(status.body, { state: 'deleted', deletedBy: 'postkorb' });
    t.is((await send(bed, token, handle)).status, 404);
    page = await c.get('/postkorb');
    t.regex(page.text, /Sie haben noch keinen Postkorb/);
  },
);

test.serial(
  'notices: one mail per batch, in the account language; a message opened before the mail goes out is not announced',
  async (t) => {
    const { username, c } = await citizen(true, 'en');
    const email = `${username}@example.org`;
    const handle = await handleOf(bed.h, username);
    await bed.h.hub.scheduler.runDue(); // whatever other tests left due
    const first = String((await send(bed, token, handle, { subject: 'Geheimer Betreff' })).body.id);
    bed.clock.advance(2 * MINUTE);
    await bed.h.hub.scheduler.runDue();
    t.is((await bed.h.outbox.to(email, 'Postkorb')).length, 0, 'not before the delay');
    await send(bed, token, handle, { subject: 'Noch einer' });
    bed.clock.advance(3 * MINUTE + 1000);
    await bed.h.hub.scheduler.runDue();
    let mails = await bed.h.outbox.to(email, 'Postkorb');
    t.is(mails.length, 1);
    t.regex(mails[0]!.subject, /^New messages in your Postkorb/);
    t.true(mails[0]!.text.includes(`2 new messages from "${SENDER_EN}"`), mails[0]!.text);
    t.false(mails[0]!.text.includes('Geheimer Betreff'));

    // Delivered, then read at once: no mail.
    const read = String((await send(bed, token, handle, { subject: 'Gleich gelesen' })).body.id);
    await c.get(`/postkorb/nachrichten/${read}`);
    bed.clock.advance(6 * MINUTE);
    await bed.h.hub.scheduler.runDue();
    mails = await bed.h.outbox.to(email, 'Postkorb');
    t.is(mails.length, 1, 'nothing new to announce');
    t.is(Number((await bed.h.hub.store.db('postkorb_notices').count({ n: '*' }).first())?.n), 0);
    t.truthy(first);
  },
);

test.serial('English pages: the inbox and a locked message in English', async (t) => {
  const { username, c } = await citizen(true, 'en');
  const handle = await handleOf(bed.h, username);
  const id = String((await send(bed, token, handle, { subject: 'Secret', level: 'substantial' })).body.id);
  let page = await c.get('/postkorb');
  t.regex(page.text, /Messages, newest first/);
  t.regex(page.text, new RegExp(SENDER_EN));
  t.regex(page.text, /readable only after logging in with Servicekonto\.Pass \(substantial\) or online ID function \(high\)/);
  page = await c.get(`/postkorb/nachrichten/${id}`);
  t.regex(page.text, /Log in with a higher level of assurance and open the message/);
});

test.serial('a delivery that fails half-way (the record cannot be written) leaves no message, attachment or key behind', async (t) => {
  const { username } = await citizen(true);
  const handle = await handleOf(bed.h, username);
  const db = bed.h.hub.store.db;
  const tables = [
    'postkorb_messages',
    'postkorb_attachments',
    'postkorb_attachment_chunks',
    'postkorb_notices',
    'postkorb_idempotency',
    'postkorb_events',
  ];
  const counts = async (): Promise<number[]> => Promise.all(tables.map(async (x) => Number((await db(x).count({ n: '*' }).first())?.n)));
  if (bed.h.hub.store.kind === 'sqlite') {
    await db.raw(
      `CREATE TRIGGER fail_records BEFORE INSERT ON postkorb_events WHEN NEW.portal_id = 'finanzamt' BEGIN SELECT RAISE(ABORT, 'test: the disk is full'); END`,
    );
  } else {
    await db.raw(
      `CREATE FUNCTION fail_records() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'test: the disk is full'; END $$ LANGUAGE plpgsql`,
    );
    await db.raw(
      `CREATE TRIGGER fail_records BEFORE INSERT ON postkorb_events FOR EACH ROW WHEN (NEW.portal_id = 'finanzamt') EXECUTE FUNCTION fail_records()`,
    );
  }
  try {
    const before = await counts();
    const answer = await send(bed, await bed.token('finanzamt'), handle, {
      attachments: [{ fileName: 'gross.pdf', contentType: 'application/pdf', content: pdf('big', 700_000) }],
    });
    t.is(answer.status, 500);
    t.is(answer.headers.get('content-type'), 'application/problem+json');
    t.deepEqual(await counts(), before, 'nothing half-stored');
  } finally {
    await db.raw('DROP TRIGGER fail_records' + (bed.h.hub.store.kind === 'sqlite' ? '' : ' ON postkorb_events'));
    if (bed.h.hub.store.kind !== 'sqlite') await db.raw('DROP FUNCTION fail_records()');
  }
});

test.serial("a session through another state's account is offered no Postkorb and cannot create one", async (t) => {
  const { username, c } = await citizen(false);
  const accountId = await accountIdOf(bed.h, username);
  // Stands in for a login through a partner state (test/federation drives the real one): the
  // session's methods say "upstream", as the federation edge records them.
  const db = bed.h.hub.store.db;
  const rows = (await db('sessions').where({ account_id: accountId })) as { id_hash: string; data: string }[];
  t.is(rows.length, 1);
  const data = JSON.parse(rows[0]!.data) as { authn: { methods: string[] } };
  t.deepEqual(data.authn.methods, ['pwd']);
  data.authn.methods = ['upstream'];
  await db('sessions')
    .where({ id_hash: rows[0]!.id_hash })
    .update({ data: JSON.stringify(data) });

  let page = await c.get('/konto');
  t.notRegex(page.text, /Sie haben noch keinen Postkorb/);
  t.falsy(page.root.querySelector('form[action="/postkorb/erstellen"]'));
  const csrf = page.root.querySelector('input[name=_csrf]')!.getAttribute('value')!;
  page = await c.get('/postkorb');
  t.regex(page.text, /Sie sind über das Servicekonto eines anderen Landes angemeldet/);
  t.falsy(page.root.querySelector('form[action="/postkorb/erstellen"]'));
  page = await c.post('/postkorb/erstellen', { _csrf: csrf });
  t.true(page.url.endsWith('/postkorb'));
  t.falsy(await db('postkorb_mailboxes').where({ account_id: accountId }).first(), 'no handle was made');
});
