import type { Loa } from '../core/loa.ts';
import { isLoa } from '../core/loa.ts';
import type { Queryable } from './db.ts';

/**
 * The Postkorb's tables (migration 006): mailboxes, messages, attachments and their bytes in
 * chunks, pending notices, idempotency keys, and the delivery records that outlive everything
 * else. Every read of a message names the account it must belong to, so an id of another
 * account's message finds nothing.
 */

/** Attachment bytes are stored and streamed in pieces of this size. */
export const CHUNK_BYTES = 256 * 1024;

export interface Mailbox {
  readonly accountId: string;
  readonly handle: string;
  readonly createdAt: number;
}

export interface MessageSummary {
  readonly id: string;
  readonly portalId: string;
  readonly sender: { readonly de: string; readonly en: string };
  readonly subject: string;
  readonly requiredLoa: Loa;
  readonly deliveredAt: number;
  readonly readAt: number | null;
  readonly attachmentCount: number;
}

export interface Message extends MessageSummary {
  readonly body: string;
  readonly reference: string | null;
}

export interface AttachmentMeta {
  readonly id: string;
  readonly messageId: string;
  readonly position: number;
  readonly fileName: string;
  readonly contentType: string;
  readonly size: number;
  readonly sha256: string;
}

export interface NewAttachment {
  readonly id: string;
  readonly fileName: string;
  readonly contentType: string;
  readonly sha256: string;
  readonly content: Buffer;
}

export interface NewMessage {
  readonly id: string;
  readonly accountId: string;
  readonly portalId: string;
  readonly sender: { readonly de: string; readonly en: string };
  readonly subject: string;
  readonly body: string;
  readonly reference: string | null;
  readonly requiredLoa: Loa;
  readonly deliveredAt: number;
  readonly attachments: readonly NewAttachment[];
}

export type PostkorbEvent = 'delivered' | 'opened' | 'deleted';
export type DeletionReason = 'citizen' | 'postkorb' | 'account';

export interface EventRecord {
  readonly at: number;
  readonly event: PostkorbEvent;
  readonly messageId: string;
  readonly portalId: string;
  readonly mailboxRef: string;
  readonly reason: DeletionReason | null;
}

interface MessageRow {
  id: string;
  account_id: string;
  portal_id: string;
  sender_de: string;
  sender_en: string;
  subject: string;
  body: string;
  reference: string | null;
  required_loa: string;
  delivered_at: number;
  read_at: number | null;
  attachment_count: number;
  attachment_bytes: number;
}

const SUMMARY_COLUMNS = [
  'id',
  'portal_id',
  'sender_de',
  'sender_en',
  'subject',
  'required_loa',
  'delivered_at',
  'read_at',
  'attachment_count',
] as const;

function summaryOf(r: Pick<MessageRow, (typeof SUMMARY_COLUMNS)[number]>): MessageSummary {
  return {
    id: r.id,
    portalId: r.portal_id,
    sender: { de: r.sender_de, en: r.sender_en },
    subject: r.subject,
    // A level this version does not know is treated as the highest: nobody opens it by mistake.
    requiredLoa: isLoa(r.required_loa) ? r.required_loa : 'high',
    deliveredAt: Number(r.delivered_at),
    readAt: r.read_at === null ? null : Number(r.read_at),
    attachmentCount: Number(r.attachment_count),
  };
}

// ---- mailboxes ---------------------------------------------------------------------------

export async function findMailbox(q: Queryable, accountId: string): Promise<Mailbox | undefined> {
  const row = await q<{ account_id: string; handle: string; created_at: number }>('postkorb_mailboxes')
    .where({ account_id: accountId })
    .first();
  return row && { accountId: row.account_id, handle: row.handle, createdAt: Number(row.created_at) };
}

export async function findMailboxByHandle(q: Queryable, handle: string): Promise<Mailbox | undefined> {
  const row = await q<{ account_id: string; handle: string; created_at: number }>('postkorb_mailboxes').where({ handle }).first();
  return row && { accountId: row.account_id, handle: row.handle, createdAt: Number(row.created_at) };
}

export async function insertMailbox(q: Queryable, mailbox: Mailbox): Promise<void> {
  await q('postkorb_mailboxes').insert({ account_id: mailbox.accountId, handle: mailbox.handle, created_at: mailbox.createdAt });
}

/** Removes the mailbox with every message, attachment and pending notice (not the delivery records). */
export async function deleteMailboxRows(q: Queryable, accountId: string): Promise<void> {
  const messages = q('postkorb_messages').where({ account_id: accountId }).select('id');
  const attachments = q('postkorb_attachments').whereIn('message_id', messages).select('id');
  await q('postkorb_attachment_chunks').whereIn('attachment_id', attachments).delete();
  await q('postkorb_attachments')
    .whereIn('message_id', q('postkorb_messages').where({ account_id: accountId }).select('id'))
    .delete();
  await q('postkorb_notices').where({ account_id: accountId }).delete();
  await q('postkorb_messages').where({ account_id: accountId }).delete();
  await q('postkorb_mailboxes').where({ account_id: accountId }).delete();
}

// ---- messages ----------------------------------------------------------------------------

/** Writes a message, its attachments and their bytes; call inside a transaction. */
export async function insertMessage(q: Queryable, m: NewMessage): Promise<void> {
  await q('postkorb_messages').insert({
    id: m.id,
    account_id: m.accountId,
    portal_id: m.portalId,
    sender_de: m.sender.de,
    sender_en: m.sender.en,
    subject: m.subject,
    body: m.body,
    reference: m.reference,
    required_loa: m.requiredLoa,
    delivered_at: m.deliveredAt,
    read_at: null,
    attachment_count: m.attachments.length,
    attachment_bytes: m.attachments.reduce((n, a) => n + a.content.length, 0),
  });
  let position = 0;
  for (const a of m.attachments) {
    await q('postkorb_attachments').insert({
      id: a.id,
      message_id: m.id,
      position: position++,
      file_name: a.fileName,
      content_type: a.contentType,
      size: a.content.length,
      sha256: a.sha256,
    });
    const chunks = [];
    for (let seq = 0, offset = 0; offset < a.content.length || seq === 0; seq++, offset += CHUNK_BYTES) {
      chunks.push({ attachment_id: a.id, seq, data: a.content.subarray(offset, offset + CHUNK_BYTES) });
    }
    // A few chunks per statement keeps each statement small on both databases.
    for (let i = 0; i < chunks.length; i += 4) await q('postkorb_attachment_chunks').insert(chunks.slice(i, i + 4));
  }
}

/** The account's messages, newest first. */
export async function listMessages(q: Queryable, accountId: string): Promise<MessageSummary[]> {
  const rows = await q<MessageRow>('postkorb_messages')
    .where({ account_id: accountId })
    .orderBy('delivered_at', 'desc')
    .orderBy('id', 'asc')
    .select(...SUMMARY_COLUMNS);
  return rows.map(summaryOf);
}

/** A message of this account, or undefined (also for another account's message id). */
export async function findMessage(q: Queryable, accountId: string, id: string): Promise<Message | undefined> {
  const row = await q<MessageRow>('postkorb_messages').where({ account_id: accountId, id }).first();
  return row && { ...summaryOf(row), body: row.body, reference: row.reference };
}

/** Sets the first reading; true only for the call that set it. */
export async function markRead(q: Queryable, accountId: string, id: string, now: number): Promise<boolean> {
  const n = await q('postkorb_messages').where({ account_id: accountId, id }).whereNull('read_at').update({ read_at: now });
  return n === 1;
}

export async function deleteMessageRows(q: Queryable, accountId: string, id: string): Promise<boolean> {
  const own = await q('postkorb_messages').where({ account_id: accountId, id }).first('id');
  if (!own) return false;
  await q('postkorb_attachment_chunks')
    .whereIn('attachment_id', q('postkorb_attachments').where({ message_id: id }).select('id'))
    .delete();
  await q('postkorb_attachments').where({ message_id: id }).delete();
  await q('postkorb_notices').where({ message_id: id }).delete();
  await q('postkorb_messages').where({ account_id: accountId, id }).delete();
  return true;
}

export async function countMessages(q: Queryable, accountId: string): Promise<{ total: number; unread: number }> {
  const total = await q('postkorb_messages').where({ account_id: accountId }).count({ n: '*' }).first();
  const unread = await q('postkorb_messages').where({ account_id: accountId }).whereNull('read_at').count({ n: '*' }).first();
  return { total: Number(total?.n ?? 0), unread: Number(unread?.n ?? 0) };
}

// ---- attachments -------------------------------------------------------------------------

interface AttachmentRow {
  id: string;
  message_id: string;
  position: number;
  file_name: string;
  content_type: string;
  size: number;
  sha256: string;
}

function attachmentOf(r: AttachmentRow): AttachmentMeta {
  return {
    id: r.id,
    messageId: r.message_id,
    position: Number(r.position),
    fileName: r.file_name,
    contentType: r.content_type,
    size: Number(r.size),
    sha256: r.sha256,
  };
}

export async function listAttachments(q: Queryable, messageIds: readonly string[]): Promise<AttachmentMeta[]> {
  if (messageIds.length === 0) return [];
  const rows = await q<AttachmentRow>('postkorb_attachments').whereIn('message_id', messageIds).orderBy('position', 'asc');
  return rows.map(attachmentOf);
}

export async function findAttachment(q: Queryable, messageId: string, id: string): Promise<AttachmentMeta | undefined> {
  const row = await q<AttachmentRow>('postkorb_attachments').where({ message_id: messageId, id }).first();
  return row && attachmentOf(row);
}

/** One piece of an attachment's bytes, or undefined past the last. */
export async function readChunk(q: Queryable, attachmentId: string, seq: number): Promise<Buffer | undefined> {
  const row = await q<{ attachment_id: string; seq: number; data: Buffer | Uint8Array }>('postkorb_attachment_chunks')
    .where({ attachment_id: attachmentId, seq })
    .first('data');
  if (!row) return undefined;
  return Buffer.isBuffer(row.data) ? row.data : Buffer.from(row.data);
}

// ---- notices (several messages within a few minutes give one mail) -----------------------

export interface NoticeEntry {
  readonly id: number;
  readonly messageId: string;
  readonly portalId: string;
  readonly createdAt: number;
  /** The authority, as the message shows it. */
  readonly sender: { readonly de: string; readonly en: string };
  /** The message was opened meanwhile: no need to announce it. */
  readonly read: boolean;
}

/** A delivered message waits to be announced (inside the delivery's transaction). */
export async function addNotice(q: Queryable, n: { accountId: string; messageId: string; portalId: string; now: number }): Promise<void> {
  await q('postkorb_notices').insert({ account_id: n.accountId, message_id: n.messageId, portal_id: n.portalId, created_at: n.now });
}

/** Mailboxes whose oldest unannounced message arrived before `before`. */
export async function mailboxesWithDueNotices(q: Queryable, before: number, limit = 200): Promise<string[]> {
  const rows = await q('postkorb_notices')
    .groupBy('account_id')
    .havingRaw('MIN(created_at) <= ?', [before])
    .orderByRaw('MIN(created_at)')
    .limit(limit)
    .select('account_id');
  return rows.map((r: { account_id: string }) => r.account_id);
}

export async function noticesOf(q: Queryable, accountId: string): Promise<NoticeEntry[]> {
  const rows = await q('postkorb_notices as n')
    .join('postkorb_messages as m', 'm.id', 'n.message_id')
    .where('n.account_id', accountId)
    .orderBy('n.created_at', 'asc')
    .orderBy('n.id', 'asc')
    .select('n.id', 'n.message_id', 'n.portal_id', 'n.created_at', 'm.read_at', 'm.sender_de', 'm.sender_en');
  return rows.map(
    (r: {
      id: number;
      message_id: string;
      portal_id: string;
      created_at: number;
      read_at: number | null;
      sender_de: string;
      sender_en: string;
    }) => ({
      id: Number(r.id),
      messageId: r.message_id,
      portalId: r.portal_id,
      createdAt: Number(r.created_at),
      sender: { de: r.sender_de, en: r.sender_en },
      read: r.read_at !== null,
    }),
  );
}

/** Takes announced rows out; the number actually removed (another process may have been first). */
export async function deleteNotices(q: Queryable, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  return q('postkorb_notices').whereIn('id', ids).delete();
}

// ---- idempotency keys --------------------------------------------------------------------

export interface IdempotencyRecord {
  readonly messageId: string;
  readonly requestHash: string;
  readonly createdAt: number;
}

export async function findIdempotency(q: Queryable, portalId: string, key: string, now: number): Promise<IdempotencyRecord | undefined> {
  const row = await q<{
    portal_id: string;
    idempotency_key: string;
    message_id: string;
    request_hash: string;
    created_at: number;
    expires_at: number;
  }>('postkorb_idempotency')
    .where({ portal_id: portalId, idempotency_key: key })
    .andWhere('expires_at', '>', now)
    .first();
  return row && { messageId: row.message_id, requestHash: row.request_hash, createdAt: Number(row.created_at) };
}

/** Stores the key; a UNIQUE violation means another request with this key got there first. */
export async function insertIdempotency(
  q: Queryable,
  r: { portalId: string; key: string; messageId: string; requestHash: string; now: number; expiresAt: number },
): Promise<void> {
  // An expired record of the same key may still be there until the purge: it is replaced.
  await q('postkorb_idempotency').where({ portal_id: r.portalId, idempotency_key: r.key }).andWhere('expires_at', '<=', r.now).delete();
  await q('postkorb_idempotency').insert({
    portal_id: r.portalId,
    idempotency_key: r.key,
    message_id: r.messageId,
    request_hash: r.requestHash,
    created_at: r.now,
    expires_at: r.expiresAt,
  });
}

export async function purgeIdempotency(q: Queryable, now: number): Promise<number> {
  return q('postkorb_idempotency').where('expires_at', '<=', now).delete();
}

// ---- delivery records ----------------------------------------------------------------------

export async function recordEvent(q: Queryable, e: EventRecord): Promise<void> {
  await q('postkorb_events').insert({
    at: e.at,
    event: e.event,
    message_id: e.messageId,
    portal_id: e.portalId,
    mailbox_ref: e.mailboxRef,
    reason: e.reason,
  });
}

export async function eventsOfMessage(q: Queryable, messageId: string): Promise<EventRecord[]> {
  const rows = await q<{ at: number; event: string; message_id: string; portal_id: string; mailbox_ref: string; reason: string | null }>(
    'postkorb_events',
  )
    .where({ message_id: messageId })
    .orderBy('at', 'asc')
    .orderBy('id', 'asc');
  return rows.map((r) => ({
    at: Number(r.at),
    event: r.event as PostkorbEvent,
    messageId: r.message_id,
    portalId: r.portal_id,
    mailboxRef: r.mailbox_ref,
    reason: r.reason as DeletionReason | null,
  }));
}

/**
 * Forgets the records of messages delivered before `olderThan` that are no longer stored; a
 * message still in a Postkorb keeps its records however old it is.
 */
export async function purgeEvents(q: Queryable, olderThan: number): Promise<number> {
  const old = q('postkorb_events').where({ event: 'delivered' }).andWhere('at', '<', olderThan).select('message_id');
  return q('postkorb_events').whereIn('message_id', old).whereNotIn('message_id', q('postkorb_messages').select('id')).delete();
}
