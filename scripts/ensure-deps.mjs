// Installs the npm dependencies when they are missing, so `npm start` and `npm test` work on a
// fresh clone. Runs before both (prestart, pretest).
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

const marker = 'node_modules/.package-lock.json';
if (!existsSync(marker)) {
  process.stdout.write('Installing dependencies (npm ci)…\n');
  execSync('npm ci', { stdio: 'inherit' });
}
