/**
 * The admin feature's table: soft deletions waiting for their grace period to end. Never rename
 * or edit an applied migration.
 */
import type { Kysely, Migration } from 'kysely';

function accountDeletionsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('account_deletions')
        .addColumn('user_id', 'text', (col) => col.primaryKey().notNull())
        .addColumn('deleted_at', 'bigint', (col) => col.notNull())
        .addColumn('purge_after', 'bigint', (col) => col.notNull())
        .addColumn('requested_by', 'text', (col) => col.notNull())
        .addForeignKeyConstraint('account_deletions_user_id_fk', ['user_id'], 'users', ['id'], (fk) =>
          fk.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('account_deletions_purge_after_idx')
        .on('account_deletions')
        .column('purge_after')
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('account_deletions').execute();
    },
  };
}

/** The feature's migrations by name (its definition's `migrations`). */
export const ADMIN_MIGRATIONS = Object.freeze({
  '0008_account_deletions': () => accountDeletionsMigration(),
});
