import type { Logger } from 'pino';
import type { AuditLog, RequestMeta } from '../../core/index.ts';
import { newId } from '../../crypto/ids.ts';
import type { AuditRepository } from '../../stores/repositories.ts';

export interface AuditLogOptions {
  readonly repository: AuditRepository;
  /** Keyed digest for identifiers (emails typed into a login form): never stored in clear. */
  readonly identifierDigest: (identifier: string) => string;
  /** Keyed digest of a client address. */
  readonly ipDigest: (ip: string) => string;
  readonly logger: Logger;
  readonly now?: () => number;
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
        await options.repository.record({
          id: newId(),
          type,
          userId: details.userId ?? null,
          sessionId: details.sessionId ?? null,
          requestId: meta.requestId,
          ipHash: meta.clientIp === 'unknown' ? null : options.ipDigest(meta.clientIp),
          userAgent: meta.userAgent?.slice(0, 512) ?? null,
          data: details.data ?? {},
          createdAt: now(),
        });
      } catch (error) {
        options.logger.error({ err: error, requestId: meta.requestId, type }, 'audit event not recorded');
      }
    },
  };
}
