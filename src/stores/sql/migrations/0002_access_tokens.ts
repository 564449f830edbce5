/**
 * Opaque access tokens (`tokens.access: 'opaque'`): each bearer session holds the keyed digest
 * of its current access token and when that token expires. Rotating the refresh token replaces
 * both; revoking the session clears them, so a revoked session keeps nothing to match.
 */
import type { Kysely, Migration } from 'kysely';

export function accessTokensMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // One column per statement: SQLite's ALTER TABLE adds a single column at a time.
      await db.schema.alterTable('sessions').addColumn('access_digest', 'text').execute();
      await db.schema.alterTable('sessions').addColumn('access_expires_at', 'bigint').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('sessions').dropColumn('access_expires_at').execute();
      await db.schema.alterTable('sessions').dropColumn('access_digest').execute();
    },
  };
}
