/**
 * Fetching a partner's metadata: a conditional GET (If-None-Match with the ETag, If-Modified-Since
 * with the Last-Modified of the copy in use), a time limit, a size limit enforced while reading,
 * at most three redirects and each target held to the same rule as the configured URL (https;
 * http only for loopback hosts outside production). Nothing here trusts the document: that is
 * partner-metadata.ts's job.
 */

export type FetchOutcome =
  | { readonly kind: 'unchanged'; readonly etag: string | null; readonly lastModified: string | null }
  | { readonly kind: 'document'; readonly xml: string; readonly etag: string | null; readonly lastModified: string | null };

export class FetchFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FetchFailure';
  }
}

export interface FetchOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly production: boolean;
  readonly etag?: string | null | undefined;
  readonly lastModified?: string | null | undefined;
}

function allowedUrl(u: string, production: boolean): boolean {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\./.test(url.hostname);
  return url.protocol === 'http:' && loopback && !production;
}

async function readLimited(res: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw new FetchFailure(`the document has ${declared} bytes, more than ${maxBytes}`);
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new FetchFailure(`the document is larger than ${maxBytes} bytes`);
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

export async function fetchMetadata(url: string, options: FetchOptions): Promise<FetchOutcome> {
  let target = url;
  for (let hop = 0; hop <= 3; hop++) {
    if (!allowedUrl(target, options.production)) {
      throw new FetchFailure(`${target}: only https (or http on a loopback host outside production) is allowed`);
    }
    const headers: Record<string, string> = { Accept: 'application/samlmetadata+xml, application/xml;q=0.9, text/xml;q=0.8' };
    if (options.etag) headers['If-None-Match'] = options.etag;
    if (options.lastModified) headers['If-Modified-Since'] = options.lastModified;
    let res: Response;
    try {
      res = await fetch(target, { headers, redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new FetchFailure(`${target}: ${why}`);
    }
    if (res.status >= 300 && res.status < 400 && res.status !== 304) {
      const location = res.headers.get('location');
      await res.arrayBuffer().catch(() => undefined);
      if (!location) throw new FetchFailure(`${target}: HTTP ${res.status} without Location`);
      target = new URL(location, target).toString();
      continue;
    }
    const etag = res.headers.get('etag');
    const lastModified = res.headers.get('last-modified');
    if (res.status === 304) {
      await res.arrayBuffer().catch(() => undefined);
      return { kind: 'unchanged', etag: etag ?? options.etag ?? null, lastModified: lastModified ?? options.lastModified ?? null };
    }
    if (res.status !== 200) {
      await res.arrayBuffer().catch(() => undefined);
      throw new FetchFailure(`${target}: HTTP ${res.status}`);
    }
    const body = await readLimited(res, options.maxBytes);
    let xml: string;
    try {
      xml = UTF8.decode(body);
    } catch {
      throw new FetchFailure(`${target}: the document is not UTF-8`);
    }
    return { kind: 'document', xml, etag, lastModified };
  }
  throw new FetchFailure(`${url}: more than three redirects`);
}
