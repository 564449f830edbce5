/**
 * What rebuilding the denylist from SQL needs (after Redis lost its data, or a restart emptied
 * the memory stores): an index to list the sessions revoked in the last few minutes, and
 * `deleted_sessions`, which keeps the id and revocation time of sessions deleted with their
 * user (the only revocations no session row would otherwise remember). Neither has a foreign
 * key: a tombstone must outlive its user.
 */
import type { Kysely, Migration } from 'kysely';

export function revocationRebuildMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createIndex('sessions_revoked_at_idx').on('sessions').column('revoked_at').execute();
      await db.schema
        .createTable('deleted_sessions')
        .addColumn('session_id', 'text', (col) => col.primaryKey().notNull())
        .addColumn('revoked_at', 'bigint', (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex('deleted_sessions_revoked_at_idx')
        .on('deleted_sessions')
        .column('revoked_at')
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('deleted_sessions').execute();
      await db.schema.dropIndex('sessions_revoked_at_idx').execute();
    },
  };
}
