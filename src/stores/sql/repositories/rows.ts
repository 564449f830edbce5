/**
 * Rows → domain objects. Columns are snake_case with JSON text and 0/1 integers; the
 * repository contracts speak camelCase, arrays, objects and booleans.
 */
import type { AuditEvent, Session, User } from '../../repositories.ts';
import { type AuditEventRow, fromSqlBoolean, type SessionRow, type UserRow } from '../schema.ts';
import { malformedRow } from './failures.ts';

/**
 * Reads a JSON array of strings. A corrupt value fails loudly rather than reading as `[]`:
 * silently dropping roles or sign-in methods would change what an account may do.
 */
export function stringArray(text: string, column: string): readonly string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformedRow(column);
  }
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw malformedRow(column);
  return Object.freeze(value as string[]);
}

function jsonObject(text: string, column: string): Readonly<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformedRow(column);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformedRow(column);
  return value as Record<string, unknown>;
}

/**
 * Times are numbers from Gatehouse's own pools; an application-provided `pg` pool without an
 * `int8` parser returns them as strings, so read them as numbers either way.
 */
export function epoch(value: number): number {
  return typeof value === 'number' ? value : Number(value);
}

export function optionalEpoch(value: number | null): number | null {
  return value === null ? null : epoch(value);
}

/** Stores a list as JSON text (a copy, so a caller's later changes cannot leak in). */
export function toJsonArray(values: readonly string[]): string {
  return JSON.stringify([...values]);
}

export function userFromRow(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    emailVerifiedAt: optionalEpoch(row.email_verified_at),
    passwordHash: row.password_hash,
    name: row.name,
    isActive: fromSqlBoolean(Number(row.is_active)),
    roles: stringArray(row.roles, 'users.roles'),
    securityStamp: row.security_stamp,
    totpSecret: row.totp_secret,
    createdAt: epoch(row.created_at),
    updatedAt: epoch(row.updated_at),
  };
}

export function sessionFromRow(row: SessionRow): Session {
  if (row.kind !== 'bearer' && row.kind !== 'cookie') throw malformedRow('sessions.kind');
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind,
    createdAt: epoch(row.created_at),
    lastUsedAt: epoch(row.last_used_at),
    idleExpiresAt: epoch(row.idle_expires_at),
    absoluteExpiresAt: epoch(row.absolute_expires_at),
    revokedAt: optionalEpoch(row.revoked_at),
    revokedReason: row.revoked_reason,
    ipHash: row.ip_hash,
    userAgent: row.user_agent,
    authMethods: stringArray(row.auth_methods, 'sessions.auth_methods'),
    secondFactorAt: optionalEpoch(row.second_factor_at),
  };
}

export function auditEventFromRow(row: AuditEventRow): AuditEvent {
  return {
    id: row.id,
    type: row.type,
    userId: row.user_id,
    sessionId: row.session_id,
    requestId: row.request_id,
    ipHash: row.ip_hash,
    userAgent: row.user_agent,
    data: jsonObject(row.data, 'audit_events.data'),
    createdAt: epoch(row.created_at),
  };
}
