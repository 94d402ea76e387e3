/**
 * Levels of assurance. The only place that knows how a level is spelled outside the hub.
 *
 * `basic` is the German "Basisregistrierung" (self-declared data, STORK-QAA-Level-1); the other
 * three are the eIDAS levels. Everything else in the hub compares `Loa` values with the
 * functions below, never strings.
 */

export const LOA_LEVELS = ['basic', 'low', 'substantial', 'high'] as const;
export type Loa = (typeof LOA_LEVELS)[number];
/** The levels that eIDAS defines; `basic` has no eIDAS URI. */
export type EidasLoa = Exclude<Loa, 'basic'>;

/** External vocabularies a level is written in. */
export type LoaVocabulary = 'eidas' | 'stork' | 'bsi' | 'akdb' | 'oidc';

const RANK: Readonly<Record<Loa, number>> = { basic: 0, low: 1, substantial: 2, high: 3 };

export function isLoa(value: unknown): value is Loa {
  return typeof value === 'string' && (LOA_LEVELS as readonly string[]).includes(value);
}

export function compareLoa(a: Loa, b: Loa): number {
  return RANK[a] - RANK[b];
}

/** True when `reached` satisfies a requirement of `required`. */
export function loaSatisfies(reached: Loa, required: Loa): boolean {
  return RANK[reached] >= RANK[required];
}

export function maxLoa(...levels: readonly Loa[]): Loa | undefined {
  return levels.reduce<Loa | undefined>((best, l) => (best === undefined || RANK[l] > RANK[best] ? l : best), undefined);
}

export function minLoa(...levels: readonly Loa[]): Loa | undefined {
  return levels.reduce<Loa | undefined>((low, l) => (low === undefined || RANK[l] < RANK[low] ? l : low), undefined);
}

/** The levels at or below `loa`, lowest first. */
export function loaAndBelow(loa: Loa): Loa[] {
  return LOA_LEVELS.filter((l) => RANK[l] <= RANK[loa]);
}

export const EIDAS_LOA_URI: Readonly<Record<EidasLoa, string>> = {
  low: 'http://eidas.europa.eu/LoA/low',
  substantial: 'http://eidas.europa.eu/LoA/substantial',
  high: 'http://eidas.europa.eu/LoA/high',
};

/** BSI TR-03130 URIs. TR-03107 calls `low` "normal". */
export const BSI_LOA_URI: Readonly<Record<EidasLoa, string>> = {
  low: 'http://bsi.bund.de/eID/LoA/normal',
  substantial: 'http://bsi.bund.de/eID/LoA/substantiell',
  high: 'http://bsi.bund.de/eID/LoA/hoch',
};

const STORK_LEVEL: Readonly<Record<Loa, 1 | 2 | 3 | 4>> = { basic: 1, low: 2, substantial: 3, high: 4 };

/** akdb:TrustLevel as BundID's example responses spell it. */
const AKDB_OUT: Readonly<Record<Loa, string>> = {
  basic: 'UNTERGEORDNET',
  low: 'NORMAL',
  substantial: 'SUBSTANTIELL',
  high: 'HOCH',
};

/** Both spellings of the BundID interface description (table words and example words). */
const AKDB_IN: Readonly<Record<string, Loa>> = {
  UNTERGEORDNET: 'basic',
  BASISREGISTRIERUNG: 'basic',
  NORMAL: 'low',
  NIEDRIG: 'low',
  SUBSTANTIELL: 'substantial',
  SUBSTANZIELL: 'substantial',
  HOCH: 'high',
};

const STORK_PATTERN = /^stork-qaa-level-([1-4])$/i;

function byValue<K extends string>(table: Readonly<Record<K, string>>, value: string): K | undefined {
  for (const [key, v] of Object.entries(table) as [K, string][]) {
    if (v === value) return key;
  }
  return undefined;
}

function parseStork(value: string): Loa | undefined {
  const m = STORK_PATTERN.exec(value);
  return m ? LOA_LEVELS[Number(m[1]) - 1] : undefined;
}

/**
 * Reads a level written in one vocabulary. STORK values are not absolute URIs, so they are
 * matched leniently (case and surrounding blanks ignored). Unknown values give `undefined`.
 */
export function parseLoa(vocabulary: LoaVocabulary, raw: string): Loa | undefined {
  const value = raw.trim();
  switch (vocabulary) {
    case 'eidas':
      return byValue(EIDAS_LOA_URI, value);
    case 'stork':
      return parseStork(value);
    case 'bsi':
      return byValue(BSI_LOA_URI, value);
    case 'akdb':
      return AKDB_IN[value.toUpperCase()];
    case 'oidc':
      return parseAcr(value);
  }
}

/** Reads a level in any vocabulary a portal or partner may use for an AuthnContextClassRef. */
export function parseAnyLoa(raw: string): Loa | undefined {
  return parseLoa('eidas', raw) ?? parseLoa('stork', raw) ?? parseLoa('bsi', raw);
}

/** OIDC `acr` / `acr_values`: eIDAS URIs, STORK values and the short names. */
function parseAcr(value: string): Loa | undefined {
  if (isLoa(value)) return value;
  return parseAnyLoa(value);
}

/** The vocabulary a requested AuthnContextClassRef was written in, so the answer can use it. */
export function vocabularyOf(raw: string): LoaVocabulary | undefined {
  for (const v of ['eidas', 'stork', 'bsi'] as const) {
    if (parseLoa(v, raw) !== undefined) return v;
  }
  return undefined;
}

/**
 * Writes a level in a vocabulary. `basic` has no eIDAS or BSI URI; DECISIONS 3 says it is then
 * always written as STORK-QAA-Level-1.
 */
export function formatLoa(vocabulary: LoaVocabulary, loa: Loa): string {
  switch (vocabulary) {
    case 'stork':
      return `STORK-QAA-Level-${STORK_LEVEL[loa]}`;
    case 'akdb':
      return AKDB_OUT[loa];
    case 'eidas':
    case 'oidc':
      return loa === 'basic' ? formatLoa('stork', loa) : EIDAS_LOA_URI[loa];
    case 'bsi':
      return loa === 'basic' ? formatLoa('stork', loa) : BSI_LOA_URI[loa];
  }
}

/** All `acr` values the OIDC side accepts, for `acr_values_supported`. */
export function acrValuesSupported(): string[] {
  return LOA_LEVELS.map((l) => formatLoa('oidc', l));
}
