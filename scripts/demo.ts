/**
 * `npm run demo`: two states federating, on loopback, in one process.
 *
 *   Nordrhein-Westfalen  http://localhost:8080   the hub as `npm start` runs it, with the demo
 *                                                portal (http://localhost:8090) and the eID-Server
 *                                                simulator (8443/8444); trusts Hamburg through
 *                                                federation/demo/trust-nrw.yaml
 *   Hamburg              http://127.0.0.1:8081   a second instance of the same hub (its own SQLite
 *                                                file, keys and outbox under var/demo-hamburg/, no
 *                                                eID), whose one portal is NRW's hub
 *                                                (federation/demo/portals-hamburg.yaml)
 *   eIDAS node simulator http://127.0.0.1:8082   src/federation/eidas-simulator: test persons of
 *                                                other member states; keys under var/demo/eidas/
 *
 * The two trust each other through their published, signed /saml/metadata: NRW fetches
 * Hamburg's and checks it against the pinned certificate var/demo-hamburg/keys/saml-signing.crt;
 * Hamburg reads NRW's SP role from NRW's metadata, fetched into var/demo-hamburg/ before Hamburg
 * starts. Hamburg gets a confirmed demo account. Hamburg runs in a child process (this file with
 * `--hamburg`): the page frame (operator name in the header) is set per process. It is served as
 * 127.0.0.1 and NRW as localhost so that the browser keeps the two hubs' cookies apart.
 *
 * Keys, certificates, databases and metadata are generated under var/ (DECISIONS 10); the
 * committed files under federation/demo/ point there. When other ports or folders are asked for
 * (tests), copies of the committed files with those filled in are written into the folders.
 * Refused with NODE_ENV=production.
 */
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { hashPassword } from '../src/accounts/passwords.ts';
import { loadHubKeys } from '../src/config/keys.ts';
import { ConfigError, formatConfigProblem } from '../src/core/errors.ts';
import { EidasNodeSimulator } from '../src/federation/eidas-simulator/simulator.ts';
import { createHub, PROJECT_ROOT, type Hub } from '../src/main.ts';

export const DEMO_TRUST_FILE = 'federation/demo/trust-nrw.yaml';
export const DEMO_HAMBURG_PORTALS_FILE = 'federation/demo/portals-hamburg.yaml';
const NRW_PORTALS_FILE = 'federation/portals.yaml';
const NRW_METADATA_FILE = 'nrw-metadata.xml';

/** The demo citizen created at Hamburg at every start (when missing). */
export const HAMBURG_DEMO_ACCOUNT = {
  username: 'hamburg-demo',
  password: 'Alster-2026!',
  personal: {
    givenName: 'Hanna',
    familyName: 'Hansen',
    dateOfBirth: '1985-05-17',
    placeOfBirth: 'Hamburg',
    street: 'Jungfernstieg 1',
    postalCode: '20354',
    locality: 'Hamburg',
    email: 'hanna.hansen@example.org',
  },
} as const;

/** What the committed files say; a start with other values writes filled-in copies. */
const DEFAULTS = {
  nrwPort: 8080,
  hamburgPort: 8081,
  portalPort: 8090,
  eidasPort: 8082,
  nrwDir: 'var/demo',
  hamburgDir: 'var/demo-hamburg',
} as const;

export interface DemoOptions {
  /** Project folder (config/default.yaml, federation/); default: this checkout. */
  readonly root?: string;
  readonly nrwPort?: number;
  readonly hamburgPort?: number;
  readonly portalPort?: number;
  readonly eidasPort?: number;
  /** NRW's store, keys, outbox and the demo portal's keys (relative to root or absolute). */
  readonly nrwDir?: string;
  /** Hamburg's store, keys, outbox and NRW's metadata. */
  readonly hamburgDir?: string;
  /** Run NRW's eID-Server simulator (on the ports of config/default.yaml); default true. */
  readonly nrwEid?: boolean;
  /** Log level of both hubs (JSON lines on stdout); default: config/default.yaml's. */
  readonly logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** What the parent tells the Hamburg child process. */
interface HamburgSettings {
  readonly root: string;
  readonly hamburgPort: number;
  readonly hamburgUrl: string;
  readonly hamburgDir: string;
  readonly portalsFile: string;
  readonly logLevel?: DemoOptions['logLevel'];
}

type ChildMessage = { readonly type: 'ready'; readonly created: boolean } | { readonly type: 'failed'; readonly message: string };

export interface RunningDemo {
  readonly nrw: Hub;
  readonly nrwUrl: string;
  readonly hamburgUrl: string;
  readonly portalUrl: string;
  readonly eidasUrl: string;
  readonly account: { readonly username: string; readonly password: string; readonly created: boolean };
  close(): Promise<void>;
}

/**
 * The committed file as is when the defaults are in effect, otherwise a copy with the URLs and
 * folders replaced, written into `intoDir`. Returns the file the hub should read.
 */
function configFile(root: string, committed: string, replacements: readonly (readonly [string, string])[], intoDir: string): string {
  const text = readFileSync(path.join(root, committed), 'utf8');
  let out = text;
  for (const [from, to] of replacements) if (from !== to) out = out.split(from).join(to);
  if (out === text) return committed;
  const file = path.join(intoDir, path.basename(committed));
  writeFileSync(file, out);
  return file;
}

/** Registers and confirms the demo account at Hamburg, as a citizen would through the outbox link. */
async function ensureDemoAccount(hamburg: Hub, outboxDir: string): Promise<boolean> {
  const a = HAMBURG_DEMO_ACCOUNT;
  if (await hamburg.accounts.isUsernameTaken(a.username)) return false;
  const before = new Set(existsSync(outboxDir) ? readdirSync(outboxDir) : []);
  const result = await hamburg.accounts.register({
    personal: a.personal,
    username: a.username,
    passwordHash: await hashPassword(a.password),
    lang: 'de',
  });
  if (!result.ok) throw new Error(`the demo account could not be registered at Hamburg: ${result.problem}`);
  await hamburg.accounts.settled();
  // The confirmation mail is in Hamburg's file outbox; its link carries the single-use token.
  for (const name of readdirSync(outboxDir).filter((f) => f.endsWith('.eml') && !before.has(f))) {
    const mail = readFileSync(path.join(outboxDir, name), 'utf8')
      .replace(/=\r?\n/g, '')
      .replace(/=3D/gi, '=');
    const token = /\/registrieren\/bestaetigen\?t=([^\s"<>&]+)/.exec(mail)?.[1];
    if (token === undefined) continue;
    const check = await hamburg.accounts.confirmRegistration(decodeURIComponent(token));
    if (check.ok) return true;
  }
  throw new Error('the demo account at Hamburg could not be confirmed: no confirmation mail in its outbox');
}

/** Hamburg's hub, in this (child) process. */
async function runHamburg(s: HamburgSettings): Promise<Hub> {
  const hub = await createHub({
    root: s.root,
    env: { ...process.env, HUB_CONFIG: '' },
    ...(s.logLevel ? { logger: pino({ level: s.logLevel }) } : {}),
    overrides: {
      server: { host: '127.0.0.1', port: s.hamburgPort, publicUrl: s.hamburgUrl, pidFile: path.join(s.hamburgDir, 'hub.pid') },
      store: { databaseUrl: '', sqliteFile: path.join(s.hamburgDir, 'hamburg.sqlite') },
      keys: { dir: path.join(s.hamburgDir, 'keys') },
      mail: { smtpUrl: '', outboxDir: path.join(s.hamburgDir, 'outbox') },
      web: { operatorName: 'Servicekonto Hamburg' },
      // Its own cookie name as well, although the host (127.0.0.1) already keeps it apart.
      session: { cookieName: 'skh_session_hh' },
      eid: { enabled: false },
      demo: { enabled: false },
      federation: { portalsFile: s.portalsFile, trustFile: 'federation/trust.yaml' },
    },
  });
  await hub.listen();
  return hub;
}

interface HamburgProcess {
  readonly created: boolean;
  close(): Promise<void>;
}

/** Starts Hamburg in a child process and waits until it listens and has its demo account. */
async function forkHamburg(settings: HamburgSettings): Promise<HamburgProcess> {
  const child = fork(import.meta.filename, ['--hamburg'], {
    cwd: settings.root,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const message = await new Promise<ChildMessage>((ok, fail) => {
    child.once('message', (m) => ok(m as ChildMessage));
    child.once('exit', (code) => fail(new Error(`Hamburg's process ended at start (exit code ${String(code)})`)));
    child.send(settings);
  });
  if (message.type === 'failed') {
    child.kill();
    await exited;
    throw new Error(`Hamburg could not start: ${message.message}`);
  }
  return {
    created: message.created,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.disconnect();
      await exited;
    },
  };
}

/** The child side: `scripts/demo.ts --hamburg`, settings by IPC; ends when the parent disconnects. */
function hamburgChild(): void {
  process.once('message', (m) => {
    const settings = m as HamburgSettings;
    void (async () => {
      let hub: Hub | undefined;
      try {
        hub = await runHamburg(settings);
        const created = await ensureDemoAccount(hub, path.resolve(settings.root, settings.hamburgDir, 'outbox'));
        process.send?.({ type: 'ready', created } satisfies ChildMessage);
      } catch (err) {
        const message = err instanceof ConfigError ? err.problems.map(formatConfigProblem).join('; ') : (err as Error).message;
        process.send?.({ type: 'failed', message } satisfies ChildMessage);
        await hub?.close().catch(() => undefined);
        process.exit(1);
      }
      const h = hub;
      process.once('disconnect', () => {
        h.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      });
      // Ctrl-C reaches the whole process group; the parent disconnects when it has closed NRW.
      process.on('SIGINT', () => undefined);
    })();
  });
}

export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const env = options.env ?? process.env;
  if (env.NODE_ENV === 'production') {
    throw new Error('npm run demo is for development only and refuses to run with NODE_ENV=production');
  }
  const root = options.root ?? PROJECT_ROOT;
  const nrwPort = options.nrwPort ?? DEFAULTS.nrwPort;
  const hamburgPort = options.hamburgPort ?? DEFAULTS.hamburgPort;
  const portalPort = options.portalPort ?? DEFAULTS.portalPort;
  const eidasPort = options.eidasPort ?? DEFAULTS.eidasPort;
  const nrwDir = options.nrwDir ?? DEFAULTS.nrwDir;
  const hamburgDir = options.hamburgDir ?? DEFAULTS.hamburgDir;
  const abs = (p: string): string => (path.isAbsolute(p) ? p : path.join(root, p));
  mkdirSync(abs(nrwDir), { recursive: true, mode: 0o700 });
  mkdirSync(abs(hamburgDir), { recursive: true, mode: 0o700 });

  const nrwUrl = `http://localhost:${nrwPort}`;
  const hamburgUrl = `http://127.0.0.1:${hamburgPort}`;
  const portalUrl = `http://localhost:${portalPort}`;
  // Longest first, so that var/demo/ never touches var/demo-hamburg/.
  const replacements = [
    [`http://localhost:${DEFAULTS.nrwPort}`, nrwUrl],
    [`http://127.0.0.1:${DEFAULTS.hamburgPort}`, hamburgUrl],
    [`http://localhost:${DEFAULTS.portalPort}`, portalUrl],
    [`http://127.0.0.1:${DEFAULTS.eidasPort}`, `http://127.0.0.1:${eidasPort}`],
    [`${DEFAULTS.hamburgDir}/`, `${hamburgDir}/`],
    [`${DEFAULTS.nrwDir}/`, `${nrwDir}/`],
  ] as const;

  // Hamburg's keys and the eIDAS node first: NRW's trust file pins their metadata signing certificates.
  await loadHubKeys(path.join(abs(hamburgDir), 'keys'), { production: false, commonName: '127.0.0.1' });
  const eidas = await EidasNodeSimulator.start({ hubUrl: nrwUrl, dir: path.join(abs(nrwDir), 'eidas'), port: eidasPort, env });

  const nrw = await createHub({
    root,
    env: { ...env, HUB_CONFIG: '' },
    ...(options.logLevel ? { logger: pino({ level: options.logLevel }) } : {}),
    overrides: {
      server: { host: '127.0.0.1', port: nrwPort, publicUrl: nrwUrl, pidFile: path.join(nrwDir, 'hub.pid') },
      store: { databaseUrl: '', sqliteFile: path.join(nrwDir, 'nrw.sqlite') },
      keys: { dir: path.join(nrwDir, 'keys') },
      mail: { smtpUrl: '', outboxDir: path.join(nrwDir, 'outbox') },
      web: { operatorName: 'Servicekonto Nordrhein-Westfalen' },
      eid: { enabled: options.nrwEid ?? true },
      demo: { enabled: true, port: portalPort, publicUrl: portalUrl, dir: nrwDir },
      federation: {
        portalsFile: configFile(root, NRW_PORTALS_FILE, replacements, abs(nrwDir)),
        trustFile: configFile(root, DEMO_TRUST_FILE, replacements, abs(nrwDir)),
      },
    },
  });
  let hamburg: HamburgProcess | undefined;
  try {
    await nrw.listen();
    // The node checks NRW's requests and encrypts to NRW with the certificates NRW publishes.
    await eidas.trustHubMetadata();
    // NRW's published, signed metadata (both roles); Hamburg registers NRW's SP role as a portal.
    const res = await fetch(`${nrwUrl}/saml/metadata`);
    if (!res.ok) throw new Error(`NRW's metadata: HTTP ${res.status}`);
    writeFileSync(path.join(abs(hamburgDir), NRW_METADATA_FILE), await res.text());

    hamburg = await forkHamburg({
      root,
      hamburgPort,
      hamburgUrl,
      hamburgDir,
      portalsFile: configFile(root, DEMO_HAMBURG_PORTALS_FILE, replacements, abs(hamburgDir)),
      ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    });
    // Now that Hamburg answers, NRW fetches and checks its metadata at once.
    await nrw.federation.refreshNow();
    if (nrw.federation.metadata.current('hamburg') === undefined) {
      throw new Error(`NRW could not use Hamburg's metadata (${hamburgUrl}/saml/metadata); see the log above`);
    }
    if (nrw.federation.metadata.current('eidas') === undefined) {
      throw new Error(`NRW could not use the eIDAS node simulator's metadata (${eidas.metadataUrl}); see the log above`);
    }
    const h = hamburg;
    return {
      nrw,
      nrwUrl,
      hamburgUrl,
      portalUrl,
      eidasUrl: eidas.url,
      account: { username: HAMBURG_DEMO_ACCOUNT.username, password: HAMBURG_DEMO_ACCOUNT.password, created: h.created },
      async close() {
        await h.close();
        await nrw.close();
        await eidas.close();
      },
    };
  } catch (err) {
    await hamburg?.close().catch(() => undefined);
    await nrw.close().catch(() => undefined);
    await eidas.close().catch(() => undefined);
    throw err;
  }
}

/** The text `npm run demo` prints: where to go and what to click. */
export function instructions(d: RunningDemo): string {
  return [
    '',
    'Two states federating (npm run demo; development only)',
    `  Nordrhein-Westfalen  ${d.nrwUrl}/   (trust file ${DEMO_TRUST_FILE})`,
    `  Hamburg              ${d.hamburgUrl}/   (portals file ${DEMO_HAMBURG_PORTALS_FILE})`,
    `  Demo portal          ${d.portalUrl}/   (a portal of NRW)`,
    `  Demo account at Hamburg: username "${d.account.username}", password "${d.account.password}"` +
      (d.account.created ? ' (created and confirmed now)' : ' (exists from an earlier start)'),
    `  eIDAS node           ${d.eidasUrl}/   (simulator: test persons of other EU member states)`,
    '',
    `Open ${d.portalUrl}/ and:`,
    '  1. Leave the level at "niedrig" and press "Login via SAML" (or "Login via OIDC").',
    '  2. At Nordrhein-Westfalen, under "Anmelden mit anderem deutschen Nutzerkonto", press "Land auswählen", then "Hamburg".',
    `  3. At Hamburg, log in with username "${d.account.username}" and the password above.`,
    '  4. Hamburg asks your consent, naming the demo portal: "Zustimmen und Daten übermitteln"',
    '     (NRW does not ask again: its trust entry says consent: partner, DECISIONS 7).',
    "  5. Back at the demo portal: Hamburg's data and the level NRW believes, niedrig (a password login;",
    '     NRW caps whatever Hamburg claims at substanziell).',
    'A citizen of another EU member state:',
    '  1. At the demo portal choose the level "hoch" and press "Login via SAML".',
    '  2. At Nordrhein-Westfalen press "Weiter zur Anmeldung mit eIDAS" (Anmelden mit einem ausländischen eID-Mittel).',
    '  3. At the eIDAS node simulator choose a test person, e.g. Javier García López (Spain, hoch), and agree.',
    '  4. NRW asks your consent; the demo portal shows the data from the node, AssertionProvedBy eIDAS.',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  let demo: RunningDemo;
  try {
    demo = await startDemo();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`The demo cannot start:\n${err.problems.map((p) => `  ${formatConfigProblem(p)}`).join('\n')}\n`);
    } else {
      process.stderr.write(`The demo cannot start: ${(err as Error).message}\n`);
    }
    process.exit(1);
  }
  process.stdout.write(instructions(demo) + '\n');
  const stop = (): void => {
    demo.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  if (process.argv[2] === '--hamburg') hamburgChild();
  else void main();
}
