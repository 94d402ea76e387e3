/**
 * The one way a value enters the XML the hub writes. It applies the escaping rules of Canonical
 * XML (which Exclusive XML Canonicalization shares), so a string built from escaped values is
 * already in canonical form and can be digested and signed without a DOM:
 *
 *   text:       & → &amp;   < → &lt;   > → &gt;   CR → &#xD;
 *   attribute:  & → &amp;   < → &lt;   " → &quot;   TAB → &#x9;   LF → &#xA;   CR → &#xD;
 *
 * XML 1.0 cannot carry some characters at all (most C0 controls, unpaired surrogates,
 * U+FFFE, U+FFFF); they become U+FFFD, so a stray control character in a citizen's data never
 * makes an answer unreadable or unverifiable.
 */

const NOT_XML =
  // eslint-disable-next-line no-control-regex -- these are exactly the characters XML cannot carry
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const TEXT_SPECIAL = /[&<>\r]/;
const ATTR_SPECIAL = /[&<"\t\n\r]/;

const TEXT_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };
const ATTR_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '"': '&quot;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};

export type XmlContext = 'text' | 'attribute';

/** Escapes `value` for element content or a double-quoted attribute value, in canonical form. */
export function escapeXml(value: string, context: XmlContext): string {
  const clean = value.replace(NOT_XML, '\uFFFD');
  if (context === 'text') return TEXT_SPECIAL.test(clean) ? clean.replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c] as string) : clean;
  return ATTR_SPECIAL.test(clean) ? clean.replace(/[&<"\t\n\r]/g, (c) => ATTR_ESCAPES[c] as string) : clean;
}
