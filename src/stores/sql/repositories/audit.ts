import type { Kysely } from 'kysely';
import type { AuditEvent, AuditRepository } from '../../repositories.ts';
import { integerOption } from '../arguments.ts';
import type { DatabaseSchema } from '../schema.ts';
import { guarded } from './failures.ts';
import { auditEventFromRow } from './rows.ts';

/** The most events one `list` call returns. */
export const MAX_AUDIT_LIST_LIMIT = 1000;

/**
 * Audit events on SQL. `list` is newest first (ties broken by the UUIDv7 id, which sorts by
 * time too) and is answered from the `(user_id, created_at)` or `(type, created_at)` index.
 */
export function createAuditRepository(db: Kysely<DatabaseSchema>): AuditRepository {
  return {
    record: (event: AuditEvent) => {
      // Serialised first: data that is not JSON is the caller's bug, not a database failure.
      const data = JSON.stringify(event.data ?? {});
      return guarded(async () => {
        await db
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
      });
    },

    list: (filter) => {
      let limit: number;
      try {
        limit = integerOption('limit', filter.limit, { fallback: 0, min: 1, max: MAX_AUDIT_LIST_LIMIT });
      } catch (error) {
        return Promise.reject(error);
      }
      return guarded(async () => {
        let query = db.selectFrom('audit_events').selectAll();
        if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
        if (filter.type !== undefined) query = query.where('type', '=', filter.type);
        const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
        return rows.map(auditEventFromRow);
      });
    },
  };
}
