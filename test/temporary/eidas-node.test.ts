import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { parse, stringify } from 'yaml';
import { MINUTE } from '../../src/core/clock.ts';
import { EidasNodeSimulator } from '../../src/federation/eidas-simulator/simulator.ts';
import { Client, type Page } from '../helpers/client.ts';
import { federationRows, startFedBed, type FedBed } from '../federation/fixture.ts';
import { OID } from '../federation/partner.ts';
import { ACCOUNT_TABLES, changedTables, rowCounts, SAML_OID, storeText, TRANSIENT } from './bed.ts';

/**
 * Issue 9 through the eIDAS node (the simulator of src/federation/eidas-simulator, trust entry
 * `kind: eidas` with `link_accounts: true`): "Temporär anmelden" offers the eIDAS method but
 * neither password nor Pass, the node answers with the Spanish test person, and after consent
 * the portal gets a transient NameID, the level and the data, while the store keeps no account,
 * no federated link, no consent and no personal value. The session rows go at the answer, at
 * Abmelden and at the TR-03160 timeout. On SQLite, or PostgreSQL with DATABASE_URL.
 */

let bed: FedBed;
let node: EidasNodeSimulator;

test.before(async () => {
  bed = await startFedBed();
  // The portal "stadt" (level low) allows both kinds of login.
  const file = path.join(bed.dir, 'portals.yaml');
  const doc = parse(readFileSync(file, 'utf8')) as { portals: Record<string, unknown>[] };
  for (const p of doc.portals) if (p.id === 'stadt') p.accounts = 'both';
  writeFileSync(file, stringify(doc));
  node = await EidasNodeSimulator.start({ hubUrl: bed.h.url, dir: path.join(os.tmpdir(), 'servicekonto-hub-test-eidas-keys-v1') });
  node.hubSigningCertPem = bed.hubCertPem;
  node.hubEncryptionCertPem = bed.h.hub.keys.saml.encryption[0]!.certificatePem!;
  // link_accounts: true, so that the temporary login has to store nothing even then; cap high.
  await bed.setTrust([...bed.defaultEntries(), node.trustEntry({ linkAccounts: true })]);
  node.answer = () => ({ person: 'es' });
});
test.after.always(async () => {
  await node?.close();
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
/** The Spanish test person's names, date and place of birth, address and PersonIdentifier. */
const PERSONAL = /Javier|García|López|1985-06-15|53377873W|Sevilla|Alcalá|28014|Madrid/;

/** Portal → "Temporär anmelden" → the eIDAS method → the node (answers at once) → the hub's ACS; returns the consent page. */
async function temporaryThroughEidas(c: Client): Promise<Page> {
  let page = await c.get(await bed.portals.low.sp.getAuthorizeUrlAsync('antrag-eu', undefined, {}));
  if (!page.root.querySelector('form[action="/anmelden/passwort"]')) throw new Error('the normal login page offers no password');
  if (!page.root.querySelector('form[action="/anmelden/temporaer"]')) throw new Error(`no temporary option: ${page.text.slice(0, 300)}`);
  page = await c.submit({}, '/anmelden/temporaer');
  if (!/Temporär anmelden/.test(page.text)) throw new Error(`not on the temporary login page: ${page.text.slice(0, 300)}`);
  // Only methods without an account: never password or the Pass.
  if (page.root.querySelector('form[action="/anmelden/passwort"]')) throw new Error('password offered for a temporary login');
  if (page.root.querySelector('section.method-pass')) throw new Error('the Pass offered for a temporary login');
  const link = page.root.querySelectorAll('section.method-eidas a').find((a) => a.textContent.includes('eIDAS'));
  if (!link) throw new Error(`no eIDAS method on the temporary login page: ${page.text.slice(0, 400)}`);
  const sent = node.requests.length;
  await c.get(link.getAttribute('href')!);
  const answer = await c.submit({}, node.ssoUrl);
  if (node.requests.length !== sent + 1) throw new Error('the node received no request');
  if (!/SAMLResponse/.test(answer.html)) throw new Error(`the node did not answer: ${answer.text.slice(0, 300)}`);
  return c.submit({}, `${bed.h.url}/saml/acs`);
}

async function liveTemporarySessions(): Promise<number> {
  return Number((await bed.h.hub.store.db('sessions').where('subject', 'like', 'tmp-%').count({ n: '*' }).first())?.n ?? 0);
}

test.serial(
  'a temporary login through the eIDAS node with link_accounts: true stores only bookkeeping rows and no personal value; the portal gets a transient NameID, the level and the data',
  async (t) => {
    const before = await rowCounts(bed.h);
    const fedBefore = await federationRows(bed.h);
    const c = new Client(bed.h.url);
    let page = await temporaryThroughEidas(c);
    t.regex(page.url, /\/anmelden\/einwilligung/, page.text.slice(0, 300));
    t.regex(page.text, /Javier/);
    t.regex(page.text, /García López/);
    t.regex(page.text, /eine nur für diese Anmeldung gültige Kennung/);
    t.notRegex(page.text, /Servicekonto mit diesen Daten anlegen/, 'the account offer follows eID logins only');
    t.is(c.sessionLevel(), 'hoch', 'the Spanish eID is high, and the entry caps at high');
    t.is(await liveTemporarySessions(), 1);
    t.notRegex(await storeText(bed.h, ['sessions']), PERSONAL, 'before consent: personal data in the session only');

    page = await c.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
    await c.submit({}, bed.portals.low.acsUrl);
    const received = bed.portals.low.last('response')!;
    t.falsy(received.error, received.error?.message);
    const profile = received.profile!;
    t.is(profile.nameIDFormat, TRANSIENT);
    t.is(received.relayState, 'antrag-eu');
    t.is(profile[SAML_OID.givenName], 'Javier');
    t.is(profile[SAML_OID.surname], 'García López');
    t.is(profile[OID.birthdate], '1985-06-15');
    t.is(profile[SAML_OID.storkQaa], 'STORK-QAA-Level-4');
    t.is(profile[SAML_OID.bpk2], 'EIDAS:ES/DE/53377873W');

    t.is(await liveTemporarySessions(), 0, 'ended once the answer went to the portal');
    t.deepEqual(await federationRows(bed.h), fedBefore, 'no federated account, although link_accounts is true');
    const after = await rowCounts(bed.h);
    const changed = changedTables(before, after);
    t.log(`changed tables on ${bed.h.hub.store.kind}: ${changed.join(', ')}`);
    t.deepEqual(
      changed.filter((table) => !BOOKKEEPING.includes(table)),
      [],
      changed.join(', '),
    );
    for (const table of ACCOUNT_TABLES) t.is(after[table], before[table], `${table} unchanged`);
    t.notRegex(await storeText(bed.h), PERSONAL, 'no personal value anywhere in the store');

    // The same person once more: another transient NameID, and still no account.
    const c2 = new Client(bed.h.url);
    await temporaryThroughEidas(c2);
    await c2.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
    await c2.submit({}, bed.portals.low.acsUrl);
    const again = bed.portals.low.last('response')!.profile!;
    t.is(again.nameIDFormat, TRANSIENT);
    t.not(again.nameID, profile.nameID);
    t.deepEqual(await federationRows(bed.h), fedBefore);
    t.notRegex(await storeText(bed.h), PERSONAL);
  },
);

test.serial('Abmelden and the TR-03160 timeout end a temporary eIDAS login: its session rows are gone', async (t) => {
  let c = new Client(bed.h.url);
  await temporaryThroughEidas(c);
  t.is(await liveTemporarySessions(), 1);
  await c.submit({}, '/abmelden');
  t.is(await liveTemporarySessions(), 0, 'Abmelden');
  t.notRegex(await storeText(bed.h), PERSONAL);

  c = new Client(bed.h.url);
  await temporaryThroughEidas(c);
  t.is(await liveTemporarySessions(), 1);
  // Level hoch: 5 minutes without activity, with no fallback to a lower level.
  bed.clock.advance(5 * MINUTE + 1000);
  t.teardown(() => bed.clock.advance(-(5 * MINUTE + 1000)));
  await bed.h.hub.scheduler.runDue();
  t.is(await liveTemporarySessions(), 0, 'timeout');
  t.notRegex(await storeText(bed.h), PERSONAL);
});
