import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { SAML } from '@node-saml/node-saml';
import { selfSignedCertificate } from '../../../src/config/keys.ts';
import { PortalRegistry, type PortalConfig } from '../../../src/config/portals.ts';
import { ConfigError } from '../../../src/core/errors.ts';
import { checkPortalMetadata, parseSpMetadata, SpIndex } from '../../../src/portals/saml/sp-metadata.ts';
import { RSA_OAEP_11, RSA_OAEP_MGF1P } from '../../../src/portals/saml/xml/encrypt.ts';
import { startTestHub } from '../../helpers/hub.ts';
import { spKeyPair, spMetadata, writePortals, type KeyPair } from './helpers.ts';

let keys: KeyPair;
test.before(async () => {
  keys = await spKeyPair();
});

const dir = mkdtempSync(path.join(os.tmpdir(), 'skh-spmeta-'));

function portalWith(id: string, metadata: string, saml: Partial<NonNullable<PortalConfig['saml']>> = {}): PortalConfig {
  const file = path.join(dir, `${id}.xml`);
  writeFileSync(file, metadata);
  return {
    id,
    name: { de: id, en: id },
    enabled: true,
    minLoa: 'low',
    attributes: [],
    sector: id,
    saml: {
      metadataFile: `metadata/${id}.xml`,
      metadataPath: file,
      signResponse: true,
      encryptAssertion: true,
      nameIdFormat: 'persistent',
      ...saml,
    },
  };
}

const base = (over: Partial<Parameters<typeof spMetadata>[0]> = {}) =>
  spMetadata({
    entityId: 'https://portal.example/sp',
    acs: [{ url: 'https://portal.example/acs', index: 0 }],
    signingCert: keys.certBase64,
    ...over,
  });

test('metadata written by node-saml is read: entityID, ACS, SLO, pinned signing key and encryption key', (t) => {
  const sp = new SAML({
    issuer: 'https://portal.example/sp',
    callbackUrl: 'https://portal.example/acs',
    logoutCallbackUrl: 'https://portal.example/slo',
    idpCert: keys.certPem,
    privateKey: keys.keyPem,
    decryptionPvk: keys.keyPem,
  });
  const { sp: parsed, problems } = parseSpMetadata(sp.generateServiceProviderMetadata(keys.certPem, keys.certPem), 'sp.xml', {
    production: true,
  });
  t.deepEqual(problems, []);
  t.is(parsed?.entityId, 'https://portal.example/sp');
  t.deepEqual(
    parsed?.assertionConsumers.map((a) => a.location),
    ['https://portal.example/acs'],
  );
  t.is(parsed?.singleLogout[0]?.location, 'https://portal.example/slo');
  t.is(parsed?.signingKeys.length, 1);
  t.true(parsed!.signingKeys[0]!.equals(new X509Certificate(keys.certPem).publicKey));
  t.is(parsed?.encryption?.keyTransport, RSA_OAEP_MGF1P);
  t.true(parsed?.authnRequestsSigned);
  t.deepEqual([...parsed!.origins], ['https://portal.example']);
});

test('a KeyDescriptor without use serves signing and encryption; xmlenc11#rsa-oaep is used when the portal asks only for it', (t) => {
  const xml = base({ signingCert: undefined }).replace(
    '<NameIDFormat>',
    `<KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${keys.certBase64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo><EncryptionMethod Algorithm="${RSA_OAEP_11}"/></KeyDescriptor><NameIDFormat>`,
  );
  const { sp, problems } = parseSpMetadata(xml, 'sp.xml', { production: false });
  t.deepEqual(problems, []);
  t.is(sp?.signingKeys.length, 1);
  t.is(sp?.encryption?.keyTransport, RSA_OAEP_11);
});

test('problems name the file, the line and the place in the document', (t) => {
  const { problems } = parseSpMetadata(
    base({ acs: [{ url: 'https://portal.example/acs', index: 0, binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact' }] }),
    'sp.xml',
    { production: false },
  );
  t.is(problems.length, 1);
  t.is(problems[0]?.file, 'sp.xml');
  t.is(problems[0]?.path, 'SPSSODescriptor/AssertionConsumerService');
  t.regex(problems[0]!.message, /HTTP-POST/);
  t.is(typeof problems[0]?.line, 'number');
});

test('refuses a DOCTYPE, plain http outside loopback, http in production, duplicate ACS indexes and unreadable certificates', (t) => {
  t.regex(parseSpMetadata(base({ doctype: true }), 'sp.xml', { production: false }).problems[0]!.message, /DOCTYPE/);
  const http = parseSpMetadata(base({ acs: [{ url: 'http://portal.example/acs', index: 0 }] }), 'sp.xml', { production: false });
  t.regex(http.problems[0]!.message, /only https/);
  const loopback = base({ acs: [{ url: 'http://127.0.0.1:9000/acs', index: 0 }] });
  t.deepEqual(parseSpMetadata(loopback, 'sp.xml', { production: false }).problems, []);
  t.regex(parseSpMetadata(loopback, 'sp.xml', { production: true }).problems[0]!.message, /only https/);
  const twice = base({
    acs: [
      { url: 'https://portal.example/a', index: 1 },
      { url: 'https://portal.example/b', index: 1 },
    ],
  });
  t.regex(parseSpMetadata(twice, 'sp.xml', { production: false }).problems[0]!.message, /index 1 is used twice/);
  t.regex(parseSpMetadata(base({ signingCert: 'AAAA' }), 'sp.xml', { production: false }).problems[0]!.message, /unreadable certificate/);
  t.regex(
    parseSpMetadata('<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>', 'sp.xml', { production: false })
      .problems[0]!.message,
    /one md:EntityDescriptor/,
  );
});

test('refuses RSA keys below 2048 bits', async (t) => {
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const pem = await selfSignedCertificate(createPrivateKey(small.privateKey.export({ type: 'pkcs8', format: 'pem' })), 'small');
  const b64 = Buffer.from(new X509Certificate(pem).raw).toString('base64');
  t.regex(parseSpMetadata(base({ signingCert: b64 }), 'sp.xml', { production: false }).problems[0]!.message, /1024 bits/);
});

test('the offline check reports expired metadata and a required signature without a signing key', (t) => {
  t.regex(
    checkPortalMetadata(portalWith('old', base({ validUntil: '2020-01-01T00:00:00Z' })), { production: false })[0]!.message,
    /expired/,
  );
  t.deepEqual(checkPortalMetadata(portalWith('fine', base()), { production: false }), []);
  const unsignable = checkPortalMetadata(portalWith('nokey', base({ signingCert: undefined }), { requireSignedRequests: true }), {
    production: false,
  });
  t.regex(unsignable[0]!.message, /no signing key/);
  t.is(unsignable[0]!.file, 'metadata/nokey.xml');
  t.regex(checkPortalMetadata(portalWith('gone', base()), { production: false }).length === 0 ? 'ok' : 'x', /ok/);
});

test('two portals with one entityID are refused at start; every problem is reported', (t) => {
  const err = t.throws(
    () =>
      SpIndex.load(new PortalRegistry([portalWith('a', base()), portalWith('b', base()), portalWith('c', base({ doctype: true }))]), {
        production: false,
      }),
    {
      instanceOf: ConfigError,
    },
  ) as ConfigError;
  t.is(err.problems.length, 2);
  t.true(err.problems.some((p) => /also the entityID of portal a/.test(p.message)));
  t.true(err.problems.some((p) => p.file === 'metadata/c.xml' && /DOCTYPE/.test(p.message)));
});

test('the hub refuses to start with broken portal metadata and names the file', async (t) => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'skh-badmeta-'));
  const portalsFile = writePortals(folder, [{ id: 'kaputt', metadata: base({ doctype: true }) }]);
  const err = await t.throwsAsync(() => startTestHub({ overrides: { federation: { portalsFile } } }), { instanceOf: ConfigError });
  t.regex(err!.message, /kaputt-sp\.xml: \(document\): XML with a DOCTYPE/);
});
