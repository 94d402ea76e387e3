import test from 'ava';
import { unzipSync, strFromU8 } from 'fflate';
import * as oidc from 'openid-client';
import { MINUTE } from '../../src/core/clock.ts';
import { Client } from '../helpers/client.ts';
import { login } from '../helpers/citizen.ts';
import { dumpAllTables } from '../helpers/rows.ts';
import { chooseCard } from '../authn/eid/helpers.ts';
import { authorize, Browser, redeem, rp } from '../portals/oidc/fixture.ts';
import { api, pdf, png, send, SENDER, startPostkorbBed, type PostkorbBed } from './bed.ts';
import { accountIdOf, handleOf, newUsername, registerCitizen, registerWithCard } from './citizens.ts';

/**
 * The Postkorb end to end over HTTP (issue 8, "Proof"): a citizen registered with the ID card
 * and a password ticks "Postkorb erstellen"; a portal learns the handle through an OIDC login
 * with consent, gets a client credentials token at the hub's own token endpoint (private_key_jwt)
 * and sends a message with a PDF at level substanziell. The citizen's password session sees it
 * listed and locked; a step-up through the eID simulator opens it and marks it read; the
 * portal's status query shows the read time; the notice mail names the authority only; the ZIP
 * export holds every message and attachment byte for byte; deleting the account removes all of
 * it while the delivery records stay, naming no account.
 */

let bed: PostkorbBed;
test.before(async () => {
  bed = await startPostkorbBed();
});
test.after.always(async () => {
  await bed?.close();
});

const FAQ = 'nur lesbar nach Anmeldung mit Servicekonto.Pass (substanziell) oder Online-Ausweisfunktion (hoch)';

test.serial(
  'a portal sends a PDF at substanziell; the citizen steps up with the ID card to read it; export, status, mail, deletion',
  async (t) => {
    const username = newUsername('erika');
    const email = `${username}@example.org`;
    const review = await registerWithCard(bed.h, new Client(bed.h.url), username);
    t.regex(review.text, /Postkorb erstellen ja/, 'the review page shows the choice');
    const handle = await handleOf(bed.h, username);
    t.regex(handle, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a random UUID v4');

    // The portal learns the handle through a login: policy allows it, the consent page shows it.
    const amt = bed.portals.amt!;
    const config = await rp(bed, amt);
    let consentText = '';
    const login1 = await authorize(
      new Browser(bed.h.url),
      config,
      amt,
      { scope: 'openid profile postkorb' },
      { username, consent: 'ja', onConsent: (p) => (consentText = p.text) },
    );
    t.regex(consentText, /Postkorb-Handle/);
    t.true(consentText.includes(handle), 'the consent page shows the handle');
    const tokens = await redeem(config, login1.callback, login1.authorization);
    const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    t.is(info.postkorb_handle, handle);

    // The portal's server: a token by client credentials (private_key_jwt), then the message.
    const token = await bed.token('amt');
    const bescheid = pdf('Bescheid ueber Wohngeld', 150_000);
    const sent = await send(bed, token, handle, {
      subject: 'Bescheid über Ihren Wohngeldantrag',
      text: 'Sehr geehrte Frau Mustermann,\n\nanbei erhalten Sie den Bescheid.\n\nMit freundlichen Grüßen\nIhr Bürgeramt',
      reference: 'WG-2026-4711',
      level: 'http://eidas.europa.eu/LoA/substantial',
      attachments: [{ fileName: 'Bescheid Wohngeld.pdf', contentType: 'application/pdf', content: bescheid }],
    });
    t.is(sent.status, 201, JSON.stringify(sent.body));
    const id = String(sent.body.id);
    t.regex(sent.headers.get('location') ?? '', new RegExp(`/api/postkorb/v1/mailboxes/${handle}/messages/${id}$`));
    // A second message at niedrig, from another authority, with two attachments.
    const other = await bed.token('finanzamt');
    const note = Buffer.from('Bitte reichen Sie den Nachweis bis zum 1. Dezember ein.\nÄÖÜ ß\n', 'utf8');
    const second = await send(bed, other, handle, {
      subject: 'Nachweis angefordert',
      text: 'Bitte laden Sie den Nachweis hoch.',
      level: 'low',
      attachments: [
        { fileName: 'hinweis.txt', contentType: 'text/plain', content: note },
        { fileName: 'logo.png', contentType: 'image/png', content: png() },
      ],
    });
    t.is(second.status, 201, JSON.stringify(second.body));

    // The notice: after the batching delay, one mail for both, authorities only.
    bed.clock.advance(5 * MINUTE + 1000);
    await bed.h.hub.scheduler.runDue();
    const mails = await bed.h.outbox.to(email, 'Postkorb');
    t.is(mails.length, 1, 'two messages within a few minutes give one mail');
    const mail = mails[0]!;
    t.true(mail.text.includes(SENDER), 'the mail names the authority');
    t.true(mail.text.includes('Finanzamt Musterstadt'));
    for (const secret of ['Wohngeld', 'Bescheid', 'Mustermann', 'Nachweis', 'WG-2026-4711']) {
      t.false(`${mail.subject}\n${mail.text}`.includes(secret), `the mail does not contain "${secret}"`);
    }
    t.true(
      mail.links.some((l) => l.endsWith('/postkorb')),
      'a link to the login',
    );

    // A password session (niedrig): the message is listed, locked, with the FAQ's words.
    const c = new Client(bed.h.url);
    await login(c, username);
    t.is(c.sessionLevel(), 'niedrig');
    let page = await c.get('/postkorb');
    t.regex(page.text, new RegExp(SENDER));
    t.true(page.text.includes(FAQ), page.text);
    t.notRegex(page.text, /Bescheid über Ihren Wohngeldantrag/, 'a locked message shows no subject');
    t.regex(page.text, /Nachweis angefordert/, 'a message at niedrig is readable');
    page = await c.get(`/postkorb/nachrichten/${id}`);
    t.true(page.text.includes(FAQ));
    t.notRegex(page.text, /anbei erhalten Sie/);
    const attachmentRow = await bed.h.hub.store.db('postkorb_attachments').where({ message_id: id }).first();
    const locked = await c.get(`/postkorb/nachrichten/${id}/anhaenge/${attachmentRow.id}`);
    t.is(locked.headers.get('content-type')?.startsWith('text/html'), true, 'the attachment is not sent below its level');
    t.is((await bed.h.hub.store.db('postkorb_messages').where({ id }).first()).read_at, null, 'not read yet');

    // The step-up button: only methods that reach substanziell, then the eID simulator, then the message.
    page = await c.get(`/postkorb/nachrichten/${id}`);
    const stepUp = page.root.querySelector('a#hoeherstufen')!.getAttribute('href')!;
    page = await c.get(stepUp);
    t.truthy(page.root.querySelector('form[action="/anmelden/ausweis"]'), 'the eID is offered');
    t.falsy(page.root.querySelector('form[action="/anmelden/passwort"]'), 'the password is not');
    await c.submit({}, '/anmelden/ausweis');
    page = await chooseCard(c, 'erika');
    t.true(page.url.endsWith(`/postkorb/nachrichten/${id}`), `lands on the message, not ${page.url}`);
    t.is(c.sessionLevel(), 'hoch');
    t.regex(page.text, /Bescheid über Ihren Wohngeldantrag/);
    t.regex(page.text, /anbei erhalten Sie den Bescheid/);
    t.regex(page.text, /WG-2026-4711/);
    const readAt = (await bed.h.hub.store.db('postkorb_messages').where({ id }).first()).read_at;
    t.truthy(readAt, 'opening marks it read');

    // The attachment: a download with the stored type, byte for byte.
    const res = await fetch(new URL(`/postkorb/nachrichten/${id}/anhaenge/${attachmentRow.id}`, bed.h.url), {
      headers: { Cookie: `skh_session=${c.cookie('skh_session')}` },
    });
    t.is(res.status, 200);
    t.is(res.headers.get('content-type'), 'application/pdf');
    t.is(res.headers.get('x-content-type-options'), 'nosniff');
    t.regex(res.headers.get('content-disposition') ?? '', /^attachment; filename="Bescheid Wohngeld\.pdf"/);
    t.true(Buffer.from(await res.arrayBuffer()).equals(bescheid));

    // The portal's status query shows the read time; another portal learns nothing.
    const status = await api(bed, 'GET', `/api/postkorb/v1/mailboxes/${handle}/messages/${id}`, { token });
    t.is(status.status, 200);
    t.like(status.body, { id, state: 'read', readAt: new Date(Number(readAt)).toISOString(), deletedAt: null });
    const foreign = await api(bed, 'GET', `/api/postkorb/v1/mailboxes/${handle}/messages/${id}`, { token: other });
    t.is(foreign.status, 404);
    t.is(foreign.headers.get('content-type'), 'application/problem+json');

    // "Alle Nachrichten herunterladen": every message and attachment, byte-identical.
    const zipRes = await fetch(new URL('/postkorb/herunterladen', bed.h.url), {
      headers: { Cookie: `skh_session=${c.cookie('skh_session')}` },
    });
    t.is(zipRes.status, 200);
    t.is(zipRes.headers.get('content-type'), 'application/zip');
    t.regex(zipRes.headers.get('content-disposition') ?? '', /^attachment;/);
    const files = unzipSync(new Uint8Array(await zipRes.arrayBuffer()));
    const names = Object.keys(files);
    const find = (suffix: string): Uint8Array => {
      const name = names.find((n) => n.endsWith(suffix));
      if (!name) throw new Error(`${suffix} not in ${names.join(', ')}`);
      return files[name]!;
    };
    t.true(Buffer.from(find('/Bescheid Wohngeld.pdf')).equals(bescheid));
    t.true(Buffer.from(find('/hinweis.txt')).equals(note));
    t.true(Buffer.from(find('/logo.png')).equals(png()));
    const texts = names.filter((n) => n.endsWith('/Nachricht.txt')).map((n) => strFromU8(files[n]!));
    t.is(texts.length, 2);
    t.true(texts.some((x) => x.includes('Bescheid über Ihren Wohngeldantrag') && x.includes('WG-2026-4711')));
    t.regex(strFromU8(find('LIESMICH.txt')), /Nicht enthalten: keine/);

    // Deleting the account (the page offers the download first) removes everything; the records stay.
    page = await c.get('/konto/loeschen');
    t.regex(page.text, /Alle Nachrichten herunterladen/);
    t.truthy(page.root.querySelector('a[href="/postkorb/herunterladen"]'));
    const accountId = await accountIdOf(bed.h, username);
    const accountRef = bed.h.hub.accounts.accountRef(accountId);
    page = await c.submit({}, '/konto/loeschen');
    t.regex(page.text, /Ihr Servicekonto wurde gelöscht/);
    const tables = await dumpAllTables(bed.h);
    for (const table of [
      'postkorb_mailboxes',
      'postkorb_messages',
      'postkorb_attachments',
      'postkorb_attachment_chunks',
      'postkorb_notices',
    ]) {
      t.is(tables[table]?.length, 0, `${table} is empty`);
    }
    const traces = [accountId, accountRef, handle, username, email, 'Bescheid über Ihren Wohngeldantrag', 'WG-2026-4711', 'anbei erhalten'];
    for (const [table, rows] of Object.entries(tables)) {
      const text = JSON.stringify(rows).toLowerCase();
      for (const trace of traces) t.false(text.includes(trace.toLowerCase()), `${table} still holds ${trace}`);
    }
    const records = tables.postkorb_events as { event: string; message_id: string; reason: string | null }[];
    t.deepEqual(
      records.filter((r) => r.message_id === id).map((r) => `${r.event}${r.reason ? `:${r.reason}` : ''}`),
      ['delivered', 'opened', 'deleted:account'],
      'delivery, opening and deletion are recorded and kept',
    );
    const after = await api(bed, 'GET', `/api/postkorb/v1/mailboxes/${handle}/messages/${id}`, { token: await bed.token('amt') });
    t.like(after.body, { state: 'deleted', deletedBy: 'account' });
    t.is((await api(bed, 'GET', `/api/postkorb/v1/mailboxes/${handle}/messages/${id}`, { token: other })).status, 404);
    const again = await send(bed, token, handle);
    t.is(again.status, 404, 'the handle is gone');
  },
);

test.serial(
  'the handle reaches a portal only when its release policy allows it, the citizen has a Postkorb and the consent page shows it',
  async (t) => {
    const withBox = newUsername('mit');
    await registerCitizen(bed.h, new Client(bed.h.url), withBox, true);
    const handle = await handleOf(bed.h, withBox);
    const withoutBox = newUsername('ohne');
    await registerCitizen(bed.h, new Client(bed.h.url), withoutBox, false);

    const loginAt = async (portalId: string, username: string): Promise<{ consent: string; info: Record<string, unknown> }> => {
      const portal = bed.portals[portalId]!;
      const config = await rp(bed, portal);
      let consent = '';
      const done = await authorize(
        new Browser(bed.h.url),
        config,
        portal,
        { scope: 'openid profile postkorb' },
        { username, consent: 'ja', onConsent: (p) => (consent = p.text) },
      );
      t.regex(consent, /Familienname/, `${portalId}: the consent page was shown`);
      const tokens = await redeem(config, done.callback, done.authorization);
      const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
      return { consent, info: { ...info, ...tokens.claims() } };
    };

    // The policy allows it and the citizen has a Postkorb: shown, then released.
    let seen = await loginAt('amt', withBox);
    t.regex(seen.consent, /Postkorb-Handle/);
    t.is(seen.info.postkorb_handle, handle);
    // A portal whose policy does not list the handle gets nothing, even asking for the scope.
    seen = await loginAt('ohnehandle', withBox);
    t.notRegex(seen.consent, /Postkorb-Handle/);
    t.false(seen.consent.includes(handle));
    t.is(seen.info.postkorb_handle, undefined);
    // A citizen without a Postkorb: nothing to show, nothing released.
    seen = await loginAt('amt', withoutBox);
    t.notRegex(seen.consent, /Postkorb-Handle/);
    t.is(seen.info.postkorb_handle, undefined);
  },
);
