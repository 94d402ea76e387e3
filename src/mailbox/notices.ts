import type { Logger } from 'pino';
import type { AccountService } from '../accounts/service.ts';
import type { Clock } from '../core/clock.ts';
import { MINUTE } from '../core/clock.ts';
import type { Mailer, MailMessage } from '../mail/mailer.ts';
import type { Db } from '../store/db.ts';
import { deleteNotices, mailboxesWithDueNotices, noticesOf } from '../store/postkorb.ts';
import type { Lang } from '../web/i18n.ts';

/**
 * The e-mail that tells a citizen a message has arrived: the authority's name and a link to the
 * login, never the subject, the text or an attachment. Messages wait in `postkorb_notices`; the
 * job `postkorb-notices` (a lease in the store, so one process sends, DECISIONS 16) sends one
 * mail per Postkorb once its oldest waiting message is `postkorb.noticeDelayMinutes` old, naming
 * every authority of the messages waiting then. Messages opened meanwhile are not announced.
 */

export interface NoticeDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly accounts: AccountService;
  readonly mailer: Mailer;
  readonly delayMinutes: number;
  readonly publicUrl: string;
  readonly operatorName: string;
  readonly log: Logger;
}

function quoted(lang: Lang, names: readonly string[]): string {
  const q = names.map((n) => (lang === 'de' ? `„${n}“` : `"${n}"`));
  if (q.length <= 1) return q.join('');
  return `${q.slice(0, -1).join(', ')} ${lang === 'de' ? 'und' : 'and'} ${q[q.length - 1]}`;
}

export function noticeMail(
  c: { lang: Lang; to: string; operatorName: string; link: string },
  count: number,
  senders: readonly string[],
): MailMessage {
  const who = quoted(c.lang, senders);
  if (c.lang === 'en') {
    const what = count === 1 ? `a new message from ${who} has arrived` : `${count} new messages from ${who} have arrived`;
    return {
      to: c.to,
      subject: `${count === 1 ? 'New message' : 'New messages'} in your Postkorb – ${c.operatorName}`,
      text:
        `Hello,\n\nin your Postkorb ${what}.\n\nLog in to your Servicekonto to read ${count === 1 ? 'it' : 'them'}:\n\n${c.link}\n\n` +
        `For your protection this e-mail contains neither the subject nor the content. Never enter your password on a page that a link in an e-mail opened without checking its address.` +
        `\n\nKind regards\nYour ${c.operatorName}\n\nThis e-mail was generated automatically. Please do not reply.`,
    };
  }
  const what = count === 1 ? `ist eine neue Nachricht von ${who} eingegangen` : `sind ${count} neue Nachrichten von ${who} eingegangen`;
  return {
    to: c.to,
    subject: `${count === 1 ? 'Neue Nachricht' : 'Neue Nachrichten'} in Ihrem Postkorb – ${c.operatorName}`,
    text:
      `Guten Tag,\n\nin Ihrem Postkorb ${what}.\n\nMelden Sie sich in Ihrem Servicekonto an, um sie zu lesen:\n\n${c.link}\n\n` +
      `Zu Ihrem Schutz enthält diese E-Mail weder den Betreff noch den Inhalt. Geben Sie Ihr Passwort nie auf einer Seite ein, deren Adresse Sie nicht geprüft haben.` +
      `\n\nMit freundlichen Grüßen\nIhr ${c.operatorName}\n\nDiese E-Mail wurde automatisch erstellt. Bitte antworten Sie nicht darauf.`,
  };
}

/** One pass of the job; returns how many mails went out. */
export async function sendDueNotices(deps: NoticeDeps): Promise<number> {
  const { db, clock, accounts, mailer, log } = deps;
  const due = await mailboxesWithDueNotices(db, clock.now() - deps.delayMinutes * MINUTE);
  let sent = 0;
  for (const accountId of due) {
    const entries = await noticesOf(db, accountId);
    const unread = entries.filter((e) => !e.read);
    const account = await accounts.findById(accountId);
    // Only a confirmed address is written to; a message already opened needs no notice.
    if (account && account.status === 'active' && unread.length > 0) {
      const lang = account.locale;
      const senders = [...new Set(unread.map((e) => e.sender[lang]))];
      try {
        await mailer.send(
          noticeMail(
            { lang, to: account.email, operatorName: deps.operatorName, link: `${deps.publicUrl.replace(/\/+$/, '')}/postkorb` },
            unread.length,
            senders,
          ),
        );
        sent++;
      } catch (err) {
        // Kept for the next pass.
        log.error({ err }, 'Postkorb notice could not be sent');
        continue;
      }
    }
    await deleteNotices(
      db,
      entries.map((e) => e.id),
    );
  }
  return sent;
}
