/**
 * Languages and message catalogues. German first, English second. A catalogue is defined once
 * per module with both languages; the compiler rejects a key missing in either.
 */
export const LANGUAGES = ['de', 'en'] as const;
export type Lang = (typeof LANGUAGES)[number];

export function isLang(value: unknown): value is Lang {
  return value === 'de' || value === 'en';
}

export type Catalog<K extends string> = (lang: Lang) => Readonly<Record<K, string>>;

export function defineMessages<K extends string>(de: Readonly<Record<K, string>>, en: Readonly<Record<NoInfer<K>, string>>): Catalog<K> {
  return (lang) => (lang === 'en' ? en : de);
}

/** Fills `{name}` placeholders. */
export function fmt(template: string, params: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (Object.hasOwn(params, key) ? String(params[key]) : whole));
}

/** The first supported language in an Accept-Language header, by quality. */
export function negotiateLanguage(header: string | undefined, fallback: Lang): Lang {
  if (!header) return fallback;
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { lang: tag.trim().toLowerCase().split('-')[0] ?? '', q: q === undefined ? 1 : Number(q), index };
    })
    .filter((e) => e.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked.map((e) => e.lang).find(isLang) ?? fallback;
}

const DATE_TIME: Readonly<Record<Lang, Intl.DateTimeFormat>> = {
  de: new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Berlin' }),
  en: new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Berlin' }),
};

export function formatDateTime(lang: Lang, epochMs: number): string {
  return DATE_TIME[lang].format(new Date(epochMs));
}

/** An ISO date (YYYY-MM-DD) as citizens write it. */
export function formatIsoDateForDisplay(lang: Lang, iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return iso;
  return lang === 'de' ? `${m[3]}.${m[2]}.${m[1]}` : `${m[3]}/${m[2]}/${m[1]}`;
}
