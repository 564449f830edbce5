import type { Logger } from 'pino';
import type { AuditLog, RequestMeta } from '../../core/index.ts';
import { newId } from '../../crypto/ids.ts';
import type { AuditEvent, AuditRepository } from '../../stores/repositories.ts';
import type { SqlDatabaseHandle } from '../../stores/sql/kit.ts';
import { type AuditAlongsideWriter, recordWithAlongside } from './alongside.ts';

export interface AuditLogOptions {
  readonly repository: AuditRepository;
  /** Keyed digest for identifiers (emails typed into a login form): never stored in clear. */
  readonly identifierDigest: (identifier: string) => string;
  /** Keyed digest of a client address. */
  readonly ipDigest: (ip: string) => string;
  readonly logger: Logger;
  readonly now?: () => number;
  /**
   * Rows other features write in the event's transaction (registered after this log is built),
   * on this database. Without either, every event is one insert through the repository.
   */
  readonly alongside?: {
    readonly database: SqlDatabaseHandle;
    readonly writers: readonly AuditAlongsideWriter[];
  };
}

/**
 * Audit events go to SQL next to the data they describe. Writing one must not turn a
 * successful operation into a failure the client would retry (a login that worked would be
 * repeated), so a failed write is logged at error level with the request id instead.
 */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  const now = options.now ?? Date.now;
  return {
    identifierDigest: options.identifierDigest,
    async record(type: string, meta: RequestMeta, details = {}): Promise<void> {
      try {
        const event: AuditEvent = {
          id: newId(),
          type,
          userId: details.userId ?? null,
          sessionId: details.sessionId ?? null,
          requestId: meta.requestId,
          ipHash: meta.clientIp === 'unknown' ? null : options.ipDigest(meta.clientIp),
          userAgent: meta.userAgent?.slice(0, 512) ?? null,
          data: details.data ?? {},
          createdAt: now(),
        };
        const writers = options.alongside?.writers.filter((writer) => writer.accepts(type)) ?? [];
        if (options.alongside && writers.length > 0) {
          await recordWithAlongside(options.alongside.database, event, writers);
        } else {
          await options.repository.record(event);
        }
      } catch (error) {
        options.logger.error({ err: error, requestId: meta.requestId, type }, 'audit event not recorded');
      }
    },
  };
}
