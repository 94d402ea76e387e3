import type { Knex } from 'knex';

/**
 * The eID link (issue 5): which ID card (by a hash of its RestrictedID, the card- and
 * service-specific pseudonym, never the document number) belongs to which account, and the
 * online authentications under way (the TC Token the AusweisApp fetches without the browser's
 * cookies, shared by every hub process).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('eid_bindings', (t) => {
    // One card per account; a new card replaces the old binding.
    t.string('account_id', 36).primary().references('id').inTable('accounts').onDelete('CASCADE');
    // SHA-256 of RestrictedID/ID (hex): enough to recognise the card, useless elsewhere.
    t.string('restricted_id_hash', 64).notNullable().unique();
    t.string('document_type', 2).nullable();
    t.bigInteger('bound_at').notNullable();
    t.bigInteger('last_used_at').notNullable();
  });

  await knex.schema.createTable('eid_transactions', (t) => {
    // SHA-256 of the random reference in the tcTokenURL.
    t.string('ref_hash', 64).primary();
    t.string('server_address', 512).notNullable();
    t.string('psk_id', 128).notNullable();
    // The pre-shared key for the AusweisApp; cleared once the TC Token was fetched.
    t.string('psk_key', 256).nullable();
    // SHA-256 of the secret in the RefreshAddress, set when the TC Token is fetched.
    t.string('refresh_hash', 64).nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable().index();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['eid_transactions', 'eid_bindings']) await knex.schema.dropTableIfExists(table);
}
