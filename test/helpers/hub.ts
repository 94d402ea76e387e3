import { cpSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadHubKeys } from '../../src/config/keys.ts';
import { loadEidCredentials } from '../../src/authn/eid/credentials.ts';
import { createHub, PROJECT_ROOT, type Hub } from '../../src/main.ts';
import { deepMerge } from '../../src/config/load.ts';
import { TestClock } from './clock.ts';
import { newTestDatabase, type TestDatabase } from './database.ts';
import { Outbox } from './outbox.ts';

export interface TestHub {
  readonly hub: Hub;
  readonly url: string;
  readonly clock: TestClock;
  readonly outbox: Outbox;
  readonly database: TestDatabase;
  readonly dir: string;
  close(): Promise<void>;
}

/** Development keys are slow to generate; every test hub copies one set made once per machine. */
async function sharedKeysDir(): Promise<string> {
  const dir = path.join(os.tmpdir(), 'servicekonto-hub-test-keys-v2');
  if (!existsSync(dir)) {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'skh-keys-'));
    await loadHubKeys(tmp, { production: false, commonName: '127.0.0.1' });
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another test file was quicker
    }
  }
  return dir;
}

/** The eID link's development keys (hub client, simulator), likewise made once per machine. */
export const EID_FILES = {
  serverCertificateFile: 'eid-server.crt',
  simulatorKeyFile: 'eid-server.pem',
  clientKeyFile: 'hub-client.pem',
  clientCertificateFile: 'hub-client.crt',
} as const;

async function sharedEidDir(): Promise<string> {
  const dir = path.join(os.tmpdir(), 'servicekonto-hub-test-eid-v1');
  if (!existsSync(dir)) {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'skh-eid-'));
    const f = (name: string): string => path.join(tmp, name);
    await loadEidCredentials({
      files: {
        serverCertificateFile: f(EID_FILES.serverCertificateFile),
        serverSigningCertificateFile: '',
        clientKeyFile: f(EID_FILES.clientKeyFile),
        clientCertificateFile: f(EID_FILES.clientCertificateFile),
      },
      simulatorKeyFile: f(EID_FILES.simulatorKeyFile),
      generate: true,
    });
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return dir;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TestHubOptions {
  readonly overrides?: unknown;
  readonly clock?: TestClock;
  /** Reuse a database (two hub processes on one store). */
  readonly database?: TestDatabase;
  /** Reuse a folder (keys, SQLite file, outbox) of another test hub. */
  readonly dir?: string;
  /**
   * Host name of the public URL (the hub still listens on 127.0.0.1). WebAuthn needs a domain as
   * RP ID and a secure context: `localhost` is both, an IP address is neither.
   */
  readonly publicHost?: string;
}

/** A whole hub on an ephemeral loopback port, with a test clock, its own store and outbox. */
export async function startTestHub(options: TestHubOptions = {}): Promise<TestHub> {
  const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), 'skh-test-'));
  const keysDir = path.join(dir, 'keys');
  if (!existsSync(keysDir)) cpSync(await sharedKeysDir(), keysDir, { recursive: true });
  const eidDir = path.join(dir, 'eid');
  if (!existsSync(eidDir)) cpSync(await sharedEidDir(), eidDir, { recursive: true });
  const port = await freePort();
  const url = `http://${options.publicHost ?? '127.0.0.1'}:${port}`;
  const clock = options.clock ?? new TestClock();
  const database = options.database ?? newTestDatabase();
  const base = {
    server: { host: '127.0.0.1', port, publicUrl: url },
    store: {
      databaseUrl: database.databaseUrl,
      sqliteFile: path.join(dir, 'hub.sqlite'),
      ...(database.schema ? { schema: database.schema } : {}),
    },
    keys: { dir: keysDir },
    mail: { outboxDir: path.join(dir, 'outbox') },
    // The eID-Server simulator on free loopback ports, with keys of this test hub's own.
    eid: {
      serverCertificateFile: path.join(eidDir, EID_FILES.serverCertificateFile),
      clientKeyFile: path.join(eidDir, EID_FILES.clientKeyFile),
      clientCertificateFile: path.join(eidDir, EID_FILES.clientCertificateFile),
      simulator: { serverPort: 0, clientPort: 0, keyFile: path.join(eidDir, EID_FILES.simulatorKeyFile) },
      // Every test reads cards from 127.0.0.1; the throttle has a test of its own.
      startsPerAddress: { max: 1000, windowMinutes: 60 },
    },
    // No demo portal, and no portals unless a test writes this file (or overrides the key).
    demo: { enabled: false },
    federation: { portalsFile: path.join(dir, 'portals.yaml'), trustFile: path.join(dir, 'trust.yaml') },
    // The tests drive jobs themselves with runDue(); the timer must not race them.
    jobs: { intervalSeconds: 3600 },
    log: { level: 'silent' },
  };
  const logger = process.env.HUB_TEST_LOG ? pino({ level: 'debug' }, process.stderr) : undefined;
  const hub = await createHub({
    root: PROJECT_ROOT,
    env: {},
    clock,
    overrides: deepMerge(base, options.overrides ?? {}),
    ...(logger ? { logger } : {}),
  });
  await hub.listen();
  return {
    hub,
    url,
    clock,
    outbox: new Outbox(path.join(dir, 'outbox')),
    database,
    dir,
    async close() {
      await hub.close();
      if (!options.database) await database.drop();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
