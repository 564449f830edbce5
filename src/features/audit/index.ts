export type { AuditAlongsideWriter } from './alongside.ts';
export { type AuditLogOptions, createAuditLog } from './audit-log.ts';
export { AUDIT_CONFIG_KEY, AUDIT_DEFAULTS, type AuditOptions, auditOptionsSchema } from './config.ts';
export { type AuditPorts, auditFeature } from './feature.ts';
export { type EventHooks, type HookEvent, type HookName, withEventHooks } from './hooks.ts';
