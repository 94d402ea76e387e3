import { execFile } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import test, { type ExecutionContext } from 'ava';
import { stringify } from 'yaml';
import { selfSignedCertificate } from '../../src/config/keys.ts';
import { openStore } from '../../src/store/db.ts';
import { newTestDatabase } from '../helpers/database.ts';
import { recordMetadataError, saveMetadata } from '../../src/store/federation.ts';
import { OID, TestPartner } from './partner.ts';

/**
 * `hub trust check` on federation/trust.yaml: a good configuration, and broken ones, each problem
 * with file, line, key path and reason, exit code 1. `hub trust status` reads the store.
 */

const run = promisify(execFile);

let partner: TestPartner;
let other: TestPartner;
let dir: string;
let weakCert: string;

test.before(async () => {
  [partner, other] = await Promise.all([
    TestPartner.start({ hubUrl: 'https://hub.example', keyName: 'hamburg' }),
    TestPartner.start({ hubUrl: 'https://hub.example', keyName: 'bremen' }),
  ]);
  dir = mkdtempSync(path.join(os.tmpdir(), 'skh-trust-cli-'));
  writeFileSync(path.join(dir, 'portals.yaml'), 'portals: []\n');
  writeFileSync(path.join(dir, 'good.xml'), partner.buildMetadata({}));
  writeFileSync(path.join(dir, 'unpinned.xml'), partner.buildMetadata({ signerKeyPem: other.keys.metadata.keyPem }));
  writeFileSync(path.join(dir, 'expired.xml'), partner.buildMetadata({ validUntil: Date.now() - 3600_000 }));
  writeFileSync(path.join(dir, 'aggregate.xml'), partner.buildMetadata({ aggregate: true }));
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  weakCert = path.join(dir, 'weak.crt');
  writeFileSync(weakCert, await selfSignedCertificate(createPrivateKey(weak), 'weak'));
});
test.after.always(async () => {
  await Promise.all([partner?.close(), other?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function entry(o: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'hamburg',
    name: { de: 'Hamburg', en: 'Hamburg' },
    metadata: { file: path.join(dir, 'good.xml'), entityId: partner.entityId, certificates: [partner.keys.metadata.certFile], ...metadata },
    link_accounts: true,
    identifierPrefix: 'HH',
    attributes: { [OID.givenName]: 'givenName', [OID.surname]: 'familyName' },
    loa: { map: { 'STORK-QAA-Level-3': 'substantial' }, cap: 'substantial' },
    ...o,
  };
}

let runs = 0;
async function hub(
  args: string[],
  partners: unknown[],
  extra = '',
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string; file: string }> {
  runs += 1;
  const file = path.join(dir, `trust-${runs}.yaml`);
  const cfg = path.join(dir, `hub-${runs}.yaml`);
  writeFileSync(file, stringify({ partners }));
  writeFileSync(
    cfg,
    `federation:\n  portalsFile: ${JSON.stringify(path.join(dir, 'portals.yaml'))}\n  trustFile: ${JSON.stringify(file)}\n` +
      `demo:\n  enabled: false\neid:\n  enabled: false\n${extra}`,
  );
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/hub.ts', ...args], {
      env: { ...process.env, HUB_CONFIG: cfg, NODE_ENV: '', ...env },
    });
    return { code: 0, stdout, stderr, file };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, file };
  }
}

function problemAt(t: ExecutionContext, r: { stderr: string; file: string }, keyPath: string, reason: RegExp): void {
  const lines = r.stderr.split('\n');
  t.true(
    lines.some(
      (l) =>
        new RegExp(`^${r.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: ${keyPath.replace(/\./g, '\\.')}: `).test(l) && reason.test(l),
    ),
    `expected ${keyPath} ${reason}\n${r.stderr}`,
  );
}

test('trust check accepts a good trust.yaml: pinned signature, validUntil, an entity picked from an aggregate by entityID', async (t) => {
  const aggregate = path.join(dir, 'aggregate.xml');
  const good = await hub(
    ['trust', 'check'],
    [entry(), entry({ id: 'nachbar', identifierPrefix: 'NB' }, { file: aggregate, entityId: 'https://other-state.example/saml/metadata' })],
  );
  t.is(good.code, 0, good.stderr);
  t.regex(good.stdout, /trust configuration is valid/);
  t.regex(good.stdout, /2 partner\(s\)/);
});

test('trust check refuses an entityID the aggregate does not hold', async (t) => {
  const r = await hub(
    ['trust', 'check'],
    [
      entry(),
      entry({ id: 'nachbar', identifierPrefix: 'NB' }, { file: path.join(dir, 'aggregate.xml'), entityId: 'https://elsewhere.example/md' }),
    ],
  );
  t.is(r.code, 1);
  problemAt(t, r, 'partners.1.metadata.file', /no EntityDescriptor with entityID https:\/\/elsewhere\.example\/md/);
});

test('trust check refuses metadata signed by a key that is not pinned, and expired metadata', async (t) => {
  const r = await hub(
    ['trust', 'check'],
    [
      entry({}, { file: path.join(dir, 'unpinned.xml') }),
      entry({ id: 'bremen', identifierPrefix: 'HB' }, { file: path.join(dir, 'expired.xml'), entityId: `${partner.entityId}` }),
    ],
  );
  t.is(r.code, 1);
  problemAt(t, r, 'partners.0.metadata.file', /unpinned\.xml: signature refused/);
  problemAt(t, r, 'partners.1.metadata.entityId', /duplicate entityID/);
  t.regex(r.stderr, /problem\(s\) in the trust configuration/);
  const expired = await hub(['trust', 'check'], [entry({}, { file: path.join(dir, 'expired.xml') })]);
  t.is(expired.code, 1);
  problemAt(t, expired, 'partners.0.metadata.file', /expired/);
});

test('trust check lists schema problems, duplicates and FINK violations with file, line and key path', async (t) => {
  const r = await hub(
    ['trust', 'check'],
    [
      entry({ loa: { map: { 'STORK-QAA-Level-3': 'substantial' }, cap: 'medium' } }),
      entry({ attributes: { [OID.personIdentifier]: 'givenName', [OID.bpk2]: 'familyName' } }),
      entry({ id: 'Bremen!', name: { de: 'Bremen' } }),
      entry(
        { id: 'nrw', identifierPrefix: 'NRW' },
        { url: 'http://metadata.nrw.example/md', file: undefined, entityId: 'https://nrw.example' },
      ),
      entry(
        { id: 'sachsen', identifierPrefix: 'SN' },
        { file: path.join(dir, 'missing.xml'), entityId: 'https://sn.example', certificates: [path.join(dir, 'missing.crt')] },
      ),
      entry({ id: 'bayern', identifierPrefix: 'BY' }, { entityId: 'https://by.example', certificates: [weakCert] }),
    ],
  );
  t.is(r.code, 1);
  problemAt(t, r, 'partners.0.loa.cap', /basic.*low.*substantial.*high/);
  problemAt(t, r, `partners.1.attributes.${OID.personIdentifier}`, /PersonIdentifier is never taken from a partner/);
  problemAt(t, r, `partners.1.attributes.${OID.bpk2}`, /identifierAttribute/);
  problemAt(t, r, 'partners.2.id', /lower-case letters/);
  problemAt(t, r, 'partners.2.name.en', /.+/);
  problemAt(t, r, 'partners.3.metadata.url', /http is allowed only for loopback hosts/);
  problemAt(t, r, 'partners.4.metadata.file', /file not found/);
  problemAt(t, r, 'partners.4.metadata.certificates.0', /file not found/);
  problemAt(t, r, 'partners.5.metadata.certificates.0', /1024 bits; at least 2048/);
});

test('trust check finds a duplicate partner id and identifier prefix', async (t) => {
  const r = await hub(['trust', 'check'], [entry(), entry({}, { entityId: 'https://x.example' })]);
  t.is(r.code, 1);
  problemAt(t, r, 'partners.1.id', /duplicate partner id "hamburg"/);
  problemAt(t, r, 'partners.1.identifierPrefix', /duplicate identifier prefix "HH"/);
});

test('trust status shows per partner the metadata in use, validUntil and the last error; exit 1 when one is unusable', async (t) => {
  const sqlite = path.join(dir, 'status.sqlite');
  // SQLite, or the PostgreSQL of the test run (a schema of its own).
  const database = newTestDatabase();
  const store = await openStore({ databaseUrl: database.databaseUrl, sqliteFile: sqlite, schema: database.schema });
  const now = Date.now();
  try {
    await saveMetadata(store.db, {
      partnerId: 'hamburg',
      entityId: partner.entityId,
      source: 'url',
      xml: partner.metadata,
      digest: 'abc',
      etag: '"1"',
      lastModified: null,
      fetchedAt: now - 60_000,
      validUntil: now + 86_400_000,
      useUntil: now + 86_400_000,
      nextRefreshAt: now + 3_600_000,
      checkedAt: now - 60_000,
      lastAttemptAt: now,
    });
    await recordMetadataError(store.db, 'hamburg', 'fetch failed: https://hh.example/md: HTTP 503', now, now + 300_000);
  } finally {
    await store.close();
  }
  const partners = [entry(), entry({ id: 'bremen', identifierPrefix: 'HB' }, { entityId: 'https://hb.example' })];
  const storeConfig = `store:\n  sqliteFile: ${JSON.stringify(sqlite)}\n${database.schema ? `  schema: ${database.schema}\n` : ''}`;
  let r;
  try {
    r = await hub(['trust', 'status'], partners, storeConfig, { DATABASE_URL: database.databaseUrl });
  } finally {
    await database.drop();
  }
  t.is(r.code, 1, r.stderr);
  t.regex(r.stdout, /hamburg \(state, enabled\): usable, cap substantial/);
  t.regex(r.stdout, /validUntil\s+\d{4}-\d\d-\d\dT/);
  t.regex(r.stdout, /last error\s+fetch failed: https:\/\/hh\.example\/md: HTTP 503/);
  t.regex(r.stdout, /bremen \(state, enabled\): NOT USABLE/);
});
