import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as xmldom from '@xmldom/xmldom';
import test, { type ExecutionContext } from 'ava';
import { stringify } from 'yaml';
import { EidasNodeSimulator, type ReceivedRequest } from '../../src/federation/eidas-simulator/simulator.ts';
import { decodeCurrentAddress } from '../../src/federation/upstream/eidas.ts';
import { Client, type Page } from '../helpers/client.ts';
import type { FakePortal } from '../portals/saml/helpers.ts';
import { federationRows, startFedBed, type FedBed } from './fixture.ts';
import { OID } from './partner.ts';

/**
 * The connector towards the German eIDAS node (trust entry `kind: eidas`), against the eIDAS
 * node simulator (src/federation/eidas-simulator, built from xml-crypto and xml-encryption): the
 * AuthnRequest as the hub sends it, a whole login portal → hub → node → hub → consent → portal,
 * an answer without a mandatory attribute, and `hub trust check` on eidas entries.
 */

const EIDAS_EXT = 'http://eidas.europa.eu/saml-extensions';
const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const NP = 'http://eidas.europa.eu/attributes/naturalperson/';
const STORK_QAA = 'urn:oid:1.2.40.0.10.2.1.1.261.94';
const PROVED_BY = 'urn:oid:1.3.6.1.4.1.25484.494450.2';
const BPK2 = 'urn:oid:1.3.6.1.4.1.25484.494450.3';
const METHOD_TITLE = 'Anmelden mit einem ausländischen eID-Mittel (eIDAS)';

let bed: FedBed;
let node: EidasNodeSimulator;
let simDir: string;

test.before(async () => {
  bed = await startFedBed();
  simDir = path.join(os.tmpdir(), 'servicekonto-hub-test-eidas-keys-v1');
  node = await EidasNodeSimulator.start({ hubUrl: bed.h.url, dir: simDir });
  node.hubSigningCertPem = bed.hubCertPem;
  node.hubEncryptionCertPem = bed.h.hub.keys.saml.encryption[0]!.certificatePem!;
  await bed.setTrust([...bed.defaultEntries(), node.trustEntry({ cap: 'substantial' })]);
});
test.after.always(async () => {
  await node?.close();
  await bed?.close();
});

/** Portal → hub login page → the eIDAS method's button → the hub's auto-post page → the node. */
async function toNode(c: Client, portal: FakePortal): Promise<{ login: Page; node: Page; request: ReceivedRequest }> {
  const login = await c.get(await portal.sp.getAuthorizeUrlAsync('seite-eu', undefined, {}));
  const link = login.root.querySelectorAll('section.method-eidas a').find((a) => a.textContent.includes('eIDAS'));
  if (!link) throw new Error(`no eIDAS method on ${login.url}: ${login.text.slice(0, 600)}`);
  await c.get(link.getAttribute('href')!);
  const page = await c.submit({}, node.ssoUrl);
  const request = node.requests.at(-1);
  if (!request) throw new Error('the node received no request');
  return { login, node: page, request };
}

test.serial(
  'the AuthnRequest carries SPType, the requested natural-person attributes and the eIDAS LoA with Comparison="minimum"',
  async (t) => {
    node.answer = () => undefined;
    const c = new Client(bed.h.url);
    const { login, node: nodePage, request } = await toNode(c, bed.portals.substantial);
    t.regex(login.text, new RegExp(METHOD_TITLE.replace(/[()]/g, '\\$&')));
    t.true(request.signatureValid, 'signed by the hub (checked by the node with xml-crypto against the hub certificate)');
    t.is(request.destination, node.ssoUrl);
    t.is(request.acs, `${bed.h.url}/saml/acs`);
    t.is(nodePage.status, 200, nodePage.text.slice(0, 300));
    t.regex(nodePage.text, /Testperson/);

    // Parsed again here, from the XML the hub sent, independent of the simulator's reading.
    const doc = new xmldom.DOMParser().parseFromString(request.xml, 'text/xml');
    const root = doc.documentElement!;
    t.is(root.getAttribute('ForceAuthn'), 'true');
    t.is(root.getAttribute('IsPassive'), 'false');
    t.truthy(root.getAttribute('ProviderName'));
    const extensions = root.getElementsByTagNameNS(SAMLP, 'Extensions')[0]!;
    t.truthy(extensions, 'samlp:Extensions');
    const children = Array.from(extensions.childNodes).filter((n) => n.nodeType === 1) as unknown as xmldom.Element[];
    t.deepEqual(
      children.map((e) => `${e.namespaceURI}|${e.localName}`),
      [`${EIDAS_EXT}|SPType`, `${EIDAS_EXT}|RequestedAttributes`],
    );
    t.is(children[0]!.textContent, 'public');
    const requested = Array.from(children[1]!.getElementsByTagNameNS(EIDAS_EXT, 'RequestedAttribute')).map((e) => [
      e.getAttribute('Name'),
      e.getAttribute('isRequired'),
      e.getAttribute('NameFormat'),
    ]);
    const uri = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
    t.deepEqual(requested, [
      [`${NP}PersonIdentifier`, 'true', uri],
      [`${NP}CurrentFamilyName`, 'true', uri],
      [`${NP}CurrentGivenName`, 'true', uri],
      [`${NP}DateOfBirth`, 'true', uri],
      [`${NP}BirthName`, 'false', uri],
      [`${NP}PlaceOfBirth`, 'false', uri],
      [`${NP}CurrentAddress`, 'false', uri],
      [`${NP}Gender`, 'false', uri],
    ]);
    const policy = root.getElementsByTagNameNS(SAMLP, 'NameIDPolicy')[0]!;
    t.is(policy.getAttribute('Format'), 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    t.is(policy.getAttribute('AllowCreate'), 'true');
    const rac = root.getElementsByTagNameNS(SAMLP, 'RequestedAuthnContext')[0]!;
    t.is(rac.getAttribute('Comparison'), 'minimum');
    t.deepEqual(
      Array.from(rac.getElementsByTagNameNS(SAML, 'AuthnContextClassRef')).map((e) => e.textContent),
      ['http://eidas.europa.eu/LoA/substantial'],
      'the portal needs substantial',
    );
    // Schema order: Issuer, Signature, Extensions, NameIDPolicy, RequestedAuthnContext.
    const order = (Array.from(root.childNodes).filter((n) => n.nodeType === 1) as unknown as xmldom.Element[]).map((e) => e.localName);
    t.deepEqual(order, ['Issuer', 'Signature', 'Extensions', 'NameIDPolicy', 'RequestedAuthnContext']);
  },
);

test.serial('the eIDAS node is a login method of its own, not an entry in the list of German states', async (t) => {
  const c = new Client(bed.h.url);
  const login = await c.get(await bed.portals.low.sp.getAuthorizeUrlAsync('x', undefined, {}));
  t.truthy(login.root.querySelector('section.method-eidas h2'));
  const link = login.root.querySelectorAll('a').find((a) => a.textContent.includes('Land auswählen'))!;
  const list = await c.get(link.getAttribute('href')!);
  t.notRegex(list.text, /eIDAS/);
  t.regex(list.text, /Hamburg/);
  // Asking for the node through the states' route is refused.
  const direct = await c.get('/anmelden/anderes-konto/eidas');
  t.is(direct.status, 503);
});

test.serial(
  'a Spanish citizen logs in to a SAML portal through the eIDAS node: mapped attributes, decoded address, the capped level, eIDAS as the method',
  async (t) => {
    const before = await federationRows(bed.h);
    node.answer = () => ({ person: 'es' });
    const portal = bed.portals.substantial;
    const c = new Client(bed.h.url);
    const { node: answer } = await toNode(c, portal);
    t.regex(answer.html, /SAMLResponse/);
    let page = await c.submit({}, `${bed.h.url}/saml/acs`);
    t.true(page.url.includes('/anmelden/einwilligung'), `${page.url}: ${page.text.slice(0, 400)}`);
    t.regex(page.text, /Javier/);
    t.regex(page.text, /EIDAS:ES\/DE\/53377873W/);
    t.is(c.sessionLevel(), 'substanziell', 'high from the Spanish eID, capped at substantial by the entry');

    page = await c.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
    await c.submit({}, portal.acsUrl);
    const received = portal.last('response')!;
    t.falsy(received.error, received.error?.message);
    const profile = received.profile!;
    t.is(received.relayState, 'seite-eu');
    t.is(profile[OID.givenName], 'Javier');
    t.is(profile[OID.surname], 'García López');
    t.is(profile[OID.birthdate], '1985-06-15');
    t.is(profile[STORK_QAA], 'STORK-QAA-Level-3', 'capped');
    t.is(profile[PROVED_BY], 'eIDAS');
    t.is(profile[BPK2], 'EIDAS:ES/DE/53377873W', 'the PersonIdentifier only as the prefixed foreign identifier');
    t.is(profile[OID.personIdentifier], undefined, 'never released as PersonIdentifier');
    t.false(JSON.stringify(profile).includes('"ES/DE/53377873W"'));

    const after = await federationRows(bed.h);
    t.is(after.accounts, before.accounts + 1);
    t.is(after.federated, before.federated + 1);
    const rows: { name: string; value: string; loa: string; source: string }[] = await bed.h.hub.store
      .db('federated_accounts')
      .join('account_attributes', 'account_attributes.account_id', 'federated_accounts.account_id')
      .where({ partner_id: 'eidas' })
      .select('account_attributes.name', 'account_attributes.value', 'account_attributes.loa', 'account_attributes.source');
    const stored = Object.fromEntries(rows.map((r) => [r.name, r.value]));
    t.like(stored, {
      givenName: 'Javier',
      familyName: 'García López',
      dateOfBirth: '1985-06-15',
      placeOfBirth: 'Sevilla',
      street: 'Calle de Alcalá 45',
      postalCode: '28014',
      locality: 'Madrid',
      country: 'ES',
      gender: 'male',
      issuingState: 'ES',
      foreignId: 'EIDAS:ES/DE/53377873W',
    });
    t.true(rows.every((r) => r.loa === 'substantial' && r.source === 'eidas'));
    const konto = await c.get('/konto');
    t.regex(konto.text, /Angemeldet mit Ihrem ausländischen eID-Mittel \(eIDAS\)/, 'the account page says where the data come from');

    // The same person again: the account is found by the PersonIdentifier, not created twice.
    const again = new Client(bed.h.url);
    await toNode(again, portal);
    const onward = await again.submit({}, `${bed.h.url}/saml/acs`);
    t.regex(onward.text, /Portal amt/, 'consent was given before: on to the portal');
    t.is((await federationRows(bed.h)).accounts, after.accounts);
  },
);

test.serial('a Greek citizen at level low: the Latin transliteration is taken, the native script is not', async (t) => {
  node.answer = () => ({ person: 'gr' });
  const portal = bed.portals.low;
  const c = new Client(bed.h.url);
  const { request } = await toNode(c, portal);
  t.deepEqual(request.classRefs, ['http://eidas.europa.eu/LoA/low']);
  const page = await c.submit({}, `${bed.h.url}/saml/acs`);
  t.true(page.url.includes('/anmelden/einwilligung'), page.text.slice(0, 300));
  t.regex(page.text, /Papadopoulou/);
  t.notRegex(page.text, /Παπαδοπούλου/);
  t.is(c.sessionLevel(), 'niedrig');
});

test.serial('on the node’s own page the citizen picks the Austrian test person, or cancels (RequestDenied)', async (t) => {
  node.answer = undefined;
  const c = new Client(bed.h.url);
  const { node: choice } = await toNode(c, bed.portals.low);
  t.truthy(choice.root.querySelector('input[name="person"][value="at"]'), choice.text.slice(0, 300));
  await c.submit({ person: 'at', entscheidung: 'ja' }, '/sso/weiter');
  const consent = await c.submit({}, `${bed.h.url}/saml/acs`);
  t.true(consent.url.includes('/anmelden/einwilligung'), consent.text.slice(0, 300));
  t.regex(consent.text, /Anna Maria/);
  t.regex(consent.text, /EIDAS:AT\/DE\//);

  const before = await federationRows(bed.h);
  const other = new Client(bed.h.url);
  await toNode(other, bed.portals.low);
  await other.submit({ entscheidung: 'nein' }, '/sso/weiter');
  const back = await other.submit({}, `${bed.h.url}/saml/acs`);
  t.regex(back.text, /nicht abgeschlossen/);
  t.deepEqual(await federationRows(bed.h), before);
});

test.serial('an answer without a mandatory attribute is refused with a clear message, and nothing is stored', async (t) => {
  const before = await federationRows(bed.h);
  node.answer = () => ({ person: 'at', omit: ['FamilyName', 'DateOfBirth'] });
  const c = new Client(bed.h.url);
  await toNode(c, bed.portals.low);
  const page = await c.submit({}, `${bed.h.url}/saml/acs`);
  t.is(page.status, 403);
  t.regex(page.text, /hat Pflichtangaben nicht übermittelt: FamilyName, DateOfBirth/);
  t.regex(page.text, /es wurde nichts gespeichert/);
  t.false(page.url.includes('einwilligung'));
  t.deepEqual(await federationRows(bed.h), before, 'no account, no attributes, no logged-in session');
  t.is(c.sessionLevel(), 'nicht angemeldet');
});

test.serial(
  'a person whose eID is below the level the portal needs is answered NoAuthnContext by the node: declined, nothing stored',
  async (t) => {
    const before = await federationRows(bed.h);
    node.answer = () => ({ person: 'gr' });
    const c = new Client(bed.h.url);
    await toNode(c, bed.portals.substantial);
    const page = await c.submit({}, `${bed.h.url}/saml/acs`);
    t.regex(page.text, /nicht abgeschlossen/);
    t.deepEqual(await federationRows(bed.h), before);
  },
);

test('CurrentAddress is decoded from base64 XML; anything else is not an address', (t) => {
  const fragment =
    '<eidas:Thoroughfare xmlns:eidas="http://eidas.europa.eu/attributes/naturalperson">Rue de la Loi</eidas:Thoroughfare>' +
    '<eidas:LocatorDesignator xmlns:eidas="http://eidas.europa.eu/attributes/naturalperson">200</eidas:LocatorDesignator>' +
    '<eidas:PostCode xmlns:eidas="http://eidas.europa.eu/attributes/naturalperson">1049</eidas:PostCode>' +
    '<eidas:PostName xmlns:eidas="http://eidas.europa.eu/attributes/naturalperson">Bruxelles</eidas:PostName>' +
    '<eidas:AdminunitFirstline xmlns:eidas="http://eidas.europa.eu/attributes/naturalperson">be</eidas:AdminunitFirstline>';
  t.deepEqual(decodeCurrentAddress(Buffer.from(fragment).toString('base64')), {
    street: 'Rue de la Loi 200',
    postalCode: '1049',
    locality: 'Bruxelles',
    country: 'BE',
  });
  // Without a declaration on the fragment the eidas prefix is the natural-person namespace.
  t.deepEqual(decodeCurrentAddress(Buffer.from('<eidas:PostName>Lisboa</eidas:PostName>').toString('base64')), { locality: 'Lisboa' });
  t.is(decodeCurrentAddress('not base64 !'), undefined);
  t.is(decodeCurrentAddress(Buffer.from('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>').toString('base64')), undefined);
  t.is(decodeCurrentAddress(Buffer.from('<other>Ort</other>').toString('base64')), undefined);
});

// ---- hub trust check ------------------------------------------------------------------------

const run = promisify(execFile);

async function trustCheck(dir: string, partners: unknown[]): Promise<{ code: number; stdout: string; stderr: string; file: string }> {
  const file = path.join(dir, `trust-${Math.random().toString(36).slice(2)}.yaml`);
  const cfg = `${file}.hub.yaml`;
  writeFileSync(file, stringify({ partners }));
  writeFileSync(
    cfg,
    `federation:\n  portalsFile: ${JSON.stringify(path.join(dir, 'portals.yaml'))}\n  trustFile: ${JSON.stringify(file)}\n` +
      `demo:\n  enabled: false\neid:\n  enabled: false\n`,
  );
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/hub.ts', 'trust', 'check'], {
      env: { ...process.env, HUB_CONFIG: cfg, NODE_ENV: '' },
    });
    return { code: 0, stdout, stderr, file };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, file };
  }
}

function problemAt(t: ExecutionContext, r: { stderr: string; file: string }, keyPath: string, reason: RegExp): void {
  const escaped = r.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  t.true(
    r.stderr.split('\n').some((l) => new RegExp(`^${escaped}:\\d+: ${keyPath.replace(/\./g, '\\.')}: `).test(l) && reason.test(l)),
    `expected ${keyPath} ${reason}\n${r.stderr}`,
  );
}

test.serial('hub trust check accepts a valid eidas entry and names eidas-specific problems', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skh-eidas-check-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'portals.yaml'), 'portals: []\n');
  const metadataFile = path.join(dir, 'eidas-node.xml');
  writeFileSync(metadataFile, node.metadata());
  const entry = (extra: Record<string, unknown> = {}): Record<string, unknown> => {
    const e = node.trustEntry({ extra }) as { metadata: Record<string, unknown> };
    return { ...e, metadata: { file: metadataFile, entityId: node.entityId, certificates: e.metadata.certificates } };
  };

  const good = await trustCheck(dir, [entry({ eidas: { spType: 'public', optionalAttributes: ['CurrentAddress'] } })]);
  t.is(good.code, 0, good.stderr);
  t.regex(good.stdout, /trust configuration is valid/);

  const bad = await trustCheck(dir, [
    entry({
      attributes: { [OID.givenName]: 'givenName' },
      loa: { map: { 'STORK-QAA-Level-4': 'high', 'http://eidas.europa.eu/LoA/low': 'substantial' }, cap: 'high' },
      binding: 'redirect',
      algorithms: { allowAesCbc: true },
    }),
  ]);
  t.is(bad.code, 1);
  problemAt(t, bad, 'partners.0.attributes', /no attribute map/);
  problemAt(t, bad, 'partners.0.loa.map.STORK-QAA-Level-4', /eIDAS LoA URIs only/);
  problemAt(t, bad, 'partners.0.loa.map.http://eidas.europa.eu/LoA/low', /its own level \(low\)/);
  problemAt(t, bad, 'partners.0.binding', /HTTP-POST/);
  problemAt(t, bad, 'partners.0.algorithms.allowAesCbc', /exclude AES-CBC/);

  const two = await trustCheck(dir, [entry(), entry({ id: 'eidas-2', identifierPrefix: 'EU2' })]);
  t.is(two.code, 1);
  problemAt(t, two, 'partners.1.kind', /only one eidas entry may be enabled/);

  const stateWithEidas = await trustCheck(dir, [{ ...entry(), kind: 'state', eidas: { spType: 'public' } }]);
  t.is(stateWithEidas.code, 1);
  problemAt(t, stateWithEidas, 'partners.0.eidas', /only an entry of kind eidas/);
});

test.serial('the simulator can take the hub’s certificates from its published metadata (as npm run demo does)', async (t) => {
  const other = await EidasNodeSimulator.start({ hubUrl: bed.h.url, dir: simDir });
  t.teardown(() => other.close());
  await other.trustHubMetadata();
  const der = (pem: string): string => pem.replace(/-----[^-]+-----|\s+/g, '');
  t.is(der(other.hubSigningCertPem), der(bed.hubCertPem));
  t.is(der(other.hubEncryptionCertPem), der(bed.h.hub.keys.saml.encryption[0]!.certificatePem!));
});

test('the simulator refuses to start with NODE_ENV=production', async (t) => {
  await t.throwsAsync(() => EidasNodeSimulator.start({ hubUrl: 'https://hub.example', dir: simDir, env: { NODE_ENV: 'production' } }), {
    message: /refused with NODE_ENV=production/,
  });
});
