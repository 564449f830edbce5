/**
 * API keys: `gh_<env>_<keyId>.<secret>`. A plain key keeps only a keyed digest of its secret; a
 * signing key keeps its secret encrypted (an HMAC verifier needs the secret itself).
 */
import type { Kysely, Migration } from 'kysely';

export function apiKeysMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (col) => col.primaryKey().notNull())
        .addColumn('user_id', 'text', (col) => col.notNull())
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('env', 'text', (col) => col.notNull())
        .addColumn('scopes', 'text', (col) => col.notNull().defaultTo('[]'))
        .addColumn('secret_digest', 'text')
        .addColumn('signing_secret', 'text')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('last_used_at', 'bigint')
        .addForeignKeyConstraint('api_keys_user_id_fk', ['user_id'], 'users', ['id'], (fk) =>
          fk.onDelete('cascade'),
        )
        .execute();
      await db.schema.createIndex('api_keys_user_id_idx').on('api_keys').column('user_id').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('api_keys').execute();
    },
  };
}
