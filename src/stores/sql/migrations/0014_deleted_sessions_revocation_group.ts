/**
 * A deleted user's session tombstone keeps its revocation group (0-1023, a spread of the user
 * id, nothing of the user itself): after Redis loses its data, a rebuild puts the tombstone
 * back into that one group instead of into all 1024. Nullable: tombstones written before this
 * migration go into every group being rebuilt, and age out within an access-token lifetime.
 */
import type { Kysely, Migration } from 'kysely';

export function deletedSessionsRevocationGroupMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('deleted_sessions').addColumn('revocation_group', 'integer').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('deleted_sessions').dropColumn('revocation_group').execute();
    },
  };
}
