import type { IncomingMessage } from 'node:http';
import { HubError } from '../core/errors.ts';

/**
 * Fields of an application/x-www-form-urlencoded body. Flat on purpose: a field is a string,
 * never an object or a list made up by bracket syntax; a repeated field keeps its first value.
 */
export class FormFields {
  private readonly fields: ReadonlyMap<string, string>;
  constructor(params: URLSearchParams = new URLSearchParams()) {
    const map = new Map<string, string>();
    for (const [k, v] of params) if (!map.has(k)) map.set(k, v);
    this.fields = map;
  }
  /** The value, or '' when the field was not sent. */
  get(name: string): string {
    return this.fields.get(name) ?? '';
  }
  has(name: string): boolean {
    return this.fields.has(name);
  }
  pick<K extends string>(names: readonly K[]): Record<K, string> {
    return Object.fromEntries(names.map((n) => [n, this.get(n)])) as Record<K, string>;
  }
}

export const EMPTY_FORM = new FormFields();

/** Reads a form body up to `limit` bytes; a larger body is refused before it is all read. */
export async function readFormBody(req: IncomingMessage, limit: number): Promise<FormFields> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw new HubError('payload_too_large', `declared ${declared} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) {
      req.destroy();
      throw new HubError('payload_too_large', `more than ${limit} bytes`);
    }
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return new FormFields(new URLSearchParams(text));
}
