/**
 * Checks of what a citizen types into the personal-data form (registration step 1 and "Meine
 * Daten ändern"). Pure: the caller passes today's date; uniqueness checks live in accounts.
 */

export const PERSONAL_FIELDS = [
  'givenName',
  'familyName',
  'dateOfBirth',
  'placeOfBirth',
  'street',
  'postalCode',
  'locality',
  'email',
  'deMail',
  'birthName',
  'doctoralDegree',
] as const;
export type PersonalField = (typeof PERSONAL_FIELDS)[number];

const OPTIONAL: ReadonlySet<PersonalField> = new Set(['placeOfBirth', 'deMail', 'birthName', 'doctoralDegree']);

export function isOptionalField(field: PersonalField): boolean {
  return OPTIONAL.has(field);
}

export type FieldProblem =
  | 'required'
  | 'tooLong'
  | 'name'
  | 'place'
  | 'date'
  | 'dateInFuture'
  | 'tooYoung'
  | 'tooOld'
  | 'streetComma'
  | 'streetNumber'
  | 'postalCode'
  | 'email'
  | 'deMail'
  | 'deMailTaken'
  | 'username'
  | 'usernameTaken'
  | 'password'
  | 'passwordMismatch'
  | 'privacyConsent';

export type FieldErrors<F extends string> = Partial<Record<F, FieldProblem>>;

export interface PersonalData {
  readonly givenName: string;
  readonly familyName: string;
  /** ISO date, YYYY-MM-DD. */
  readonly dateOfBirth: string;
  readonly placeOfBirth?: string;
  readonly street: string;
  readonly postalCode: string;
  readonly locality: string;
  readonly email: string;
  readonly deMail?: string;
  readonly birthName?: string;
  readonly doctoralDegree?: string;
}

export type Validation<T, F extends string> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: FieldErrors<F> };

export interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export const MAX_TEXT_LENGTH = 100;
export const MAX_EMAIL_LENGTH = 254;

/** Trim, collapse inner blanks, compose umlauts (NFC) so equal names compare equal. */
export function normalizeText(value: string): string {
  return value.normalize('NFC').replace(/\s+/gu, ' ').trim();
}

// Letters of any script, combining marks, blanks, hyphen, apostrophe, dot (as in "Dr." or "St.").
const NAME = /^[\p{L}\p{M}][\p{L}\p{M} .'’-]*$/u;
// Places may add a river or region in brackets or after a slash: "Frankfurt (Oder)", "Halle/Saale".
const PLACE = /^[\p{L}\p{M}][\p{L}\p{M} .'’()/-]*$/u;
// Pragmatic: one @, no blanks, a dot in the domain, no leading/trailing dot in either part.
const EMAIL = /^[^\s@"(),:;<>[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

export function isEmailAddress(value: string): boolean {
  if (value.length > MAX_EMAIL_LENGTH || !EMAIL.test(value)) return false;
  const local = value.slice(0, value.lastIndexOf('@'));
  return local.length <= 64 && !local.startsWith('.') && !local.endsWith('.') && !local.includes('..');
}

/** De-Mail addresses live under the accredited providers' `.de-mail.de` domains. */
export function isDeMailAddress(value: string): boolean {
  return isEmailAddress(value) && value.toLowerCase().endsWith('.de-mail.de');
}

/** Reads YYYY-MM-DD (date input) or TT.MM.JJJJ (typed by hand). */
export function parseDate(value: string): CalendarDate | undefined {
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  let year: number, month: number, day: number;
  if (m) {
    [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  } else {
    m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(value);
    if (!m) return undefined;
    [day, month, year] = [Number(m[1]), Number(m[2]), Number(m[3])];
  }
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return { year, month, day };
}

export function formatIsoDate(d: CalendarDate): string {
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

function compareDates(a: CalendarDate, b: CalendarDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

/** Completed years of age on `today`. */
export function ageOn(birth: CalendarDate, today: CalendarDate): number {
  const age = today.year - birth.year;
  return compareDates({ year: today.year, month: birth.month, day: birth.day }, today) > 0 ? age - 1 : age;
}

export interface PersonalDataRules {
  readonly today: CalendarDate;
  readonly minimumAge: number;
  /**
   * Fields whose values were verified elsewhere (read from the ID card): taken as they are, not
   * checked against the rules for typed input (a card may hold a partial date of birth or a
   * foreign postcode).
   */
  readonly trusted?: ReadonlySet<PersonalField>;
}

export function validatePersonalData(
  input: Readonly<Partial<Record<PersonalField, string>>>,
  rules: PersonalDataRules,
): Validation<PersonalData, PersonalField> {
  const errors: FieldErrors<PersonalField> = {};
  const v: Partial<Record<PersonalField, string>> = {};
  const trusted: Partial<Record<PersonalField, string>> = {};
  for (const field of PERSONAL_FIELDS) {
    const value = normalizeText(input[field] ?? '');
    if (rules.trusted?.has(field)) {
      if (value !== '') trusted[field] = value;
      continue;
    }
    if (value === '') {
      if (!isOptionalField(field)) errors[field] = 'required';
      continue;
    }
    const limit = field === 'email' || field === 'deMail' ? MAX_EMAIL_LENGTH : MAX_TEXT_LENGTH;
    if (value.length > limit) {
      errors[field] = 'tooLong';
      continue;
    }
    v[field] = value;
  }

  for (const field of ['givenName', 'familyName', 'birthName'] as const) {
    const value = v[field];
    if (value !== undefined && !NAME.test(value)) errors[field] = 'name';
  }
  for (const field of ['placeOfBirth', 'locality'] as const) {
    const value = v[field];
    if (value !== undefined && !PLACE.test(value)) errors[field] = 'place';
  }
  if (v.doctoralDegree !== undefined && !NAME.test(v.doctoralDegree)) errors.doctoralDegree = 'name';

  if (v.dateOfBirth !== undefined) {
    const birth = parseDate(v.dateOfBirth);
    if (birth === undefined) errors.dateOfBirth = 'date';
    else if (compareDates(birth, rules.today) > 0) errors.dateOfBirth = 'dateInFuture';
    else if (ageOn(birth, rules.today) < rules.minimumAge) errors.dateOfBirth = 'tooYoung';
    else if (ageOn(birth, rules.today) > 130) errors.dateOfBirth = 'tooOld';
    else v.dateOfBirth = formatIsoDate(birth);
  }

  if (v.street !== undefined) {
    if (v.street.includes(',')) errors.street = 'streetComma';
    else if (!/\d/.test(v.street) || !/\p{L}/u.test(v.street)) errors.street = 'streetNumber';
  }
  if (v.postalCode !== undefined && !/^\d{5}$/.test(v.postalCode)) errors.postalCode = 'postalCode';
  if (v.email !== undefined && !isEmailAddress(v.email)) errors.email = 'email';
  if (v.deMail !== undefined && !isDeMailAddress(v.deMail)) errors.deMail = 'deMail';

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { ...v, ...trusted } as unknown as PersonalData };
}

export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$/;

/** Usernames are unique case-insensitively; this is the key they are compared by. */
export function usernameKey(username: string): string {
  return username.normalize('NFC').toLowerCase();
}

export function isValidUsername(username: string): boolean {
  return USERNAME_PATTERN.test(username);
}
