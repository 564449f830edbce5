/**
 * Sign-in with OAuth / OpenID Connect providers: one row per (provider, subject) linked to a
 * user. Provider tokens are kept only when configured, as AEAD envelopes (see
 * `../encrypted-columns.ts`).
 */
import type { Kysely, Migration } from 'kysely';

export function oauthAccountsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('oauth_accounts')
        .addColumn('id', 'text', (col) => col.primaryKey().notNull())
        .addColumn('user_id', 'text', (col) => col.notNull())
        .addColumn('provider', 'text', (col) => col.notNull())
        .addColumn('subject', 'text', (col) => col.notNull())
        // The provider's address at link time, for the user's list; never used to sign in.
        .addColumn('email', 'text')
        .addColumn('access_token', 'text')
        .addColumn('refresh_token', 'text')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addForeignKeyConstraint('oauth_accounts_user_id_fk', ['user_id'], 'users', ['id'], (fk) =>
          fk.onDelete('cascade'),
        )
        // One provider account belongs to one user, whoever tries to link it again.
        .addUniqueConstraint('oauth_accounts_provider_subject_uq', ['provider', 'subject'])
        .execute();
      await db.schema
        .createIndex('oauth_accounts_user_id_idx')
        .on('oauth_accounts')
        .column('user_id')
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('oauth_accounts').execute();
    },
  };
}
