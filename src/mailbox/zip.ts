import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { Zip, ZipPassThrough } from 'fflate';

/**
 * A ZIP archive written while it is sent (fflate's streaming Zip, entries stored as they are:
 * PDFs and images are compressed already). Entries are produced one after another from async
 * sources, so an export of many large attachments never sits in memory whole.
 */

export interface ZipEntry {
  /** Path inside the archive, `/` between folders. */
  readonly name: string;
  /** Epoch ms, written as the entry's date. */
  readonly mtime: number;
  data(): AsyncIterable<Uint8Array>;
}

const HIGH_WATER = 1024 * 1024;

export function zipStream(entries: () => AsyncIterable<ZipEntry>, onError: (err: unknown) => void): Readable {
  const out = new PassThrough({ highWaterMark: HIGH_WATER });
  const zip = new Zip((err, chunk, final) => {
    if (err) {
      out.destroy(err);
      return;
    }
    out.write(chunk);
    if (final) out.end();
  });
  const run = async (): Promise<void> => {
    for await (const entry of entries()) {
      const file = new ZipPassThrough(entry.name);
      file.mtime = new Date(entry.mtime);
      zip.add(file);
      for await (const chunk of entry.data()) {
        file.push(chunk);
        if (out.destroyed) return;
        if (out.writableLength > HIGH_WATER) await once(out, 'drain');
      }
      file.push(new Uint8Array(0), true);
    }
    zip.end();
  };
  run().catch((err: unknown) => {
    onError(err);
    out.destroy(err instanceof Error ? err : new Error(String(err)));
  });
  return out;
}

/** A name for a folder or file in the archive: no separators, control or reserved characters. */
export function zipSegment(text: string, max: number): string {
  const cleaned = text
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '')
    .replace(/[<>:"/\\|?*]/g, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+|[.\s]+$/g, '');
  return [...cleaned].slice(0, max).join('').trim() || '_';
}
