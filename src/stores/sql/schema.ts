/**
 * The tables Gatehouse keeps in SQL, as Kysely types. The same types serve SQLite and
 * PostgreSQL, so repositories are written once.
 *
 * Portable conventions (chosen so a repository never branches on the dialect):
 * - Ids are UUIDv7 strings in `text` columns.
 * - Times are epoch milliseconds in `bigint` columns, read back as JS numbers on both dialects
 *   (the PostgreSQL pool parses `int8` into a number; a value beyond 2^53 fails the query
 *   instead of losing precision).
 * - Booleans are `integer` 0/1 on both dialects, guarded by a CHECK constraint. PostgreSQL's
 *   `boolean` would read back as `true`/`false` while SQLite reads back 0/1; one integer type
 *   means one code path. Convert with {@link toSqlBoolean} / {@link fromSqlBoolean}.
 * - Lists and objects (roles, authentication methods, audit data) are JSON text.
 * - Column names are snake_case; repositories map rows to camelCase domain objects.
 *
 * Emails are stored normalised (NFKC, trimmed, lower-cased) and are unique through an index on
 * `lower(email)`. Look users up with `where(sql\`lower(email)\`, '=', normalised)` so both
 * dialects answer from that index. SQLite's `lower()` folds ASCII only, so the index is a
 * backstop; normalising before every write and lookup is what makes emails case-insensitive.
 */
import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';

/** Milliseconds since the Unix epoch (UTC), stored as `bigint`. */
export type EpochMs = number;

/** A boolean stored as an integer: 1 is true, 0 is false. */
export type SqlBoolean = 0 | 1;

/** A column the database fills with a default on insert when it is omitted. */
type WithDefault<T> = ColumnType<T, T | undefined, T>;

/** How a session's credential travels. */
export type SessionKind = 'bearer' | 'cookie';

/** Accounts. */
export interface UsersTable {
  /** UUIDv7. */
  id: string;
  /** Normalised address; the stored form is where mail goes. Unique on `lower(email)`. */
  email: string;
  /** When the address was verified; `null` while unverified. */
  email_verified_at: EpochMs | null;
  /** PHC string; `null` for accounts that only sign in another way (OAuth, passkeys). */
  password_hash: string | null;
  name: string | null;
  /** 0 blocks every sign-in. Defaults to 1. */
  is_active: WithDefault<SqlBoolean>;
  /** JSON array of role names, e.g. `["admin"]`. Defaults to `[]`. */
  roles: WithDefault<string>;
  /** Encrypted envelope of the TOTP seed (never the seed itself); `null` when 2FA is off. */
  totp_secret: string | null;
  /** The last TOTP time step whose code was accepted (the high-water mark); `null` when none. */
  totp_last_step: number | null;
  /** Random value replaced on every password, email or 2FA change; invalidates derived tokens. */
  security_stamp: string;
  created_at: EpochMs;
  updated_at: EpochMs;
}

/** One login on one device. */
export interface SessionsTable {
  /** UUIDv7; the `sid` claim of access tokens. */
  id: string;
  /** References `users.id`; the session is deleted with its user. */
  user_id: string;
  kind: SessionKind;
  /**
   * Keyed digest of the current refresh token (bearer) or cookie session secret (cookie).
   * Unique; `null` once the session no longer has a live credential.
   */
  refresh_digest: string | null;
  created_at: EpochMs;
  last_used_at: EpochMs;
  /** The session dies if unused until then (sliding). */
  idle_expires_at: EpochMs;
  /** The session dies then whatever its use (fixed). */
  absolute_expires_at: EpochMs;
  revoked_at: EpochMs | null;
  /** Machine-readable reason, e.g. `logout`, `reuse_detected`, `password_changed`. */
  revoked_reason: string | null;
  /** Keyed digest of the client IP (never the IP itself). */
  ip_hash: string | null;
  user_agent: string | null;
  /** JSON array of methods used to sign in: `pwd`, `otp`, `oauth`, `webauthn`. Defaults to `[]`. */
  auth_methods: WithDefault<string>;
  /** Keyed digest of the session's current opaque access token (`tokens.access: 'opaque'`). */
  access_digest: string | null;
  access_expires_at: EpochMs | null;
  /** When the session last verified a second factor (login with TOTP, or step-up). */
  second_factor_at: EpochMs | null;
}

/** Provider accounts (OAuth / OIDC) linked to users. */
export interface OAuthAccountsTable {
  id: string;
  user_id: string;
  /** The configured provider name, e.g. `google`. */
  provider: string;
  /** The provider's stable id for the account (`sub`, or GitHub's numeric id). */
  subject: string;
  email: string | null;
  /** AEAD envelopes, only when provider tokens are kept. */
  access_token: string | null;
  refresh_token: string | null;
  created_at: EpochMs;
}

/** Recovery codes of users with 2FA: keyed digests only, each usable once. */
export interface RecoveryCodesTable {
  /** `<keyId>.<mac>` of the code; the primary key, so a code is found by it. */
  digest: string;
  user_id: string;
  created_at: EpochMs;
  used_at: EpochMs | null;
}

/**
 * Refresh digests a session has already rotated away from. A presented digest found here is a
 * replayed (stolen or duplicated) token: the whole session is revoked.
 */
export interface SessionConsumedDigestsTable {
  digest: string;
  /** References `sessions.id`; rows go with their session. */
  session_id: string;
  consumed_at: EpochMs;
}

/**
 * Sessions deleted with their user, kept while an access token of theirs could still be
 * presented: rebuilding the denylist after a data loss reads them with the revoked sessions.
 * No foreign key, so a tombstone outlives its user; rebuilds drop the ones no token can need.
 */
export interface DeletedSessionsTable {
  session_id: string;
  revoked_at: EpochMs;
  /** The user's revocation group (0-1023, crypto/revocation-group.ts); null before 0014. */
  revocation_group: number | null;
}

/**
 * Security-relevant events. `user_id` deliberately has no foreign key: the trail must outlive
 * a deleted account (the event that deleted it included), and recording an event must never
 * fail because its user was deleted a moment before. The id is a random UUID, so a kept row
 * points at no one once the account is gone.
 */
export interface AuditEventsTable {
  /** UUIDv7, so ids sort by time. */
  id: string;
  /** Dotted event name, e.g. `user.login.succeeded`. */
  type: string;
  user_id: string | null;
  session_id: string | null;
  request_id: string | null;
  ip_hash: string | null;
  user_agent: string | null;
  /** JSON object with event details (never secrets). Defaults to `{}`. */
  data: WithDefault<string>;
  created_at: EpochMs;
}

/** Every table Gatehouse owns, for `Kysely<DatabaseSchema>`. */
export interface DatabaseSchema {
  users: UsersTable;
  sessions: SessionsTable;
  session_consumed_digests: SessionConsumedDigestsTable;
  deleted_sessions: DeletedSessionsTable;
  recovery_codes: RecoveryCodesTable;
  oauth_accounts: OAuthAccountsTable;
  audit_events: AuditEventsTable;
}

/** Migration bookkeeping tables (managed by Kysely's `Migrator`, not part of the schema type). */
export const MIGRATION_TABLE = 'gatehouse_migration';
export const MIGRATION_LOCK_TABLE = 'gatehouse_migration_lock';

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserRowUpdate = Updateable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type NewSessionRow = Insertable<SessionsTable>;
export type SessionRowUpdate = Updateable<SessionsTable>;
export type ConsumedDigestRow = Selectable<SessionConsumedDigestsTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type NewAuditEventRow = Insertable<AuditEventsTable>;

/** `true` → 1, `false` → 0, for {@link SqlBoolean} columns. */
export function toSqlBoolean(value: boolean): SqlBoolean {
  return value ? 1 : 0;
}

/** Reads a {@link SqlBoolean} column; anything but 1 is false. */
export function fromSqlBoolean(value: number): boolean {
  return value === 1;
}
