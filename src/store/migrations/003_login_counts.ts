import type { Knex } from 'knex';

/** Logins answered per portal and day, for operators (/healthz, `hub status`); no personal data. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('portal_login_counts', (t) => {
    t.string('portal_id', 64).notNullable();
    t.string('day', 10).notNullable(); // YYYY-MM-DD, UTC
    t.integer('count').notNullable();
    t.primary(['portal_id', 'day']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('portal_login_counts');
}
