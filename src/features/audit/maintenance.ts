/**
 * The audit log's retention (`audit.retentionDays`, enforced by the pruner through an index on
 * `created_at`) and its metrics: every recorded event by type, and from those the sign-ins by
 * outcome and the locks, counted where they are decided (an audit event is written for each).
 */
import { type Kysely, type Migration, sql } from 'kysely';
import type { AuditLog, MetricsRegistrar } from '../../core/index.ts';
import type { MaintenanceTask } from '../../feature/index.ts';
import { deleteBatch, guarded, type SqlDatabaseHandle } from '../../stores/sql/kit.ts';

const DAY_MS = 86_400_000;

export const AUDIT_PRUNE_MIGRATIONS = Object.freeze({
  '0012_audit_events_created_at_index': (): Migration => ({
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createIndex('audit_events_created_at_idx')
        .on('audit_events')
        .column('created_at')
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('audit_events_created_at_idx').execute();
    },
  }),
});

export function auditMaintenance(database: SqlDatabaseHandle, retentionDays: number): MaintenanceTask[] {
  const db = database.kysely<unknown>() as Kysely<unknown>;
  return [
    {
      name: 'audit.retention',
      prune: ({ now, batchSize }) =>
        guarded(() =>
          deleteBatch(db, {
            table: 'audit_events',
            key: 'id',
            where: sql`created_at < ${now - retentionDays * DAY_MS}`,
            limit: batchSize,
          }),
        ),
    },
  ];
}

/** Sign-in outcomes by the audit type that records them. */
const SIGN_IN_OUTCOMES: Readonly<Record<string, string>> = {
  'login.success': 'success',
  'login.failure': 'failure',
  'login.second_factor_pending': 'second_factor_pending',
};

/** Locks by the audit type that records them. */
const LOCKOUTS: Readonly<Record<string, string>> = {
  'lockout.identifier_locked': 'identifier',
  'lockout.address_locked': 'address',
  '2fa.locked': 'second_factor',
};

/** The same audit log, counting each event it records (after the write succeeded). */
export function countedAuditLog(audit: AuditLog, metrics: MetricsRegistrar): AuditLog {
  const events = metrics.counter({
    name: 'gatehouse_audit_events_total',
    help: 'Audit events recorded, by type',
    labelNames: ['type'],
  });
  const signIns = metrics.counter({
    name: 'gatehouse_sign_ins_total',
    help: 'Password sign-ins by outcome (success, failure, second_factor_pending)',
    labelNames: ['outcome'],
  });
  const lockouts = metrics.counter({
    name: 'gatehouse_lockouts_total',
    help: 'Locks imposed, by kind (identifier, address, second_factor)',
    labelNames: ['kind'],
  });
  return {
    ...audit,
    identifierDigest: (identifier) => audit.identifierDigest(identifier),
    async record(type, meta, details) {
      await audit.record(type, meta, details);
      events.inc({ type });
      const outcome = SIGN_IN_OUTCOMES[type];
      if (outcome) signIns.inc({ outcome });
      const kind = LOCKOUTS[type];
      if (kind) lockouts.inc({ kind });
    },
  };
}
