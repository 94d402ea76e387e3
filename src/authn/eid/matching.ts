/**
 * When an ID card belongs to an existing account (adding the card to a password account, or a
 * new card replacing the old one). The rule, as README.md states it for citizens and operators:
 *
 * - the family names are equal,
 * - the dates of birth are equal (where the card leaves month or day unknown, the parts it knows),
 * - the given names are compatible: every given name of the account is one of the card's given
 *   names (the card may carry more, as a citizen often types only the first one),
 *
 * each compared after normalisation: Unicode NFC, case ignored, "ß" = "ss", "ä/ö/ü" = "ae/oe/ue",
 * other accents ignored, hyphens, apostrophes, dots and runs of blanks count as one separator.
 * Nothing else is compared (the address may differ: people move; a doctoral degree or birth name
 * typed by hand may differ in spelling), and nothing is guessed beyond this.
 */

export type MatchedField = 'familyName' | 'givenName' | 'dateOfBirth';

export interface IdentityFields {
  readonly givenName?: string | undefined;
  readonly familyName?: string | undefined;
  /** YYYY-MM-DD, or YYYY-MM / YYYY when the card does not know more. */
  readonly dateOfBirth?: string | undefined;
}

export type MatchResult = { readonly ok: true } | { readonly ok: false; readonly mismatched: readonly MatchedField[] };

const FOLD: Readonly<Record<string, string>> = { ß: 'ss', ä: 'ae', ö: 'oe', ü: 'ue', ẞ: 'ss' };

/** The form names are compared in. */
export function normalizeName(value: string): string {
  return value
    .normalize('NFC')
    .toLocaleLowerCase('de-DE')
    .replace(/[ßäöüẞ]/gu, (c) => FOLD[c] ?? c)
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[-‐‑'’.,\s]+/gu, ' ')
    .trim();
}

function tokens(value: string | undefined): string[] {
  const n = normalizeName(value ?? '');
  return n === '' ? [] : n.split(' ');
}

function datesMatch(account: string | undefined, card: string | undefined): boolean {
  if (!account || !card) return false;
  const a = account.split('-');
  const c = card.split('-');
  // Compare what both know; the year always.
  const known = Math.min(a.length, c.length);
  return known >= 1 && a.slice(0, known).every((part, i) => part === c[i]);
}

export function matchIdentity(account: IdentityFields, card: IdentityFields): MatchResult {
  const mismatched: MatchedField[] = [];
  const family = normalizeName(account.familyName ?? '');
  if (family === '' || family !== normalizeName(card.familyName ?? '')) mismatched.push('familyName');
  const mine = tokens(account.givenName);
  const theirs = new Set(tokens(card.givenName));
  const givenOk = mine.length === 0 ? theirs.size === 0 : mine.every((t) => theirs.has(t));
  if (!givenOk) mismatched.push('givenName');
  if (!datesMatch(account.dateOfBirth, card.dateOfBirth)) mismatched.push('dateOfBirth');
  return mismatched.length === 0 ? { ok: true } : { ok: false, mismatched };
}
