import type { AttributeName, AttributeValue, Attributes } from '../core/attributes.ts';
import { compareLoa, loaSatisfies, minLoa, parseLoa, type Loa } from '../core/loa.ts';
import { FILTERED_FOREIGN_ATTRIBUTES, type PartnerConfig } from '../config/trust.ts';

/**
 * From what a partner asserted to the hub's vocabulary (pure functions):
 *
 * - The level: the AuthnContextClassRef through the partner's LoA map (an unknown one fails the
 *   login: the hub does not guess), then capped by the partner's `cap` (DESIGN: LoA never goes up
 *   on its way through the hub).
 * - Attributes by Name through the partner's map; unmapped ones are dropped, the eIDAS
 *   PersonIdentifier and postbox references are dropped whatever the map says (FINK). Each value
 *   keeps the level the partner gave it (akdb:TrustLevel, both spellings) but never above the
 *   login's capped level; without one it gets the login's level. Its source is `upstream:<id>`.
 * - The identifier of the other account (its bPK2, or a persistent NameID) is passed on with
 *   the prefix naming that account (`HH:…`), as `foreignId`.
 * - AssertionProvedBy and the other values that describe the partner's login are not taken
 *   over: the hub's answer says FINK (the method `upstream`).
 */

export interface AssertedAttribute {
  readonly name: string;
  readonly values: readonly string[];
  /** akdb:TrustLevel, when the partner sent one. */
  readonly trustLevel?: string | undefined;
}

export interface Asserted {
  readonly nameId: string;
  readonly nameIdFormat: string | undefined;
  readonly classRef: string;
  readonly attributes: readonly AssertedAttribute[];
}

export type Mapped =
  | {
      readonly ok: true;
      /** The partner's claim after its map, before the cap. */
      readonly claimed: Loa;
      readonly loa: Loa;
      readonly attributes: Attributes;
      /** Foreign names that were dropped (unmapped or filtered), for the log. */
      readonly dropped: readonly string[];
      /**
       * What the local federated account is keyed by, when not the NameID (eIDAS: the
       * PersonIdentifier, stable whatever NameID format the node used).
       */
      readonly subject?: string | undefined;
    }
  | { readonly ok: false; readonly reason: 'unknown-level'; readonly classRef: string }
  | {
      readonly ok: false;
      readonly reason: 'missing-attributes';
      /** The mandatory attributes (FriendlyNames) that were absent, empty or unreadable. */
      readonly missing: readonly string[];
    };

const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const MAX_VALUE = 500;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The level a partner's AuthnContextClassRef stands for, by its map (exact, then ignoring case and blanks). */
export function mapLevel(partner: Pick<PartnerConfig, 'loa'>, classRef: string): Loa | undefined {
  const exact = partner.loa.map[classRef];
  if (exact !== undefined) return exact;
  const wanted = classRef.trim().toLowerCase();
  for (const [k, v] of Object.entries(partner.loa.map)) if (k.trim().toLowerCase() === wanted) return v;
  return undefined;
}

/**
 * The AuthnContextClassRef to ask the partner for when `needed` is required: of the classRefs in
 * its map that reach `needed`, one of the lowest level (first in the map's order). Undefined when
 * none reaches it or the cap is below it.
 */
export function requestedClassRef(partner: Pick<PartnerConfig, 'loa'>, needed: Loa): string | undefined {
  if (!loaSatisfies(partner.loa.cap, needed)) return undefined;
  let best: { classRef: string; loa: Loa } | undefined;
  for (const [classRef, loa] of Object.entries(partner.loa.map)) {
    if (!loaSatisfies(loa, needed)) continue;
    if (best === undefined || compareLoa(loa, best.loa) < 0) best = { classRef, loa };
  }
  return best?.classRef;
}

function clean(value: string): string {
  return value.normalize('NFC').replace(/\s+/g, ' ').trim().slice(0, MAX_VALUE);
}

export function mapAssertion(partner: PartnerConfig, asserted: Asserted): Mapped {
  const claimed = mapLevel(partner, asserted.classRef);
  if (claimed === undefined) return { ok: false, reason: 'unknown-level', classRef: asserted.classRef };
  const loa = minLoa(claimed, partner.loa.cap) as Loa;
  const source = `upstream:${partner.id}` as const;
  const out: Partial<Record<AttributeName, AttributeValue>> = {};
  const dropped: string[] = [];
  let identifier: string | undefined;
  for (const a of asserted.attributes) {
    const value = a.values.map(clean).find((v) => v !== '');
    if (a.name === partner.identifierAttribute) {
      if (value !== undefined) identifier = value;
      continue;
    }
    const target = FILTERED_FOREIGN_ATTRIBUTES[a.name] ? undefined : partner.attributes[a.name];
    if (target === undefined || target === 'foreignId' || target === 'postkorbHandle' || value === undefined) {
      dropped.push(a.name);
      continue;
    }
    if (target === 'dateOfBirth' && !ISO_DATE.test(value)) {
      dropped.push(a.name);
      continue;
    }
    const stated = a.trustLevel === undefined ? undefined : (parseLoa('akdb', a.trustLevel) ?? parseLoa('stork', a.trustLevel));
    const level = stated === undefined ? loa : (minLoa(stated, loa) as Loa);
    if (out[target] === undefined) out[target] = { value, loa: level, source };
  }
  if (identifier === undefined && asserted.nameIdFormat === PERSISTENT && asserted.nameId !== '') identifier = clean(asserted.nameId);
  if (identifier !== undefined) out.foreignId = { value: `${partner.identifierPrefix}:${identifier}`, loa, source };
  return { ok: true, claimed, loa, attributes: out, dropped };
}
