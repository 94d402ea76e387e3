import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';

export interface OutboxMail {
  readonly file: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  /** The links in the text, in order. */
  readonly links: readonly string[];
}

/** The .eml files the hub wrote to its file outbox, read like a mail client would. */
export class Outbox {
  constructor(readonly dir: string) {}

  async all(): Promise<OutboxMail[]> {
    if (!existsSync(this.dir)) return [];
    const files = readdirSync(this.dir)
      .filter((f) => f.endsWith('.eml'))
      .sort();
    const mails: OutboxMail[] = [];
    for (const file of files) {
      const parsed = await simpleParser(readFileSync(path.join(this.dir, file)));
      const to = Array.isArray(parsed.to) ? (parsed.to[0]?.text ?? '') : (parsed.to?.text ?? '');
      const text = parsed.text ?? '';
      mails.push({ file, to, subject: parsed.subject ?? '', text, links: text.match(/https?:\/\/\S+/g) ?? [] });
    }
    return mails;
  }

  /** Mails to one address whose subject contains `subject`. */
  async to(address: string, subject?: string): Promise<OutboxMail[]> {
    return (await this.all()).filter(
      (m) => m.to.toLowerCase() === address.toLowerCase() && (subject === undefined || m.subject.includes(subject)),
    );
  }

  /** The newest mail to `address` (with `subject`), waiting briefly for background sends. */
  async latest(address: string, subject?: string, timeoutMs = 5000): Promise<OutboxMail> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const mails = await this.to(address, subject);
      const last = mails[mails.length - 1];
      if (last) return last;
      if (Date.now() > until) throw new Error(`no mail to ${address}${subject ? ` about "${subject}"` : ''} in ${this.dir}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
