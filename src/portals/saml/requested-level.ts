import { compareLoa, formatLoa, LOA_LEVELS, maxLoa, minLoa, parseAnyLoa, vocabularyOf, type Loa } from '../../core/loa.ts';

/**
 * RequestedAuthnContext → the level a login must reach, and how the answer states it.
 *
 * Class references are read in every vocabulary the core knows (eIDAS URIs, STORK-QAA-Level-1..4,
 * BSI TR-03130 URIs). The generic SAML classes (`urn:oasis:names:tc:SAML:2.0:ac:classes:…`, which
 * SP libraries send by default) ask for no particular level and are ignored. Comparison (SAML Core
 * 3.3.2.2.1): `minimum` at least one of them, `exact` one of them, `better` stronger than one of
 * them, `maximum` as strong as possible but not above one of them. The portal's configured
 * minimum always applies. The answer uses the request's vocabulary: STORK in, STORK out,
 * otherwise the eIDAS URI; `basic` is always STORK-QAA-Level-1 (DECISIONS 3).
 */

export type Comparison = 'exact' | 'minimum' | 'better' | 'maximum';
export type AnswerVocabulary = 'eidas' | 'stork';

export interface LevelRequest {
  readonly comparison: Comparison;
  readonly classRefs: readonly string[];
}

export type LevelPlan =
  | {
      readonly ok: true;
      readonly minLoa: Loa;
      readonly vocabulary: AnswerVocabulary;
      /** exact: the levels the answer may state. */
      readonly allowed?: readonly Loa[];
      /** maximum: the highest level the answer may state. */
      readonly cap?: Loa;
    }
  | { readonly ok: false; readonly reason: string };

const GENERIC = /^urn:oasis:names:tc:SAML:2\.0:ac:classes:/;

export function isComparison(value: string): value is Comparison {
  return value === 'exact' || value === 'minimum' || value === 'better' || value === 'maximum';
}

export function planLevel(portalMin: Loa, request: LevelRequest | undefined): LevelPlan {
  if (!request) return { ok: true, minLoa: portalMin, vocabulary: 'eidas' };
  const specific = request.classRefs.map((r) => r.trim()).filter((r) => !GENERIC.test(r));
  if (specific.length === 0) return { ok: true, minLoa: portalMin, vocabulary: 'eidas' };
  const understood = specific.filter((r) => parseAnyLoa(r) !== undefined);
  if (understood.length === 0) return { ok: false, reason: `no known level among ${specific.join(', ')}` };
  const levels = understood.map((r) => parseAnyLoa(r) as Loa);
  const vocabulary: AnswerVocabulary = vocabularyOf(understood[0]!) === 'stork' ? 'stork' : 'eidas';
  const lowest = minLoa(...levels) as Loa;
  switch (request.comparison) {
    case 'minimum':
      return { ok: true, minLoa: maxLoa(portalMin, lowest) as Loa, vocabulary };
    case 'better': {
      const next = LOA_LEVELS.find((l) => compareLoa(l, lowest) > 0);
      if (!next) return { ok: false, reason: `nothing is better than ${lowest}` };
      return { ok: true, minLoa: maxLoa(portalMin, next) as Loa, vocabulary };
    }
    case 'exact': {
      const allowed = [...new Set(levels)].filter((l) => compareLoa(l, portalMin) >= 0).sort(compareLoa);
      if (allowed.length === 0)
        return { ok: false, reason: `the portal needs at least ${portalMin}; exactly ${levels.join('/')} was asked` };
      return { ok: true, minLoa: allowed[0]!, vocabulary, allowed };
    }
    case 'maximum': {
      const cap = maxLoa(...levels) as Loa;
      if (compareLoa(cap, portalMin) < 0) return { ok: false, reason: `the portal needs at least ${portalMin}; at most ${cap} was asked` };
      return { ok: true, minLoa: portalMin, vocabulary, cap };
    }
  }
}

/** The level the answer states for a login that reached `reached`; undefined when none fits. */
export function statedLevel(plan: Extract<LevelPlan, { ok: true }>, reached: Loa): Loa | undefined {
  if (compareLoa(reached, plan.minLoa) < 0) return undefined;
  if (plan.allowed) return [...plan.allowed].reverse().find((l) => compareLoa(l, reached) <= 0);
  if (plan.cap) return minLoa(reached, plan.cap);
  return reached;
}

export function classRef(vocabulary: AnswerVocabulary, loa: Loa): string {
  return formatLoa(vocabulary, loa);
}
