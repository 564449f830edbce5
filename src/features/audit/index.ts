export { type AuditLogOptions, createAuditLog } from './audit-log.ts';
