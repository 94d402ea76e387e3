import { escapeXml as escapeForXml } from '../../core/xml-escape.ts';
import { parseXml as readXml, XmlRefusal } from '../../core/xml-read.ts';

/**
 * The little XML the eID link needs: namespaces, one escaping function through which every value
 * enters a message we write, and a strict reader for messages we receive (no DOCTYPE, no
 * entities, a size cap, no mixed content where the schema has none, each element at most once
 * where the schema says so).
 */

export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  eid: 'http://bsi.bund.de/eID/',
  dss: 'urn:oasis:names:tc:dss:1.0:core:schema',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

/** A message that is not what the interface allows; `detail` is for the log. */
export class XmlError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'XmlError';
  }
}

/** False when the value holds a character XML 1.0 cannot carry at all, not even escaped. */
export function isRepresentable(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
    if (c === 0xfffe || c === 0xffff) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

/**
 * Escapes a value for element text or a double-quoted attribute with the hub's one escaping
 * function (src/core/xml-escape.ts, attribute rules, which are safe in text too). Unlike that
 * function, which writes U+FFFD for what XML cannot carry, the eID link refuses such a value:
 * a request to the eID-Server must say exactly what was meant.
 */
export function escapeXml(value: string): string {
  if (!isRepresentable(value)) throw new XmlError('value holds a character XML cannot represent');
  return escapeForXml(value, 'attribute');
}

/** Parses a received document with the hub's strict reader (size cap, no DOCTYPE, XML 1.0 line ends). */
export function parseXml(text: string, maxChars: number): Element {
  try {
    return readXml(text, maxChars).documentElement as unknown as Element;
  } catch (err) {
    if (err instanceof XmlRefusal) {
      const what =
        err.kind === 'too-large'
          ? `document larger than ${maxChars} characters`
          : err.kind === 'doctype'
            ? 'DOCTYPE or entity declaration'
            : `not well-formed: ${err.message.split('\n')[0]}`;
      throw new XmlError(what);
    }
    throw err;
  }
}

export function isElement(node: Node | null | undefined, ns: string, localName: string): node is Element {
  return !!node && node.nodeType === 1 && (node as Element).namespaceURI === ns && (node as Element).localName === localName;
}

/**
 * The element children of `parent`. Text between them must be blank (the schemas have no mixed
 * content); comments and processing instructions are ignored.
 */
export function elements(parent: Element): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1) out.push(n as Element);
    else if ((n.nodeType === 3 || n.nodeType === 4) && (n.nodeValue ?? '').trim() !== '') {
      throw new XmlError(`text between the children of ${parent.localName}`);
    }
  }
  return out;
}

/** The one child `ns:name`, or undefined; two of them is an error. */
export function optionalChild(parent: Element, ns: string, name: string): Element | undefined {
  const found = elements(parent).filter((e) => isElement(e, ns, name));
  if (found.length > 1) throw new XmlError(`${name} more than once in ${parent.localName}`);
  return found[0];
}

export function requiredChild(parent: Element, ns: string, name: string): Element {
  const el = optionalChild(parent, ns, name);
  if (!el) throw new XmlError(`${parent.localName} lacks ${name}`);
  return el;
}

/** The text of an element that must not have element children (CDATA counts as text). */
export function textOf(el: Element): string {
  let out = '';
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 3 || n.nodeType === 4) out += n.nodeValue ?? '';
    else if (n.nodeType === 1) throw new XmlError(`${el.localName} has child elements where text is expected`);
  }
  return out;
}

/** Text with surrounding blanks removed (URIs, numbers, codes; examples in TR-03130 indent them). */
export function trimmedText(el: Element): string {
  return textOf(el).trim();
}

/** Attribute by namespace and local name. */
export function attributeNS(el: Element, ns: string, name: string): string | undefined {
  return el.hasAttributeNS(ns, name) ? (el.getAttributeNS(ns, name) ?? undefined) : undefined;
}
