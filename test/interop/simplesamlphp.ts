import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KeyPair } from '../portals/saml/helpers.ts';
import { peerPort, startProcess, waitForHttp, type PeerProcess } from './peer.ts';

/**
 * SimpleSAMLphp (Debian package `simplesamlphp`) as a portal's SAML SP, under `php -S` on a free
 * loopback port with a configuration folder of its own (SIMPLESAMLPHP_CONFIG_DIR). Everything is
 * generated into `dir`: config.php and authsources.php (their settings as JSON, read by two lines
 * of PHP, so no value needs PHP quoting), the SP's key pair, a router that serves a small portal
 * page at /portal/ beside SimpleSAMLphp's own www folder, and the hub's IdP metadata, which
 * SimpleSAMLphp reads itself from the XML the hub publishes (metadata source type `xml`).
 *
 * The portal page is what an operator writes with SimpleSAMLphp's public API
 * (`\SimpleSAML\Auth\Simple`): requireAuth(), then it prints the attributes by their SAML names,
 * the AuthnContextClassRef and the NameID; `?logout=1` starts SP-initiated single logout.
 */

export const SIMPLESAMLPHP_DIR = '/usr/share/simplesamlphp';
const AUTH_SOURCE = 'default-sp';

export interface SimpleSamlPhpOptions {
  readonly dir: string;
  /** Ports reserved already (the hub's), not to be used by this peer. */
  readonly takenPorts?: readonly number[];
  /** The hub's entityID (`<publicUrl>/saml/metadata`). */
  readonly idpEntityId: string;
  readonly keys: KeyPair;
  /** Refuse assertions that are not encrypted (SP setting `assertion.encryption`). */
  readonly requireEncryptedAssertion: boolean;
  /** Sent in RequestedAuthnContext (Comparison exact, SimpleSAMLphp's default), if set. */
  readonly authnContextClassRef?: string;
}

export interface SimpleSamlPhp {
  readonly url: string;
  readonly entityId: string;
  /** The portal page (protected by requireAuth). */
  readonly portalUrl: string;
  readonly process: PeerProcess;
  /** SimpleSAMLphp's own SP metadata, as its metadata endpoint serves it. */
  spMetadata(): Promise<string>;
  /** Hands SimpleSAMLphp the hub's IdP metadata XML (read on the next request). */
  setIdpMetadata(xml: string): void;
  /** SimpleSAMLphp's log lines (its logging handler writes to a file in `dir`). */
  log(): string;
  stop(): Promise<void>;
}

/** JSON read by PHP: the generated configuration files hold only this. */
function phpJsonFile(variable: string, jsonFile: string): string {
  return `<?php\n$${variable} = json_decode(file_get_contents(${JSON.stringify(jsonFile)}), true, 64, JSON_THROW_ON_ERROR);\n`;
}

const ROUTER = `<?php
// The portal page; everything else is SimpleSAMLphp's www folder as php -S serves it.
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if ($path === '/portal/' || $path === '/portal/abgemeldet') {
    require __DIR__ . '/portal.php';
    return true;
}
return false;
`;

const PORTAL = `<?php
require_once '${SIMPLESAMLPHP_DIR}/lib/_autoload.php';
$as = new \\SimpleSAML\\Auth\\Simple('${AUTH_SOURCE}');
$self = \\SimpleSAML\\Utils\\HTTP::getSelfURLHost();
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if (isset($_GET['logout'])) {
    $as->logout(['ReturnTo' => $self . '/portal/abgemeldet', 'ReturnStateParam' => 'LogoutState', 'ReturnStateStage' => 'PortalLogout']);
}
$h = function ($s) { return htmlspecialchars((string) $s, ENT_QUOTES, 'UTF-8'); };
header('Content-Type: text/html; charset=utf-8');
if ($path === '/portal/abgemeldet') {
    echo '<!DOCTYPE html><html lang="de"><head><title>Portal</title></head><body><main><h1>Abgemeldet</h1>';
    // The IdP's LogoutResponse status, as SimpleSAMLphp recorded it in the logout state.
    $state = isset($_GET['LogoutState']) ? \\SimpleSAML\\Auth\\State::loadState((string) $_GET['LogoutState'], 'PortalLogout') : null;
    $status = $state['saml:sp:LogoutStatus'] ?? null;
    echo '<p id="status">' . ($as->isAuthenticated() ? 'angemeldet' : 'nicht angemeldet') . '</p>';
    echo '<pre id="logout-status">' . $h(json_encode($status, JSON_UNESCAPED_SLASHES)) . '</pre></main></body></html>';
    exit;
}
$as->requireAuth();
$attributes = $as->getAttributes();
$nameId = $as->getAuthData('saml:sp:NameID');
$report = [
    'attributes' => $attributes,
    'authnContext' => $as->getAuthData('saml:sp:AuthnContext'),
    'idp' => $as->getAuthData('saml:sp:IdP'),
    'sessionIndex' => $as->getAuthData('saml:sp:SessionIndex'),
    'nameId' => $nameId === null ? null : ['value' => $nameId->getValue(), 'format' => $nameId->getFormat()],
];
echo '<!DOCTYPE html><html lang="de"><head><title>Portal</title></head><body><main>';
echo '<h1>SimpleSAMLphp-Portal: angemeldet</h1>';
echo '<p>Stufe: <span id="authn-context">' . $h($report['authnContext']) . '</span></p>';
echo '<table id="attributes"><tr><th>Name</th><th>Wert</th></tr>';
foreach ($attributes as $name => $values) {
    echo '<tr><td>' . $h($name) . '</td><td>' . $h(implode(' | ', $values)) . '</td></tr>';
}
echo '</table><pre id="report">' . $h(json_encode($report, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE)) . '</pre>';
echo '<p><a id="logout" href="/portal/?logout=1">Abmelden</a></p></main></body></html>';
`;

export async function startSimpleSamlPhp(options: SimpleSamlPhpOptions): Promise<SimpleSamlPhp> {
  const port = await peerPort(options.takenPorts);
  const url = `http://127.0.0.1:${port}`;
  const entityId = `${url}/sp`;
  const dir = options.dir;
  const d = (...p: string[]): string => path.join(dir, ...p);
  for (const sub of ['config', 'cert', 'metadata', 'log', 'tmp', 'data', 'sessions', 'www']) mkdirSync(d(sub), { recursive: true });

  writeFileSync(d('cert', 'sp.pem'), options.keys.keyPem, { mode: 0o600 });
  writeFileSync(d('cert', 'sp.crt'), options.keys.certPem);
  const idpMetadataFile = d('metadata', 'hub-idp.xml');

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
    secretsalt: 'interop-test-salt-not-secret',
    'auth.adminpassword': 'interop-test-admin-not-secret',
    'admin.protectindexpage': false,
    'admin.protectmetadata': false,
    'admin.checkforupdates': false,
    'trusted.url.domains': [`127.0.0.1:${port}`],
    'enable.saml20-idp': false,
    'enable.shib13-idp': false,
    showerrors: true,
    errorreporting: false,
    debug: { saml: false, backtraces: true, validatexml: false },
    'logging.level': 7, // SimpleSAML\Logger::DEBUG
    'logging.handler': 'file',
    'logging.logfile': 'simplesamlphp.log',
    'statistics.out': [],
    'module.enable': { core: true, saml: true, exampleauth: false },
    'store.type': 'phpsession',
    'session.phpsession.savepath': d('sessions'),
    'session.phpsession.cookiename': 'SimpleSAML',
    'session.authtoken.cookiename': 'SimpleSAMLAuthToken',
    // Plain http on loopback: a Secure or SameSite=None cookie would be dropped by Chromium.
    'session.cookie.secure': false,
    'session.cookie.samesite': null,
    'language.cookie.secure': false,
    'language.default': 'de',
    'metadata.sources': [{ type: 'xml', file: idpMetadataFile }],
  };
  writeFileSync(d('config', 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(d('config', 'config.php'), phpJsonFile('config', d('config', 'config.json')));

  const authsources = {
    [AUTH_SOURCE]: {
      0: 'saml:SP',
      entityID: entityId,
      idp: options.idpEntityId,
      privatekey: 'sp.pem',
      certificate: 'sp.crt',
      'sign.authnrequest': true,
      'sign.logout': true,
      'redirect.sign': true,
      'signature.algorithm': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      'assertion.encryption': options.requireEncryptedAssertion,
      NameIDPolicy: { Format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', AllowCreate: true },
      ...(options.authnContextClassRef ? { AuthnContextClassRef: options.authnContextClassRef } : {}),
      name: { de: 'SimpleSAMLphp-Portal', en: 'SimpleSAMLphp portal' },
    },
  };
  writeFileSync(d('config', 'authsources.json'), JSON.stringify(authsources, null, 2));
  writeFileSync(d('config', 'authsources.php'), phpJsonFile('config', d('config', 'authsources.json')));
  // The IdP metadata follows once the hub runs; until then an empty (valid) entity list.
  writeFileSync(idpMetadataFile, '<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"/>\n');

  writeFileSync(d('www', 'router.php'), ROUTER);
  writeFileSync(d('www', 'portal.php'), PORTAL);

  const proc = startProcess(
    'SimpleSAMLphp (php -S)',
    '/usr/bin/php',
    ['-S', `127.0.0.1:${port}`, '-t', path.join(SIMPLESAMLPHP_DIR, 'www'), d('www', 'router.php')],
    {
      env: { ...process.env, SIMPLESAMLPHP_CONFIG_DIR: d('config'), PHP_CLI_SERVER_WORKERS: '4' },
      logFile: d('log', 'php-server.log'),
    },
  );
  const metadataUrl = `${url}/module.php/saml/sp/metadata.php/${AUTH_SOURCE}`;
  await waitForHttp(`${url}/portal/abgemeldet`, proc);
  return {
    url,
    entityId,
    portalUrl: `${url}/portal/`,
    process: proc,
    async spMetadata() {
      const res = await fetch(metadataUrl);
      const text = await res.text();
      if (res.status !== 200 || !text.includes('EntityDescriptor')) {
        throw new Error(`SimpleSAMLphp metadata: HTTP ${res.status}\n${text.slice(0, 2000)}\n${proc.output()}`);
      }
      return text;
    },
    setIdpMetadata(xml: string) {
      writeFileSync(idpMetadataFile, xml);
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
}
