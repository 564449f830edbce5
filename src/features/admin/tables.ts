/**
 * The SQL tables the admin feature reads and writes, as Kysely types: its own
 * `account_deletions`, and the columns of the tables that hold a user's data (every one of them
 * is emptied of the user by a hard delete, so each is named here).
 */
import type { ColumnType } from 'kysely';

/** Soft deletions: the account is deactivated and erased for good once `purge_after` passes. */
export interface AccountDeletionsTable {
  user_id: string;
  deleted_at: number;
  /** When the pruner may erase the account (the grace period's end). */
  purge_after: number;
  /** `self` (DELETE /users/me) or `admin`. */
  requested_by: string;
}

export interface AdminUsersTable {
  id: string;
  email: string;
  email_verified_at: number | null;
  password_hash: string | null;
  name: string | null;
  is_active: ColumnType<number, number | undefined, number>;
  roles: ColumnType<string, string | undefined, string>;
  totp_secret: string | null;
  totp_last_step: number | null;
  security_stamp: string;
  created_at: number;
  updated_at: number;
}

/** A type, not an interface, so Kysely accepts it as a schema. */
export type AdminTables = {
  account_deletions: AccountDeletionsTable;
  users: AdminUsersTable;
  sessions: { id: string; user_id: string; created_at: number; revoked_at: number | null };
  deleted_sessions: { session_id: string; revoked_at: number; revocation_group: number | null };
  session_consumed_digests: { digest: string; session_id: string };
  recovery_codes: { digest: string; user_id: string };
  oauth_accounts: { id: string; user_id: string };
  api_keys: {
    id: string;
    user_id: string;
    name: string;
    env: string;
    scopes: string;
    signing_secret: string | null;
    created_at: number;
    expires_at: number;
    revoked_at: number | null;
    last_used_at: number | null;
  };
  audit_events: {
    id: string;
    type: string;
    user_id: string | null;
    session_id: string | null;
    request_id: string | null;
    ip_hash: string | null;
    user_agent: string | null;
    data: string;
    created_at: number;
  };
};
