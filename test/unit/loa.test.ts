import test from 'ava';
import {
  LOA_LEVELS,
  acrValuesSupported,
  compareLoa,
  formatLoa,
  loaSatisfies,
  maxLoa,
  minLoa,
  parseAnyLoa,
  parseLoa,
  vocabularyOf,
  type Loa,
} from '../../src/core/loa.ts';

// Every spelling of ../shared/reference/specs.md section 1.7, one row per level.
const TABLE: Record<Loa, { stork: string; eidas?: string; bsi?: string; akdbOut: string; akdbIn: string[] }> = {
  basic: { stork: 'STORK-QAA-Level-1', akdbOut: 'UNTERGEORDNET', akdbIn: ['UNTERGEORDNET', 'Basisregistrierung'] },
  low: {
    stork: 'STORK-QAA-Level-2',
    eidas: 'http://eidas.europa.eu/LoA/low',
    bsi: 'http://bsi.bund.de/eID/LoA/normal',
    akdbOut: 'NORMAL',
    akdbIn: ['NORMAL', 'Niedrig'],
  },
  substantial: {
    stork: 'STORK-QAA-Level-3',
    eidas: 'http://eidas.europa.eu/LoA/substantial',
    bsi: 'http://bsi.bund.de/eID/LoA/substantiell',
    akdbOut: 'SUBSTANTIELL',
    akdbIn: ['SUBSTANTIELL'],
  },
  high: {
    stork: 'STORK-QAA-Level-4',
    eidas: 'http://eidas.europa.eu/LoA/high',
    bsi: 'http://bsi.bund.de/eID/LoA/hoch',
    akdbOut: 'HOCH',
    akdbIn: ['HOCH', 'Hoch'],
  },
};

test('the four levels are ordered basic < low < substantial < high', (t) => {
  t.deepEqual([...LOA_LEVELS], ['basic', 'low', 'substantial', 'high']);
  for (let i = 0; i < LOA_LEVELS.length; i++) {
    for (let j = 0; j < LOA_LEVELS.length; j++) {
      const a = LOA_LEVELS[i] as Loa;
      const b = LOA_LEVELS[j] as Loa;
      t.is(Math.sign(compareLoa(a, b)), Math.sign(i - j), `${a} vs ${b}`);
      t.is(loaSatisfies(a, b), i >= j, `${a} satisfies ${b}`);
    }
  }
  t.is(maxLoa('low', 'high', 'basic'), 'high');
  t.is(minLoa('low', 'high', 'substantial'), 'low');
  t.is(maxLoa(), undefined);
});

for (const level of LOA_LEVELS) {
  const row = TABLE[level];
  test(`${level}: every external spelling reads back as ${level}`, (t) => {
    t.is(parseLoa('stork', row.stork), level);
    if (row.eidas) t.is(parseLoa('eidas', row.eidas), level);
    if (row.bsi) t.is(parseLoa('bsi', row.bsi), level);
    for (const word of row.akdbIn) t.is(parseLoa('akdb', word), level, word);
    t.is(parseLoa('oidc', level), level, 'short name as acr value');
    t.is(parseLoa('oidc', formatLoa('oidc', level)), level, 'acr round trip');
  });

  test(`${level}: is written in each vocabulary as DECISIONS 3 says`, (t) => {
    t.is(formatLoa('stork', level), row.stork);
    t.is(formatLoa('akdb', level), row.akdbOut);
    // basic has no eIDAS or BSI URI: always STORK-QAA-Level-1.
    t.is(formatLoa('eidas', level), row.eidas ?? 'STORK-QAA-Level-1');
    t.is(formatLoa('bsi', level), row.bsi ?? 'STORK-QAA-Level-1');
    t.is(formatLoa('oidc', level), row.eidas ?? 'STORK-QAA-Level-1');
  });
}

test('STORK values are read leniently, since they are not absolute URIs', (t) => {
  t.is(parseLoa('stork', '  stork-qaa-level-3 '), 'substantial');
  t.is(parseAnyLoa('STORK-QAA-LEVEL-4'), 'high');
  t.is(parseLoa('stork', 'STORK-QAA-Level-5'), undefined);
  t.is(parseLoa('stork', 'STORK-QAA-Level-0'), undefined);
  t.is(parseLoa('stork', 'xSTORK-QAA-Level-2'), undefined);
});

test('unknown or near-miss values are not a level', (t) => {
  t.is(parseLoa('eidas', 'http://eidas.europa.eu/LoA/medium'), undefined);
  t.is(parseLoa('eidas', 'https://eidas.europa.eu/LoA/high'), undefined, 'https is another URI');
  t.is(parseLoa('bsi', 'http://bsi.bund.de/eID/LoA/undefined'), undefined);
  t.is(parseLoa('akdb', 'SEHR HOCH'), undefined);
  t.is(parseLoa('oidc', 'urn:mace:incommon:iap:silver'), undefined);
  t.is(parseAnyLoa(''), undefined);
});

test('the vocabulary of a request is recognised so the answer can use it', (t) => {
  t.is(vocabularyOf('STORK-QAA-Level-2'), 'stork');
  t.is(vocabularyOf('http://eidas.europa.eu/LoA/high'), 'eidas');
  t.is(vocabularyOf('http://bsi.bund.de/eID/LoA/hoch'), 'bsi');
  t.is(vocabularyOf('gold'), undefined);
});

test('acr_values_supported lists one value per level, basic as STORK', (t) => {
  t.deepEqual(acrValuesSupported(), [
    'STORK-QAA-Level-1',
    'http://eidas.europa.eu/LoA/low',
    'http://eidas.europa.eu/LoA/substantial',
    'http://eidas.europa.eu/LoA/high',
  ]);
});
