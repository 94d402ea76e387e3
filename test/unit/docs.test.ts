import { readFileSync } from 'node:fs';
import test from 'ava';
import { configurationMarkdown, portalsMarkdown, trustMarkdown } from '../../src/config/docs.ts';
import { errorsMarkdown } from '../../src/core/error-docs.ts';

const hint = 'regenerate with `npm run hub -- config docs`';

test('docs/configuration.md is the one generated from the schema', (t) => {
  t.is(readFileSync('docs/configuration.md', 'utf8'), configurationMarkdown(), hint);
});

test('docs/errors.md lists every error code the hub has, and no other', (t) => {
  t.is(readFileSync('docs/errors.md', 'utf8'), errorsMarkdown(), hint);
});

test('docs/trust.md describes every key of a partner entry, from the schema the hub checks with', (t) => {
  t.is(readFileSync('docs/trust.md', 'utf8'), trustMarkdown(), hint);
});

test('docs/portals.md describes every key of a portal entry, from the schema the hub checks with', (t) => {
  t.is(readFileSync('docs/portals.md', 'utf8'), portalsMarkdown(), hint);
});
