import type { AttributeName, Attributes, AttributeValue } from '../../core/attributes.ts';
import { loaSatisfies, parseLoa } from '../../core/loa.ts';
import { ageOn, type CalendarDate } from '../../core/personal-data.ts';
import type { GeneralPlace, GetResultResponse, Operation, UseIdRequest } from './soap-messages.ts';

/**
 * What the hub makes of a successful getResult: the card holder's restricted identifier (the
 * account key, never the document number) and the data read from the chip as hub attributes,
 * each `{loa: 'high', source: 'eid'}`, after the checks every use of the card shares: the level of
 * assurance, the data groups the account needs, the minimum age, and a document that has not
 * expired.
 */

export type CardProblem =
  /** A data group the hub needs was not delivered (refused by the citizen, not on the chip). */
  | 'incomplete'
  /** The card holder is younger than the minimum age. */
  | 'tooYoung'
  /** The document's date of expiry has passed. */
  | 'expired'
  /** The eID-Server reports a level below "hoch" (or none although it was asked). */
  | 'levelTooLow'
  /** The answer contradicts itself (data the citizen did not release, no OperationsAllowedByUser). */
  | 'inconsistent';

export interface CardIdentity {
  /** RestrictedID/ID, upper-case hex: card- and service-specific, new card → new value. */
  readonly restrictedId: string;
  readonly attributes: Attributes;
  /** Attributes the card was asked for and released: among these, a missing one is known to be absent. */
  readonly covered: readonly AttributeName[];
  readonly documentType?: string | undefined;
  /** YYYY-MM-DD */
  readonly dateOfExpiry?: string | undefined;
}

export type CardEvaluation =
  { readonly ok: true; readonly card: CardIdentity } | { readonly ok: false; readonly problem: CardProblem; readonly detail: string };

export interface CardRules {
  readonly today: CalendarDate;
  readonly minimumAge: number;
}

/** Data groups the hub cannot work without. */
const ESSENTIAL: readonly Operation[] = ['RestrictedID', 'FamilyNames', 'DateOfBirth'];

/** Which hub attributes each data group fills. */
const COVERS: Readonly<Partial<Record<Operation, readonly AttributeName[]>>> = {
  DocumentType: ['documentType'],
  IssuingState: ['issuingState'],
  GivenNames: ['givenName'],
  FamilyNames: ['familyName'],
  ArtisticName: ['artisticName'],
  AcademicTitle: ['doctoralDegree'],
  DateOfBirth: ['dateOfBirth'],
  PlaceOfBirth: ['placeOfBirth'],
  Nationality: ['nationality'],
  BirthName: ['birthName'],
  PlaceOfResidence: ['street', 'postalCode', 'locality', 'country'],
};

function verified(value: string): AttributeValue {
  return { value, loa: 'high', source: 'eid' };
}

/**
 * DateString (YYYYMMDD, blanks for unknown parts) as an ISO date of the precision known:
 * `1964-08-12`, `1964-08` or `1964`. Undefined when even the year is unknown or the date is
 * impossible.
 */
export function isoFromDateString(dateString: string): string | undefined {
  const m = /^(\d{4})(\d{2}|\s{2})(\d{2}|\s{2})$/.exec(dateString);
  if (!m) return undefined;
  const [, y, mo, d] = m as unknown as [string, string, string, string];
  if (mo.trim() === '') return d.trim() === '' ? y : undefined;
  const month = Number(mo);
  if (month < 1 || month > 12) return undefined;
  if (d.trim() === '') return `${y}-${mo}`;
  const day = Number(d);
  const date = new Date(Date.UTC(Number(y), month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return `${y}-${mo}-${d}`;
}

/**
 * The latest birthday an incomplete date allows (unknown month → December, unknown day → the
 * month's last day), so an age computed from it is never too high.
 */
export function latestBirthday(iso: string): CalendarDate {
  const [y, m, d] = iso.split('-').map(Number) as [number, number | undefined, number | undefined];
  const month = m ?? 12;
  const day = d ?? new Date(Date.UTC(y, month, 0)).getUTCDate();
  return { year: y, month, day };
}

/** ICAO country code → the catalogue's ISO 3166-1 alpha-2 where they differ for Germany ("D" → "DE"). */
export function countryOfAddress(icao: string): string {
  return icao.trim() === 'D' ? 'DE' : icao.trim();
}

function placeText(p: GeneralPlace): string | undefined {
  switch (p.kind) {
    case 'freetext':
      return p.text || undefined;
    case 'structured':
      return p.country.trim() === 'D' || p.country.trim() === '' ? p.city : `${p.city} (${p.country.trim()})`;
    case 'none':
      return undefined;
  }
}

function residence(p: GeneralPlace): Partial<Record<AttributeName, string>> {
  switch (p.kind) {
    case 'structured':
      return {
        ...(p.street ? { street: p.street } : {}),
        ...(p.zipCode ? { postalCode: p.zipCode } : {}),
        locality: p.city,
        country: countryOfAddress(p.country),
      };
    case 'freetext':
      // An address the chip holds only as one line (rare; abroad): kept whole.
      return p.text ? { street: p.text } : {};
    case 'none':
      // "keine Hauptwohnung in Deutschland": the card says there is no address to give.
      return {};
  }
}

function todayIso(t: CalendarDate): string {
  return `${String(t.year).padStart(4, '0')}-${String(t.month).padStart(2, '0')}-${String(t.day).padStart(2, '0')}`;
}

export function evaluateCard(result: GetResultResponse, request: UseIdRequest, rules: CardRules): CardEvaluation {
  const fail = (problem: CardProblem, detail: string): CardEvaluation => ({ ok: false, problem, detail });
  const reached =
    result.levelOfAssurance === undefined
      ? undefined
      : (parseLoa('bsi', result.levelOfAssurance) ?? parseLoa('eidas', result.levelOfAssurance));
  if (request.levelOfAssurance !== undefined && (reached === undefined || !loaSatisfies(reached, 'high'))) {
    return fail('levelTooLow', `LevelOfAssuranceResult ${result.levelOfAssurance ?? 'missing'}`);
  }
  const allowed = result.operationsAllowedByUser;
  const data = result.personalData ?? {};
  if (!allowed) return fail('inconsistent', 'no OperationsAllowedByUser');

  const released = (op: Operation): boolean => allowed[op] === 'ALLOWED';
  const asked = (op: Operation): boolean => request.operations[op] === 'REQUIRED' || request.operations[op] === 'ALLOWED';

  // Data the citizen did not release, or that was never asked for, must not be there.
  const present: Partial<Record<Operation, boolean>> = {
    DocumentType: data.documentType !== undefined,
    IssuingState: data.issuingState !== undefined,
    DateOfExpiry: data.dateOfExpiry !== undefined,
    GivenNames: data.givenNames !== undefined,
    FamilyNames: data.familyNames !== undefined,
    ArtisticName: data.artisticName !== undefined,
    AcademicTitle: data.academicTitle !== undefined,
    DateOfBirth: data.dateOfBirth !== undefined,
    PlaceOfBirth: data.placeOfBirth !== undefined,
    Nationality: data.nationality !== undefined,
    BirthName: data.birthName !== undefined,
    PlaceOfResidence: data.placeOfResidence !== undefined,
    CommunityID: data.communityId !== undefined,
    ResidencePermitI: data.residencePermitI !== undefined,
    RestrictedID: data.restrictedId !== undefined,
  };
  for (const [op, isThere] of Object.entries(present) as [Operation, boolean][]) {
    if (isThere && (!released(op) || !asked(op))) return fail('inconsistent', `${op} delivered but not released`);
  }

  const missing = ESSENTIAL.filter((op) => !released(op) || !present[op]);
  if (missing.length > 0) return fail('incomplete', `missing ${missing.map((op) => `${op} (${allowed[op] ?? 'PROHIBITED'})`).join(', ')}`);

  const familyName = data.familyNames?.trim() ?? '';
  const dateOfBirth = data.dateOfBirth ? isoFromDateString(data.dateOfBirth.dateString) : undefined;
  const restrictedId = data.restrictedId?.id ?? '';
  if (familyName === '' || dateOfBirth === undefined || restrictedId === '') {
    return fail('incomplete', 'empty family name, unreadable date of birth or empty restricted identifier');
  }

  // Age: the chip's own age verification is authoritative; the date of birth backs it up.
  if (asked('AgeVerification')) {
    if (released('AgeVerification') && result.fulfilsAgeVerification === undefined) {
      return fail('inconsistent', 'AgeVerification released without FulfilsAgeVerification');
    }
    if (result.fulfilsAgeVerification === false) return fail('tooYoung', 'FulfilsAgeVerification false');
  }
  if (ageOn(latestBirthday(dateOfBirth), rules.today) < rules.minimumAge) return fail('tooYoung', 'date of birth below the minimum age');

  if (data.dateOfExpiry !== undefined && data.dateOfExpiry < todayIso(rules.today)) return fail('expired', 'DateOfExpiry has passed');

  const values: Partial<Record<AttributeName, string>> = {
    givenName: data.givenNames,
    familyName,
    birthName: data.birthName,
    artisticName: data.artisticName,
    doctoralDegree: data.academicTitle,
    dateOfBirth,
    placeOfBirth: data.placeOfBirth ? placeText(data.placeOfBirth) : undefined,
    nationality: data.nationality,
    documentType: data.documentType,
    issuingState: data.issuingState,
    ...(data.placeOfResidence ? residence(data.placeOfResidence) : {}),
  };
  const attributes: Partial<Record<AttributeName, AttributeValue>> = {};
  for (const [name, v] of Object.entries(values) as [AttributeName, string | undefined][]) {
    const value = v?.trim();
    if (value) attributes[name] = verified(value);
  }
  const covered = (Object.entries(COVERS) as [Operation, readonly AttributeName[]][])
    .filter(([op]) => released(op))
    .flatMap(([, names]) => names);
  return {
    ok: true,
    card: { restrictedId, attributes, covered, documentType: data.documentType, dateOfExpiry: data.dateOfExpiry },
  };
}

export interface CardUpdate {
  /** Attributes to write (`null`: remove). */
  readonly writes: Readonly<Partial<Record<AttributeName, AttributeValue | null>>>;
  /** Names whose value changes (for the audit and the notice). */
  readonly changed: readonly AttributeName[];
}

/**
 * How an account's attributes follow a card: the card's values replace what is there (verified
 * now, whatever the source before); a value the card was asked for and no longer has is removed
 * only when it came from a card before (a citizen's own entry stays, still `basic`). The e-mail
 * and De-Mail addresses are never touched.
 */
export function planCardUpdate(current: Attributes, card: Pick<CardIdentity, 'attributes' | 'covered'>): CardUpdate {
  const writes: Partial<Record<AttributeName, AttributeValue | null>> = {};
  const changed: AttributeName[] = [];
  for (const [name, v] of Object.entries(card.attributes) as [AttributeName, AttributeValue][]) {
    const before = current[name];
    if (before && before.value === v.value && before.source === v.source && before.loa === v.loa) continue;
    writes[name] = v;
    if (before?.value !== v.value) changed.push(name);
  }
  for (const name of card.covered) {
    const before = current[name];
    if (card.attributes[name] === undefined && before?.source === 'eid') {
      writes[name] = null;
      changed.push(name);
    }
  }
  return { writes, changed };
}
