import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { loadEidCredentials, parseCertificates } from '../../../src/authn/eid/credentials.ts';
import { matchIdentity, normalizeName } from '../../../src/authn/eid/matching.ts';
import { ConfigError, formatConfigProblem } from '../../../src/core/errors.ts';
import { validatePersonalData } from '../../../src/core/personal-data.ts';
import { identity } from './fixtures.ts';

/** The matching rule for adding a card to an account, and the eID link's key files. */

const ERIKA = { givenName: 'ERIKA', familyName: 'MUSTERMANN', dateOfBirth: '1964-08-12' };

test('names are compared after normalisation: case, ß/ss, umlauts, accents, hyphens and blanks', (t) => {
  t.is(normalizeName('  Müller-Lüdenscheidt '), 'mueller luedenscheidt');
  t.is(normalizeName('MUELLER LUEDENSCHEIDT'), 'mueller luedenscheidt');
  t.is(normalizeName('Straße'), normalizeName('STRASSE'));
  t.is(normalizeName('José'), 'jose');
  t.is(normalizeName('d’Artagnan'), normalizeName("D'ARTAGNAN"));
  t.is(normalizeName('Mu\u0308ller'), normalizeName('Müller'), 'decomposed umlauts are the same');
});

test('a card matches when family name and date of birth are equal and the own given names are on it', (t) => {
  t.deepEqual(matchIdentity({ givenName: 'Erika', familyName: 'Mustermann', dateOfBirth: '1964-08-12' }, ERIKA), { ok: true });
  t.deepEqual(
    matchIdentity(
      { givenName: 'Anna', familyName: 'Bergmann', dateOfBirth: '1990-03-03' },
      { ...ERIKA, givenName: 'ANNA-LENA', familyName: 'BERGMANN', dateOfBirth: '1990-03-03' },
    ),
    { ok: true },
    'the first of several given names is enough',
  );
  t.deepEqual(
    matchIdentity({ ...ERIKA, givenName: 'Erika Maria' }, ERIKA),
    { ok: false, mismatched: ['givenName'] },
    'a given name not on the card',
  );
  t.deepEqual(matchIdentity({ ...ERIKA, familyName: 'Musterfrau' }, ERIKA), { ok: false, mismatched: ['familyName'] });
  t.deepEqual(matchIdentity({ ...ERIKA, dateOfBirth: '1964-08-13' }, ERIKA), { ok: false, mismatched: ['dateOfBirth'] });
  t.deepEqual(
    matchIdentity({ givenName: 'Erika' }, ERIKA),
    { ok: false, mismatched: ['familyName', 'dateOfBirth'] },
    'missing data never match',
  );
});

test('a card that knows only part of the date of birth matches on the parts it knows', (t) => {
  t.true(matchIdentity({ ...ERIKA, dateOfBirth: '1979-04-01' }, { ...ERIKA, dateOfBirth: '1979' }).ok);
  t.true(matchIdentity({ ...ERIKA, dateOfBirth: '1979-04-01' }, { ...ERIKA, dateOfBirth: '1979-04' }).ok);
  t.false(matchIdentity({ ...ERIKA, dateOfBirth: '1979-04-01' }, { ...ERIKA, dateOfBirth: '1980' }).ok);
  t.true(
    matchIdentity({ ...ERIKA, dateOfBirth: '1979' }, { ...ERIKA, dateOfBirth: '1979' }).ok,
    'a card replacing a card with a partial date',
  );
});

test('people without given names match only cards without given names', (t) => {
  t.true(matchIdentity({ familyName: 'X', dateOfBirth: '1970-01-01' }, { familyName: 'X', dateOfBirth: '1970-01-01' }).ok);
  t.false(matchIdentity({ familyName: 'X', dateOfBirth: '1970-01-01' }, { givenName: 'Y', familyName: 'X', dateOfBirth: '1970-01-01' }).ok);
});

// ---- key files --------------------------------------------------------------------------------

function files(dir: string) {
  return {
    serverCertificateFile: path.join(dir, 'server.crt'),
    serverSigningCertificateFile: '',
    clientKeyFile: path.join(dir, 'client.pem'),
    clientCertificateFile: path.join(dir, 'client.crt'),
  };
}

test('outside production with the simulator, missing keys and certificates are generated once', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eid-keys-'));
  try {
    const first = await loadEidCredentials({ files: files(dir), simulatorKeyFile: path.join(dir, 'server.pem'), generate: true });
    t.is(first.generated.length, 4);
    t.truthy(first.simulator);
    t.is(first.credentials.serverTls[0]!.fingerprint256, first.simulator!.certificate.fingerprint256, 'the hub pins the simulator');
    t.is(first.credentials.client.privateKey.asymmetricKeyDetails?.modulusLength, 3072);
    const again = await loadEidCredentials({ files: files(dir), simulatorKeyFile: path.join(dir, 'server.pem'), generate: true });
    t.is(again.generated.length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without generation (production, or a real eID-Server) missing files stop the start, naming file and key', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eid-keys-'));
  try {
    const err = await t.throwsAsync(loadEidCredentials({ files: files(dir), generate: false }), { instanceOf: ConfigError });
    const lines = (err as ConfigError).problems.map(formatConfigProblem);
    t.true(
      lines.some((l) => l.includes('client.pem') && l.includes('eid.clientKeyFile') && l.includes('key file missing')),
      lines.join('\n'),
    );
    t.true(lines.some((l) => l.includes('client.crt') && l.includes('eid.clientCertificateFile')));
    t.true(lines.some((l) => l.includes('server.crt') && l.includes('eid.serverCertificateFile')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a certificate of another key, a short RSA key and unreadable files are refused', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eid-keys-'));
  try {
    const [a, b] = await Promise.all([identity('a'), identity('b')]);
    const f = files(dir);
    writeFileSync(f.clientKeyFile, a.privateKeyPem);
    writeFileSync(f.clientCertificateFile, b.certificatePem);
    // Two pinned certificates in one file: both count (rollover).
    writeFileSync(f.serverCertificateFile, a.certificatePem + b.certificatePem);
    let err = await t.throwsAsync(loadEidCredentials({ files: f, generate: false }), { instanceOf: ConfigError });
    t.regex((err as ConfigError).message, /certificate does not belong to client\.pem/);

    writeFileSync(f.clientCertificateFile, a.certificatePem);
    const ok = await loadEidCredentials({ files: f, generate: false });
    t.is(ok.credentials.serverTls.length, 2);
    t.is(parseCertificates(readFileSync(f.serverCertificateFile, 'utf8')).length, 2);

    writeFileSync(f.clientKeyFile, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    err = await t.throwsAsync(loadEidCredentials({ files: f, generate: false }), { instanceOf: ConfigError });
    t.regex((err as ConfigError).message, /RSA key of at least 2048 bits/);

    writeFileSync(f.clientKeyFile, 'not a key');
    writeFileSync(f.serverCertificateFile, 'no certificate here');
    err = await t.throwsAsync(loadEidCredentials({ files: f, generate: false }), { instanceOf: ConfigError });
    t.regex((err as ConfigError).message, /unreadable key/);
    t.regex((err as ConfigError).message, /no PEM certificate in the file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('verified fields pass the personal-data check as they are; the others are still checked', (t) => {
  const input = {
    givenName: 'ERIKA',
    familyName: 'MUSTERMANN',
    dateOfBirth: '1979',
    street: 'RUE DE LA PAIX 1, PARIS',
    postalCode: '75002',
    locality: 'PARIS',
    email: 'erika@example.org',
  };
  const rules = { today: { year: 2026, month: 11, day: 23 }, minimumAge: 16 };
  t.false(validatePersonalData(input, rules).ok, 'typed by hand these would be refused');
  const trusted = new Set(['givenName', 'familyName', 'dateOfBirth', 'street', 'postalCode', 'locality'] as const);
  const result = validatePersonalData(input, { ...rules, trusted });
  t.true(result.ok);
  t.is(result.ok && result.value.dateOfBirth, '1979');
  const wrongEmail = validatePersonalData({ ...input, email: 'nope' }, { ...rules, trusted });
  t.deepEqual(!wrongEmail.ok && wrongEmail.errors, { email: 'email' });
});
