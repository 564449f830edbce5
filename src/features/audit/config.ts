/** The audit log's options, `createAuth({ audit: {…} })`. */
import { z } from 'zod';

/** The defaults of the `audit` options (part of the `DEFAULTS` Gatehouse exports). */
export const AUDIT_DEFAULTS = Object.freeze({
  /** Days an audit event is kept; the pruner deletes older ones. */
  auditRetentionDays: 365,
});

/** The top-level option this feature owns. */
export const AUDIT_CONFIG_KEY = 'audit';

export const auditOptionsSchema = z
  .strictObject({
    retentionDays: z.int().min(1).max(3650).default(AUDIT_DEFAULTS.auditRetentionDays),
  })
  .prefault({});

/** The parsed options, as `build` reads them from `context.options`. */
export type AuditOptions = z.output<typeof auditOptionsSchema>;
