/**
 * The operator CLI: `npm run hub -- <command>`.
 *
 *   config check   validate the configuration (config/default.yaml, HUB_CONFIG, environment)
 *                  and print every problem with file, line and key path; exit 1 on problems
 *   config docs    write docs/configuration.md and docs/errors.md from the schema
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { configurationMarkdown } from '../src/config/docs.ts';
import { loadHubConfig } from '../src/config/load.ts';
import { errorsMarkdown } from '../src/core/error-docs.ts';
import { ConfigError, formatConfigProblem } from '../src/core/errors.ts';
import { PROJECT_ROOT } from '../src/main.ts';

function usage(): never {
  process.stderr.write('usage: npm run hub -- config check | config docs\n');
  process.exit(2);
}

const [group, command] = process.argv.slice(2);
if (group !== 'config') usage();

if (command === 'check') {
  try {
    const { files, production } = loadHubConfig({ root: PROJECT_ROOT });
    process.stdout.write(`configuration is valid (${files.join(', ')}${production ? ', production rules' : ''})\n`);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) process.stderr.write(`${formatConfigProblem(p)}\n`);
    process.stderr.write(`${err.problems.length} problem(s); the hub would not start.\n`);
    process.exit(1);
  }
} else if (command === 'docs') {
  writeFileSync(path.join(PROJECT_ROOT, 'docs', 'configuration.md'), configurationMarkdown());
  writeFileSync(path.join(PROJECT_ROOT, 'docs', 'errors.md'), errorsMarkdown());
  process.stdout.write('wrote docs/configuration.md and docs/errors.md\n');
} else {
  usage();
}
