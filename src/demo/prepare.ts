import { createPrivateKey, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SAML } from '@node-saml/node-saml';
import { generatePem, selfSignedCertificate } from '../config/keys.ts';

/**
 * The demo portal's keys, SAML SP metadata and OIDC client secret, generated into var/demo/ on
 * first start (DECISIONS 10); the committed federation/portals.yaml points there. Nothing here is
 * used outside development.
 */

export const DEMO_FILES = {
  key: 'demo-portal-sp.key',
  certificate: 'demo-portal-sp.crt',
  metadata: 'demo-portal-sp.xml',
  secret: 'demo-portal-oidc.secret',
} as const;

export interface DemoMaterial {
  readonly keyPem: string;
  readonly certificatePem: string;
  readonly oidcSecret: string;
  readonly entityId: string;
}

export function demoEntityId(demoUrl: string): string {
  return `${demoUrl.replace(/\/$/, '')}/saml/metadata`;
}

export async function prepareDemo(dir: string, demoUrl: string): Promise<DemoMaterial> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string): string => path.join(dir, name);
  if (!existsSync(file(DEMO_FILES.key))) writeFileSync(file(DEMO_FILES.key), generatePem('RS256'), { mode: 0o600 });
  const keyPem = readFileSync(file(DEMO_FILES.key), 'utf8');
  if (!existsSync(file(DEMO_FILES.certificate))) {
    writeFileSync(file(DEMO_FILES.certificate), await selfSignedCertificate(createPrivateKey(keyPem), 'demo-portal'));
  }
  const certificatePem = readFileSync(file(DEMO_FILES.certificate), 'utf8');
  if (!existsSync(file(DEMO_FILES.secret)))
    writeFileSync(file(DEMO_FILES.secret), randomBytes(32).toString('base64url') + '\n', { mode: 0o600 });
  const oidcSecret = readFileSync(file(DEMO_FILES.secret), 'utf8').trim();

  // The SP metadata is written by node-saml, as a real portal's would be by its own software.
  const entityId = demoEntityId(demoUrl);
  const sp = new SAML({
    issuer: entityId,
    callbackUrl: `${demoUrl}/saml/acs`,
    logoutCallbackUrl: `${demoUrl}/saml/slo`,
    idpCert: certificatePem, // not used for metadata generation
    privateKey: keyPem,
    decryptionPvk: keyPem,
    identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    wantAssertionsSigned: true,
  });
  writeFileSync(file(DEMO_FILES.metadata), sp.generateServiceProviderMetadata(certificatePem, certificatePem));
  return { keyPem, certificatePem, oidcSecret, entityId };
}
