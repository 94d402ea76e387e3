import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';

const run = promisify(execFile);

async function trustCheck(
  portalsYaml: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string; file: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skh-trust-'));
  const file = path.join(dir, 'portals.yaml');
  const cfg = path.join(dir, 'hub.yaml');
  writeFileSync(file, portalsYaml);
  writeFileSync(cfg, `federation:\n  portalsFile: ${JSON.stringify(file)}\ndemo:\n  enabled: false\neid:\n  enabled: false\n`);
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/hub.ts', 'trust', 'check'], {
      env: { ...process.env, HUB_CONFIG: cfg, NODE_ENV: '', ...env },
    });
    return { code: 0, stdout, stderr, file };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, file };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('trust check accepts a correct portals file', async (t) => {
  const r = await trustCheck(
    [
      'portals:',
      '  - id: stadt-musterhausen',
      '    name: { de: Stadt Musterhausen, en: Town of Musterhausen }',
      '    minLoa: substantial',
      '    attributes: [givenName, familyName]',
      '    oidc:',
      '      clientId: musterhausen',
      '      clientSecretEnv: MUSTERHAUSEN_SECRET',
      '      redirectUris: [https://portal.musterhausen.example/callback]',
      '',
    ].join('\n'),
    { MUSTERHAUSEN_SECRET: 'x'.repeat(40) },
  );
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /trust configuration is valid: 1 portal\(s\)/);
});

test('trust check lists every problem of a broken portals file with file, line and key path', async (t) => {
  const r = await trustCheck(
    [
      'portals:',
      '  - id: demo',
      '    name: { de: A, en: A }',
      '    oidc:',
      '      clientId: a',
      '      clientSecretEnv: NOT_SET_ANYWHERE',
      '      redirectUris: [http://portal.example/cb]',
      '  - id: Demo',
      '    name: { de: B }',
      '    saml:',
      '      metadataFile: nowhere.xml',
      '  - id: demo',
      '    name: { de: C, en: C }',
      '    minLoa: medium',
      '  - id: other',
      '    name: { de: D, en: D }',
      '    oidc:',
      '      clientId: a',
      '      tokenEndpointAuthMethod: none',
      '      redirectUris: [https://d.example/cb]',
      '  - id: demo',
      '    name: { de: E, en: E }',
      '    saml:',
      '      metadataFile: missing-metadata.xml',
      '  - id: no-protocol',
      '    name: { de: F, en: F }',
      '',
    ].join('\n'),
  );
  t.is(r.code, 1);
  const lines = r.stderr.trim().split('\n');
  const at = (line: number, text: RegExp): void => {
    t.true(
      lines.some((l) => l.startsWith(`${r.file}:${line}: `) && text.test(l)),
      `expected line ${line} ${text}\n${r.stderr}`,
    );
  };
  at(6, /portals\.0\.oidc\.clientSecretEnv: environment variable NOT_SET_ANYWHERE is not set/);
  at(7, /portals\.0\.oidc\.redirectUris\.0: http:\/\/portal\.example\/cb: http is allowed only for loopback hosts/);
  at(8, /portals\.1\.id: lower-case letters/);
  at(9, /portals\.1\.name\.en: missing/);
  at(14, /portals\.2\.minLoa: must be one of "basic", "low", "substantial", "high", got the text "medium"/);
  at(25, /portals\.5: a portal needs a saml or an oidc section/);
  at(18, /portals\.3\.oidc\.clientId: duplicate client id "a"/);
  at(21, /portals\.4\.id: duplicate portal id "demo"/);
  at(24, /portals\.4\.saml\.metadataFile: file not found: missing-metadata\.xml/);
  t.regex(r.stderr, /problem\(s\) in the trust configuration/);
});

test('trust check applies the production rules to redirect URIs', async (t) => {
  const yaml = [
    'portals:',
    '  - id: p',
    '    name: { de: P, en: P }',
    '    oidc:',
    '      clientId: p',
    '      tokenEndpointAuthMethod: none',
    '      redirectUris: [http://127.0.0.1:9000/cb]',
    '',
  ].join('\n');
  t.is((await trustCheck(yaml)).code, 0, 'loopback http is fine in development');
  const prod = await trustCheck(yaml, {
    NODE_ENV: 'production',
    PUBLIC_URL: 'https://hub.example',
    DATABASE_URL: 'postgres://x@127.0.0.1/x',
    SMTP_URL: 'smtp://127.0.0.1',
  });
  t.is(prod.code, 1);
  t.regex(prod.stderr, /http is allowed only for loopback hosts outside production/);
});

test('trust check reads the postkorb sections: sender name, a client of its own for a SAML-only portal, and the rules between them', async (t) => {
  const good = await trustCheck(
    [
      'portals:',
      '  - id: amt',
      '    name: { de: Amt, en: Office }',
      '    attributes: [givenName, postkorbHandle]',
      '    oidc:',
      '      clientId: amt',
      '      clientSecretEnv: AMT_SECRET',
      '      redirectUris: [https://amt.example/cb]',
      '    postkorb:',
      '      senderName: Stadt Musterhausen – Bürgeramt',
      '      rateLimit: { max: 100, windowMinutes: 1 }',
      '',
    ].join('\n'),
    { AMT_SECRET: 'x'.repeat(40) },
  );
  t.is(good.code, 0, good.stderr);

  const bad = await trustCheck(
    [
      'portals:',
      '  - id: amt',
      '    name: { de: Amt, en: Office }',
      '    oidc:',
      '      clientId: amt',
      '      tokenEndpointAuthMethod: none',
      '      redirectUris: [https://amt.example/cb]',
      '    postkorb:',
      '      senderName: Amt',
      '      client: { clientId: amt-post, clientSecretEnv: AMT_SECRET, tokenEndpointAuthMethod: client_secret_basic }',
      '  - id: saml-only',
      '    name: { de: S, en: S }',
      '    saml: { metadataFile: nowhere.xml }',
      '    postkorb:',
      '      senderName: { de: S }',
      '  - id: saml-two',
      '    name: { de: T, en: T }',
      '    saml: { metadataFile: nowhere.xml }',
      '    postkorb:',
      '      senderName: T',
      '      client: { clientId: shared, tokenEndpointAuthMethod: private_key_jwt, jwksFile: missing.jwks }',
      '  - id: fine',
      '    name: { de: F, en: F }',
      '    oidc: { clientId: shared, clientSecretEnv: AMT_SECRET, redirectUris: [https://f.example/cb] }',
      '',
    ].join('\n'),
    { AMT_SECRET: 'x'.repeat(40) },
  );
  t.is(bad.code, 1);
  t.regex(bad.stderr, /portals\.0\.oidc\.tokenEndpointAuthMethod: a public client \(none\) cannot use the client credentials grant/);
  t.regex(bad.stderr, /portals\.0\.postkorb\.client: this portal sends with its oidc client/);
  t.regex(bad.stderr, /portals\.1\.postkorb\.senderName: one name \(1 to 100 characters\), or a name for de and for en/);
  t.regex(bad.stderr, /portals\.3\.oidc\.clientId: duplicate client id "shared" \(also portals\.2\)/);
  t.regex(bad.stderr, /portals\.2\.postkorb\.client\.jwksFile: file not found: missing\.jwks/);
});
