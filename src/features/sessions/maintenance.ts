/**
 * What the sessions feature prunes and measures. A session row is removed once it is past its
 * idle or absolute expiry by more than an access token's life (a token issued just before the
 * expiry may still be checked against the row's revocation until it lapses); its consumed
 * refresh digests go with it (foreign key `on delete cascade`). Tombstones of sessions deleted
 * with their user are kept only as long as the denylist rebuild reads them.
 */
import { type Kysely, type Migration, sql } from 'kysely';
import type { MetricsRegistrar } from '../../core/index.ts';
import type { MaintenanceTask } from '../../feature/index.ts';
import { deleteBatch, guarded, type SqlDatabaseHandle } from '../../stores/sql/kit.ts';

interface PrunedTables {
  sessions: { id: string; idle_expires_at: number; absolute_expires_at: number; revoked_at: number | null };
  deleted_sessions: { session_id: string; revoked_at: number };
}

/** Sessions ending on idle expiry are found through this index (absolute expiry has one since 0001). */
export const SESSION_MIGRATIONS = Object.freeze({
  '0010_sessions_idle_expiry_index': (): Migration => ({
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createIndex('sessions_idle_expires_at_idx')
        .on('sessions')
        .column('idle_expires_at')
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('sessions_idle_expires_at_idx').execute();
    },
  }),
});

export function sessionMaintenance(options: {
  readonly database: SqlDatabaseHandle;
  /** An access token's life plus leeway (ms): how long past its expiry a row may still matter. */
  readonly graceMs: number;
}): MaintenanceTask[] {
  const db = options.database.kysely<PrunedTables>() as Kysely<unknown>;
  return [
    {
      name: 'sessions.expired',
      // Two batches' worth of short statements, each through its own index (an OR would make
      // PostgreSQL combine two index scans; two plain range scans are cheaper and simpler).
      prune: ({ now, batchSize }) =>
        guarded(async () => {
          const cutoff = now - options.graceMs;
          const absolute = await deleteBatch(db, {
            table: 'sessions',
            key: 'id',
            where: sql`absolute_expires_at <= ${cutoff}`,
            limit: batchSize,
          });
          if (absolute.more) return absolute;
          const idle = await deleteBatch(db, {
            table: 'sessions',
            key: 'id',
            where: sql`idle_expires_at <= ${cutoff}`,
            limit: batchSize - absolute.removed,
          });
          return { removed: absolute.removed + idle.removed, more: idle.more };
        }),
    },
    {
      name: 'sessions.tombstones',
      prune: ({ now, batchSize }) =>
        guarded(() =>
          deleteBatch(db, {
            table: 'deleted_sessions',
            key: 'session_id',
            where: sql`revoked_at <= ${now - options.graceMs}`,
            limit: batchSize,
          }),
        ),
    },
  ];
}

/** `gatehouse_active_sessions`: sessions neither revoked nor past an expiry (an SQL count per scrape). */
export function registerSessionMetrics(
  metrics: MetricsRegistrar,
  database: SqlDatabaseHandle,
  now: () => number,
): void {
  const db = database.kysely<PrunedTables>();
  metrics.gauge({
    name: 'gatehouse_active_sessions',
    help: 'Sessions not revoked and not past their idle or absolute expiry',
    shared: true,
    collect: async () => {
      const at = now();
      const row = await db
        .selectFrom('sessions')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('absolute_expires_at', '>', at)
        .where('idle_expires_at', '>', at)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(row?.count ?? 0);
    },
  });
}
