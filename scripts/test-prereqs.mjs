// Runs before `npm test`: makes sure the Debian packages the tests drive are installed
// (Chromium for the browser tests). As root it installs what is missing with apt-get;
// otherwise it stops at once and names the command to run (DECISIONS 19).
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** Debian package → a file that proves it is installed. */
const PACKAGES = {
  chromium: '/usr/bin/chromium',
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
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
}
