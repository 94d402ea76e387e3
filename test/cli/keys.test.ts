import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { loadHubKeys } from '../../src/config/keys.ts';
import { ConfigError } from '../../src/core/errors.ts';

const run = promisify(execFile);

async function hub(args: string[], keysDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skh-cli-cfg-'));
  const cfg = path.join(dir, 'keys.yaml');
  writeFileSync(cfg, `keys:\n  dir: ${JSON.stringify(keysDir)}\n`);
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/hub.ts', ...args], {
      env: { ...process.env, HUB_CONFIG: cfg, NODE_ENV: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function tmpKeys(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'skh-keys-'));
}

test('development generates every current key once; production refuses to start without them', async (t) => {
  const dir = tmpKeys();
  try {
    await t.throwsAsync(loadHubKeys(dir, { production: true }), {
      instanceOf: ConfigError,
      message: /key file missing; production never generates keys/,
    });
    t.deepEqual(readdirSync(dir), [], 'production wrote nothing');
    const first = await loadHubKeys(dir, { production: false });
    t.true(first.generated.some((f) => f.endsWith('saml-signing.crt')));
    t.is(first.keys.oidc.signing.map((s) => s.alg).join(','), 'RS256,ES256');
    const again = await loadHubKeys(dir, { production: true });
    t.deepEqual(again.generated, [], 'the second start generates nothing');
    t.is(again.keys.saml.signing.kid, first.keys.saml.signing.kid);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a certificate that does not belong to its key is refused', async (t) => {
  const dir = tmpKeys();
  try {
    await loadHubKeys(dir, { production: false });
    // The encryption key's certificate is a valid certificate, but of another key.
    writeFileSync(path.join(dir, 'saml-signing.crt'), readFileSync(path.join(dir, 'saml-encryption.crt')));
    await t.throwsAsync(loadHubKeys(dir, { production: true }), { message: /certificate does not belong to saml-signing\.pem/ });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a key of the wrong kind is refused with the file named', async (t) => {
  const dir = tmpKeys();
  try {
    await loadHubKeys(dir, { production: false });
    writeFileSync(path.join(dir, 'oidc-rs256.pem'), readFileSync(path.join(dir, 'oidc-es256.pem')));
    const err = await t.throwsAsync(loadHubKeys(dir, { production: true }));
    t.regex(err!.message, /oidc-rs256\.pem: keys\.dir: must be an RSA key of at least 2048 bits/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('keys prepare, rotate and status walk a signing key through next, current and retired', async (t) => {
  const dir = tmpKeys();
  try {
    const before = await loadHubKeys(dir, { production: false });
    t.is((await hub(['keys', 'rotate', 'saml-signing'], dir)).code, 1, 'no rotation without a prepared next key');

    const prepared = await hub(['keys', 'prepare', 'saml-signing'], dir);
    t.is(prepared.code, 0, prepared.stderr);
    const withNext = await loadHubKeys(dir, { production: true });
    t.truthy(withNext.keys.saml.signingNext, 'the next key is loaded (published in metadata)');
    t.is(withNext.keys.saml.signing.kid, before.keys.saml.signing.kid, 'but not used yet');
    t.is((await hub(['keys', 'prepare', 'saml-signing'], dir)).code, 1, 'only one next key at a time');

    const rotated = await hub(['keys', 'rotate', 'saml-signing'], dir);
    t.is(rotated.code, 0, rotated.stderr);
    const after = await loadHubKeys(dir, { production: true });
    t.is(after.keys.saml.signing.kid, withNext.keys.saml.signingNext!.kid, 'next became current');
    t.is(after.keys.saml.signingNext, undefined);

    const status = await hub(['keys', 'status'], dir);
    t.regex(status.stdout, /current\s+RSA-3072\s+kid \S+\s+saml-signing\.pem/);
    t.regex(status.stdout, /retired\s+RSA-3072\s+kid \S+\s+saml-signing\.retired-\d{8}T\d{6}Z\.pem/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a rotated SAML encryption key keeps decrypting for the configured time, then is no longer loaded', async (t) => {
  const dir = tmpKeys();
  try {
    const before = await loadHubKeys(dir, { production: false });
    t.is((await hub(['keys', 'prepare', 'saml-encryption'], dir)).code, 1, 'encryption keys have no next slot');
    t.is((await hub(['keys', 'rotate', 'saml-encryption'], dir)).code, 0);
    const now = Date.now();
    const after = await loadHubKeys(dir, { production: true, now, retiredEncryptionMs: 86_400_000 });
    t.is(after.keys.saml.encryption.length, 2);
    t.not(after.keys.saml.encryption[0]!.kid, before.keys.saml.encryption[0]!.kid, 'a new current key');
    t.is(after.keys.saml.encryption[1]!.kid, before.keys.saml.encryption[0]!.kid, 'the old one still decrypts');
    const later = await loadHubKeys(dir, { production: true, now: now + 2 * 86_400_000, retiredEncryptionMs: 86_400_000 });
    t.is(later.keys.saml.encryption.length, 1);
    t.true(later.expired.some((f) => f.includes('saml-encryption.retired-')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('OIDC keys rotate as a pair and the retired ones stay published for a while', async (t) => {
  const dir = tmpKeys();
  try {
    await loadHubKeys(dir, { production: false });
    t.is((await hub(['keys', 'prepare', 'oidc'], dir)).code, 0);
    const prepared = await loadHubKeys(dir, { production: true });
    t.is(prepared.keys.oidc.next.length, 2);
    t.is((await hub(['keys', 'rotate', 'oidc'], dir)).code, 0);
    const after = await loadHubKeys(dir, { production: true });
    t.deepEqual(
      after.keys.oidc.signing.map((k) => k.kid),
      prepared.keys.oidc.next.map((k) => k.kid),
    );
    t.deepEqual(after.keys.oidc.retired.map((k) => k.kid).sort(), prepared.keys.oidc.signing.map((k) => k.kid).sort());
    t.false(existsSync(path.join(dir, 'oidc-rs256.next.pem')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown key family is a usage error', async (t) => {
  const dir = tmpKeys();
  try {
    const r = await hub(['keys', 'rotate', 'tls'], dir);
    t.is(r.code, 2);
    t.regex(r.stderr, /saml-signing, saml-encryption, oidc/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
