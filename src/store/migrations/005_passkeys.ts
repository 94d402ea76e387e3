import type { Knex } from 'knex';

/**
 * The Servicekonto.Pass (issue 5): passkeys (WebAuthn credentials) of accounts, the random user
 * handle each account presents to authenticators, and the single-use enrolment links that let a
 * second device (a phone scanning a QR code) register a passkey for the account (DECISIONS 14).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('passkey_users', (t) => {
    t.string('account_id', 36).primary().references('id').inTable('accounts').onDelete('CASCADE');
    // Random, base64url; the WebAuthn user.id. Never the account id, never personal data.
    t.string('user_handle', 64).notNullable().unique();
  });

  await knex.schema.createTable('passkeys', (t) => {
    // SHA-256 (hex) of the raw credential id: a fixed-length key that forms and sessions can name.
    t.string('id', 64).primary();
    t.string('account_id', 36).notNullable().references('id').inTable('accounts').onDelete('CASCADE').index();
    // The credential id as the authenticator gave it (base64url, up to 1023 bytes raw).
    t.text('credential_id').notNullable();
    // COSE public key, base64url.
    t.text('public_key').notNullable();
    t.bigInteger('counter').notNullable();
    t.string('transports', 200).notNullable(); // JSON array
    t.string('device_type', 16).notNullable(); // singleDevice | multiDevice
    t.boolean('backed_up').notNullable();
    t.string('aaguid', 36).notNullable();
    t.string('name', 64).notNullable();
    // The level a login with this passkey yields, fixed at registration (DECISIONS 14).
    t.string('loa', 16).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('last_used_at').nullable();
    // Set when a login presented a signature counter that did not increase (a possible clone).
    t.bigInteger('counter_regression_at').nullable();
  });

  await knex.schema.createTable('passkey_enrolments', (t) => {
    t.string('selector', 32).primary();
    // SHA-256 (hex) of the verifier half of the link's token.
    t.string('verifier_hash', 64).notNullable();
    t.string('account_id', 36).notNullable().references('id').inTable('accounts').onDelete('CASCADE').index();
    // The level of the session that made the link: the passkey registered with it gets its level from it.
    t.string('session_loa', 16).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable().index();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['passkey_enrolments', 'passkeys', 'passkey_users']) await knex.schema.dropTableIfExists(table);
}
