// The audit log (--audit-log-path): one JSON line per request.
export { AuditLog, formatAuditLine, type AuditEntry, type AuditLogOptions, type AuditLogStats } from './audit-log.js';
