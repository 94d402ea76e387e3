import type { Knex } from 'knex';

/**
 * Portals: consents per account and portal, pairwise identifiers per account and sector, a
 * replay cache shared by all processes (SAML request and assertion IDs), and the state of
 * oidc-provider (sessions, grants, codes, tokens) behind its adapter.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('consents', (t) => {
    t.string('account_id', 36).notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('portal_id', 64).notNullable();
    // Sorted, comma-separated attribute names: a new set asks again.
    t.text('attributes').notNullable();
    t.bigInteger('granted_at').notNullable();
    t.primary(['account_id', 'portal_id']);
  });

  await knex.schema.createTable('pairwise_ids', (t) => {
    t.string('account_id', 36).notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('sector', 64).notNullable();
    t.string('value', 64).notNullable().unique();
    t.bigInteger('created_at').notNullable();
    t.primary(['account_id', 'sector']);
  });

  await knex.schema.createTable('replay_cache', (t) => {
    t.string('key', 255).primary();
    t.bigInteger('expires_at').notNullable().index();
  });

  await knex.schema.createTable('oidc_models', (t) => {
    t.string('model', 40).notNullable();
    t.string('id', 255).notNullable();
    t.text('payload').notNullable();
    t.string('grant_id', 255).nullable();
    t.string('user_code', 255).nullable();
    t.string('uid', 255).nullable();
    t.string('account_id', 36).nullable().index();
    t.bigInteger('expires_at').nullable().index();
    t.bigInteger('consumed_at').nullable();
    t.primary(['model', 'id']);
    t.index(['model', 'grant_id']);
    t.index(['model', 'uid']);
    t.index(['model', 'user_code']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['oidc_models', 'replay_cache', 'pairwise_ids', 'consents']) await knex.schema.dropTableIfExists(table);
}
