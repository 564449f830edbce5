/**
 * Every default of the configuration, in one table. The schema reads from here, the README's
 * configuration table is checked against it, and `gatehouse doctor` prints what is in force.
 * Each default is the production-safe value; weaker settings need an explicit opt-in.
 */
export const DEFAULTS = Object.freeze({
  appName: 'Gatehouse',
  dataDir: './data',
  databaseFile: 'gatehouse.db',
  databasePoolSize: 10,
  memoryStoreMaxEntries: 100_000,
  redisKeyPrefix: 'gh:',
  redisCommandTimeoutMs: 500,
  /** Replicas that must acknowledge a revocation or a single-use consumption (WAIT); 0: off. */
  redisDurabilityReplicas: 0,
  /** How long such a write waits for those replicas before it fails (503). */
  redisDurabilityTimeoutMs: 50,
  bodyLimitBytes: 16 * 1024,
  trustedProxyHops: 0,
  basePath: '',
  cookieName: 'gh_session',
  cookieSecure: true,
  cookieSameSite: 'lax',
  /** A cookie session unused this long ends (sliding). */
  sessionIdleTimeoutSeconds: 12 * 3600,
  /** A cookie session ends this long after login, however busy. */
  sessionAbsoluteTimeoutSeconds: 7 * 24 * 3600,
  /** The absolute lifetime when the user asked to be remembered at login. */
  sessionRememberMeTimeoutSeconds: 30 * 24 * 3600,
  /** Sliding the idle expiry writes at most this often per session. */
  sessionTouchIntervalSeconds: 60,
  /** How long a checked cookie session or opaque token stays in the store's lookup cache. */
  sessionCacheTtlSeconds: 300,
  corsMaxAgeSeconds: 600,
  accessTokenKind: 'jwt',
  totpAlgorithm: 'SHA1',
  totpDigits: 6,
  totpPeriodSeconds: 30,
  /** Codes of one step before and after the current one are accepted (clock drift). */
  totpWindow: 1,
  /** A second factor verified this recently satisfies sensitive routes. */
  stepUpWindowSeconds: 5 * 60,
  /** Time to finish a login with the second factor. */
  pendingLoginTtlSeconds: 5 * 60,
  /** Time to confirm a TOTP enrollment with a first code. */
  enrollmentTtlSeconds: 10 * 60,
  /** Turning 2FA on signs out the user's other sessions that never passed a second factor. */
  twoFactorOnEnable: 'revoke-single-factor-sessions',
  /** Each request to an OAuth provider (discovery, token, user info) gives up after this. */
  oauthFetchTimeoutMs: 5000,
  workers: 1,
  mailFrom: 'Gatehouse <no-reply@localhost>',
  verifyEmailPath: '/verify-email',
  resetPasswordPath: '/reset-password',
  confirmEmailPath: '/confirm-email',
  /** The hosted pages: off in the library (mount `auth.pages` or enable), on in the standalone server. */
  uiEnabled: false,
  uiBasePath: '/',
  logLevel: 'info',
  /** `auto`: readable (pino-pretty) in development when stdout is a terminal, JSON otherwise. */
  logFormat: 'auto',
  /** One log line per request (method, route template, status, duration, request id). */
  accessLog: false,
  /** The in-process prune schedule: off in the library (0), on in the standalone server. */
  pruneIntervalSeconds: 0,
  /** Rows removed per pruning statement (short statements never hold a lock for long). */
  pruneBatchSize: 1000,
  /** NIST SP 800-63B-4: 15 when the password is the only factor (8 is allowed with MFA). */
  passwordMinLength: 15,
  /** The breached-password check, once configured: Have I Been Pwned's range API by default. */
  breachedPasswordsUrl: 'https://api.pwnedpasswords.com',
  breachedPasswordsTimeoutMs: 2000,
  /** The range API unreachable: accept the password (the local blocklist still applies) and warn. */
  breachedPasswordsOnError: 'allow',
  passwordMaxLength: 1024,
  /** OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. */
  argon2MemoryKiB: 19 * 1024,
  argon2TimeCost: 2,
  argon2Parallelism: 1,
  /** Hashing threads yield a core to the event loop (weight 110 against its 1024 on Linux). */
  passwordHashingNiceIncrement: 10,
  registrationMode: 'enumeration-safe',
  tokenAlgorithm: 'HS256',
  /** `client_id` of RFC 9068 access tokens (EdDSA/ES256): the first-party clients of this server. */
  tokenClientId: 'gatehouse',
  accessTokenTtlSeconds: 15 * 60,
  tokenLeewaySeconds: 30,
  refreshAbsoluteTtlSeconds: 30 * 24 * 3600,
  refreshIdleTtlSeconds: 7 * 24 * 3600,
  verifyTokenTtlSeconds: 24 * 3600,
  resetTokenTtlSeconds: 30 * 60,
  rateLimitIpv6PrefixLength: 64,
  lockoutMaxFailures: 5,
  lockoutWindowSeconds: 15 * 60,
  lockoutBaseLockSeconds: 60,
  lockoutMaxLockSeconds: 15 * 60,
  lockoutIpMaxFailures: 100,
  lockoutKnownDeviceDays: 30,
  /** Development migrates on start (zero setup); production only when told. */
  runMigrationsOnStartInDevelopment: true,
  runMigrationsOnStartInProduction: false,
} as const);
