import { fileTypeFromBuffer } from 'file-type';

/**
 * What an attachment may be, checked from its bytes: PDF, PNG, JPEG, XML or plain text. The type
 * a portal declares must agree with the content (file-type reads the signature; text and XML,
 * which have none, must be valid UTF-8 without control characters). File names are made safe to
 * save on any system, and their extension fits the type.
 */

export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
export const MAX_TOTAL_BYTES = 25 * 1024 * 1024;
export const MAX_ATTACHMENTS = 20;

export const ALLOWED_TYPES = ['application/pdf', 'image/png', 'image/jpeg', 'application/xml', 'text/plain'] as const;
export type AllowedType = (typeof ALLOWED_TYPES)[number];

const EXTENSIONS: Readonly<Record<AllowedType, readonly string[]>> = {
  'application/pdf': ['pdf'],
  'image/png': ['png'],
  'image/jpeg': ['jpg', 'jpeg'],
  'application/xml': ['xml'],
  'text/plain': ['txt'],
};

const ALIASES: Readonly<Record<string, AllowedType>> = {
  'text/xml': 'application/xml',
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
};

/** The HTTP Content-Type an attachment is served with. */
export function servedType(type: string): string {
  return type === 'text/plain' || type === 'application/xml' ? `${type}; charset=utf-8` : type;
}

/** A declared media type without parameters, lower case, aliases resolved; undefined when not allowed. */
export function allowedType(declared: string): AllowedType | undefined {
  const bare = declared.split(';')[0]?.trim().toLowerCase() ?? '';
  const t = ALIASES[bare] ?? bare;
  return (ALLOWED_TYPES as readonly string[]).includes(t) ? (t as AllowedType) : undefined;
}

export type ContentCheck = { readonly ok: true; readonly type: AllowedType } | { readonly ok: false; readonly detail: string };

/** Text as the hub accepts it: UTF-8, no NUL or other control characters than tab, line feed, form feed, carriage return. */
function asText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text) ? undefined : text;
}

const ALLOWED_WORDS = 'PDF, PNG, JPEG, XML or plain text (UTF-8)';

/** Checks the bytes against the declared type. */
export async function checkContent(declared: string, bytes: Uint8Array): Promise<ContentCheck> {
  const wanted = allowedType(declared);
  if (!wanted) return { ok: false, detail: `the declared type "${declared}" is not allowed; allowed are ${ALLOWED_WORDS}` };
  const detected = await fileTypeFromBuffer(bytes);
  if (detected) {
    const found = allowedType(detected.mime);
    if (!found)
      return {
        ok: false,
        detail: `the content is ${detected.mime} (.${detected.ext}), which is not allowed; allowed are ${ALLOWED_WORDS}`,
      };
    // An XML document sent as plain text is plain text to the citizen, and harmless.
    if (found === 'application/xml' && wanted === 'text/plain' && asText(bytes) !== undefined) return { ok: true, type: 'text/plain' };
    if (found !== wanted) return { ok: false, detail: `declared as ${wanted}, but the content is ${detected.mime}` };
    if (found === 'application/xml' && asText(bytes) === undefined) return { ok: false, detail: 'the XML content is not valid UTF-8 text' };
    return { ok: true, type: found };
  }
  if (wanted !== 'text/plain' && wanted !== 'application/xml') {
    return { ok: false, detail: `declared as ${wanted}, but the content does not have that type's signature` };
  }
  const text = asText(bytes);
  if (text === undefined)
    return { ok: false, detail: `declared as ${wanted}, but the content is not UTF-8 text (binary data or control characters)` };
  if (wanted === 'application/xml' && !/^\uFEFF?\s*</.test(text))
    return { ok: false, detail: 'declared as application/xml, but the content does not start with an element' };
  return { ok: true, type: wanted };
}

// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/g;
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;
const MAX_NAME_LENGTH = 120;

/**
 * A file name that is safe to save: no path, no control or direction-changing characters, none
 * that Windows refuses, no reserved device name, no leading or trailing dots or blanks, at most
 * 120 characters, and an extension that fits the checked type (added when missing or wrong, so
 * "bescheid.exe" holding a PDF becomes "bescheid.exe.pdf").
 */
export function sanitizeFileName(raw: string, type: AllowedType, position: number): string {
  let name = raw.normalize('NFC').replace(INVISIBLE, '');
  name = name.split(/[\\/]/).pop() ?? '';
  name = name
    .replace(/[<>:"|?*]/g, '_')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  const ext = /\.([^.]+)$/.exec(name)?.[1]?.toLowerCase();
  const fits = ext !== undefined && EXTENSIONS[type].includes(ext);
  let stem = fits ? name.slice(0, -(ext.length + 1)) : name;
  const extension = fits ? ext : EXTENSIONS[type][0]!;
  stem = stem.replace(/[\s.]+$/g, '');
  if (stem === '') stem = `Anhang-${position + 1}`;
  if (RESERVED.test(stem.split('.')[0] ?? '')) stem = `_${stem}`;
  const chars = [...stem];
  if (chars.length > MAX_NAME_LENGTH - extension.length - 1)
    stem = chars
      .slice(0, MAX_NAME_LENGTH - extension.length - 1)
      .join('')
      .trimEnd();
  return `${stem}.${extension}`;
}

/** Content-Disposition for a download (RFC 6266): an ASCII fallback and the UTF-8 name. */
export function contentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** The length of what a base64 text decodes to, or undefined when it is not canonical base64. */
export function base64Length(text: string): number | undefined {
  if (text.length % 4 !== 0) return undefined;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

/** Strict base64 (RFC 4648 section 4, padded, no blanks); undefined when the text is something else. */
export function decodeBase64(text: string): Buffer | undefined {
  if (base64Length(text) === undefined || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // Non-zero bits in the padding make the text non-canonical.
  return bytes.toString('base64') === text ? bytes : undefined;
}
