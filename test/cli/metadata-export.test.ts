import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { ID_ATTR, xmlsec1Verify } from '../portals/saml/xmlsec1.ts';

const run = promisify(execFile);

/** `npm run hub -- metadata export …` with the keys in a directory of the test's own. */
async function hub(args: string[], keysDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skh-cli-md-'));
  const cfg = path.join(dir, 'hub.yaml');
  writeFileSync(cfg, `keys:\n  dir: ${JSON.stringify(keysDir)}\nserver:\n  publicUrl: https://servicekonto.land.example\n`);
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/hub.ts', 'metadata', 'export', ...args], {
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

test('metadata export writes the hub’s signed metadata with both roles; xmlsec1 verifies it with the signing certificate', async (t) => {
  const keys = mkdtempSync(path.join(os.tmpdir(), 'skh-md-keys-'));
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'skh-md-out-'));
  try {
    const file = path.join(outDir, 'hub.xml');
    const r = await hub(['--out', file], keys);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /wrote the default metadata of https:\/\/servicekonto\.land\.example\/saml\/metadata to .*hub\.xml \(valid until /);
    const xml = readFileSync(file, 'utf8');
    t.regex(xml, /<md:IDPSSODescriptor /);
    t.regex(xml, /<md:SPSSODescriptor [^>]*AuthnRequestsSigned="true"/);
    t.regex(xml, /AssertionConsumerService [^>]*Location="https:\/\/servicekonto\.land\.example\/saml\/acs"/);
    const cert = readFileSync(path.join(keys, 'saml-signing.crt'), 'utf8');
    const verified = await xmlsec1Verify(xml, ID_ATTR.entity, cert);
    t.true(verified.ok, verified.output);
    // A byte changed after signing is caught by the same verifier.
    const tampered = await xmlsec1Verify(xml.replace('/saml/acs', '/saml/evil'), ID_ATTR.entity, cert);
    t.false(tampered.ok);
  } finally {
    rmSync(keys, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
  }
});

test('metadata export profiles: sp has only the SP role, bundid is unsigned without validUntil; wrong usage exits 2', async (t) => {
  const keys = mkdtempSync(path.join(os.tmpdir(), 'skh-md-keys-'));
  try {
    const sp = await hub(['--profile', 'sp'], keys);
    t.is(sp.code, 0, sp.stderr);
    t.regex(sp.stdout, /<md:SPSSODescriptor /);
    t.notRegex(sp.stdout, /IDPSSODescriptor/);
    t.regex(sp.stdout, /<ds:Signature/);
    const bundid = await hub(['--profile', 'bundid'], keys);
    t.is(bundid.code, 0, bundid.stderr);
    t.notRegex(bundid.stdout, /<ds:Signature|validUntil=/);
    const wrong = await hub(['--profile', 'everything'], keys);
    t.is(wrong.code, 2);
    t.regex(wrong.stderr, /--profile must be one of default, idp, sp, bundid/);
    const stray = await hub(['--outfile', 'x.xml'], keys);
    t.is(stray.code, 2);
    t.regex(stray.stderr, /unknown argument\(s\): --outfile x\.xml/);
  } finally {
    rmSync(keys, { recursive: true, force: true });
  }
});
