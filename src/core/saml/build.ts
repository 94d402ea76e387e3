import { escapeXml } from '../xml-escape.ts';

/**
 * Elements written directly in Exclusive XML Canonicalization form (exc-c14n, no comments):
 * no XML declaration, no whitespace between elements, start and end tag for every element,
 * namespace declarations before attributes and sorted by prefix, attributes sorted by namespace
 * URI then local name (unqualified first), values escaped by `escapeXml`. An element that uses a
 * prefix declares it itself unless an ancestor it is written inside already did, which is where
 * exc-c14n puts the declaration too, so every signed element's substring is its own canonical
 * form. No default namespace is ever used.
 *
 * `Xml` is a branded string: only this module makes one, so a value can reach a document only
 * through `el()` or `txt()`.
 */

declare const brand: unique symbol;
export type Xml = string & { readonly [brand]: 'canonical-xml' };

export const NS = {
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
  mdui: 'urn:oasis:names:tc:SAML:metadata:ui',
  alg: 'urn:oasis:names:tc:SAML:metadata:algsupport',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
  xenc11: 'http://www.w3.org/2009/xmlenc11#',
  akdb: 'https://www.akdb.de/request/2018/09',
  'classic-ui': 'https://www.akdb.de/request/2018/09/classic-ui/v1',
  eidas: 'http://eidas.europa.eu/saml-extensions',
  xml: 'http://www.w3.org/XML/1998/namespace',
} as const;

export type Prefix = keyof typeof NS;

export type AttrValue = string | number | undefined;

export interface Attrs {
  /** Prefixes this element declares. */
  readonly xmlns?: readonly Exclude<Prefix, 'xml'>[];
  readonly [name: string]: AttrValue | readonly string[];
}

export type Child = Xml | null | undefined | false;

function sortKey(name: string): [string, string] {
  const colon = name.indexOf(':');
  if (colon < 0) return ['', name];
  const prefix = name.slice(0, colon) as Prefix;
  const uri = NS[prefix];
  if (uri === undefined) throw new Error(`unknown prefix in attribute ${name}`);
  return [uri, name.slice(colon + 1)];
}

function compareAttr(a: [string, string, string], b: [string, string, string]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

export function startTag(name: string, attrs: Attrs = {}): string {
  let out = `<${name}`;
  const declared = [...(attrs.xmlns ?? [])].sort();
  for (const p of declared) out += ` xmlns:${p}="${NS[p]}"`;
  const list: [string, string, string][] = [];
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'xmlns' || value === undefined) continue;
    const [uri, local] = sortKey(key);
    list.push([uri, local, `${key}="${escapeXml(String(value), 'attribute')}"`]);
  }
  list.sort(compareAttr);
  for (const a of list) out += ` ${a[2]}`;
  return `${out}>`;
}

function join(children: readonly Child[]): string {
  let out = '';
  for (const c of children) if (c) out += c;
  return out;
}

/** An element with its attributes and children (already canonical). */
export function el(name: string, attrs: Attrs = {}, children: readonly Child[] = []): Xml {
  return `${startTag(name, attrs)}${join(children)}</${name}>` as Xml;
}

/** An element holding text. */
export function textEl(name: string, attrs: Attrs, text: string): Xml {
  return `${startTag(name, attrs)}${escapeXml(text, 'text')}</${name}>` as Xml;
}

/** Text content. */
export function txt(value: string): Xml {
  return escapeXml(value, 'text') as Xml;
}

export function concat(children: readonly Child[]): Xml {
  return join(children) as Xml;
}

/**
 * An element that may get an enveloped signature: `head` ends where the signature goes (after
 * the Issuer, or first in an EntityDescriptor), `tail` is the rest. Unsigned it is `head + tail`.
 */
export interface Signable {
  readonly id: string;
  readonly head: Xml;
  readonly tail: Xml;
}

export function signable(
  name: string,
  attrs: Attrs & { readonly ID: string },
  before: readonly Child[],
  after: readonly Child[],
): Signable {
  return {
    id: attrs.ID,
    head: `${startTag(name, attrs)}${join(before)}` as Xml,
    tail: `${join(after)}</${name}>` as Xml,
  };
}

export function unsigned(s: Signable): Xml {
  return `${s.head}${s.tail}` as Xml;
}
