import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { parse, stringify } from 'yaml';
import { MINUTE } from '../../src/core/clock.ts';
import { Client, type Page } from '../helpers/client.ts';
import { choose, federationRows, postToHub, startFedBed, type FedBed } from '../federation/fixture.ts';
import { OID } from '../federation/partner.ts';
import { ACCOUNT_TABLES, changedTables, rowCounts, SAML_OID, storeText, TRANSIENT } from './bed.ts';

/**
 * Issue 9 through another state's account (test/federation/partner.ts as Hamburg, whose trust
 * entry says `link_accounts: true`): "Temporär anmelden" links and creates nothing even then,
 * the portal gets a transient NameID, and the session rows go at the answer, at Abmelden and
 * at the timeout. On SQLite, or PostgreSQL with DATABASE_URL.
 */

let bed: FedBed;

test.before(async () => {
  bed = await startFedBed();
  // The portal "stadt" allows both kinds of login.
  const file = path.join(bed.dir, 'portals.yaml');
  const doc = parse(readFileSync(file, 'utf8')) as { portals: Record<string, unknown>[] };
  for (const p of doc.portals) if (p.id === 'stadt') p.accounts = 'both';
  writeFileSync(file, stringify(doc));
  await bed.setTrust();
  bed.hamburg.answer = () => ({
    classRef: 'STORK-QAA-Level-3',
    attributes: [
      { name: OID.givenName, values: ['Hein'], trustLevel: 'SUBSTANZIELL' },
      { name: OID.surname, values: ['Blöd'], trustLevel: 'SUBSTANZIELL' },
      { name: OID.birthdate, values: ['1970-03-04'], trustLevel: 'SUBSTANZIELL' },
      { name: OID.bpk2, values: ['hh-bpk2-4711'] },
    ],
  });
});
test.after.always(async () => {
  await bed?.close();
});

const BOOKKEEPING = [
  'audit_events',
  'federation_requests',
  'federation_results',
  'job_leases',
  'portal_login_counts',
  'replay_cache',
  'sessions',
  'throttle',
];
const PERSONAL = /Hein|Blöd|1970-03-04|hh-bpk2-4711/;

async function temporaryThroughHamburg(c: Client): Promise<Page> {
  let page = await c.get(await bed.portals.low.sp.getAuthorizeUrlAsync('antrag-hh', undefined, {}));
  if (!page.root.querySelector('form[action="/anmelden/temporaer"]')) throw new Error(`no temporary option: ${page.text.slice(0, 300)}`);
  page = await c.submit({}, '/anmelden/temporaer');
  // Only methods without an account: another state's account is one of them.
  if (page.root.querySelector('form[action="/anmelden/passwort"]')) throw new Error('password offered for a temporary login');
  const link = page.root.querySelectorAll('a').find((a) => a.textContent.includes('Land auswählen'));
  if (!link) throw new Error(`no "Land auswählen" on the temporary login page: ${page.text.slice(0, 400)}`);
  page = await c.get(link.getAttribute('href')!);
  await choose(c, page, 'Hamburg');
  return postToHub(c, bed.h.url);
}

async function liveTemporarySessions(): Promise<number> {
  return Number((await bed.h.hub.store.db('sessions').where('subject', 'like', 'tmp-%').count({ n: '*' }).first())?.n ?? 0);
}

test.serial(
  'a temporary login through a partner state with link_accounts: true stores nothing but session and audit rows; the portal gets a transient NameID',
  async (t) => {
    const before = await rowCounts(bed.h);
    const fedBefore = await federationRows(bed.h);
    const c = new Client(bed.h.url);
    let page = await temporaryThroughHamburg(c);
    t.regex(page.url, /\/anmelden\/einwilligung/, page.text.slice(0, 300));
    t.regex(page.text, /Hein/);
    t.regex(page.text, /eine nur für diese Anmeldung gültige Kennung/);
    t.notRegex(page.text, /Servicekonto mit diesen Daten anlegen/, 'the account offer follows eID logins only');
    t.is(await liveTemporarySessions(), 1);
    t.notRegex(await storeText(bed.h, ['sessions']), PERSONAL);

    page = await c.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
    await c.submit({}, bed.portals.low.acsUrl);
    const received = bed.portals.low.last('response')!;
    t.falsy(received.error, received.error?.message);
    const profile = received.profile!;
    t.is(profile.nameIDFormat, TRANSIENT);
    t.is(profile[SAML_OID.givenName], 'Hein');
    t.is(profile[SAML_OID.storkQaa], 'STORK-QAA-Level-3');
    t.is(received.relayState, 'antrag-hh');

    t.is(await liveTemporarySessions(), 0, 'ended once the answer went to the portal');
    t.deepEqual(await federationRows(bed.h), fedBefore, 'no federated account, although link_accounts is true');
    const after = await rowCounts(bed.h);
    const changed = changedTables(before, after);
    t.deepEqual(
      changed.filter((table) => !BOOKKEEPING.includes(table)),
      [],
      changed.join(', '),
    );
    for (const table of ACCOUNT_TABLES) t.is(after[table], before[table], `${table} unchanged`);
    t.notRegex(await storeText(bed.h), PERSONAL, 'no personal data anywhere in the store');

    // Another temporary login of the same citizen: another transient NameID.
    const c2 = new Client(bed.h.url);
    await temporaryThroughHamburg(c2);
    await c2.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
    await c2.submit({}, bed.portals.low.acsUrl);
    t.not(bed.portals.low.last('response')!.profile!.nameID, profile.nameID);
  },
);

test.serial('Abmelden and the timeout end a temporary partner login: its session rows are gone', async (t) => {
  let c = new Client(bed.h.url);
  await temporaryThroughHamburg(c);
  t.is(await liveTemporarySessions(), 1);
  await c.submit({}, '/abmelden');
  t.is(await liveTemporarySessions(), 0, 'Abmelden');

  c = new Client(bed.h.url);
  await temporaryThroughHamburg(c);
  t.is(await liveTemporarySessions(), 1);
  // Level substanziell (the partner's cap): 30 minutes without activity.
  bed.clock.advance(30 * MINUTE + 1000);
  t.teardown(() => bed.clock.advance(-(30 * MINUTE + 1000)));
  await bed.h.hub.scheduler.runDue();
  t.is(await liveTemporarySessions(), 0, 'timeout');
  t.notRegex(await storeText(bed.h), PERSONAL);
});

test.serial('with link_accounts: false a partner login outside "Temporär anmelden" stores nothing either (DECISIONS 8)', async (t) => {
  await bed.setTrust(bed.defaultEntries({ hamburg: { linkAccounts: false } }));
  t.teardown(() => bed.setTrust());
  const before = await rowCounts(bed.h);
  const c = new Client(bed.h.url);
  let page = await c.get(await bed.portals.substantial.sp.getAuthorizeUrlAsync('amt', undefined, {}));
  t.falsy(page.root.querySelector('form[action="/anmelden/temporaer"]'), 'portal "amt" is permanent');
  const link = page.root.querySelectorAll('a').find((a) => a.textContent.includes('Land auswählen'))!;
  page = await c.get(link.getAttribute('href')!);
  await choose(c, page, 'Hamburg');
  page = await postToHub(c, bed.h.url);
  await c.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
  await c.submit({}, bed.portals.substantial.acsUrl);
  const received = bed.portals.substantial.last('response')!;
  t.falsy(received.error, received.error?.message);
  const after = await rowCounts(bed.h);
  for (const table of ACCOUNT_TABLES) t.is(after[table], before[table], `${table} unchanged`);
  t.notRegex(await storeText(bed.h, ['sessions']), PERSONAL);
});
