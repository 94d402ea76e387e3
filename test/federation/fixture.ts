import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { deepMerge } from '../../src/config/load.ts';
import type { Client, Page } from '../helpers/client.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { FakePortal, LiveClock, spKeyPair, spMetadata, type KeyPair } from '../portals/saml/helpers.ts';
import { PortalServer } from '../portals/oidc/fixture.ts';
import { OID, TestPartner } from './partner.ts';

/**
 * The federation test bed: a hub (live clock, no eID) whose federation/trust.yaml names two
 * partner states served by test/federation/partner.ts (Hamburg and Bremen, each with keys of its
 * own), and whose portals are node-saml SPs (one per minimum level) and one OIDC client. The
 * partners need the hub's URL before the hub starts, so the bed picks the hub's port first.
 */

export const PORTAL_ATTRIBUTES = ['givenName', 'familyName', 'dateOfBirth', 'email', 'foreignId'];

export interface PartnerEntryOptions {
  readonly enabled?: boolean;
  readonly cap?: string;
  readonly linkAccounts?: boolean;
  readonly algorithms?: { allowSha1?: boolean; allowAesCbc?: boolean };
  readonly metadata?: Record<string, unknown>;
  readonly extra?: Record<string, unknown>;
}

/** A trust.yaml entry for a test partner. */
export function partnerEntry(id: string, name: string, prefix: string, partner: TestPartner, o: PartnerEntryOptions = {}): unknown {
  return {
    id,
    kind: 'state',
    name: { de: name, en: name },
    enabled: o.enabled ?? true,
    metadata: {
      url: partner.metadataUrl,
      entityId: partner.entityId,
      certificates: [partner.keys.metadata.certFile],
      ...(o.metadata ?? {}),
    },
    link_accounts: o.linkAccounts ?? true,
    identifierPrefix: prefix,
    attributes: {
      [OID.givenName]: 'givenName',
      [OID.surname]: 'familyName',
      [OID.birthdate]: 'dateOfBirth',
      [OID.mail]: 'email',
      [OID.locality]: 'locality',
    },
    loa: {
      map: { 'STORK-QAA-Level-1': 'basic', 'STORK-QAA-Level-3': 'substantial', 'STORK-QAA-Level-4': 'high' },
      cap: o.cap ?? 'substantial',
    },
    ...(o.algorithms ? { algorithms: o.algorithms } : {}),
    ...(o.extra ?? {}),
  };
}

export interface FedBed {
  readonly h: TestHub;
  readonly clock: LiveClock;
  readonly dir: string;
  readonly hamburg: TestPartner;
  readonly bremen: TestPartner;
  /** SAML portals by the level they need: low, substantial, high. */
  readonly portals: { readonly low: FakePortal; readonly substantial: FakePortal; readonly high: FakePortal };
  readonly portalKeys: KeyPair;
  readonly oidc: { readonly server: PortalServer; readonly clientId: string; readonly redirectUri: string };
  readonly hubCertPem: string;
  /** Writes trust.yaml (default: both partners as entries) and reloads the hub's trust configuration. */
  setTrust(entries?: readonly unknown[]): Promise<void>;
  defaultEntries(o?: { hamburg?: PartnerEntryOptions; bremen?: PartnerEntryOptions }): unknown[];
  close(): Promise<void>;
}

export interface BedOptions {
  readonly overrides?: Record<string, unknown>;
  readonly hamburg?: PartnerEntryOptions;
}

export async function startFedBed(options: BedOptions = {}): Promise<FedBed> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skh-fed-'));
  // The hub's port is held until the hub starts, so that no partner or portal gets it meanwhile.
  const holder = createServer();
  await new Promise<void>((ok) => holder.listen(0, '127.0.0.1', ok));
  const port = (holder.address() as AddressInfo).port;
  const hubUrl = `http://127.0.0.1:${port}`;
  const [hamburg, bremen] = await Promise.all([
    TestPartner.start({ hubUrl, keyName: 'hamburg' }),
    TestPartner.start({ hubUrl, keyName: 'bremen' }),
  ]);
  const portalKeys = await spKeyPair();
  const [low, substantial, high] = await Promise.all([FakePortal.start(), FakePortal.start(), FakePortal.start()]);
  const oidcServer = await new PortalServer().start();
  const secretFile = path.join(dir, 'oidc.secret');
  writeFileSync(secretFile, `${'s'.repeat(43)}\n`, { mode: 0o600 });
  const samlEntry = (id: string, portal: FakePortal, minLoa: string): unknown => {
    const file = path.join(dir, `${id}-sp.xml`);
    writeFileSync(
      file,
      spMetadata({
        entityId: portal.entityId,
        acs: [{ url: portal.acsUrl, index: 0, isDefault: true }],
        signingCert: portalKeys.certBase64,
        encryptionCert: portalKeys.certBase64,
        authnRequestsSigned: true,
      }),
    );
    return { id, name: { de: `Portal ${id}`, en: `Portal ${id}` }, minLoa, attributes: PORTAL_ATTRIBUTES, saml: { metadataFile: file } };
  };
  const redirectUri = `${oidcServer.url}/callback`;
  writeFileSync(
    path.join(dir, 'portals.yaml'),
    stringify({
      portals: [
        samlEntry('stadt', low, 'low'),
        samlEntry('amt', substantial, 'substantial'),
        samlEntry('gericht', high, 'high'),
        {
          id: 'app',
          name: { de: 'Portal app', en: 'Portal app' },
          minLoa: 'low',
          attributes: PORTAL_ATTRIBUTES,
          oidc: {
            clientId: 'app-client',
            tokenEndpointAuthMethod: 'client_secret_basic',
            clientSecretFile: secretFile,
            redirectUris: [redirectUri],
            subjectType: 'pairwise',
          },
        },
      ],
    }),
  );
  const defaultEntries = (o: { hamburg?: PartnerEntryOptions; bremen?: PartnerEntryOptions } = {}): unknown[] => [
    partnerEntry('hamburg', 'Hamburg', 'HH', hamburg, o.hamburg ?? options.hamburg),
    partnerEntry('bremen', 'Bremen', 'HB', bremen, o.bremen),
  ];
  const trustFile = path.join(dir, 'trust.yaml');
  writeFileSync(trustFile, stringify({ partners: defaultEntries() }));
  const clock = new LiveClock();
  await new Promise<void>((ok) => holder.close(() => ok()));
  const started = await startTestHub({
    dir,
    clock,
    overrides: deepMerge(
      {
        server: { port, publicUrl: hubUrl },
        eid: { enabled: false },
        throttle: { registrationPerAddress: { max: 1000, windowMinutes: 60 } },
      },
      options.overrides ?? {},
    ),
  });
  // startTestHub names the port it picked; the hub listens on the one overridden here.
  const h: TestHub = { ...started, url: hubUrl, close: () => started.close() };
  const hubCertPem = h.hub.keys.saml.signing.certificatePem!;
  for (const p of [hamburg, bremen]) {
    p.hubSigningCertPem = hubCertPem;
    p.hubEncryptionCertPem = h.hub.keys.saml.encryption[0]!.certificatePem!;
  }
  await h.hub.federation.refreshNow();
  for (const p of [low, substantial, high]) p.configure(h.url, hubCertPem, portalKeys);
  return {
    h,
    clock,
    dir,
    hamburg,
    bremen,
    portals: { low, substantial, high },
    portalKeys,
    oidc: { server: oidcServer, clientId: 'app-client', redirectUri },
    hubCertPem,
    defaultEntries,
    async setTrust(entries = defaultEntries()) {
      writeFileSync(trustFile, stringify({ partners: entries }));
      const r = await h.hub.reloadTrust();
      if (!r.ok) throw new Error(r.problems.join('\n'));
      await h.hub.federation.refreshNow();
    },
    async close() {
      await h.close();
      await Promise.all([hamburg.close(), bremen.close(), low.close(), substantial.close(), high.close(), oidcServer.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const OIDC_SECRET = 's'.repeat(43);

/** Rows a federated login leaves behind. */
export async function federationRows(h: TestHub): Promise<{ accounts: number; federated: number; attributes: number; loggedIn: number }> {
  const db = h.hub.store.db;
  const count = async (table: string, where?: (q: ReturnType<typeof db>) => unknown): Promise<number> => {
    const q = db(table);
    if (where) where(q);
    return Number((await q.count({ n: '*' }).first())?.n ?? 0);
  };
  return {
    accounts: await count('accounts'),
    federated: await count('federated_accounts'),
    attributes: await count('account_attributes'),
    loggedIn: await count('sessions', (q) => q.whereNotNull('account_id')),
  };
}

/** From the portal's request to the hub's login page, on to the list of states. */
export async function toDiscovery(c: Client, portal: FakePortal, relayState = 'seite-7'): Promise<Page> {
  let page = await c.get(await portal.sp.getAuthorizeUrlAsync(relayState, undefined, {}));
  const link = page.root.querySelectorAll('a').find((a) => a.textContent.includes('Land auswählen'));
  if (!link) throw new Error(`no "Land auswählen" on ${page.url}: ${page.text.slice(0, 500)}`);
  page = await c.get(link.getAttribute('href')!);
  return page;
}

/** On the list of states: chooses one (the link with its name); returns the partner's page (its auto-post form). */
export async function choose(c: Client, page: Page, name: string): Promise<Page> {
  const link = page.root.querySelectorAll('#partner-list a.partner').find((a) => a.textContent.trim() === name);
  if (!link) throw new Error(`no link to ${name} on ${page.url}: ${page.text.slice(0, 500)}`);
  return c.get(link.getAttribute('href')!);
}

/** Posts what the partner's page carries to the hub's ACS (as the partner's auto-post script would). */
export function postToHub(c: Client, hubUrl: string): Promise<Page> {
  return c.submit({}, `${hubUrl}/saml/acs`);
}
