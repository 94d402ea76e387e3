/**
 * Cost of one signed SAML Response against the raw RSA signatures it must contain
 * (DESIGN.md, Performance). Not a test; run with
 *   node --import tsx test/portals/saml/bench-response.ts
 */
import { createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadHubKeys } from '../../../src/config/keys.ts';
import type { PortalConfig } from '../../../src/config/portals.ts';
import type { ReleasedIdentity } from '../../../src/core/authn-request.ts';
import { buildAnswer, type AnswerSettings } from '../../../src/portals/saml/answer.ts';
import type { ServiceProvider } from '../../../src/portals/saml/sp-metadata.ts';
import type { SamlRequestEdge } from '../../../src/portals/saml/sso.ts';
import { RSA_OAEP_MGF1P } from '../../../src/portals/saml/xml/encrypt.ts';
import { spKeyPair } from './helpers.ts';

const dir = path.join(os.tmpdir(), 'servicekonto-hub-test-keys-v2');
const { keys } = await loadHubKeys(dir, { production: false, commonName: '127.0.0.1' });
const sp = await spKeyPair();
const signing = keys.saml.signing;
const settings: AnswerSettings = {
  entityId: 'https://servicekonto.example/saml/metadata',
  assertionLifetimeMs: 300_000,
  clockSkewMs: 180_000,
  signingKey: { privateKey: signing.privateKey, certificateDer: signing.certificateDer },
};
const identity: ReleasedIdentity = {
  accountId: 'a',
  loa: 'low',
  methods: ['pwd'],
  authnInstant: Date.now(),
  attributes: Object.fromEntries(
    (
      [
        ['givenName', 'Erika'],
        ['familyName', 'Mustermann'],
        ['birthName', 'Gabler'],
        ['dateOfBirth', '1964-08-12'],
        ['placeOfBirth', 'Berlin'],
        ['street', 'Am Abdinghof 11'],
        ['postalCode', '33098'],
        ['locality', 'Paderborn'],
        ['country', 'DE'],
        ['email', 'erika@example.org'],
      ] as const
    ).map(([k, v]) => [k, { value: v, loa: 'basic', source: 'self' }]),
  ),
  pairwiseId: '5d2286309545a59c1284244dbb1654ee503a5380',
  sessionIndex: 'J-FdOO-kJRSr0kpR3jBXUQ',
};
const edge: SamlRequestEdge = {
  sp: 'https://portal.example/sp',
  acs: 'https://portal.example/acs',
  inResponseTo: '_0123456789abcdef0123456789abcdef01234567',
  nameIdFormat: 'persistent',
  level: { minLoa: 'low', vocabulary: 'eidas' },
  computed: 'all',
};
const base = {
  portalId: 'p',
  entityId: edge.sp,
  file: 'x',
  validUntil: undefined,
  assertionConsumers: [],
  singleLogout: [],
  signingKeys: [],
  authnRequestsSigned: false,
  wantAssertionsSigned: true,
  nameIdFormats: [],
  origins: new Set<string>(),
  requireSignedRequests: false,
};
const plainSp: ServiceProvider = { ...base, encryption: undefined };
const encryptingSp: ServiceProvider = {
  ...base,
  encryption: { publicKey: new X509Certificate(sp.certPem).publicKey, keyTransport: RSA_OAEP_MGF1P },
};
const portal = (signResponse: boolean): PortalConfig => ({
  id: 'p',
  name: { de: 'p', en: 'p' },
  enabled: true,
  minLoa: 'low',
  attributes: [],
  sector: 'p',
  saml: { metadataFile: 'x', metadataPath: 'x', signResponse, encryptAssertion: true, nameIdFormat: 'persistent' },
});

function cpuPerOp(label: string, n: number, fn: () => unknown): number {
  for (let i = 0; i < Math.min(50, n); i++) fn();
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  const used = process.cpuUsage(start);
  const ms = (used.user + used.system) / 1000 / n;
  process.stdout.write(`${label.padEnd(58)} ${ms.toFixed(3)} ms CPU\n`);
  return ms;
}

const bits = signing.privateKey.asymmetricKeyDetails?.modulusLength;
const data = Buffer.alloc(1024, 7);
const key = createPrivateKey(readFileSync(signing.file));
const rsa = cpuPerOp(`one raw RSA-${bits} signature (SHA-256, 1 KB)`, 400, () => sign('sha256', data, key));
const outcome = { ok: true as const, identity };
const assertionOnly = cpuPerOp('Response, signed Assertion only (signResponse: false)', 300, () =>
  buildAnswer(settings, portal(false), plainSp, edge, outcome, Date.now()),
);
const both = cpuPerOp('Response and Assertion signed', 300, () => buildAnswer(settings, portal(true), plainSp, edge, outcome, Date.now()));
const encrypted = cpuPerOp('Response and Assertion signed, Assertion encrypted', 300, () =>
  buildAnswer(settings, portal(true), encryptingSp, edge, outcome, Date.now()),
);
const size = buildAnswer(settings, portal(true), plainSp, edge, outcome, Date.now()).xml.length;
process.stdout.write(`\nResponse size ${size} characters\n`);
process.stdout.write(`signed Assertion only:        ${(assertionOnly / rsa).toFixed(2)} × one RSA signature (floor 1)\n`);
process.stdout.write(
  `signed Response + Assertion:  ${(both / rsa).toFixed(2)} × one RSA signature (floor 2) = ${(both / (2 * rsa)).toFixed(2)} × its floor\n`,
);
process.stdout.write(
  `… and encrypted:              ${(encrypted / rsa).toFixed(2)} × one RSA signature = ${(encrypted / (2 * rsa)).toFixed(2)} × the signing floor\n`,
);

// Incoming: parse + verify a signed HTTP-POST AuthnRequest (node-saml as the portal) on one DOM.
const { SAML } = await import('@node-saml/node-saml');
const { parse: parseHtml } = await import('node-html-parser');
const { parseXml } = await import('../../../src/core/xml-read.ts');
const { verifyRootSignature } = await import('../../../src/core/saml/verify.ts');
const { SignedXml } = await import('xml-crypto');
const { verify } = await import('node:crypto');
const portalSp = new SAML({
  entryPoint: 'https://servicekonto.example/saml/sso',
  issuer: 'https://portal.example/sp',
  callbackUrl: 'https://portal.example/acs',
  idpCert: sp.certPem,
  privateKey: sp.keyPem,
  signatureAlgorithm: 'sha256',
  digestAlgorithm: 'sha256',
  authnRequestBinding: 'HTTP-POST',
  skipRequestCompression: true,
  identifierFormat: null,
});
const requestXml = Buffer.from(
  parseHtml(await portalSp.getAuthorizeFormAsync('r'))
    .querySelector('input[name=SAMLRequest]')!
    .getAttribute('value')!,
  'base64',
).toString('utf8');
const spKey = new X509Certificate(sp.certPem).publicKey;
const sig = sign('sha256', data, createPrivateKey(sp.keyPem));
const rawVerify = cpuPerOp('\none raw RSA-3072 verification', 2000, () => verify('sha256', data, spKey, sig));
const ours = cpuPerOp(`parse + verify a signed AuthnRequest (${requestXml.length} chars), one DOM`, 1000, () =>
  verifyRootSignature(parseXml(requestXml, 100_000).documentElement!, [spKey]),
);
const stock = cpuPerOp('the same with xml-crypto checkSignature (for comparison)', 1000, () => {
  const s = new SignedXml({ publicCert: sp.certPem, getCertFromKeyInfo: () => null });
  const doc = parseXml(requestXml, 100_000);
  const node = Array.from(doc.documentElement!.childNodes).find((n) => (n as { localName?: string }).localName === 'Signature');
  s.loadSignature(node as unknown as Node);
  return s.checkSignature(requestXml);
});
process.stdout.write(
  `incoming: ${(ours / rawVerify).toFixed(1)} × one RSA verification (${ours.toFixed(3)} ms); stock xml-crypto ${(stock / ours).toFixed(1)} × ours\n`,
);
