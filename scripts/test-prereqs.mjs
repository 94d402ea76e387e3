// Runs before `npm test`: makes sure the Debian packages the tests drive are installed
// (Chromium for the browser tests, xmlsec1 for the SAML signature checks, SimpleSAMLphp and
// Apache with mod_auth_openidc as the portals of the interop tests). As root it installs what is
// missing with apt-get; otherwise it stops at once and names the command to run (DECISIONS 19).
// Installing apache2 would start its system service on *:80: a temporary /usr/sbin/policy-rc.d
// that exits 101 keeps every service down during the install (the tests start their own peers).
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** Debian package → a file that proves it is installed. */
const PACKAGES = {
  chromium: '/usr/bin/chromium',
  // Independent check of the hub's XML signatures (SAML metadata, Responses, Assertions).
  xmlsec1: '/usr/bin/xmlsec1',
  // Interop (test/interop): SimpleSAMLphp as a SAML portal under `php -S` ...
  simplesamlphp: '/usr/share/simplesamlphp/lib/_autoload.php',
  'php-cli': '/usr/bin/php',
  'php-xml': '/usr/share/php8.2-xml/xml/dom.ini',
  'php-mbstring': '/usr/share/php8.2-mbstring/mbstring/mbstring.ini',
  // ... and Apache with mod_auth_openidc as an OpenID Connect portal (its own apache2 -f).
  'apache2-bin': '/usr/sbin/apache2',
  'libapache2-mod-auth-openidc': '/usr/lib/apache2/modules/mod_auth_openidc.so',
};

const missing = Object.entries(PACKAGES)
  .filter(([, file]) => !existsSync(file))
  .map(([pkg]) => pkg);

if (missing.length > 0) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(
      `The tests need these Debian packages: ${missing.join(' ')}\nInstall them with:\n  sudo apt-get install -y --no-install-recommends ${missing.join(' ')}`,
    );
    process.exit(1);
  }
  console.log(`Installing Debian packages for the tests: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\n# written by scripts/test-prereqs.mjs: no service starts\nexit 101\n', { mode: 0o755 });
  try {
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
}
