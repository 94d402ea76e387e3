import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';

const run = promisify(execFile);

async function hub(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/hub.ts', ...args], {
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('hub config check accepts the shipped configuration', async (t) => {
  const r = await hub(['config', 'check'], { HUB_CONFIG: '', NODE_ENV: '' });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /configuration is valid/);
});

test('hub config check names file, line, key path and reason for every problem in a broken file', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skh-cli-'));
  const file = path.join(dir, 'broken.yaml');
  writeFileSync(
    file,
    [
      'server:',
      '  port: achtzig',
      '  publicUrl: https://konto.example',
      'mail:',
      '  smtpHost: mail.example',
      'login:',
      '  passwordLoa: medium',
      '',
    ].join('\n'),
  );
  try {
    const r = await hub(['config', 'check'], { HUB_CONFIG: file, NODE_ENV: '' });
    t.is(r.code, 1);
    t.regex(
      r.stderr,
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: server\\.port: expected number, got the text "achtzig"`),
    );
    t.regex(r.stderr, /broken\.yaml:5: mail\.smtpHost: unknown key/);
    t.regex(r.stderr, /broken\.yaml:7: login\.passwordLoa: must be one of "basic", "low", got the text "medium"/);
    t.regex(r.stderr, /3 problem\(s\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hub config check applies the production rules', async (t) => {
  const r = await hub(['config', 'check'], { HUB_CONFIG: '', NODE_ENV: 'production', DATABASE_URL: '', SMTP_URL: '' });
  t.is(r.code, 1);
  t.regex(r.stderr, /server\.publicUrl: must be an https URL in production/);
  t.regex(r.stderr, /store\.databaseUrl: set DATABASE_URL/);
  t.regex(r.stderr, /mail\.smtpUrl: set SMTP_URL/);
});
