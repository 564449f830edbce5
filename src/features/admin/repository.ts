import type { AuditEvent, User } from '../../stores/repositories.ts';

/** Filters of `GET /admin/users`; `after` is the last id of the previous page. */
export interface UserFilter {
  readonly after?: string;
  readonly limit: number;
  /** Email prefix or part of the name, case-insensitive. */
  readonly q?: string;
  readonly role?: string;
  readonly active?: boolean;
  readonly verified?: boolean;
  readonly twoFactor?: boolean;
}

/** What an admin (or the pruner) may change of a user in the guarded transaction. */
export interface AdminChanges {
  readonly roles?: readonly string[];
  readonly isActive?: boolean;
  readonly name?: string | null;
  readonly emailVerifiedAt?: number | null;
  readonly securityStamp?: string;
  /** `null` turns 2FA off (the seed and the recovery codes go). */
  readonly totpSecret?: null;
}

export interface AccountDeletion {
  readonly deletedAt: number;
  readonly purgeAfter: number;
  readonly requestedBy: 'self' | 'admin';
}

export interface ApiKeyMetadata {
  readonly id: string;
  readonly prefix: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly signing: boolean;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  readonly lastUsedAt: number | null;
}

/** A change that must not remove the last active admin. */
export type GuardedOutcome =
  | { readonly outcome: 'done'; readonly before: User; readonly after: User | null }
  | { readonly outcome: 'not_found' }
  | { readonly outcome: 'last_admin' };

export type AuditPage = AuditEvent[];

export interface AuditFilter {
  readonly userId?: string;
  readonly types?: readonly string[];
  readonly since?: number;
  readonly until?: number;
  /** The last event of the previous page (newest first). */
  readonly before?: { readonly createdAt: number; readonly id: string };
  readonly limit: number;
}

export interface AdminRepository {
  findUser(id: string): Promise<User | null>;
  /** Oldest first by id (UUIDv7: creation order), so later inserts never shift a page. */
  listUsers(filter: UserFilter): Promise<User[]>;
  deletionOf(userId: string): Promise<{ deletedAt: number; purgeAfter: number; requestedBy: string } | null>;
  apiKeysOf(userId: string): Promise<ApiKeyMetadata[]>;
  /** Newest first. */
  listAudit(filter: AuditFilter): Promise<AuditPage>;
  /** Applies `changes` unless they remove the last active admin (one locked transaction). */
  updateUser(id: string, changes: AdminChanges, now: number): Promise<GuardedOutcome>;
  /** Deactivates and records the deletion, unless the user is the last active admin. */
  softDelete(id: string, deletion: AccountDeletion): Promise<GuardedOutcome>;
  /**
   * Erases every row of the user in every table (their revoked sessions leave tombstones: ids
   * and times only). Call it after {@link softDelete}, which judged the last-admin rule, and
   * after the sessions were revoked; `false` when the user was already gone.
   */
  erase(id: string): Promise<boolean>;
  /** Users whose soft deletion's grace period ended by `now`, oldest first, at most `limit`. */
  duePurges(now: number, limit: number): Promise<string[]>;
}
