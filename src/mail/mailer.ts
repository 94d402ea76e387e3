import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

/**
 * Outgoing mail. SMTP when configured; otherwise each message is written to the outbox folder as
 * an .eml file and its links are logged, so a developer can click through without a mail server
 * (links are never logged with SMTP, and the file outbox is refused in production).
 */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export interface Mailer {
  readonly kind: 'file' | 'smtp';
  send(message: MailMessage): Promise<void>;
  close(): void;
}

export interface MailerOptions {
  readonly from: string;
  readonly smtpUrl: string;
  /** Absolute path of the outbox folder. */
  readonly outboxDir: string;
}

export function createMailer(options: MailerOptions, log: Logger): Mailer {
  if (options.smtpUrl !== '') {
    const transport = nodemailer.createTransport(options.smtpUrl);
    return {
      kind: 'smtp',
      async send(m) {
        await transport.sendMail({ from: options.from, to: m.to, subject: m.subject, text: m.text });
        log.info({ mail: 'sent' }, 'mail sent by SMTP');
      },
      close: () => transport.close(),
    };
  }

  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  mkdirSync(options.outboxDir, { recursive: true });
  return {
    kind: 'file',
    async send(m) {
      const info = await transport.sendMail({ from: options.from, to: m.to, subject: m.subject, text: m.text });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const file = path.join(options.outboxDir, `${stamp}-${randomBytes(4).toString('hex')}.eml`);
      writeFileSync(file, info.message as Buffer, { mode: 0o600 });
      const links = m.text.match(/https?:\/\/\S+/g) ?? [];
      log.info({ outbox: file, links }, `mail written to the outbox: ${m.subject}`);
    },
    close: () => transport.close(),
  };
}
