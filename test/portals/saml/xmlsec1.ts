import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Debian's xmlsec1 (libxml2 + OpenSSL) as an independent verifier: it parses and canonicalizes
 * the document itself, resolves `#ID` through --id-attr, and with `--enabled-key-data key-name`
 * uses exactly the certificate given, never the one inside KeyInfo (interop-notes).
 */
export async function xmlsec1Verify(xml: string, idAttr: string, certPem: string): Promise<{ ok: boolean; output: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skh-xmlsec1-'));
  try {
    writeFileSync(path.join(dir, 'doc.xml'), xml);
    writeFileSync(path.join(dir, 'cert.pem'), certPem);
    return await new Promise((resolve) => {
      execFile(
        'xmlsec1',
        [
          '--verify',
          '--id-attr:ID',
          idAttr,
          '--enabled-key-data',
          'key-name',
          '--pubkey-cert-pem',
          path.join(dir, 'cert.pem'),
          path.join(dir, 'doc.xml'),
        ],
        (err, stdout, stderr) => resolve({ ok: !err, output: `${stdout}${stderr}` }),
      );
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const ID_ATTR = {
  response: 'urn:oasis:names:tc:SAML:2.0:protocol:Response',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
  logoutRequest: 'urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest',
  logoutResponse: 'urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse',
  entity: 'urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor',
} as const;
