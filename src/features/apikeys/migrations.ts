/**
 * API keys: `gh_<env>_<keyId>.<secret>`. A plain key keeps only a keyed digest of its secret; a
 * signing key keeps its secret encrypted (an HMAC verifier needs the secret itself).
 *
 * The name `0005_api_keys` is the one databases already recorded when this migration sat in
 * the SQL store's list; the merged list is applied in name order, so it still runs between
 * `0004_oauth_accounts` and `0006_revocation_rebuild`. Never rename or edit it.
 */
import type { Kysely, Migration } from 'kysely';

function apiKeysMigration(): Migration {
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

/** The feature's migrations by name (its definition's `migrations`). */
export const API_KEY_MIGRATIONS = Object.freeze({ '0005_api_keys': () => apiKeysMigration() });
