/**
 * Expired and revoked API keys are kept a grace period (their owner still sees them listed as
 * expired or revoked, and the audit trail can name them), then pruned in small batches.
 */
import { type Kysely, type Migration, sql } from 'kysely';
import type { MaintenanceTask } from '../../feature/index.ts';
import { deleteBatch, guarded, type SqlDatabaseHandle } from '../../stores/sql/kit.ts';

/** Days an expired or revoked key stays listed before the pruner removes it. */
export const API_KEY_PRUNE_AFTER_DAYS = 30;

const DAY_MS = 86_400_000;

export const API_KEY_PRUNE_MIGRATIONS = Object.freeze({
  '0011_api_keys_expiry_indexes': (): Migration => ({
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createIndex('api_keys_expires_at_idx').on('api_keys').column('expires_at').execute();
      await db.schema.createIndex('api_keys_revoked_at_idx').on('api_keys').column('revoked_at').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('api_keys_revoked_at_idx').execute();
      await db.schema.dropIndex('api_keys_expires_at_idx').execute();
    },
  }),
});

export function apiKeyMaintenance(database: SqlDatabaseHandle): MaintenanceTask[] {
  const db = database.kysely<unknown>() as Kysely<unknown>;
  return [
    {
      name: 'apikeys.expired',
      prune: ({ now, batchSize }) =>
        guarded(async () => {
          const cutoff = now - API_KEY_PRUNE_AFTER_DAYS * DAY_MS;
          const expired = await deleteBatch(db, {
            table: 'api_keys',
            key: 'id',
            where: sql`expires_at <= ${cutoff}`,
            limit: batchSize,
          });
          if (expired.more) return expired;
          const revoked = await deleteBatch(db, {
            table: 'api_keys',
            key: 'id',
            where: sql`revoked_at <= ${cutoff}`,
            limit: batchSize - expired.removed,
          });
          return { removed: expired.removed + revoked.removed, more: revoked.more };
        }),
    },
  ];
}
