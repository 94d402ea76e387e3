/**
 * The Servicekonto's password policy: at least 8 characters with an upper-case letter, a
 * lower-case letter, a digit and a special character from a fixed list (space included).
 * Letters are the Latin alphabet plus the German umlauts and ß; any other character is refused
 * so that a password typed on one keyboard can be typed on another.
 */

export const PASSWORD_MIN_LENGTH = 8;
/** An upper bound keeps hashing cost bounded; far above what anyone types. */
export const PASSWORD_MAX_LENGTH = 128;

export const PASSWORD_SPECIAL_CHARACTERS = [
  '-', '+', '_', '[', ']', '(', ')', '$', '#', '!', '?', '%', '&', '/', '*', ',', '.', ';', ':', '<', '>', '|', '@', ' ',
] as const; // prettier-ignore

export type PasswordRule = 'minLength' | 'maxLength' | 'upper' | 'lower' | 'digit' | 'special' | 'allowedCharacters';

const UPPER = /[A-ZÄÖÜ]/u;
const LOWER = /[a-zäöüß]/u;
const DIGIT = /[0-9]/;
const SPECIALS = new Set<string>(PASSWORD_SPECIAL_CHARACTERS);

function isAllowed(ch: string): boolean {
  return UPPER.test(ch) || LOWER.test(ch) || DIGIT.test(ch) || SPECIALS.has(ch);
}

export interface PasswordCheck {
  readonly ok: boolean;
  /** The rules the password breaks, in the order they are shown beside the field. */
  readonly broken: readonly PasswordRule[];
  /** Characters that are not allowed, each once, for the error message. */
  readonly refusedCharacters: readonly string[];
}

export function checkPassword(password: string): PasswordCheck {
  const chars = Array.from(password);
  const broken: PasswordRule[] = [];
  if (chars.length < PASSWORD_MIN_LENGTH) broken.push('minLength');
  if (chars.length > PASSWORD_MAX_LENGTH) broken.push('maxLength');
  if (!chars.some((c) => UPPER.test(c))) broken.push('upper');
  if (!chars.some((c) => LOWER.test(c))) broken.push('lower');
  if (!chars.some((c) => DIGIT.test(c))) broken.push('digit');
  if (!chars.some((c) => SPECIALS.has(c))) broken.push('special');
  const refusedCharacters = [...new Set(chars.filter((c) => !isAllowed(c)))];
  if (refusedCharacters.length > 0) broken.push('allowedCharacters');
  return { ok: broken.length === 0, broken, refusedCharacters };
}
