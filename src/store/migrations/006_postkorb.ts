import type { Knex } from 'knex';

/**
 * The Postkorb (issue 8, src/mailbox): an account's mailbox with its random handle, the messages
 * authorities send to it, their attachments (the bytes in a table of their own, in chunks, so a
 * download is streamed from the database), the pending e-mail notices (several messages within
 * a few minutes give one mail), the portals' idempotency keys, and the delivery records.
 *
 * The delivery records (`postkorb_events`) are the audit of every delivery, opening and deletion
 * and the source of the status a sending portal may query. They outlive the message and the
 * account: they hold no content and name the mailbox only by a keyed hash of its handle, never
 * the account (DECISIONS 6). Everything else hangs on the account with ON DELETE CASCADE and
 * goes with it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('postkorb_mailboxes', (t) => {
    t.string('account_id', 36).primary().references('id').inTable('accounts').onDelete('CASCADE');
    // UUID v4, what portals receive as legacyPostkorbHandle (urn:oid:2.5.4.18).
    t.string('handle', 36).notNullable().unique();
    t.bigInteger('created_at').notNullable();
  });

  await knex.schema.createTable('postkorb_messages', (t) => {
    t.string('id', 36).primary();
    t.string('account_id', 36).notNullable().references('account_id').inTable('postkorb_mailboxes').onDelete('CASCADE');
    t.string('portal_id', 64).notNullable();
    // The authority's name as its portal entry said at delivery (what the citizen sees).
    t.string('sender_de', 100).notNullable();
    t.string('sender_en', 100).notNullable();
    t.string('subject', 200).notNullable();
    t.text('body').notNullable();
    t.string('reference', 100).nullable();
    // The level a session needs to open the message and its attachments.
    t.string('required_loa', 16).notNullable();
    t.bigInteger('delivered_at').notNullable();
    t.bigInteger('read_at').nullable();
    t.integer('attachment_count').notNullable();
    t.bigInteger('attachment_bytes').notNullable();
    t.index(['account_id', 'delivered_at']);
  });

  await knex.schema.createTable('postkorb_attachments', (t) => {
    t.string('id', 36).primary();
    t.string('message_id', 36).notNullable().references('id').inTable('postkorb_messages').onDelete('CASCADE').index();
    t.integer('position').notNullable();
    // Sanitised; its extension fits the content type.
    t.string('file_name', 255).notNullable();
    // Checked from the content: application/pdf, image/png, image/jpeg, application/xml, text/plain.
    t.string('content_type', 64).notNullable();
    t.bigInteger('size').notNullable();
    t.string('sha256', 64).notNullable();
  });

  await knex.schema.createTable('postkorb_attachment_chunks', (t) => {
    t.string('attachment_id', 36).notNullable().references('id').inTable('postkorb_attachments').onDelete('CASCADE');
    t.integer('seq').notNullable();
    t.binary('data').notNullable();
    t.primary(['attachment_id', 'seq']);
  });

  // One row per message not yet announced by e-mail; the notice job sends one mail per mailbox
  // once its oldest row is postkorb.noticeDelayMinutes old, naming every authority of its rows.
  await knex.schema.createTable('postkorb_notices', (t) => {
    t.increments('id').primary();
    t.string('message_id', 36).notNullable().unique().references('id').inTable('postkorb_messages').onDelete('CASCADE');
    t.string('account_id', 36).notNullable().references('account_id').inTable('postkorb_mailboxes').onDelete('CASCADE').index();
    t.string('portal_id', 64).notNullable();
    t.bigInteger('created_at').notNullable().index();
  });

  await knex.schema.createTable('postkorb_idempotency', (t) => {
    t.string('portal_id', 64).notNullable();
    t.string('idempotency_key', 255).notNullable();
    t.string('message_id', 36).notNullable();
    // SHA-256 of the request (handle and body): the same key with another request is refused.
    t.string('request_hash', 64).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable().index();
    t.primary(['portal_id', 'idempotency_key']);
  });

  await knex.schema.createTable('postkorb_events', (t) => {
    t.increments('id').primary();
    t.bigInteger('at').notNullable().index();
    // delivered | opened | deleted
    t.string('event', 16).notNullable();
    t.string('message_id', 36).notNullable().index();
    // The sending portal.
    t.string('portal_id', 64).notNullable();
    // Keyed hash of the mailbox handle: who received, opened or deleted (never the account).
    t.string('mailbox_ref', 64).notNullable();
    // deleted: citizen (the message), postkorb (the Postkorb removed), account (the account deleted)
    t.string('reason', 16).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'postkorb_events',
    'postkorb_idempotency',
    'postkorb_notices',
    'postkorb_attachment_chunks',
    'postkorb_attachments',
    'postkorb_messages',
    'postkorb_mailboxes',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
