import { type Kysely, sql } from 'kysely';
import { newId } from '../../crypto/ids.ts';
import { guarded, type SqlDatabaseHandle } from '../../stores/sql/kit.ts';
import type { ClaimedDelivery, NewOutboxRow, OutboxRepository } from './repository.ts';
import type { WebhookTables } from './tables.ts';

/**
 * Writes outbox rows on the given handle: inside the audit row's transaction, so the event and
 * its deliveries are written together or not at all.
 */
export async function insertOutboxRows(
  db: Kysely<WebhookTables>,
  rows: readonly NewOutboxRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('webhook_outbox')
    .values(
      rows.map((row) => ({
        id: newId(),
        event_id: row.eventId,
        event_type: row.eventType,
        endpoint: row.endpoint,
        user_id: row.userId,
        payload: row.payload,
        status: 'pending' as const,
        attempts: 0,
        next_attempt_at: row.createdAt,
        lease_token: null,
        lease_until: null,
        last_error: null,
        created_at: row.createdAt,
        finished_at: null,
      })),
    )
    .execute();
}

/** The outbox on SQL (its own table, through the SQL kit). */
export function createOutboxRepository(database: SqlDatabaseHandle): OutboxRepository {
  const db = database.kysely<WebhookTables>();
  return {
    claim: (now, limit, leaseUntil, leaseToken) =>
      guarded(async () => {
        // Due: pending, its time come, and no live lease (a worker that died mid-attempt lets
        // its lease run out; the row is then taken again, its attempt already counted).
        let due = db
          .selectFrom('webhook_outbox')
          .select('id')
          .where('status', '=', 'pending')
          .where('next_attempt_at', '<=', now)
          .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
          .orderBy('next_attempt_at')
          .limit(limit);
        // Rows another worker is claiming are skipped, not waited for. SQLite has one writer:
        // the statement below is atomic as it is.
        if (database.dialect === 'postgres') due = due.forUpdate().skipLocked();
        const rows = await db
          .updateTable('webhook_outbox')
          .set({ lease_token: leaseToken, lease_until: leaseUntil, attempts: sql`attempts + 1` })
          .where('id', 'in', due)
          .returning(['id', 'event_id', 'event_type', 'endpoint', 'user_id', 'payload', 'attempts'])
          .execute();
        return rows.map(
          (row): ClaimedDelivery => ({
            id: row.id,
            eventId: row.event_id,
            eventType: row.event_type,
            endpoint: row.endpoint,
            userId: row.user_id,
            payload: row.payload,
            attempts: Number(row.attempts),
            leaseToken,
          }),
        );
      }),

    finish: (id, leaseToken, outcome, now) =>
      guarded(async () => {
        const values =
          outcome.kind === 'delivered'
            ? { status: 'delivered' as const, finished_at: now, last_error: null }
            : outcome.kind === 'dead'
              ? { status: 'dead' as const, finished_at: now, last_error: outcome.error }
              : { next_attempt_at: outcome.at, last_error: outcome.error };
        const result = await db
          .updateTable('webhook_outbox')
          .set({ ...values, lease_token: null, lease_until: null })
          .where('id', '=', id)
          .where('lease_token', '=', leaseToken)
          .executeTakeFirst();
        return Number(result.numUpdatedRows) === 1;
      }),

    release: (id, leaseToken) =>
      guarded(async () => {
        await db
          .updateTable('webhook_outbox')
          .set({ lease_token: null, lease_until: null, attempts: sql`attempts - 1` })
          .where('id', '=', id)
          .where('lease_token', '=', leaseToken)
          .execute();
      }),

    eraseUser: (userId) =>
      guarded(async () => {
        await db.deleteFrom('webhook_outbox').where('user_id', '=', userId).execute();
        // Events about others that name the user (as the admin who acted) keep the fact, not
        // the id, as the audit log does. Ids are UUIDs: a text match cannot hit anything else.
        await db
          .updateTable('webhook_outbox')
          .set({ payload: sql<string>`replace(payload, ${userId}, 'erased')` })
          .where('payload', 'like', `%${userId}%`)
          .execute();
      }),

    pruneDelivered: (before, limit) =>
      guarded(async () => {
        // One short statement per batch, on the (status, finished_at) index.
        const batch = db
          .selectFrom('webhook_outbox')
          .select('id')
          .where('status', '=', 'delivered')
          .where('finished_at', '<', before)
          .limit(limit);
        const result = await db.deleteFrom('webhook_outbox').where('id', 'in', batch).executeTakeFirst();
        return Number(result.numDeletedRows);
      }),

    countByStatus: () =>
      guarded(async () => {
        const rows = await db
          .selectFrom('webhook_outbox')
          .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
          .groupBy('status')
          .execute();
        return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
      }),
  };
}
