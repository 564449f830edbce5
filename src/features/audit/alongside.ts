/**
 * Rows another feature writes in the same transaction as an audit event (the webhook outbox):
 * the event and those rows are committed together or not at all. Without a writer interested
 * in an event's type, the event is written as before, one statement, no transaction.
 */
import type { Kysely } from 'kysely';
import type { AuditEvent } from '../../stores/repositories.ts';
import { guarded, type SqlDatabaseHandle } from '../../stores/sql/kit.ts';

/** What a feature registers through the audit port's `recordAlongside`. */
export interface AuditAlongsideWriter {
  /** Whether this event type needs rows written with it. */
  accepts(type: string): boolean;
  /** Writes them on `transaction` (a handle bound to the audit row's transaction); a throw rolls both back. */
  write(transaction: SqlDatabaseHandle, event: AuditEvent): Promise<void>;
  /** Told after the commit (e.g. to wake a worker); never awaited. */
  committed?(event: AuditEvent): void;
}

type AuditTables = {
  audit_events: {
    id: string;
    type: string;
    user_id: string | null;
    session_id: string | null;
    request_id: string | null;
    ip_hash: string | null;
    user_agent: string | null;
    data: string;
    created_at: number;
  };
};

/**
 * Writes the event and every interested writer's rows in one transaction: the writers first,
 * the audit row last, so a failing audit write rolls their rows back as well.
 */
export async function recordWithAlongside(
  database: SqlDatabaseHandle,
  event: AuditEvent,
  writers: readonly AuditAlongsideWriter[],
): Promise<void> {
  const data = JSON.stringify(event.data ?? {});
  await guarded(() =>
    database
      .kysely<AuditTables>()
      .transaction()
      .execute(async (trx) => {
        const handle: SqlDatabaseHandle = Object.freeze({
          dialect: database.dialect,
          kysely: <Tables>() => trx as unknown as Kysely<Tables>,
        });
        for (const writer of writers) await writer.write(handle, event);
        await trx
          .insertInto('audit_events')
          .values({
            id: event.id,
            type: event.type,
            user_id: event.userId,
            session_id: event.sessionId,
            request_id: event.requestId,
            ip_hash: event.ipHash,
            user_agent: event.userAgent,
            data,
            created_at: event.createdAt,
          })
          .execute();
      }),
  );
  for (const writer of writers) writer.committed?.(event);
}
