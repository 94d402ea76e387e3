import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { peerPort, startProcess, waitForHttp, type PeerProcess } from './peer.ts';
import { SIMPLESAMLPHP_DIR } from './simplesamlphp.ts';

/**
 * SimpleSAMLphp (Debian package `simplesamlphp`) as a partner state's IdP, under `php -S` on a
 * free loopback port with a configuration folder of its own (SIMPLESAMLPHP_CONFIG_DIR), as the
 * operator of that state would set it up:
 *
 * - saml20-idp-hosted with a signing key pair of its own, HTTP-Redirect and HTTP-POST SSO
 *   bindings, attributes by their urn:oid names (NameFormat uri), a persistent NameID derived
 *   from the bPK2 attribute (saml:PersistentNameID), a fixed AuthnContextClassRef
 *   (saml:AuthnContextClassRef; SimpleSAMLphp ignores RequestedAuthnContext), signed Response
 *   and Assertion, the assertion encrypted to the SP's encryption certificate, and signed
 *   AuthnRequests required (validate.authnrequest);
 * - its metadata signed with a second key pair (metadata.sign.enable), the one the hub pins;
 * - users from exampleauth:UserPass (a static list with their attributes);
 * - the hub as saml20-sp-remote, read by SimpleSAMLphp itself from the XML the hub publishes at
 *   /saml/metadata (metadata source type `xml`).
 *
 * The generated PHP configuration files only read JSON files beside them, so no value needs PHP
 * quoting.
 */

export const SAML_BINDING = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
} as const;
const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const AUTH_SOURCE = 'partner-users';

export interface PemPair {
  readonly keyPem: string;
  readonly certPem: string;
}

export interface IdpUser {
  readonly username: string;
  readonly password: string;
  /** SAML attribute Name → values. */
  readonly attributes: Readonly<Record<string, readonly string[]>>;
}

export interface SimpleSamlPhpIdpOptions {
  readonly dir: string;
  /** Ports reserved already (the hub's), not to be used by this peer. */
  readonly takenPorts?: readonly number[];
  /** Signs Responses and Assertions (published in its metadata). */
  readonly signing: PemPair;
  /** Signs the metadata document (pinned by the hub). */
  readonly metadataSigning: PemPair;
  /** What SimpleSAMLphp states for every login, whatever was asked for. */
  readonly authnContextClassRef: string;
  /** The attribute the persistent NameID is derived from. */
  readonly nameIdAttribute: string;
  readonly users: readonly IdpUser[];
  readonly encryptAssertion: boolean;
  readonly displayName: { readonly de: string; readonly en: string };
}

export interface SimpleSamlPhpIdp {
  readonly url: string;
  readonly entityId: string;
  /** Where its (signed) IdP metadata is served; also its entityID. */
  readonly metadataUrl: string;
  readonly process: PeerProcess;
  /** Its metadata as served. */
  metadata(): Promise<string>;
  /** Hands SimpleSAMLphp the hub's metadata XML (saml20-sp-remote; read on the next request). */
  setSpMetadata(xml: string): void;
  /** SimpleSAMLphp's log lines (its logging handler writes to a file in `dir`). */
  log(): string;
  stop(): Promise<void>;
}

/** Throws a clear error when the Debian packages this peer needs are missing. */
export function requireSimpleSamlPhp(): void {
  const missing = [
    [path.join(SIMPLESAMLPHP_DIR, 'www', 'saml2', 'idp', 'SSOService.php'), 'simplesamlphp'],
    ['/usr/bin/php', 'php-cli'],
  ].filter(([file]) => !existsSync(file!));
  if (missing.length > 0) {
    throw new Error(
      `SimpleSAMLphp interop test needs ${missing.map(([file, pkg]) => `${pkg} (${file})`).join(' and ')}: ` +
        `apt-get install --no-install-recommends ${missing.map(([, pkg]) => pkg).join(' ')}`,
    );
  }
}

/** A PHP file that sets `$variable` from a JSON file. */
function phpJsonFile(variable: string, jsonFile: string): string {
  return `<?php\n$${variable} = json_decode(file_get_contents(${JSON.stringify(jsonFile)}), true, 64, JSON_THROW_ON_ERROR);\n`;
}

function writeJsonAndPhp(dir: string, name: string, variable: string, value: unknown): void {
  const json = path.join(dir, `${name}.json`);
  writeFileSync(json, JSON.stringify(value, null, 2));
  writeFileSync(path.join(dir, `${name}.php`), phpJsonFile(variable, json));
}

export async function startSimpleSamlPhpIdp(options: SimpleSamlPhpIdpOptions): Promise<SimpleSamlPhpIdp> {
  requireSimpleSamlPhp();
  const port = await peerPort(options.takenPorts);
  const url = `http://127.0.0.1:${port}`;
  const metadataUrl = `${url}/saml2/idp/metadata.php`;
  const entityId = metadataUrl;
  const dir = options.dir;
  const d = (...p: string[]): string => path.join(dir, ...p);
  for (const sub of ['config', 'cert', 'metadata', 'log', 'tmp', 'data', 'sessions']) mkdirSync(d(sub), { recursive: true });

  writeFileSync(d('cert', 'idp.pem'), options.signing.keyPem, { mode: 0o600 });
  writeFileSync(d('cert', 'idp.crt'), options.signing.certPem);
  writeFileSync(d('cert', 'metadata.pem'), options.metadataSigning.keyPem, { mode: 0o600 });
  writeFileSync(d('cert', 'metadata.crt'), options.metadataSigning.certPem);
  const spMetadataFile = d('metadata', 'hub-sp.xml');

  const config = {
    baseurlpath: `${url}/`,
    certdir: d('cert'),
    loggingdir: d('log'),
    datadir: d('data'),
    tempdir: d('tmp'),
    metadatadir: d('metadata'),
    attributenamemapdir: path.join(SIMPLESAMLPHP_DIR, 'attributemap'),
    technicalcontact_name: 'Interop test',
    technicalcontact_email: 'interop@example.org',
    timezone: 'Europe/Berlin',
    // Fixed, so persistent NameIDs survive a restart.
    secretsalt: 'interop-idp-salt-not-secret',
    'auth.adminpassword': 'interop-idp-admin-not-secret',
    'admin.protectindexpage': false,
    'admin.protectmetadata': false,
    'admin.checkforupdates': false,
    'trusted.url.domains': [`127.0.0.1:${port}`],
    'enable.saml20-idp': true,
    'enable.shib13-idp': false,
    showerrors: true,
    errorreporting: false,
    debug: { saml: false, backtraces: true, validatexml: false },
    'logging.level': 7, // SimpleSAML\Logger::DEBUG
    'logging.handler': 'file',
    'logging.logfile': 'simplesamlphp.log',
    'statistics.out': [],
    'module.enable': { core: true, saml: true, exampleauth: true },
    'store.type': 'phpsession',
    'session.phpsession.savepath': d('sessions'),
    'session.phpsession.cookiename': 'SimpleSAML',
    'session.authtoken.cookiename': 'SimpleSAMLAuthToken',
    // Plain http on loopback: a Secure or SameSite=None cookie would be dropped by Chromium.
    'session.cookie.secure': false,
    'session.cookie.samesite': null,
    'language.cookie.secure': false,
    'language.default': 'de',
    'metadata.sources': [
      { type: 'flatfile', directory: d('metadata') },
      { type: 'xml', file: spMetadataFile },
    ],
  };
  writeJsonAndPhp(d('config'), 'config', 'config', config);

  const authsources: Record<string, unknown> = {
    admin: { 0: 'core:AdminPassword' },
    [AUTH_SOURCE]: {
      0: 'exampleauth:UserPass',
      ...Object.fromEntries(options.users.map((u) => [`${u.username}:${u.password}`, u.attributes])),
    },
  };
  writeJsonAndPhp(d('config'), 'authsources', 'config', authsources);

  const hosted = {
    [entityId]: {
      host: '__DEFAULT__',
      auth: AUTH_SOURCE,
      privatekey: 'idp.pem',
      certificate: 'idp.crt',
      'metadata.sign.enable': true,
      'metadata.sign.privatekey': 'metadata.pem',
      'metadata.sign.certificate': 'metadata.crt',
      'metadata.sign.algorithm': RSA_SHA256,
      'signature.algorithm': RSA_SHA256,
      'saml20.sign.response': true,
      'saml20.sign.assertion': true,
      'assertion.encryption': options.encryptAssertion,
      'validate.authnrequest': true,
      'attributes.NameFormat': 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
      NameIDFormat: [PERSISTENT, TRANSIENT],
      SingleSignOnServiceBinding: [SAML_BINDING.redirect, SAML_BINDING.post],
      SingleLogoutServiceBinding: [SAML_BINDING.redirect],
      OrganizationName: options.displayName,
      OrganizationDisplayName: options.displayName,
      OrganizationURL: { de: `${url}/`, en: `${url}/` },
      authproc: {
        10: { class: 'saml:AuthnContextClassRef', AuthnContextClassRef: options.authnContextClassRef },
        20: { class: 'saml:PersistentNameID', attribute: options.nameIdAttribute },
      },
    },
  };
  writeJsonAndPhp(d('metadata'), 'saml20-idp-hosted', 'metadata', hosted);
  // The hub's metadata follows once the hub runs; until then an empty (valid) entity list.
  writeFileSync(spMetadataFile, '<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"/>\n');

  const proc = startProcess(
    'SimpleSAMLphp IdP (php -S)',
    '/usr/bin/php',
    ['-S', `127.0.0.1:${port}`, '-t', path.join(SIMPLESAMLPHP_DIR, 'www')],
    {
      env: { ...process.env, SIMPLESAMLPHP_CONFIG_DIR: d('config'), PHP_CLI_SERVER_WORKERS: '4' },
      logFile: d('log', 'php-server.log'),
    },
  );
  await waitForHttp(metadataUrl, proc);
  const idp: SimpleSamlPhpIdp = {
    url,
    entityId,
    metadataUrl,
    process: proc,
    async metadata() {
      const res = await fetch(metadataUrl);
      const text = await res.text();
      if (res.status !== 200 || !text.includes('IDPSSODescriptor')) {
        throw new Error(`SimpleSAMLphp IdP metadata: HTTP ${res.status}\n${text.slice(0, 2000)}\n${proc.output().slice(-2000)}`);
      }
      return text;
    },
    setSpMetadata(xml: string) {
      writeFileSync(spMetadataFile, xml);
    },
    log() {
      try {
        return readFileSync(d('log', 'simplesamlphp.log'), 'utf8');
      } catch {
        return '';
      }
    },
    stop: () => proc.stop(),
  };
  return idp;
}
