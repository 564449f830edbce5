/**
 * The webhooks feature's table: the outbox, one row per (audit event, endpoint), written in the
 * audit row's transaction and worked off by the delivery worker. Never rename or edit an
 * applied migration.
 */
import type { Kysely, Migration } from 'kysely';

function webhookOutboxMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('webhook_outbox')
        .addColumn('id', 'text', (col) => col.primaryKey().notNull())
        .addColumn('event_id', 'text', (col) => col.notNull())
        .addColumn('event_type', 'text', (col) => col.notNull())
        .addColumn('endpoint', 'text', (col) => col.notNull())
        .addColumn('user_id', 'text')
        .addColumn('payload', 'text', (col) => col.notNull())
        .addColumn('status', 'text', (col) => col.notNull())
        .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (col) => col.notNull())
        .addColumn('lease_token', 'text')
        .addColumn('lease_until', 'bigint')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('finished_at', 'bigint')
        .execute();
      // The worker's claim: due pending rows, oldest first.
      await db.schema
        .createIndex('webhook_outbox_due_idx')
        .on('webhook_outbox')
        .columns(['status', 'next_attempt_at'])
        .execute();
      // The pruner (delivered rows past retention) and a hard delete (the user's rows).
      await db.schema
        .createIndex('webhook_outbox_finished_idx')
        .on('webhook_outbox')
        .columns(['status', 'finished_at'])
        .execute();
      await db.schema.createIndex('webhook_outbox_user_idx').on('webhook_outbox').column('user_id').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('webhook_outbox').execute();
    },
  };
}

/** The feature's migrations by name (its definition's `migrations`). */
export const WEBHOOK_MIGRATIONS = Object.freeze({
  '0009_webhook_outbox': () => webhookOutboxMigration(),
});
