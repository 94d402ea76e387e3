/**
 * HTML built from tagged templates. Every interpolated value is escaped unless it is already
 * `Html` (made by this module), so a page cannot be given markup by a citizen's input.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** Markup from a trusted source (operator content files, the hub's own templates). */
export function trustedHtml(markup: string): Html {
  return new Html(markup);
}

/** An attribute that is present only when `on` (e.g. `required`, `checked`). */
export function flag(name: string, on: boolean): Html {
  return new Html(on ? ` ${name}` : '');
}
