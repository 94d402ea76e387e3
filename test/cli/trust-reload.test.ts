import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { freePort } from '../helpers/hub.ts';

/**
 * The running hub as an operator runs it (`node src/main.ts`, its own process): `hub trust
 * reload` and a plain SIGHUP (systemctl reload) re-read federation/trust.yaml and the portals
 * file; a broken file is refused with its problems in the log, and the previous version serves on.
 */

const run = promisify(execFile);

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  readonly env: NodeJS.ProcessEnv;
  log: string;
}

async function trustVersion(url: string): Promise<string> {
  const body = (await (await fetch(`${url}/healthz`)).json()) as { trust: { trustVersion: string; partners: number } };
  return body.trust.trustVersion;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function startHub(dir: string, trustFile: string): Promise<Running> {
  const port = await freePort();
  const config = path.join(dir, 'hub.yaml');
  writeFileSync(
    config,
    [
      `server: { host: 127.0.0.1, port: ${port}, publicUrl: "http://127.0.0.1:${port}", pidFile: ${JSON.stringify(path.join(dir, 'hub.pid'))} }`,
      `store: { databaseUrl: "", sqliteFile: ${JSON.stringify(path.join(dir, 'hub.sqlite'))} }`,
      `keys: { dir: ${JSON.stringify(path.join(dir, 'keys'))} }`,
      `mail: { smtpUrl: "", outboxDir: ${JSON.stringify(path.join(dir, 'outbox'))} }`,
      'eid: { enabled: false }',
      'demo: { enabled: false }',
      `federation: { portalsFile: ${JSON.stringify(path.join(dir, 'portals.yaml'))}, trustFile: ${JSON.stringify(trustFile)} }`,
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'portals.yaml'), 'portals: []\n');
  const env = { ...process.env, HUB_CONFIG: config, NODE_ENV: '', DATABASE_URL: '', PORT: '', PUBLIC_URL: '' };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const running: Running = { child, url: `http://127.0.0.1:${port}`, env, log: '' };
  child.stdout?.on('data', (d: Buffer) => (running.log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (running.log += d.toString()));
  await until('the hub to answer', async () => ((await fetch(`${running.url}/healthz`)).ok ? true : undefined), 60_000);
  return running;
}

test('trust reload and SIGHUP apply a new trust.yaml in the running hub; a broken one is refused and the old one serves', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skh-reload-'));
  const trustFile = path.join(dir, 'trust.yaml');
  writeFileSync(trustFile, 'partners: []\n');
  const hub = await startHub(dir, trustFile);
  try {
    const first = await trustVersion(hub.url);

    // An operator's edit, applied with the CLI (check first, then SIGHUP through the pid file).
    writeFileSync(trustFile, '# Hamburg follows next week\npartners: []\n');
    const cli = await run(process.execPath, ['--import', 'tsx', 'scripts/hub.ts', 'trust', 'reload'], { env: hub.env });
    t.regex(cli.stdout, /asked the hub \(pid \d+\) to reload/);
    const second = await until('the new version', async () => {
      const v = await trustVersion(hub.url);
      return v !== first ? v : undefined;
    });
    t.not(second, first);

    // A broken file: the CLI refuses to signal, naming file, line and key path ...
    writeFileSync(trustFile, 'partners:\n  - id: Hamburg!\n');
    const refused = await run(process.execPath, ['--import', 'tsx', 'scripts/hub.ts', 'trust', 'reload'], { env: hub.env }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    t.is(refused?.code, 1);
    t.regex(refused?.stderr ?? '', /trust\.yaml:2: partners\.0\.id/);
    // ... and a SIGHUP sent anyway (systemctl reload) is refused by the hub, which keeps serving the old one.
    hub.child.kill('SIGHUP');
    await until('the refusal in the log', async () => (/trust configuration refused/.test(hub.log) ? true : undefined));
    t.regex(hub.log, /partners\.0\.id/);
    t.is(await trustVersion(hub.url), second);
    t.true((await fetch(`${hub.url}/healthz`)).ok, 'the hub still serves');
  } finally {
    hub.child.kill('SIGTERM');
    await new Promise((r) => hub.child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});
