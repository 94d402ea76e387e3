import test from 'ava';
import { chooseCard } from '../authn/eid/helpers.ts';
import { Client, type Page } from '../helpers/client.ts';
import { MINUTE } from '../../src/core/clock.ts';
import type { FakePortal } from '../portals/saml/helpers.ts';
import {
  ACCOUNT_TABLES,
  changedTables,
  rowCounts,
  SAML_OID,
  startTempBed,
  storeText,
  temporaryEid,
  TRANSIENT,
  type TempBed,
} from './bed.ts';

/**
 * Issue 9, "Temporär anmelden" with the Online-Ausweisfunktion towards SAML portals, on SQLite
 * or (with DATABASE_URL) PostgreSQL: the row counts of every table before and after, the
 * transient NameID, the hiding of the option where an account is needed, and the end of the
 * session at the answer, at logout and at the TR-03160 timeout.
 */

let bed: TempBed;

test.before(async () => {
  bed = await startTempBed();
});
test.after.always(async () => {
  await bed?.close();
});

/** Tables a temporary login may change: its session and audit rows, and bookkeeping that holds no personal data. */
const BOOKKEEPING = ['audit_events', 'job_leases', 'portal_login_counts', 'replay_cache', 'sessions', 'throttle'];

const PERSONAL = /ERIKA|MUSTERMANN|GABLER|1964-08-12|BERLIN|KÖLN|HEIDESTRASSE/i;

async function toLogin(c: Client, portal: FakePortal, relayState = 'antrag-1'): Promise<Page> {
  return c.get(await portal.sp.getAuthorizeUrlAsync(relayState, undefined, {}));
}

function hasTemporaryOption(page: Page): boolean {
  return page.root.querySelectorAll('form').some((f) => f.getAttribute('action') === '/anmelden/temporaer');
}

async function liveTemporarySessions(): Promise<number> {
  const rows = await bed.h.hub.store.db('sessions').where('subject', 'like', 'tmp-%').count({ n: '*' }).first();
  return Number(rows?.n ?? 0);
}

test.serial(
  'a temporary eID login for a SAML portal stores nothing but session and audit rows, and the portal gets a transient NameID, level hoch and the data',
  async (t) => {
    bed.configure(bed.both);
    const before = await rowCounts(bed.h);
    const c = new Client(bed.h.url);
    let page = await toLogin(c, bed.both);
    t.true(hasTemporaryOption(page), 'offered next to the normal login');
    t.regex(page.text, /Temporär anmelden/);
    page = await temporaryEid(c, page, 'erika');
    t.regex(page.url, /\/anmelden\/einwilligung/, page.text.slice(0, 300));
    // The consent page as for an account: portal, items with their values, level.
    t.regex(page.text, /Portal beides/);
    t.regex(page.text, /ERIKA/);
    t.regex(page.text, /MUSTERMANN/);
    t.regex(page.text, /„hoch“/);
    t.regex(page.text, /Servicekonto mit diesen Daten anlegen/, 'the account is offered, not pushed');
    t.is(c.sessionLevel(), 'hoch');
    // While the login runs, its identity is in the session row, and only there.
    t.is(await liveTemporarySessions(), 1);
    t.notRegex(await storeText(bed.h, ['sessions']), PERSONAL, 'no personal data outside the session row');
    const during = await rowCounts(bed.h);
    for (const table of ACCOUNT_TABLES) t.is(during[table], before[table], `${table} unchanged during the login`);

    page = await c.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
    await c.submit({}, bed.both.acsUrl);
    const received = bed.both.last('response')!;
    t.falsy(received.error, received.error?.message);
    const profile = received.profile!;
    t.is(received.relayState, 'antrag-1');
    t.is(profile.nameIDFormat, TRANSIENT);
    t.is(profile[SAML_OID.givenName], 'ERIKA');
    t.is(profile[SAML_OID.surname], 'MUSTERMANN');
    t.is(profile[SAML_OID.storkQaa], 'STORK-QAA-Level-4', 'the level reached');
    t.is(profile[SAML_OID.bpk2], undefined, 'no persistent identifier');
    t.is(profile[SAML_OID.postkorb], undefined, 'the optional Postkorb handle is simply absent');

    // The answer went to the portal: the identity is gone with the session.
    t.is(await liveTemporarySessions(), 0);
    const after = await rowCounts(bed.h);
    const changed = changedTables(before, after);
    t.deepEqual(
      changed.filter((table) => !BOOKKEEPING.includes(table)),
      [],
      `only session, audit and bookkeeping rows changed: ${changed.join(', ')}`,
    );
    for (const table of ACCOUNT_TABLES) t.is(after[table], before[table], `${table} unchanged`);
    t.notRegex(await storeText(bed.h), PERSONAL, 'no personal data anywhere in the store');
    const audit = await bed.h.hub.store.db('audit_events').where({ event: 'data.released' }).orderBy('id', 'desc').first();
    const detail = JSON.parse(String(audit.detail)) as Record<string, unknown>;
    t.is(audit.account_ref, null);
    t.like(detail, { portal: 'beides', temporary: true });
    t.deepEqual([...(detail.attributes as string[])].sort(), ['dateOfBirth', 'familyName', 'givenName', 'placeOfBirth']);

    // A second temporary login: a new transient NameID, never the first one.
    const c2 = new Client(bed.h.url);
    page = await temporaryEid(c2, await toLogin(c2, bed.both, 'antrag-2'), 'erika');
    await c2.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
    await c2.submit({}, bed.both.acsUrl);
    const second = bed.both.last('response')!.profile!;
    t.is(second.nameIDFormat, TRANSIENT);
    t.not(second.nameID, profile.nameID);
  },
);

test.serial('Abmelden during a temporary login deletes its session row with the identity', async (t) => {
  bed.configure(bed.both);
  const before = await rowCounts(bed.h);
  const c = new Client(bed.h.url);
  const page = await temporaryEid(c, await toLogin(c, bed.both), 'erika');
  t.regex(page.url, /einwilligung/);
  t.is(await liveTemporarySessions(), 1);
  // The session page of a temporary login says what happens to the data.
  const session = await c.get('/konto');
  t.regex(session.url, /\/sitzung$/);
  t.regex(session.text, /temporär angemeldet/);
  await c.submit({}, '/abmelden');
  t.is(await liveTemporarySessions(), 0);
  t.is(c.sessionLevel(), 'nicht angemeldet');
  const after = await rowCounts(bed.h);
  for (const table of ACCOUNT_TABLES) t.is(after[table], before[table], `${table} unchanged`);
  t.notRegex(await storeText(bed.h), /ERIKA|MUSTERMANN/);
});

test.serial('the TR-03160 idle limit of hoch (5 minutes) ends a temporary login: the purge job deletes its row', async (t) => {
  bed.configure(bed.both);
  const c = new Client(bed.h.url);
  await temporaryEid(c, await toLogin(c, bed.both), 'erika');
  t.is(await liveTemporarySessions(), 1);
  bed.clock.advance(5 * MINUTE + 1000);
  // The portals check the hub's times against real time: back afterwards.
  t.teardown(() => bed.clock.advance(-(5 * MINUTE + 1000)));
  await bed.h.hub.scheduler.runDue();
  t.is(await liveTemporarySessions(), 0, 'gone without the browser coming back');
  t.notRegex(await storeText(bed.h), /ERIKA|MUSTERMANN/);
  const page = await c.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
  t.regex(page.text, /abgelaufen|nicht gefunden/i, 'the consent cannot be given any more');
});

test.serial(
  'a portal that requires the Postkorb handle or a persistent identifier sees no temporary option; optional ones are offered',
  async (t) => {
    const akdb = (required: boolean, oid: string) => ({
      samlAuthnRequestExtensions: {
        'akdb:AuthenticationRequest': {
          '@xmlns:akdb': 'https://www.akdb.de/request/2018/09',
          '@Version': '2',
          'akdb:RequestedAttributes': {
            'akdb:RequestedAttribute': [
              { '@Name': SAML_OID.givenName, '@RequiredAttribute': 'true' },
              { '@Name': oid, '@RequiredAttribute': required ? 'true' : 'false' },
            ],
          },
        },
      },
    });
    for (const [oid, what] of [
      [SAML_OID.postkorb, 'Postkorb handle'],
      [SAML_OID.bpk2, 'bPK2'],
    ] as const) {
      bed.configure(bed.both, akdb(true, oid));
      let c = new Client(bed.h.url);
      let page = await toLogin(c, bed.both);
      t.regex(page.text, /Anmeldung für: Portal beides/);
      t.false(hasTemporaryOption(page), `${what} required: no temporary option`);
      t.notRegex(page.text, /Temporär anmelden/);
      // Nor can it be forced with a forged form.
      const forged = await c.post('/anmelden/temporaer', {
        auftrag: /auftrag=([^&"]+)/.exec(page.html)?.[1] ?? '',
        _csrf: page.root.querySelector('input[name=_csrf]')?.getAttribute('value') ?? '',
      });
      t.is(forged.status, 400, `${what}: ${forged.text.slice(0, 200)}`);

      bed.configure(bed.both, akdb(false, oid));
      c = new Client(bed.h.url);
      page = await toLogin(c, bed.both);
      t.true(hasTemporaryOption(page), `${what} optional: offered`);
      page = await temporaryEid(c, page, 'erika');
      await c.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
      await c.submit({}, bed.both.acsUrl);
      const profile = bed.both.last('response')!.profile!;
      t.is(profile[SAML_OID.givenName], 'ERIKA');
      t.is(profile[oid], undefined, `${what} optional: absent`);
    }
    bed.configure(bed.both);
  },
);

test.serial('a permanent portal sees no temporary option; a temporary-only portal offers only methods without an account', async (t) => {
  let c = new Client(bed.h.url);
  let page = await toLogin(c, bed.permanent);
  t.regex(page.text, /Anmeldung für: Portal dauerhaft/);
  t.false(hasTemporaryOption(page));
  t.notRegex(page.text, /Temporär anmelden/);
  t.truthy(page.root.querySelector('form[action="/anmelden/passwort"]'), 'the normal login');

  c = new Client(bed.h.url);
  page = await toLogin(c, bed.temporaryOnly);
  t.regex(page.root.querySelector('h1')?.textContent ?? '', /Temporär anmelden/);
  t.falsy(page.root.querySelector('form[action="/anmelden/passwort"]'), 'no username and password');
  t.notRegex(page.html, /\/anmelden\/pass/, 'no Pass');
  t.notRegex(page.text, /Doch mit Servicekonto anmelden|Noch kein Servicekonto/);
  t.truthy(page.root.querySelector('form[action="/anmelden/ausweis"]'), 'the eID');
  await c.submit({}, '/anmelden/ausweis');
  page = await chooseCard(c, 'erika');
  t.regex(page.url, /einwilligung/);
  page = await c.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
  page = await c.submit({}, bed.temporaryOnly.acsUrl);
  t.regex(page.text, /logged in/, page.text.slice(0, 300));
  const profile = bed.temporaryOnly.last('response')!.profile!;
  t.is(profile.nameIDFormat, TRANSIENT);
  t.is(profile[SAML_OID.givenName], 'ERIKA');
});
