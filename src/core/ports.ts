/**
 * Ports: the small interfaces one feature offers another. Features never import each other;
 * createAuth hands each feature the implementations it needs through these types.
 */

/** Where a request came from, for sessions and audit events. */
export interface RequestMeta {
  readonly requestId: string;
  /** The resolved client address (see trusted proxy hops); hashed before it is stored. */
  readonly clientIp: string;
  readonly userAgent: string | null;
}

/** What a successful login or refresh answers (API.md, POST /auth/login). */
export interface TokenResponse {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  readonly expiresIn: number;
  readonly refreshToken: string;
  readonly sessionId: string;
}

/** A cookie session just started (or renewed): what the response must carry. */
export interface CookieSessionStart {
  readonly sessionId: string;
  /** The `Set-Cookie` header value (the opaque session token with its attributes). */
  readonly setCookie: string;
  /** The session's CSRF token, sent back in `X-CSRF-Token` on unsafe requests. */
  readonly csrfToken: string;
}

/** Starts and ends sessions; implemented by the sessions feature. */
export interface SessionIssuer {
  /**
   * Creates a cookie session (always a new id: a cookie the browser already holds is never
   * upgraded). `rememberMe` extends the absolute lifetime to the remember-me setting.
   */
  startCookieSession(
    user: { readonly id: string; readonly roles: readonly string[] },
    meta: RequestMeta,
    options: {
      readonly authMethods: readonly string[];
      readonly rememberMe: boolean;
      readonly secondFactorAt?: number;
    },
  ): Promise<CookieSessionStart>;
  /**
   * After a privilege change (password change, later a second factor): moves a cookie
   * session to a new id and token, revoking the old one. `null` for other transports.
   */
  renewCookieSession(
    principal: { readonly userId: string; readonly sessionId: string; readonly transport: string },
    meta: RequestMeta,
    options?: { readonly addAuthMethods?: readonly string[] },
  ): Promise<CookieSessionStart | null>;
  /** Creates a session for one login on one device and issues its first token pair. */
  issue(
    user: { readonly id: string; readonly roles: readonly string[] },
    meta: RequestMeta,
    options: {
      readonly authMethods: readonly string[];
      /** When the login verified a second factor (starts the step-up window). */
      readonly secondFactorAt?: number;
    },
  ): Promise<TokenResponse>;
  /**
   * Revokes every live session of the user (except one, e.g. the caller's), so their access
   * tokens fail on every worker at once.
   */
  revokeAllForUser(
    userId: string,
    options: { readonly exceptSessionId?: string; readonly reason: string },
  ): Promise<void>;
  /**
   * Revokes the user's live sessions that never verified a second factor (except one, e.g.
   * the caller's), on every worker; answers the ids revoked.
   */
  revokeSingleFactorSessions(
    userId: string,
    options: { readonly exceptSessionId?: string; readonly reason: string },
  ): Promise<string[]>;
  /** Whether the session is the user's and still live (not revoked, not expired). */
  isSessionLive(userId: string, sessionId: string): Promise<boolean>;
}

/** What a login answers instead of a session when the user has a second factor. */
export interface TwoFactorChallenge {
  readonly twoFactorRequired: true;
  /** Finishes the login at `POST /auth/2fa/verify` (5 minutes, single use, bound to the client). */
  readonly pendingToken: string;
  readonly methods: readonly string[];
}

/** The second-factor step of a login; implemented by the totp feature. */
export interface SecondFactorGate {
  /** A challenge when the user has a second factor, `null` when the password was enough. */
  challenge(
    user: { readonly id: string; readonly totpSecret: string | null },
    meta: RequestMeta,
    options: {
      readonly transport: 'bearer' | 'cookie';
      readonly rememberMe: boolean;
      /** How the first step signed in (RFC 8176 `amr`): `pwd` (default), `oauth`, `email` (a mailed code) or `hwk`/`swk` (a passkey without user verification). */
      readonly firstFactor?: 'pwd' | 'oauth' | 'email' | 'hwk' | 'swk';
    },
  ): Promise<TwoFactorChallenge | null>;
}

/** Sends verification mail; implemented by the verification feature. */
export interface VerificationSender {
  /** A link that verifies `email` for the user (new account, or a new request). */
  sendVerification(
    user: { readonly id: string; readonly email: string; readonly securityStamp: string },
    meta: RequestMeta,
  ): Promise<void>;
  /** Tells the owner of an existing account that someone tried to register with their address. */
  sendExistingAccountNotice(
    user: { readonly id: string; readonly email: string },
    meta: RequestMeta,
  ): Promise<void>;
  /**
   * After a successful sign-in: tells the owner when it came from an address not seen for the
   * account before (when the application turned the notice on).
   */
  noticeSignIn(user: { readonly id: string; readonly email: string }, meta: RequestMeta): Promise<void>;
}

/** The changes to an account's security its owner is told about by mail. */
export type SecurityNoticeKind =
  | 'twoFactorEnabled'
  | 'twoFactorDisabled'
  | 'recoveryCodesRegenerated'
  | 'passwordChanged'
  | 'apiKeyCreated'
  | 'twoFactorLocked'
  | 'passkeyAdded'
  | 'passkeyRemoved';

/** Mails the owner about a security change; implemented by the verification feature. */
export interface SecurityNotices {
  /**
   * Sends `kind` to the user's address in the background and audits it (`notice.mailed`):
   * never throws and never delays the answer, so a mail failure cannot fail the change.
   * `apiKeyName` names a new key (never the key itself).
   */
  notify(
    user: { readonly id: string; readonly email?: string },
    kind: SecurityNoticeKind,
    meta: RequestMeta,
    details?: { readonly apiKeyName?: string },
  ): void;
}

/** Writes audit events; identifiers submitted by clients are stored as keyed digests only. */
export interface AuditLog {
  record(
    type: string,
    meta: RequestMeta,
    details?: {
      readonly userId?: string | null;
      readonly sessionId?: string | null;
      readonly data?: Readonly<Record<string, unknown>>;
    },
  ): Promise<void>;
  /** A keyed digest of an identifier (e.g. a submitted email), safe to store in an event. */
  identifierDigest(identifier: string): string;
}

/**
 * What a guessing budget is kept for: a login identifier (the normalised email, counted
 * whether or not an account has it, so a lock says nothing about existence), or a user's
 * second factor (TOTP and recovery codes share it).
 */
export type GuardedSubject =
  | { readonly kind: 'login'; readonly identifier: string }
  | { readonly kind: 'second-factor'; readonly userId: string };

/** One attempt at a secret, paid for before the secret is checked; report exactly one outcome. */
export interface GuardedAttempt {
  /** The secret was right: the attempt is given back, the failures reset, the address becomes a known device. */
  succeeded(): Promise<void>;
  /**
   * The secret was wrong, or the check could not finish: the attempt stays spent. `locked` when
   * this failure spent the subject's last attempt and locked it.
   */
  failed(): Promise<{ readonly locked: boolean }>;
}

/** Lockout against guessing passwords and second factors; implemented by the lockout feature. */
export interface LoginGuard {
  /**
   * Reserves one attempt for the subject from this address, atomically, before the secret is
   * checked: under any concurrency and across workers, at most the configured number of checks
   * per lock period. Throws `RATE_LIMITED` (429, Retry-After), reserving nothing, when the
   * subject or the address has no attempt left.
   */
  reserve(subject: GuardedSubject, meta: RequestMeta): Promise<GuardedAttempt>;
  /** Lifts every lock on a login identifier (e.g. after a password reset). */
  clear(identifier: string): Promise<void>;
  /** Whether the subject has no attempt left now (locked, for an admin's view). */
  isLocked(subject: GuardedSubject): Promise<boolean>;
  /** Lifts the lock on a user's second-factor checks (an admin's unlock). */
  clearSecondFactor(userId: string): Promise<void>;
}

/**
 * The SQL transaction a removal of a way in runs in, handed to every {@link SignInMethodSource}
 * untouched (the SQL kit's `transactionOf` opens it as the source's own tables): opaque here,
 * since core and the repository contract name no driver type.
 */
export type OpenSqlTransaction = unknown;

/**
 * One kind of way in a feature owns (a password, linked providers, passkeys, email codes),
 * contributed in `FeatureParts.signInMethods`, so that every removal of a way in counts them
 * all (features never ask each other).
 */
export interface SignInMethodSource {
  /** What it counts (`password`, `oauth`, `passkey`, `email-code`), for logs and tests. */
  readonly method: string;
  /** How many ways in of this kind the user has, read inside the removal's transaction. */
  count(userId: string, within: OpenSqlTransaction): Promise<number>;
}

/**
 * The one rule of "never the last way to sign in": a removal (an unlink, a passkey deleted)
 * deletes inside a transaction that locked the user's row, then asks for `count`; zero rolls it
 * back with `LAST_SIGN_IN_METHOD`. `FeatureContext.signInMethods`, for request time.
 */
export interface SignInMethods {
  /** Every way in the user has, summed over every feature's sources, inside `within`. */
  count(userId: string, within: OpenSqlTransaction): Promise<number>;
}

/** The rule over a list of sources (read when counted, so sources added later are included). */
export function signInMethodsOf(sources: readonly SignInMethodSource[]): SignInMethods {
  return Object.freeze({
    async count(userId: string, within: OpenSqlTransaction): Promise<number> {
      let total = 0;
      for (const source of sources) total += await source.count(userId, within);
      return total;
    },
  });
}
