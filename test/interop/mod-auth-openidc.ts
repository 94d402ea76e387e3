import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { peerPort, startProcess, waitForHttp, type PeerProcess } from './peer.ts';

/**
 * Apache httpd with mod_auth_openidc (Debian packages apache2-bin, libapache2-mod-auth-openidc)
 * as a portal's OpenID Connect relying party: its own `apache2 -f <httpd.conf> -DFOREGROUND` on a
 * free loopback port, with ServerRoot, PidFile, runtime and log folders in `dir` (the system
 * service is never touched). `/secure/` is protected by `AuthType openid-connect`; its page is
 * server-side included (mod_include, in-process) and prints the OIDC_CLAIM_* variables that
 * mod_auth_openidc sets, so the test reads what the RP itself accepted. `/abgemeldet.html` is the
 * public page logout returns to.
 */

const APACHE2 = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';
/** Debian's apache2-bin has core, http, so, log_config, logio, unixd, version and watchdog built in. */
const LOAD = [
  ['mpm_event_module', 'mod_mpm_event.so'],
  ['authn_core_module', 'mod_authn_core.so'],
  ['authz_core_module', 'mod_authz_core.so'],
  ['authz_user_module', 'mod_authz_user.so'],
  ['mime_module', 'mod_mime.so'],
  ['include_module', 'mod_include.so'],
  ['auth_openidc_module', 'mod_auth_openidc.so'],
] as const;

/** The claims the protected page prints one by one (the rest are in its full environment dump). */
export const PRINTED_CLAIMS = [
  'sub',
  'acr',
  'amr',
  'given_name',
  'family_name',
  'birthdate',
  'email',
  'email_verified',
  'iss',
  'aud',
] as const;

export interface ModAuthOpenidcOptions {
  readonly dir: string;
  /** Ports reserved already (the hub's), not to be used by this peer. */
  readonly takenPorts?: readonly number[];
  /** The OP's issuer (the hub's public URL); discovery is read from its well-known URL. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope: string;
  /** Extra authorization request parameters, unencoded (mod_auth_openidc wants them URL-encoded). */
  readonly authRequestParams?: Readonly<Record<string, string>>;
}

export interface ModAuthOpenidc {
  readonly url: string;
  /** The protected page. */
  readonly secureUrl: string;
  /** mod_auth_openidc's redirect URI (to register at the OP). */
  readonly redirectUri: string;
  /** Where logout returns to (to register as a post-logout redirect URI). */
  readonly loggedOutUrl: string;
  /** mod_auth_openidc's logout: its redirect URI with `logout=<return URL>`. */
  readonly logoutUrl: string;
  readonly process: PeerProcess;
  /** Apache's error log (mod_auth_openidc logs there). */
  errorLog(): string;
  stop(): Promise<void>;
}

function apacheQuote(value: string): string {
  if (/["\\\n]/.test(value)) throw new Error(`not quoted for Apache: ${value}`);
  return `"${value}"`;
}

const PAGE = `<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>Apache-Portal</title></head>
<body><main>
<h1>Apache-Portal: angemeldet</h1>
<table id="claims"><tr><th>Variable</th><th>Wert</th></tr>
${PRINTED_CLAIMS.map((c) => `<tr><td>OIDC_CLAIM_${c}</td><td id="claim-${c}"><!--#echo encoding="entity" var="OIDC_CLAIM_${c}" --></td></tr>`).join('\n')}
<tr><td>REMOTE_USER</td><td id="remote-user"><!--#echo encoding="entity" var="REMOTE_USER" --></td></tr>
</table>
<h2>Alle Variablen</h2>
<pre id="env"><!--#printenv --></pre>
<p><a id="logout" href="LOGOUT_URL">Abmelden</a></p>
</main></body></html>
`;

export async function startModAuthOpenidc(options: ModAuthOpenidcOptions): Promise<ModAuthOpenidc> {
  const port = await peerPort(options.takenPorts);
  const url = `http://127.0.0.1:${port}`;
  const dir = options.dir;
  const d = (...p: string[]): string => path.join(dir, ...p);
  for (const sub of ['conf', 'run', 'logs', 'htdocs/secure']) mkdirSync(d(sub), { recursive: true });
  // Apache's children run as www-data: they must reach the pages (the folders above `dir` must
  // let them pass too; nothing else there is readable for them).
  chmodSync(dir, 0o711);
  for (const sub of ['htdocs', 'htdocs/secure']) chmodSync(d(sub), 0o755);

  const redirectUri = `${url}/secure/redirect_uri`;
  const loggedOutUrl = `${url}/abgemeldet.html`;
  const logoutUrl = `${redirectUri}?logout=${encodeURIComponent(loggedOutUrl)}`;
  const params = new URLSearchParams(options.authRequestParams ?? {}).toString().replace(/\+/g, '%20');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

  const conf = [
    `ServerRoot ${apacheQuote(dir)}`,
    `ServerName 127.0.0.1:${port}`,
    `Listen 127.0.0.1:${port}`,
    `PidFile ${apacheQuote(d('run', 'httpd.pid'))}`,
    `DefaultRuntimeDir ${apacheQuote(d('run'))}`,
    `ErrorLog ${apacheQuote(d('logs', 'error.log'))}`,
    'LogLevel warn auth_openidc:debug',
    `LogFormat "%h %t \\"%r\\" %>s" short`,
    `CustomLog ${apacheQuote(d('logs', 'access.log'))} short`,
    ...LOAD.map(([name, file]) => `LoadModule ${name} ${MODULES}/${file}`),
    ...(isRoot ? ['User www-data', 'Group www-data'] : []),
    'StartServers 1',
    'ServerLimit 2',
    'ThreadsPerChild 16',
    'MinSpareThreads 4',
    'MaxSpareThreads 32',
    'MaxRequestWorkers 32',
    `DocumentRoot ${apacheQuote(d('htdocs'))}`,
    `<Directory ${apacheQuote(d('htdocs'))}>`,
    '  Options +Includes',
    '  Require all granted',
    '</Directory>',
    'TypesConfig /dev/null',
    'AddType text/html .shtml .html',
    'AddOutputFilter INCLUDES .shtml',
    'AddDefaultCharset utf-8',
    '',
    '# mod_auth_openidc: the hub as OpenID provider, this server as its client (portal).',
    `OIDCProviderMetadataURL ${apacheQuote(`${options.issuer}/.well-known/openid-configuration`)}`,
    `OIDCClientID ${apacheQuote(options.clientId)}`,
    `OIDCClientSecret ${apacheQuote(options.clientSecret)}`,
    'OIDCProviderTokenEndpointAuth client_secret_basic',
    `OIDCRedirectURI ${apacheQuote(redirectUri)}`,
    `OIDCCryptoPassphrase ${apacheQuote(randomBytes(24).toString('hex'))}`,
    `OIDCScope ${apacheQuote(options.scope)}`,
    'OIDCResponseType code',
    'OIDCPKCEMethod S256',
    ...(params ? [`OIDCAuthRequestParams ${apacheQuote(params)}`] : []),
    '# Plain http on loopback: no SameSite=None cookies (Chromium drops them without Secure).',
    'OIDCCookieSameSite On',
    'OIDCRemoteUserClaim sub',
    'OIDCPassClaimsAs environment',
    `OIDCDefaultLoggedOutURL ${apacheQuote(loggedOutUrl)}`,
    '<Location /secure>',
    '  AuthType openid-connect',
    '  Require valid-user',
    '</Location>',
    '',
  ].join('\n');
  const confFile = d('conf', 'httpd.conf');
  writeFileSync(confFile, conf);
  writeFileSync(d('htdocs', 'secure', 'index.shtml'), PAGE.replace('LOGOUT_URL', logoutUrl.replace(/&/g, '&amp;')));
  writeFileSync(
    d('htdocs', 'abgemeldet.html'),
    '<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Apache-Portal</title></head><body><main><h1>Abgemeldet</h1></main></body></html>\n',
  );

  // A syntax check first: its message is clearer than a server that does not come up.
  try {
    execFileSync(APACHE2, ['-t', '-f', confFile], { stdio: 'pipe' });
  } catch (err) {
    const e = err as { stderr?: Buffer };
    throw new Error(`apache2 -t refused ${confFile}:\n${e.stderr?.toString() ?? String(err)}\n${conf}`);
  }
  const proc = startProcess('Apache with mod_auth_openidc', APACHE2, ['-f', confFile, '-DFOREGROUND'], {
    logFile: d('logs', 'console.log'),
    cwd: dir,
  });
  await waitForHttp(loggedOutUrl, proc);
  return {
    url,
    secureUrl: `${url}/secure/index.shtml`,
    redirectUri,
    loggedOutUrl,
    logoutUrl,
    process: proc,
    errorLog() {
      try {
        return readFileSync(d('logs', 'error.log'), 'utf8');
      } catch {
        return '';
      }
    },
    stop: () => proc.stop(),
  };
}
