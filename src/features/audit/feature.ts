import type { AuditLog } from '../../core/index.ts';
import { defineFeature } from '../../feature/index.ts';
import type { AuditAlongsideWriter } from './alongside.ts';
import { createAuditLog } from './audit-log.ts';
import { AUDIT_CONFIG_KEY, auditOptionsSchema } from './config.ts';
import { type EventHooks, withEventHooks } from './hooks.ts';
import { AUDIT_PRUNE_MIGRATIONS, auditMaintenance, countedAuditLog } from './maintenance.ts';

/** What other features use: the audit log, and the keyed digest of client addresses. */
export interface AuditPorts {
  readonly audit: AuditLog;
  /** Addresses are stored as keyed digests (sessions, audit events), never in clear. */
  readonly ipDigest: (ip: string) => string;
  /**
   * Registers rows to write in the same transaction as each audit event of the types the
   * writer accepts (the webhook outbox); call it during `build`.
   */
  readonly recordAlongside: (writer: AuditAlongsideWriter) => void;
}

/**
 * The audit log (events with digested identifiers and addresses) and the application's event
 * hooks; records every 403 of a route or guard as `access.denied`.
 */
export const auditFeature = defineFeature({
  id: 'audit',
  keyPurposes: { identifierDigest: 'identifier-digest', ipDigest: 'ip-hash' },
  // `audit.retentionDays`: how long events are kept (read by the pruner).
  config: { key: AUDIT_CONFIG_KEY, schema: auditOptionsSchema },
  migrations: AUDIT_PRUNE_MIGRATIONS,
  build({ config, options, keys, repositories, database, logger, metrics, now }) {
    const identifierDigester = keys.digester('identifier-digest');
    const ipDigester = keys.digester('ip-hash');
    const ipDigest = (ip: string): string => ipDigester.digest(ip);
    // `beforeRegister` is a gate (accounts and OAuth ask it), not an event hook.
    const { beforeRegister: _gate, ...eventHooks } = config.hooks;
    const alongsideWriters: AuditAlongsideWriter[] = [];
    const recorder = createAuditLog({
      repository: repositories.audit,
      identifierDigest: (value) => identifierDigester.digest(value),
      ipDigest,
      logger,
      now,
      alongside: { database, writers: alongsideWriters },
    });
    const audit = countedAuditLog(withEventHooks(recorder, eventHooks as EventHooks, logger), metrics);
    const ports: AuditPorts = {
      audit,
      ipDigest,
      recordAlongside: (writer) => {
        alongsideWriters.push(writer);
      },
    };
    return {
      ports,
      maintenance: auditMaintenance(database, options.retentionDays),
      async onAccessDenied(denial) {
        const { principal } = denial;
        await audit.record(
          'access.denied',
          { requestId: denial.requestId, clientIp: denial.clientIp, userAgent: denial.userAgent },
          {
            userId: principal?.userId ?? null,
            sessionId: principal?.apiKey ? null : (principal?.sessionId ?? null),
            data: {
              code: denial.code,
              method: denial.method,
              route: denial.route,
              ...(principal?.apiKey ? { apiKeyId: principal.apiKey.id } : {}),
            },
          },
        );
      },
    };
  },
});
