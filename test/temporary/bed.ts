import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { SamlConfig } from '@node-saml/node-saml';
import type { Client, Page } from '../helpers/client.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { chooseCard } from '../authn/eid/helpers.ts';
import { PortalServer } from '../portals/oidc/fixture.ts';
import { FakePortal, LiveClock, spKeyPair, spMetadata, type KeyPair } from '../portals/saml/helpers.ts';

/**
 * The test bed of issue 9 (temporary login): a hub with the eID simulator and SAML portals of
 * every `accounts` mode, plus an OpenID Connect portal that allows both. The clock follows real
 * time (node-saml and oidc-provider check times against it) and can be moved on for timeouts.
 */

export const ATTRIBUTES = ['givenName', 'familyName', 'dateOfBirth', 'placeOfBirth', 'postkorbHandle'];

export const SAML_OID = {
  givenName: 'urn:oid:2.5.4.42',
  surname: 'urn:oid:2.5.4.4',
  postkorb: 'urn:oid:2.5.4.18',
  bpk2: 'urn:oid:1.3.6.1.4.1.25484.494450.3',
  storkQaa: 'urn:oid:1.2.40.0.10.2.1.1.261.94',
} as const;

export const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';

/** Tables whose rows a temporary login may change: the session, the audit trail, and bookkeeping without personal data. */
export const ACCOUNT_TABLES = [
  'accounts',
  'account_attributes',
  'account_tokens',
  'consents',
  'pairwise_ids',
  'eid_bindings',
  'federated_accounts',
  'passkey_users',
  'passkeys',
  'passkey_enrolments',
  'postkorb_mailboxes',
  'postkorb_messages',
];

export interface TempBed {
  readonly h: TestHub;
  readonly clock: LiveClock;
  readonly keys: KeyPair;
  /** SAML portals by `accounts` mode. */
  readonly both: FakePortal;
  readonly permanent: FakePortal;
  readonly temporaryOnly: FakePortal;
  readonly oidc: { readonly server: PortalServer; readonly clientId: string; readonly secret: string; readonly redirectUri: string };
  /** Points a portal's node-saml SP at the hub again, with these settings. */
  configure(portal: FakePortal, overrides?: Partial<SamlConfig>): void;
  close(): Promise<void>;
}

export async function startTempBed(options: { overrides?: Record<string, unknown> } = {}): Promise<TempBed> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skh-temp-'));
  const keys = await spKeyPair();
  const [both, permanent, temporaryOnly] = await Promise.all([FakePortal.start(), FakePortal.start(), FakePortal.start()]);
  const oidcServer = await new PortalServer().start();
  const secret = 't'.repeat(43);
  const secretFile = path.join(dir, 'oidc.secret');
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
  const saml = (id: string, portal: FakePortal, accounts: string | undefined): unknown => {
    const file = path.join(dir, `${id}-sp.xml`);
    writeFileSync(
      file,
      spMetadata({
        entityId: portal.entityId,
        acs: [{ url: portal.acsUrl, index: 0, isDefault: true }],
        signingCert: keys.certBase64,
        authnRequestsSigned: true,
      }),
    );
    return {
      id,
      name: { de: `Portal ${id}`, en: `Portal ${id}` },
      minLoa: 'low',
      attributes: ATTRIBUTES,
      ...(accounts ? { accounts } : {}),
      saml: { metadataFile: file },
    };
  };
  const redirectUri = `${oidcServer.url}/callback`;
  const portalsFile = path.join(dir, 'portals.yaml');
  writeFileSync(
    portalsFile,
    stringify({
      portals: [
        saml('beides', both, 'both'),
        saml('dauerhaft', permanent, undefined),
        saml('temporaer', temporaryOnly, 'temporary'),
        {
          id: 'app',
          name: { de: 'Portal app', en: 'Portal app' },
          minLoa: 'low',
          attributes: ATTRIBUTES,
          accounts: 'both',
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
  const clock = new LiveClock();
  const h = await startTestHub({ dir, clock, overrides: { federation: { portalsFile }, ...(options.overrides ?? {}) } });
  const hubCert = h.hub.keys.saml.signing.certificatePem!;
  const configure = (portal: FakePortal, overrides: Partial<SamlConfig> = {}): void => {
    portal.configure(h.url, hubCert, keys, overrides);
  };
  for (const p of [both, permanent, temporaryOnly]) configure(p);
  return {
    h,
    clock,
    keys,
    both,
    permanent,
    temporaryOnly,
    oidc: { server: oidcServer, clientId: 'app-client', secret, redirectUri },
    configure,
    async close() {
      await h.close();
      await Promise.all([both.close(), permanent.close(), temporaryOnly.close(), oidcServer.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Rows per table of the whole store. */
export async function rowCounts(h: TestHub): Promise<Record<string, number>> {
  const db = h.hub.store.db;
  const tables =
    h.hub.store.kind === 'sqlite'
      ? ((await db.raw(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)) as { name: string }[]).map(
          (r) => r.name,
        )
      : (
          (await db.raw(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`)) as {
            rows: { name: string }[];
          }
        ).rows.map((r) => r.name);
  const out: Record<string, number> = {};
  for (const table of tables.sort()) out[table] = Number((await db(table).count({ n: '*' }).first())?.n ?? 0);
  return out;
}

/** The tables whose row count differs. */
export function changedTables(before: Record<string, number>, after: Record<string, number>): string[] {
  return Object.keys({ ...before, ...after })
    .filter((t) => before[t] !== after[t])
    .sort();
}

/** Every value of every row of the store as one text, to look for personal data. */
export async function storeText(h: TestHub, except: readonly string[] = []): Promise<string> {
  const db = h.hub.store.db;
  const counts = await rowCounts(h);
  const parts: string[] = [];
  for (const table of Object.keys(counts)) {
    if (except.includes(table)) continue;
    for (const row of await db(table).select('*')) parts.push(`${table}: ${JSON.stringify(row)}`);
  }
  return parts.join('\n');
}

/** On the login page of a portal request: "Temporär anmelden", then the eID with a test card; returns the consent page. */
export async function temporaryEid(c: Client, page: Page, card: string): Promise<Page> {
  const form = page.root.querySelectorAll('form').find((f) => f.getAttribute('action') === '/anmelden/temporaer');
  if (!form) throw new Error(`no "Temporär anmelden" on ${page.url}: ${page.text.slice(0, 400)}`);
  let next = await c.submit({}, '/anmelden/temporaer');
  if (!/Temporär anmelden/.test(next.text)) throw new Error(`not on the temporary login page: ${next.text.slice(0, 300)}`);
  next = await c.submit({}, '/anmelden/ausweis');
  return chooseCard(c, card);
}
