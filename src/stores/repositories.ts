/**
 * Repository contracts for durable data (users, sessions, audit events). Features depend on
 * these interfaces; `stores/sql/` implements them on SQLite and PostgreSQL. Times are epoch
 * milliseconds. Like `contract.ts`, this module imports nothing.
 *
 * Failures: a unique-constraint clash on an email is reported as `null`/`false` where the
 * method says so; a database that cannot be reached rejects with a `StoreError`
 * ('unavailable'), so the HTTP layer answers 503 and nothing is half-written.
 */

export interface User {
  readonly id: string;
  /** Normalised (NFKC, trimmed, lower-cased): the only address mail is ever sent to. */
  readonly email: string;
  readonly emailVerifiedAt: number | null;
  /** PHC string, or `null` for accounts without a password (OAuth only, later). */
  readonly passwordHash: string | null;
  readonly name: string | null;
  readonly isActive: boolean;
  readonly roles: readonly string[];
  /** Random value bumped on every password, email or 2FA change; tokens bound to it die then. */
  readonly securityStamp: string;
  /** The TOTP seed as an AEAD envelope (`v1.<keyId>.…`), or `null` without 2FA. */
  readonly totpSecret: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface NewUser {
  readonly id: string;
  readonly email: string;
  readonly passwordHash: string | null;
  readonly name?: string | null;
  readonly emailVerifiedAt?: number | null;
  readonly isActive?: boolean;
  readonly roles?: readonly string[];
  readonly securityStamp: string;
  readonly now: number;
}

/** Fields an update may change; absent fields are left as they are. */
export interface UserChanges {
  readonly email?: string;
  readonly emailVerifiedAt?: number | null;
  readonly passwordHash?: string | null;
  readonly name?: string | null;
  readonly isActive?: boolean;
  readonly roles?: readonly string[];
  readonly securityStamp?: string;
  /** `null` turns 2FA off; setting a seed goes through `replaceTotpSecret`. */
  readonly totpSecret?: null;
}

export interface UserRepository {
  /** Inserts the user; `null` when the email is taken (case-insensitively), nothing written. */
  create(user: NewUser): Promise<User | null>;
  findById(id: string): Promise<User | null>;
  /** `email` must already be normalised. */
  findByEmail(email: string): Promise<User | null>;
  /**
   * Applies the changes and bumps `updatedAt`; `null` when the user does not exist.
   * Throws `EmailTakenError` when a new email clashes with another account.
   */
  update(id: string, changes: UserChanges, now: number): Promise<User | null>;
  /**
   * Replaces the password hash only if it is still `expectedHash` (a rehash after login must not
   * overwrite a password changed meanwhile; `null`: an account without a password, e.g. one
   * made by an OAuth sign-in, getting its first); `true` when it was replaced.
   */
  replacePasswordHash(
    id: string,
    expectedHash: string | null,
    newHash: string,
    now: number,
  ): Promise<boolean>;
  /**
   * Sets the TOTP seed envelope only if the stored one is still `expected` (`null`: 2FA was
   * off), bumping the security stamp to `securityStamp`; `true` when it was set.
   */
  replaceTotpSecret(
    id: string,
    expected: string | null,
    next: string | null,
    options: {
      readonly securityStamp: string;
      readonly now: number;
      /**
       * The new seed's TOTP high-water mark (the step of the code that proved it); every change
       * of the seed sets it, `null` when left out.
       */
      readonly lastTotpStep?: number | null;
    },
  ): Promise<boolean>;
  /**
   * Records `step` as the user's last accepted TOTP step, only if the seed is still
   * `seedEnvelope` and `step` is later than the recorded one (or none is): one conditional
   * UPDATE, so for one step exactly one caller across every worker gets `true`, and a step at
   * or before the mark always gets `false` (RFC 6238 section 5.2).
   */
  advanceTotpStep(id: string, seedEnvelope: string, step: number): Promise<boolean>;
  /** Deletes the user and (by cascade) their sessions; `true` when a row was deleted. */
  delete(id: string): Promise<boolean>;
  count(): Promise<number>;
}

export class EmailTakenError extends Error {
  override readonly name = 'EmailTakenError';
  constructor() {
    super('the email address belongs to another account');
  }
}

export type SessionKind = 'bearer' | 'cookie';

export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly kind: SessionKind;
  readonly createdAt: number;
  readonly lastUsedAt: number;
  readonly idleExpiresAt: number;
  readonly absoluteExpiresAt: number;
  readonly revokedAt: number | null;
  readonly revokedReason: string | null;
  readonly ipHash: string | null;
  readonly userAgent: string | null;
  readonly authMethods: readonly string[];
  /** When the session last verified a second factor (login or step-up); `null` never. */
  readonly secondFactorAt: number | null;
}

export interface NewSession {
  readonly id: string;
  readonly userId: string;
  readonly kind: SessionKind;
  /** Keyed digest of the first refresh token (or cookie session id). */
  readonly tokenDigest: string;
  readonly now: number;
  /** When the login happened, if before `now` (a session renewed under a new id keeps it). */
  readonly createdAt?: number;
  readonly idleExpiresAt: number;
  readonly absoluteExpiresAt: number;
  readonly ipHash: string | null;
  readonly userAgent: string | null;
  readonly authMethods: readonly string[];
  /** When the login verified a second factor (the start of its step-up window). */
  readonly secondFactorAt?: number;
  /** Keyed digest of the first opaque access token, when access tokens are opaque. */
  readonly accessDigest?: string | null;
  readonly accessExpiresAt?: number | null;
}

/** A session with the digests its credentials are checked against. */
export interface SessionCredentials {
  readonly session: Session;
  /** The current refresh-token or cookie digest; `null` once revoked. */
  readonly tokenDigest: string | null;
  /** The current opaque access-token digest and its expiry; `null` when there is none. */
  readonly accessDigest: string | null;
  readonly accessExpiresAt: number | null;
}

/** The outcome of presenting a refresh token digest for rotation. */
export type RotateResult =
  /** This caller won: the digest was current and is now consumed; the new one is stored. */
  | { readonly outcome: 'rotated'; readonly session: Session }
  /** The digest was current once and has been consumed already: token reuse. */
  | { readonly outcome: 'reused'; readonly session: Session }
  /** Unknown digest, or the session is revoked or expired (idle or absolute). */
  | { readonly outcome: 'invalid' };

/** A session's id, its user and when it was revoked (epoch ms). */
export interface RevokedSession {
  readonly id: string;
  /** `null` for the tombstone of a session deleted with its user (it keeps nothing of the user). */
  readonly userId: string | null;
  /**
   * A tombstone's revocation group (0-1023; `null` for one written before migration 0014, and
   * for live rows, whose group comes from `userId`).
   */
  readonly revocationGroup: number | null;
  readonly revokedAt: number;
}

export interface SessionRepository {
  create(session: NewSession): Promise<Session>;
  findById(id: string): Promise<Session | null>;
  /**
   * Atomically swaps the session's current digest `presented` for `next`, records `presented`
   * as consumed, and slides the idle expiry to `idleExpiresAt` (never past the absolute expiry).
   * Exactly one of any number of concurrent callers presenting the same digest gets
   * `rotated`, across processes sharing the database; the others get `reused`.
   */
  rotate(
    sessionId: string,
    presented: string,
    next: string,
    options: {
      readonly now: number;
      readonly idleExpiresAt: number;
      /** Replaces the opaque access token too (the previous one dies with the rotation). */
      readonly accessDigest?: string;
      readonly accessExpiresAt?: number;
    },
  ): Promise<RotateResult>;
  /** The session and its credential digests, whatever its state; `null` when unknown. */
  findCredentials(sessionId: string): Promise<SessionCredentials | null>;
  /**
   * Marks a live session used at `now` and slides its idle expiry to `idleExpiresAt` (never
   * past the absolute expiry, never backwards); `false` when the session is no longer live.
   */
  slide(
    sessionId: string,
    options: { readonly now: number; readonly idleExpiresAt: number },
  ): Promise<boolean>;
  /** Live (not revoked, not expired at `now`) sessions of a user, newest first. */
  listActive(userId: string, now: number): Promise<Session[]>;
  /** Marks one session revoked; `null` when it does not exist or belongs to another user. */
  revoke(userId: string, sessionId: string, reason: string, now: number): Promise<Session | null>;
  /**
   * Sessions revoked after `since` (epoch ms), those deleted with their user included, as id
   * and revocation time: what the denylist must hold while their access tokens could still be
   * presented (rebuilt from here after the store lost its data). Also forgets the deleted
   * sessions revoked before `since`, which no token can need any more.
   */
  listRevokedSince(since: number): Promise<RevokedSession[]>;
  /** Revokes every live session of the user except `exceptId`; returns the ids revoked. */
  revokeAllForUser(
    userId: string,
    reason: string,
    now: number,
    options?: { readonly exceptId?: string },
  ): Promise<string[]>;
  /** Records a verified second factor on a live session (step-up); `false` when not live. */
  markSecondFactor(sessionId: string, at: number): Promise<boolean>;
  /** Updates `lastUsedAt` (callers throttle how often). */
  touch(sessionId: string, now: number): Promise<void>;
}

/** Recovery codes: keyed digests, each usable once. */
export interface RecoveryCodeRepository {
  /** Replaces every code of the user (old ones die) in one transaction. */
  replaceAll(userId: string, digests: readonly string[], now: number): Promise<void>;
  /**
   * Marks one unused code of the user used, if any of `candidates` (its digest under each key
   * of the ring) names one. Atomic: of concurrent callers with one code, exactly one gets `true`.
   */
  consume(userId: string, candidates: readonly string[], now: number): Promise<boolean>;
  countUnused(userId: string): Promise<number>;
  deleteAll(userId: string): Promise<void>;
}

/** A provider account (OAuth / OIDC) linked to a user. */
export interface OAuthAccount {
  readonly id: string;
  readonly userId: string;
  readonly provider: string;
  readonly subject: string;
  /** The provider's address when the link was made (shown in lists; never used to sign in). */
  readonly email: string | null;
  readonly createdAt: number;
}

export interface NewOAuthAccount {
  readonly id: string;
  readonly userId: string;
  readonly provider: string;
  readonly subject: string;
  readonly email: string | null;
  /** AEAD envelopes of the provider's tokens, when they are kept. */
  readonly accessToken?: string | null;
  readonly refreshToken?: string | null;
  readonly now: number;
}

export interface OAuthAccountRepository {
  findByProviderSubject(provider: string, subject: string): Promise<OAuthAccount | null>;
  listForUser(userId: string): Promise<OAuthAccount[]>;
  /** Links the account; `null` when this (provider, subject) is linked already (to anyone). */
  create(account: NewOAuthAccount): Promise<OAuthAccount | null>;
  /**
   * Removes one of the user's links, unless it is their last way to sign in (`waysIn`, core's
   * `SignInMethods`, counts every feature's after the deletion, inside its transaction). Serialised per user, so two
   * concurrent unlinks cannot both pass the check.
   */
  unlink(
    userId: string,
    id: string,
    waysIn: { count(userId: string, within: unknown): Promise<number> },
  ): Promise<'unlinked' | 'not_found' | 'last_sign_in_method'>;
}

export interface AuditEvent {
  readonly id: string;
  readonly type: string;
  readonly userId: string | null;
  readonly sessionId: string | null;
  readonly requestId: string | null;
  readonly ipHash: string | null;
  readonly userAgent: string | null;
  /** Small JSON-serialisable details; never secrets, never a submitted identifier in clear. */
  readonly data: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
}

export interface AuditRepository {
  record(event: AuditEvent): Promise<void>;
  /** Newest first. */
  list(filter: {
    readonly userId?: string;
    readonly type?: string;
    readonly limit: number;
  }): Promise<AuditEvent[]>;
}

/** Every repository, built over one database. */
export interface Repositories {
  readonly users: UserRepository;
  readonly sessions: SessionRepository;
  readonly recoveryCodes: RecoveryCodeRepository;
  readonly oauthAccounts: OAuthAccountRepository;
  readonly audit: AuditRepository;
}

/**
 * The associated data that binds an encrypted column value to its row: a value copied to
 * another row or column no longer decrypts. Writers (the TOTP feature) and the re-encryption
 * tool must use this same function, or nothing they wrote would decrypt for the other.
 *
 * @example
 * aead.encrypt(seed, encryptedColumnAad('users', 'totp_secret', user.id));
 */
export function encryptedColumnAad(table: string, column: string, rowId: string): string {
  return `gatehouse:${table}.${column}:${rowId}`;
}
