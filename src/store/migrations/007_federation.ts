import type { Knex } from 'knex';

/**
 * Federation with other states' accounts (issue 4):
 *
 * - `federation_metadata`: each partner's metadata as last fetched and verified (the last good
 *   copy, which serves while a refresh fails, DECISIONS 10: the running hub writes nothing under
 *   federation/), with what a conditional request needs (ETag, Last-Modified), its validity, and
 *   the last error. Written by the one process holding the refresh job's lease; the others read it.
 * - `federation_requests`: the AuthnRequests the hub sent to partners, single-use and shared by
 *   every process (SATOSA keeps them per process): the partner's answer is a cross-site POST that
 *   carries no session cookie, so the ACS finds the request by its RelayState, consumes it, and
 *   the browser's own session is checked on the GET that follows.
 * - `federation_results`: a validated answer between the ACS (a cross-site POST without the
 *   session cookie) and the GET that follows it in the same browser (with the cookie), for at
 *   most a few minutes, encrypted with a key that only the browser's redirect URL carries.
 * - `federated_accounts`: the local federated account of a partner's citizen (`link_accounts:
 *   true`), keyed by partner and a keyed hash of the partner's NameID, never the NameID itself.
 * - `sessions.subject`: the random principal of a session that logged in through a partner
 *   without an account here (`link_accounts: false`, DECISIONS 8), so OpenID Connect grants can
 *   be tied to it as they are to an account.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('federation_metadata', (t) => {
    t.string('partner_id', 64).primary();
    t.string('entity_id', 1024).notNullable();
    t.string('source', 16).notNullable(); // url | file
    t.text('xml').notNullable();
    // SHA-256 (hex) of the document: processes re-read it when it changed.
    t.string('digest', 64).notNullable();
    t.string('etag', 512).nullable();
    t.string('last_modified', 64).nullable();
    t.bigInteger('fetched_at').notNullable();
    t.bigInteger('valid_until').nullable();
    // After this the copy no longer serves (validUntil, or fetched_at + the partner's maxCacheHours).
    t.bigInteger('use_until').notNullable();
    t.bigInteger('next_refresh_at').notNullable();
    t.bigInteger('checked_at').notNullable();
    t.bigInteger('last_attempt_at').nullable();
    t.text('last_error').nullable();
    t.bigInteger('last_error_at').nullable();
  });

  await knex.schema.createTable('federation_requests', (t) => {
    // SHA-256 (hex) of the RelayState sent with the request.
    t.string('relay_hash', 64).primary();
    t.string('request_id', 64).notNullable().unique();
    t.string('partner_id', 64).notNullable();
    // SHA-256 (hex) of a random value kept in the browser's session: whose request it was.
    t.string('browser_hash', 64).notNullable();
    // JSON: the portal request it serves, the level asked for. No personal data.
    t.text('payload').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable().index();
  });

  await knex.schema.createTable('federation_results', (t) => {
    // SHA-256 (hex) of the random token in the redirect URL.
    t.string('token_hash', 64).primary();
    // SHA-256 (hex) of the browser value the request row held.
    t.string('browser_hash', 64).notNullable();
    // AES-256-GCM (base64) under a key derived from the token: the mapped login.
    t.text('sealed').notNullable();
    t.bigInteger('expires_at').notNullable().index();
  });

  await knex.schema.createTable('federated_accounts', (t) => {
    t.string('account_id', 36).primary().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('partner_id', 64).notNullable();
    // HMAC-SHA-256 (hex, hmac.key) of partner and NameID.
    t.string('subject_key', 64).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('last_login_at').notNullable();
    t.unique(['partner_id', 'subject_key']);
  });

  await knex.schema.alterTable('sessions', (t) => {
    t.string('subject', 64).nullable().index();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (t) => {
    t.dropColumn('subject');
  });
  for (const table of ['federated_accounts', 'federation_results', 'federation_requests', 'federation_metadata']) {
    await knex.schema.dropTableIfExists(table);
  }
}
