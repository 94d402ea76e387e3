import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom';

/**
 * Reading XML that others sent: one parse per document, with a size cap and no DOCTYPE (so no
 * entities of any kind), strict about malformed input, and small helpers that walk children
 * instead of running XPath over the whole tree. Text is read as the concatenation of its text
 * nodes (comments dropped), which is what exclusive canonicalization signs, so a comment cannot
 * split a signed value into a part that is read and a part that is not.
 */

export class XmlRefusal extends Error {
  constructor(
    readonly kind: 'too-large' | 'doctype' | 'malformed' | 'unexpected',
    message: string,
  ) {
    super(message);
    this.name = 'XmlRefusal';
  }
}

const DOCTYPE = /<!DOCTYPE|<!ENTITY/i;

const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;
const PROCESSING_INSTRUCTION = 7;
const DOCUMENT_TYPE = 10;

/** XML 1.0 line-end handling (xmldom's default also folds U+0085, U+2028 and U+2029, as XML 1.1 does). */
function xml10LineEnds(source: string): string {
  return source.replace(/\r\n?/g, '\n');
}

export function parseXml(text: string, maxChars: number, options: { lineNumbers?: boolean } = {}): Document {
  if (text.length > maxChars) throw new XmlRefusal('too-large', `XML of ${text.length} characters exceeds ${maxChars}`);
  if (DOCTYPE.test(text)) throw new XmlRefusal('doctype', 'XML with a DOCTYPE or entity declaration is refused');
  let doc: Document;
  try {
    doc = new DOMParser({
      locator: options.lineNumbers ?? false,
      normalizeLineEndings: xml10LineEnds,
      onError: (level, message) => {
        // U+FFFD is a character like any other (the hub writes it for what XML cannot carry).
        if (level === 'warning' && message.includes('replacement character')) return;
        throw new XmlRefusal('malformed', message.replace(/\s+/g, ' ').trim());
      },
    }).parseFromString(text, 'text/xml');
  } catch (err) {
    if (err instanceof XmlRefusal) throw err;
    throw new XmlRefusal('malformed', (err as Error).message);
  }
  if (!doc.documentElement) throw new XmlRefusal('malformed', 'no document element');
  for (let n = doc.firstChild; n; n = n.nextSibling) {
    // xmldom keeps the XML declaration as a processing instruction named "xml".
    if ((n.nodeType === PROCESSING_INSTRUCTION && n.nodeName !== 'xml') || n.nodeType === DOCUMENT_TYPE) {
      throw new XmlRefusal('unexpected', 'processing instructions and document types are refused');
    }
  }
  // Nor inside: xml-crypto's canonicalizer writes a PI's data as if it were text, while readers
  // skip it, so a PI could hide part of a signed value from what is read.
  const stack: Node[] = [doc.documentElement];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.nodeType === PROCESSING_INSTRUCTION) throw new XmlRefusal('unexpected', 'processing instructions are refused');
    for (let c = n.firstChild; c; c = c.nextSibling) if (c.nodeType === ELEMENT || c.nodeType === PROCESSING_INSTRUCTION) stack.push(c);
  }
  return doc;
}

export function isElement(n: Node | null | undefined): n is Element {
  return !!n && n.nodeType === ELEMENT;
}

export function elementChildren(parent: Element): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) if (isElement(n)) out.push(n);
  return out;
}

export function is(e: Element, ns: string, localName: string): boolean {
  return e.namespaceURI === ns && e.localName === localName;
}

export function childrenNamed(parent: Element, ns: string, localName: string): Element[] {
  return elementChildren(parent).filter((e) => is(e, ns, localName));
}

/** The one child of that name, or undefined; two of them are refused. */
export function childNamed(parent: Element, ns: string, localName: string): Element | undefined {
  const list = childrenNamed(parent, ns, localName);
  if (list.length > 1) throw new XmlRefusal('unexpected', `more than one ${localName} in ${parent.localName}`);
  return list[0];
}

export function attr(e: Element, name: string): string | undefined {
  return e.hasAttribute(name) ? e.getAttribute(name)! : undefined;
}

/** The element's text: its text and CDATA children joined; an element child is refused. */
export function textOf(e: Element): string {
  let out = '';
  for (let n = e.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === TEXT || n.nodeType === CDATA) out += (n as unknown as { data: string }).data;
    else if (n.nodeType === ELEMENT) throw new XmlRefusal('unexpected', `${e.localName} must hold text only`);
  }
  return out;
}

/** Every element of the document, in document order (iterative, so deep nesting cannot overflow the stack). */
export function* allElements(root: Element): Generator<Element> {
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (!isElement(n)) continue;
    yield n;
    const kids: Node[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) if (isElement(c)) kids.push(c);
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
}

/** xs:boolean */
export function parseBoolean(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  const v = value.trim();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new XmlRefusal('unexpected', `not a boolean: ${value}`);
}

/** xs:dateTime with an explicit zone (SAML requires UTC); epoch milliseconds. */
export function parseDateTime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(value.trim());
  if (!m) throw new XmlRefusal('unexpected', `not a UTC xs:dateTime: ${value}`);
  const ms = Date.parse(`${m[1]}${m[2] ? m[2].slice(0, 4).padEnd(4, '0') : ''}${m[3]}`);
  if (Number.isNaN(ms)) throw new XmlRefusal('unexpected', `not a valid date: ${value}`);
  return ms;
}
