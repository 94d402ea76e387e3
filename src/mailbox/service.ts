import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { HubConfig } from '../config/schema.ts';
import type { PortalConfig } from '../config/portals.ts';
import { DAY, HOUR, MINUTE, type Clock } from '../core/clock.ts';
import type { AuthnMethod } from '../core/identity.ts';
import { loaSatisfies, type Loa } from '../core/loa.ts';
import { isUniqueViolation, type Db, type Queryable } from '../store/db.ts';
import { keyedHash } from '../store/keyed-hash.ts';
import {
  addNotice,
  countMessages,
  deleteMailboxRows,
  deleteMessageRows,
  eventsOfMessage,
  findIdempotency,
  findMailbox,
  findMailboxByHandle,
  findMessage,
  insertIdempotency,
  insertMailbox,
  insertMessage,
  listAttachments,
  listMessages,
  markRead,
  purgeEvents,
  purgeIdempotency,
  recordEvent,
  type AttachmentMeta,
  type DeletionReason,
  type Mailbox,
  type Message,
  type MessageSummary,
  type NewAttachment,
} from '../store/postkorb.ts';

/**
 * The Postkorb's operations, without HTTP: creating and removing a mailbox, delivering a message
 * (one transaction with its attachments, its delivery record, its idempotency key and its
 * pending notice), opening, deleting, the status a sending portal may read. Every delivery,
 * first opening and deletion leaves a record in `postkorb_events` that names the mailbox only by
 * a keyed hash of its handle and survives the message and the account (DECISIONS 6).
 */

export type PostkorbSettings = HubConfig['postkorb'];

/** Methods of this hub's own accounts; a session of another state's account gets no Postkorb. */
const LOCAL_METHODS: ReadonlySet<AuthnMethod> = new Set(['pwd', 'eid', 'pass']);

/** Whether a session authenticated only with this hub's own methods (not through a partner). */
export function isLocalLogin(methods: readonly AuthnMethod[]): boolean {
  return methods.length > 0 && methods.every((m) => LOCAL_METHODS.has(m));
}

export interface Delivery {
  readonly handle: string;
  readonly subject: string;
  readonly text: string;
  readonly reference: string | null;
  readonly level: Loa;
  readonly attachments: readonly { readonly fileName: string; readonly contentType: string; readonly content: Buffer }[];
}

export type DeliveryResult =
  | { readonly kind: 'delivered'; readonly id: string; readonly deliveredAt: number }
  /** The same Idempotency-Key with the same request: the first message, nothing stored. */
  | { readonly kind: 'replayed'; readonly id: string; readonly deliveredAt: number }
  /** The same Idempotency-Key with another request. */
  | { readonly kind: 'keyReused'; readonly id: string }
  | { readonly kind: 'unknownHandle' };

export interface DeliveryStatus {
  readonly id: string;
  readonly deliveredAt: number;
  readonly readAt: number | null;
  readonly deletedAt: number | null;
  readonly deletedBy: DeletionReason | null;
}

export type Opened =
  | { readonly kind: 'open'; readonly message: Message; readonly attachments: readonly AttachmentMeta[] }
  | { readonly kind: 'locked'; readonly message: MessageSummary }
  | { readonly kind: 'notFound' };

class UnknownHandle extends Error {}

export interface PostkorbDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly hmacKey: Buffer;
  readonly settings: PostkorbSettings;
  readonly log: Logger;
}

export class Postkorb {
  constructor(private readonly deps: PostkorbDeps) {}

  /** The keyed hash under which the delivery records name a mailbox. */
  mailboxRef(handle: string): string {
    return keyedHash(this.deps.hmacKey, 'postkorb', handle.toLowerCase());
  }

  find(accountId: string): Promise<Mailbox | undefined> {
    return findMailbox(this.deps.db, accountId);
  }

  /** Creates the mailbox with a random handle (UUID v4); an existing one is kept. */
  async create(q: Queryable, accountId: string): Promise<Mailbox> {
    const existing = await findMailbox(q, accountId);
    if (existing) return existing;
    const mailbox: Mailbox = { accountId, handle: randomUUID(), createdAt: this.deps.clock.now() };
    await insertMailbox(q, mailbox);
    return mailbox;
  }

  // ---- delivery ----------------------------------------------------------------------------

  /** What an Idempotency-Key stands for: the handle and the request body. */
  static requestHash(handle: string, body: Buffer): string {
    return createHash('sha256').update(handle.toLowerCase()).update('\n').update(body).digest('hex');
  }

  /** A key seen before: the first message again, or a conflict when the request differs. */
  async replay(portalId: string, key: string, requestHash: string): Promise<DeliveryResult | undefined> {
    const seen = await findIdempotency(this.deps.db, portalId, key, this.deps.clock.now());
    if (!seen) return undefined;
    if (seen.requestHash !== requestHash) return { kind: 'keyReused', id: seen.messageId };
    return { kind: 'replayed', id: seen.messageId, deliveredAt: seen.createdAt };
  }

  /**
   * Stores a message with its attachments in one transaction, with the delivery record, the
   * idempotency key and the notice; a failure anywhere leaves nothing behind.
   */
  async deliver(
    portal: PortalConfig,
    d: Delivery,
    idempotency: { readonly key: string; readonly requestHash: string },
  ): Promise<DeliveryResult> {
    const sender = portal.postkorb?.senderName;
    if (!sender) throw new Error(`portal ${portal.id} may not send`);
    const now = this.deps.clock.now();
    const id = randomUUID();
    const attachments: NewAttachment[] = d.attachments.map((a) => ({
      id: randomUUID(),
      fileName: a.fileName,
      contentType: a.contentType,
      sha256: createHash('sha256').update(a.content).digest('hex'),
      content: a.content,
    }));
    try {
      await this.deps.db.transaction(async (trx) => {
        const mailbox = await findMailboxByHandle(trx, d.handle.toLowerCase());
        if (!mailbox) throw new UnknownHandle();
        await insertIdempotency(trx, {
          portalId: portal.id,
          key: idempotency.key,
          messageId: id,
          requestHash: idempotency.requestHash,
          now,
          expiresAt: now + this.deps.settings.idempotencyHours * HOUR,
        });
        await insertMessage(trx, {
          id,
          accountId: mailbox.accountId,
          portalId: portal.id,
          sender,
          subject: d.subject,
          body: d.text,
          reference: d.reference,
          requiredLoa: d.level,
          deliveredAt: now,
          attachments,
        });
        await recordEvent(trx, {
          at: now,
          event: 'delivered',
          messageId: id,
          portalId: portal.id,
          mailboxRef: this.mailboxRef(mailbox.handle),
          reason: null,
        });
        await addNotice(trx, { accountId: mailbox.accountId, messageId: id, portalId: portal.id, now });
      });
    } catch (err) {
      if (err instanceof UnknownHandle) return { kind: 'unknownHandle' };
      // A parallel request with the same key committed first: answer as it was answered.
      if (isUniqueViolation(err)) {
        const again = await this.replay(portal.id, idempotency.key, idempotency.requestHash);
        if (again) return again;
      }
      throw err;
    }
    this.deps.log.info({ portal: portal.id, message: id, attachments: attachments.length, level: d.level }, 'postkorb message delivered');
    return { kind: 'delivered', id, deliveredAt: now };
  }

  /** The delivery state for the portal that sent the message, and only for it (else undefined). */
  async status(portalId: string, handle: string, messageId: string): Promise<DeliveryStatus | undefined> {
    const events = await eventsOfMessage(this.deps.db, messageId);
    const delivered = events.find((e) => e.event === 'delivered');
    if (!delivered || delivered.portalId !== portalId || delivered.mailboxRef !== this.mailboxRef(handle)) return undefined;
    const opened = events.find((e) => e.event === 'opened');
    const deleted = events.find((e) => e.event === 'deleted');
    return {
      id: messageId,
      deliveredAt: delivered.at,
      readAt: opened?.at ?? null,
      deletedAt: deleted?.at ?? null,
      deletedBy: deleted?.reason ?? null,
    };
  }

  // ---- the citizen's side ------------------------------------------------------------------

  list(accountId: string): Promise<MessageSummary[]> {
    return listMessages(this.deps.db, accountId);
  }

  counts(accountId: string): Promise<{ total: number; unread: number }> {
    return countMessages(this.deps.db, accountId);
  }

  /** Opens a message at the session's level: the first opening marks it read and is recorded. */
  async open(accountId: string, messageId: string, sessionLoa: Loa): Promise<Opened> {
    const message = await findMessage(this.deps.db, accountId, messageId);
    if (!message) return { kind: 'notFound' };
    if (!loaSatisfies(sessionLoa, message.requiredLoa)) return { kind: 'locked', message };
    const now = this.deps.clock.now();
    const mailbox = await findMailbox(this.deps.db, accountId);
    let readAt = message.readAt;
    if (readAt === null && mailbox) {
      await this.deps.db.transaction(async (trx) => {
        if (!(await markRead(trx, accountId, messageId, now))) return;
        readAt = now;
        await recordEvent(trx, {
          at: now,
          event: 'opened',
          messageId,
          portalId: message.portalId,
          mailboxRef: this.mailboxRef(mailbox.handle),
          reason: null,
        });
      });
    }
    return { kind: 'open', message: { ...message, readAt }, attachments: await listAttachments(this.deps.db, [messageId]) };
  }

  /** A message of the account at a level the session has, without marking it read (downloads check with this). */
  async readable(accountId: string, messageId: string, sessionLoa: Loa): Promise<Message | undefined> {
    const message = await findMessage(this.deps.db, accountId, messageId);
    return message && loaSatisfies(sessionLoa, message.requiredLoa) ? message : undefined;
  }

  summary(accountId: string, messageId: string): Promise<Message | undefined> {
    return findMessage(this.deps.db, accountId, messageId);
  }

  attachmentsOf(messageIds: readonly string[]): Promise<AttachmentMeta[]> {
    return listAttachments(this.deps.db, messageIds);
  }

  /** Deletes one message (the session must be able to open it; the caller checked). */
  async deleteMessage(accountId: string, messageId: string): Promise<boolean> {
    const now = this.deps.clock.now();
    return this.deps.db.transaction(async (trx) => {
      const mailbox = await findMailbox(trx, accountId);
      const message = await findMessage(trx, accountId, messageId);
      if (!mailbox || !message) return false;
      await recordEvent(trx, {
        at: now,
        event: 'deleted',
        messageId,
        portalId: message.portalId,
        mailboxRef: this.mailboxRef(mailbox.handle),
        reason: 'citizen',
      });
      return deleteMessageRows(trx, accountId, messageId);
    });
  }

  /** Removes the mailbox with everything in it, recording each message's deletion. */
  async removeAll(q: Queryable, accountId: string, reason: Exclude<DeletionReason, 'citizen'>): Promise<number> {
    const mailbox = await findMailbox(q, accountId);
    if (!mailbox) return 0;
    const now = this.deps.clock.now();
    const messages = await listMessages(q, accountId);
    for (const m of messages) {
      await recordEvent(q, {
        at: now,
        event: 'deleted',
        messageId: m.id,
        portalId: m.portalId,
        mailboxRef: this.mailboxRef(mailbox.handle),
        reason,
      });
    }
    await deleteMailboxRows(q, accountId);
    return messages.length;
  }

  async remove(accountId: string): Promise<number> {
    return this.deps.db.transaction((trx) => this.removeAll(trx, accountId, 'postkorb'));
  }

  // ---- housekeeping ------------------------------------------------------------------------

  async purge(): Promise<number> {
    const now = this.deps.clock.now();
    const keys = await purgeIdempotency(this.deps.db, now);
    const records = await purgeEvents(this.deps.db, now - this.deps.settings.deliveryRecordDays * DAY);
    return keys + records;
  }

  /** When a notice for a message delivered at `at` is due. */
  noticeDue(at: number): number {
    return at + this.deps.settings.noticeDelayMinutes * MINUTE;
  }
}
