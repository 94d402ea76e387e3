import type { Knex } from 'knex';

/**
 * Local accounts, their attributes and single-use tokens, server-side sessions, throttle
 * counters, audit events and job leases. Times are epoch milliseconds (bigint) so the same
 * arithmetic works on SQLite and PostgreSQL and a test clock can drive every expiry.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('accounts', (t) => {
    t.string('id', 36).primary();
    t.string('username', 64).notNullable();
    t.string('username_key', 64).notNullable().unique();
    t.string('password_hash', 255).nullable();
    t.string('status', 16).notNullable(); // pending | active
    t.string('email', 254).notNullable();
    t.string('email_key', 254).notNullable().index();
    t.string('demail_key', 254).nullable().unique();
    t.string('locale', 2).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('confirmed_at').nullable();
    t.bigInteger('pending_until').nullable().index();
    t.bigInteger('updated_at').notNullable();
  });

  await knex.schema.createTable('account_attributes', (t) => {
    t.string('account_id', 36).notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('name', 40).notNullable();
    t.text('value').notNullable();
    t.string('loa', 16).notNullable();
    t.string('source', 80).notNullable();
    t.bigInteger('updated_at').notNullable();
    t.primary(['account_id', 'name']);
  });

  await knex.schema.createTable('account_tokens', (t) => {
    t.string('selector', 32).primary();
    t.string('verifier_hash', 64).notNullable();
    t.string('account_id', 36).notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('purpose', 16).notNullable();
    t.text('payload').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable().index();
    t.index(['account_id', 'purpose']);
  });

  await knex.schema.createTable('sessions', (t) => {
    t.string('id_hash', 64).primary();
    t.string('account_id', 36).nullable().references('id').inTable('accounts').onDelete('CASCADE').index();
    t.text('data').notNullable();
    t.text('levels').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('last_seen_at').notNullable();
    t.bigInteger('expires_at').notNullable().index();
  });

  await knex.schema.createTable('throttle', (t) => {
    t.string('key', 128).primary();
    t.integer('count').notNullable();
    t.bigInteger('window_start').notNullable();
    t.bigInteger('last_at').notNullable();
    t.bigInteger('locked_until').nullable();
    t.bigInteger('expires_at').notNullable().index();
  });

  await knex.schema.createTable('audit_events', (t) => {
    t.increments('id').primary();
    t.bigInteger('at').notNullable().index();
    // Keyed hash of the account id, never a foreign key (DECISIONS 6).
    t.string('account_ref', 64).nullable().index();
    t.string('event', 40).notNullable();
    t.text('detail').notNullable();
  });

  await knex.schema.createTable('job_leases', (t) => {
    t.string('name', 64).primary();
    t.string('owner', 64).notNullable();
    t.bigInteger('lease_until').notNullable();
    t.bigInteger('last_run_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['job_leases', 'audit_events', 'throttle', 'sessions', 'account_tokens', 'account_attributes', 'accounts']) {
    await knex.schema.dropTableIfExists(table);
  }
}
