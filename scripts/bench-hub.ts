/**
 * The hub under measurement, in a process of its own so `npm run bench` can read exactly its
 * CPU time. Started by scripts/bench.ts with the folder of the run, its port, the bench portal's
 * SP metadata and (for the brokered scenario) a trust.yaml naming the partner state as
 * arguments; prints its URL and certificates as one JSON line, answers `cpu` messages with
 * process.cpuUsage() and `refresh` messages by fetching every partner's metadata now.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { createHub, PROJECT_ROOT } from '../src/main.ts';

const dir = process.argv[2];
const port = Number(process.argv[3]);
const spMetadataFile = process.argv[4];
if (!dir || !port || !spMetadataFile) throw new Error('usage: bench-hub <dir> <port> <sp-metadata-file> [<trust-file>]');
mkdirSync(dir, { recursive: true });
// Without a trust file of the run's own, an empty one: never the operator's federation/trust.yaml.
let trustFile = process.argv[5];
if (!trustFile) {
  trustFile = path.join(dir, 'trust.yaml');
  writeFileSync(trustFile, 'partners: []\n');
}
const portalsFile = path.join(dir, 'portals.yaml');
// The Postkorb scenario: the bench portal may send, with a client of its own (it is SAML-only).
const postkorbSecret = randomBytes(32).toString('base64url');
const postkorbSecretFile = path.join(dir, 'postkorb.secret');
writeFileSync(postkorbSecretFile, `${postkorbSecret}\n`, { mode: 0o600 });
writeFileSync(
  portalsFile,
  [
    'portals:',
    '  - id: bench',
    '    name: { de: Bench-Portal, en: Bench portal }',
    '    attributes: [givenName, familyName, dateOfBirth, email]',
    '    saml:',
    `      metadataFile: ${JSON.stringify(spMetadataFile)}`,
    '    postkorb:',
    '      senderName: Bench-Behörde',
    '      rateLimit: { max: 1000000, windowMinutes: 1 }',
    '      client:',
    '        clientId: bench-postkorb',
    '        tokenEndpointAuthMethod: client_secret_basic',
    `        clientSecretFile: ${JSON.stringify(postkorbSecretFile)}`,
    '',
  ].join('\n'),
);

const url = `http://127.0.0.1:${port}`;
const hub = await createHub({
  root: PROJECT_ROOT,
  env: { DATABASE_URL: process.env.DATABASE_URL ?? '' },
  logger: pino({ level: 'silent' }),
  overrides: {
    server: { host: '127.0.0.1', port, publicUrl: url },
    store: { sqliteFile: path.join(dir, 'hub.sqlite') },
    keys: { dir: path.join(dir, 'keys') },
    mail: { outboxDir: path.join(dir, 'outbox') },
    federation: { portalsFile, trustFile },
    demo: { enabled: false },
    eid: { enabled: false },
    // Throttles are for attackers; the bench logs in from one address many times.
    throttle: {
      loginPerAddress: {
        freeAttempts: 1_000_000,
        baseDelaySeconds: 1,
        maxDelaySeconds: 1,
        lockAfter: 1_000_000,
        lockMinutes: 1,
        forgetAfterMinutes: 1,
      },
    },
    log: { level: 'silent' },
  },
});
await hub.listen();
process.on('message', (m) => {
  if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  if (m === 'refresh')
    hub.federation.refreshNow().then(
      async () => process.send?.({ refreshed: await hub.federation.status() }),
      (err: unknown) => process.send?.({ refreshed: [], error: String(err) }),
    );
  if (m === 'stop') void hub.close().then(() => process.exit(0));
});
process.stdout.write(
  `${JSON.stringify({
    url,
    certificatePem: hub.keys.saml.signing.certificatePem,
    encryptionCertificatePem: hub.keys.saml.encryption[0]?.certificatePem,
    postkorbSecret,
  })}\n`,
);
