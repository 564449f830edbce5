import { z } from 'zod';
import { DEFAULTS } from './defaults.ts';

/** Something with the given methods; checked structurally because it comes from the app. */
function objectWith<T>(label: string, ...methods: string[]) {
  return z.custom<T>(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function'),
    { message: `must be ${label}` },
  );
}

const secretEntry = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1–32 characters of A–Z, a–z, 0–9, _ or -'),
  /** Strength is checked by resolveConfig, so a weak secret is reported with every other problem. */
  secret: z.string(),
});

const sqlDatabase = z.strictObject({
  /** `sqlite:<path>`, `sqlite::memory:` or `postgres://user:pass@host:port/db`. */
  url: z.string().min(1),
  poolSize: z.int().min(1).max(200).default(DEFAULTS.databasePoolSize),
});

const ownDatabase = z.strictObject({
  /** A Kysely instance the app built itself; Gatehouse never closes it. */
  kysely: objectWith<unknown>('a Kysely instance', 'selectFrom', 'destroy'),
  dialect: z.enum(['sqlite', 'postgres']),
});

const memoryStores = z.strictObject({
  backend: z.literal('memory'),
  maxEntries: z.int().min(100).default(DEFAULTS.memoryStoreMaxEntries),
});

/** `host:port` or `[v6]:port`, for cluster seed nodes and sentinels. */
const HOST_AND_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[^:\s/@]+):\d{1,5}$/;

const redisStores = z.strictObject({
  backend: z.literal('redis'),
  url: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  /** An ioredis client (or compatible) the app owns; Gatehouse never closes it. */
  client: objectWith<unknown>(
    'a Redis client (ioredis or one with the same `call` method)',
    'call',
  ).optional(),
  /** Redis Cluster seed nodes (`host:port`). */
  cluster: z.array(z.string().regex(HOST_AND_PORT, 'must be host:port')).min(1).max(64).optional(),
  /** Redis Sentinel addresses (`host:port`), with `name`. */
  sentinels: z.array(z.string().regex(HOST_AND_PORT, 'must be host:port')).min(1).max(16).optional(),
  /** The primary's name as the sentinels know it. */
  name: z
    .string()
    .regex(/^[\w.-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, dashes or underscores')
    .optional(),
  keyPrefix: z.string().max(64).default(DEFAULTS.redisKeyPrefix),
  commandTimeoutMs: z.int().min(1).max(500).default(DEFAULTS.redisCommandTimeoutMs),
  /** WAIT after the writes that must survive a failover (revocations, single-use consumption). */
  durability: z
    .strictObject({
      replicas: z.int().min(0).max(16).default(DEFAULTS.redisDurabilityReplicas),
      timeoutMs: z.int().min(1).max(400).default(DEFAULTS.redisDurabilityTimeoutMs),
    })
    .prefault({}),
});

const customStores = z.strictObject({
  backend: z.literal('custom'),
  /** A `Stores` bundle the app built (e.g. its own backend); it must pass the contract suite. */
  bundle: objectWith<unknown>('a Stores bundle', 'ping', 'close'),
});

/** A mail template as the app writes it (the verification feature's `MailTemplate`). */
type MailTemplateFunction = (context: {
  readonly appName: string;
  readonly link?: string;
  readonly expiresIn?: string;
  readonly apiKeyName?: string;
}) => { readonly subject: string; readonly text: string; readonly html: string };

const linkPath = z.string().regex(/^\/[A-Za-z0-9._~/-]{0,200}$/, 'must be a path like /verify-email');

const mailConfig = z.strictObject({
  /** `console`, `file:///absolute/dir` or `smtp://user:pass@host:port`. */
  url: z.string().min(1).optional(),
  /**
   * A transport the app built (`{ kind, send(message) }`, e.g. `createSmtpTransport(…)`), or just
   * a function `(message) => Promise<void>` that delivers one message (an email API, a queue).
   */
  transport: z
    .union([
      objectWith<unknown>('a mail transport', 'send'),
      z.custom<(message: unknown) => unknown>((value) => typeof value === 'function', {
        message: 'must be a mail transport or a function',
      }),
    ])
    .optional(),
  from: z.string().min(3).max(320).default(DEFAULTS.mailFrom),
  /**
   * Replacements for built-in templates, by kind (`verification`, `existingAccount`,
   * `passwordReset`, `passwordResetDone`, `emailChangeConfirmation`, `emailChangeNotice`, the
   * security notices): functions of `{ appName, link?, expiresIn?, apiKeyName? }` returning
   * `{ subject, text, html }`.
   */
  templates: z
    .partialRecord(
      z.enum([
        'verification',
        'existingAccount',
        'passwordReset',
        'passwordResetDone',
        'emailChangeConfirmation',
        'emailChangeNotice',
        'newSignIn',
        'recoveryCodeUsed',
        'twoFactorEnabled',
        'twoFactorDisabled',
        'recoveryCodesRegenerated',
        'passwordChanged',
        'apiKeyCreated',
        'twoFactorLocked',
        'passkeyAdded',
        'passkeyRemoved',
      ]),
      z.custom<MailTemplateFunction>((value) => typeof value === 'function', {
        message: 'must be a function',
      }),
    )
    .optional(),
  /** Mail the owner when the account signs in from an address not seen for it before. */
  notifyNewSignIn: z.boolean().default(false),
  /**
   * Where mail links point (the origin, and optionally a path prefix, of the pages that open
   * them); defaults to `baseUrl`. Set it when the pages live on another origin.
   */
  linkBase: z
    .url({ protocol: /^https?$/ })
    .max(500)
    .optional(),
  /** Paths under `baseUrl` that links in mail point to; the pages there post the token back. */
  links: z
    .strictObject({
      verifyEmail: linkPath.default(DEFAULTS.verifyEmailPath),
      resetPassword: linkPath.default(DEFAULTS.resetPasswordPath),
      confirmEmail: linkPath.default(DEFAULTS.confirmEmailPath),
    })
    .prefault({}),
});

const rateLimitRule = z.strictObject({
  limit: z.int().min(1).max(1_000_000),
  windowSeconds: z.int().min(1).max(86_400),
  scope: z.enum(['ip', 'identifier', 'ipIdentifier']),
});

// Read-only, so the presets' results (`oauthProviders.google(…)`, whose scopes are readonly
// arrays) are accepted as they are.
const oauthScopes = z
  .array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/, 'must be a scope token'))
  .max(32)
  .readonly();

/** What the sign-in button and the account page call a provider (presets set it; default: its key). */
const providerDisplayName = z.string().trim().min(1).max(64).optional();

/** A provider: a generic OIDC issuer, or GitHub (see the `oauthProviders` presets). */
const oauthProvider = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('oidc'),
    displayName: providerDisplayName,
    issuer: z.url({ protocol: /^https?$/ }),
    clientId: z.string().min(1).max(512),
    clientSecret: z.string().min(1).max(2048).optional(),
    scopes: oauthScopes.optional(),
    issuerTemplate: z.string().max(512).optional(),
    trustEmailVerified: z.boolean().optional(),
  }),
  z.strictObject({
    kind: z.literal('github'),
    displayName: providerDisplayName,
    clientId: z.string().min(1).max(512),
    clientSecret: z.string().min(1).max(2048),
    scopes: oauthScopes.optional(),
    endpoints: z
      .strictObject({
        authorization: z.url().optional(),
        token: z.url().optional(),
        user: z.url().optional(),
        emails: z.url().optional(),
      })
      .optional(),
  }),
]);

const hookFunction = z.custom<(event: never) => unknown>((value) => typeof value === 'function', {
  message: 'must be a function',
});

export const configSchema = z.strictObject({
  /** Defaults to `production` when NODE_ENV is `production`, else `development`. */
  mode: z.enum(['development', 'production']).optional(),
  appName: z.string().min(1).max(100).default(DEFAULTS.appName),
  /** Public origin of the auth server, used for links in mail and as the token issuer. */
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Master secrets, first active. Required in production. */
  secrets: z.array(secretEntry).min(1).max(16).optional(),
  /** Where development keeps its generated secret and SQLite file. */
  dataDir: z.string().min(1).default(DEFAULTS.dataDir),
  database: z.union([sqlDatabase, ownDatabase]).optional(),
  stores: z
    .discriminatedUnion('backend', [memoryStores, redisStores, customStores])
    .prefault({ backend: 'memory' }),
  http: z
    .strictObject({
      bodyLimitBytes: z
        .int()
        .min(1024)
        .max(1024 * 1024)
        .default(DEFAULTS.bodyLimitBytes),
      /** Proxies in front of the server whose X-Forwarded-For entries are trusted (0: none). */
      trustedProxyHops: z.int().min(0).max(10).default(DEFAULTS.trustedProxyHops),
      basePath: z
        .string()
        .regex(/^(\/[A-Za-z0-9._~-]+)*$/, 'must be empty or like /auth (no trailing slash)')
        .default(DEFAULTS.basePath),
      /** One log line per request: method, route template, status, duration, request id. */
      accessLog: z.boolean().default(DEFAULTS.accessLog),
    })
    .prefault({}),
  cookies: z
    .strictObject({
      name: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,64}$/)
        .default(DEFAULTS.cookieName),
      secure: z.boolean().default(DEFAULTS.cookieSecure),
      sameSite: z.enum(['lax', 'strict', 'none']).default(DEFAULTS.cookieSameSite),
      /** A cookie session unused this long ends; every request slides it (writes throttled). */
      idleTimeoutSeconds: z
        .int()
        .min(60)
        .max(30 * 24 * 3600)
        .default(DEFAULTS.sessionIdleTimeoutSeconds),
      /** A cookie session ends this long after login, however busy. */
      absoluteTimeoutSeconds: z
        .int()
        .min(300)
        .max(365 * 24 * 3600)
        .default(DEFAULTS.sessionAbsoluteTimeoutSeconds),
      /** The absolute lifetime of a session whose login asked for `rememberMe`. */
      rememberMeTimeoutSeconds: z
        .int()
        .min(300)
        .max(365 * 24 * 3600)
        .default(DEFAULTS.sessionRememberMeTimeoutSeconds),
      /** Sliding the idle expiry writes to the database at most this often per session. */
      touchIntervalSeconds: z.int().min(1).max(3600).default(DEFAULTS.sessionTouchIntervalSeconds),
      /** Lifetime of a lookup cached in the shared store (revocation removes it at once). */
      cacheTtlSeconds: z.int().min(1).max(3600).default(DEFAULTS.sessionCacheTtlSeconds),
    })
    .prefault({}),
  sessions: z
    .strictObject({
      /** Most live sessions (cookie and bearer) per user; the oldest are revoked first. */
      maxPerUser: z.int().min(1).max(10_000).optional(),
    })
    .prefault({}),
  csrf: z
    .strictObject({
      /**
       * Origins, besides `baseUrl`'s and `cors.origins`, whose cookie-authenticated unsafe
       * requests (and cookie logins) are accepted, e.g. `https://app.example.com`.
       */
      trustedOrigins: z.array(z.string().max(200)).max(100).default([]),
    })
    .prefault({}),
  ui: z
    .strictObject({
      /** Serve the hosted pages from `auth.fetch` (the standalone server turns it on). */
      enabled: z.boolean().default(DEFAULTS.uiEnabled),
      /** Where the pages live, e.g. `/` or `/ui` (no trailing slash except `/` itself). */
      basePath: z
        .string()
        .regex(/^\/$|^(\/[A-Za-z0-9._~-]+)+$/, 'must be / or like /ui (no trailing slash)')
        .default(DEFAULTS.uiBasePath),
      /** The name the pages show; defaults to `appName`. */
      appName: z.string().min(1).max(100).optional(),
      /** An https (or same-origin path) image shown above each page's heading. */
      logoUrl: z
        .string()
        .max(500)
        .regex(/^(https:\/\/|\/(?!\/))[\x21-\x7e]*$/, 'must be an https URL or a path like /logo.svg')
        .optional(),
      /** Brand colours (CSS hex), light and dark variants of the accent. */
      colors: z
        .strictObject({
          accent: z
            .string()
            .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #1f6feb')
            .optional(),
          accentDark: z
            .string()
            .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #58a6ff')
            .optional(),
        })
        .prefault({}),
      /** Shown on error pages as whom to write to. */
      supportEmail: z.string().min(3).max(320).optional(),
    })
    .prefault({}),
  cors: z
    .strictObject({
      /** Origins allowed to call the API from a browser, with credentials. No wildcards. */
      origins: z.array(z.string().max(200)).max(100).default([]),
      /** How long browsers may cache a preflight answer. */
      maxAgeSeconds: z.int().min(0).max(86_400).default(DEFAULTS.corsMaxAgeSeconds),
    })
    .prefault({}),
  /** How many processes serve this app; more than one needs shared (Redis) stores. */
  workers: z.int().min(1).max(1024).default(DEFAULTS.workers),
  mail: mailConfig.prefault({}),
  migrations: z.strictObject({ runOnStart: z.boolean().optional() }).prefault({}),
  passwords: z
    .strictObject({
      /** Shortest accepted password, in Unicode code points after NFC. */
      minLength: z.int().min(8).max(128).default(DEFAULTS.passwordMinLength),
      maxLength: z.int().min(64).max(1024).default(DEFAULTS.passwordMaxLength),
      /** Words specific to this service (brands, products) refused in passwords, beside `appName`. */
      contextWords: z.array(z.string().min(1).max(100)).max(100).default([]),
      /**
       * Refuse passwords found in breaches, through a k-anonymity range API
       * (`GET {url}/range/{first 5 hex of SHA-1}`); off unless this object is given.
       */
      breachCheck: z
        .strictObject({
          url: z.url({ protocol: /^https?$/ }).default(DEFAULTS.breachedPasswordsUrl),
          timeoutMs: z.int().min(100).max(30_000).default(DEFAULTS.breachedPasswordsTimeoutMs),
          onError: z.enum(['allow', 'refuse']).default(DEFAULTS.breachedPasswordsOnError),
        })
        .optional(),
      argon2: z
        .strictObject({
          memoryKiB: z
            .int()
            .min(8 * 1024)
            .max(4 * 1024 * 1024)
            .default(DEFAULTS.argon2MemoryKiB),
          timeCost: z.int().min(1).max(20).default(DEFAULTS.argon2TimeCost),
          parallelism: z.int().min(1).max(16).default(DEFAULTS.argon2Parallelism),
        })
        .prefault({}),
      /** Where argon2id runs: hashing threads below the event loop's priority, behind a capped queue. */
      hashing: z
        .strictObject({
          /** Hashing threads; unset: one per CPU. */
          threads: z.int().min(1).max(256).optional(),
          /** Calls that may wait for a thread; one more is a 503 with Retry-After. Unset: 32 per thread. */
          maxQueued: z.int().min(1).max(100_000).optional(),
          /** How far below the event loop's the threads' priority is (nice increment, 0–19). */
          niceIncrement: z.int().min(0).max(19).default(DEFAULTS.passwordHashingNiceIncrement),
        })
        .prefault({}),
    })
    .prefault({}),
  registration: z
    .strictObject({
      /**
       * `enumeration-safe`: 202 with one body whether the email is new or taken, login needs a
       * verified email. `open`: 201 with the user, 409 when taken.
       */
      mode: z.enum(['enumeration-safe', 'open']).default(DEFAULTS.registrationMode),
      /** Only for `open` mode (enumeration-safe always requires it). @default false in open mode */
      requireVerifiedEmail: z.boolean().optional(),
    })
    .prefault({}),
  lockout: z
    .strictObject({
      /** Turning lockout off is for tests and benchmarks; it warns on every start. */
      enabled: z.boolean().default(true),
      maxFailures: z.int().min(1).max(100).default(DEFAULTS.lockoutMaxFailures),
      windowSeconds: z.int().min(60).max(86_400).default(DEFAULTS.lockoutWindowSeconds),
      baseLockSeconds: z.int().min(1).max(86_400).default(DEFAULTS.lockoutBaseLockSeconds),
      maxLockSeconds: z.int().min(1).max(86_400).default(DEFAULTS.lockoutMaxLockSeconds),
      ipMaxFailures: z.int().min(1).max(1_000_000).default(DEFAULTS.lockoutIpMaxFailures),
      knownDeviceDays: z.int().min(1).max(365).default(DEFAULTS.lockoutKnownDeviceDays),
    })
    .prefault({}),
  rateLimits: z
    .strictObject({
      /** Turning limits off is for tests and benchmarks; production warns. */
      enabled: z.boolean().default(true),
      /** IPv6 clients are counted per prefix of this length (one host usually holds a /64). */
      ipv6PrefixLength: z.int().min(32).max(128).default(DEFAULTS.rateLimitIpv6PrefixLength),
      /** Per-slot overrides of the defaults table: a rule, `{ group }` to share a budget, or `false`. */
      slots: z
        .record(
          z.string().regex(/^[a-z][A-Za-z0-9]{0,63}$/, 'slot names are camelCase identifiers'),
          z.union([
            z.literal(false),
            rateLimitRule,
            z.strictObject({ group: z.string().regex(/^[a-z][A-Za-z0-9]{0,63}$/) }),
          ]),
        )
        .default({}),
      /** Shared budgets: slots that name the same group count against one counter. */
      groups: z.record(z.string().regex(/^[a-z][A-Za-z0-9]{0,63}$/), rateLimitRule).default({}),
    })
    .prefault({}),
  tokens: z
    .strictObject({
      /** HS256 (a derived key, verified by this app) or EdDSA/ES256 (public keys at /.well-known/jwks.json). */
      algorithm: z.enum(['HS256', 'EdDSA', 'ES256']).default(DEFAULTS.tokenAlgorithm),
      /**
       * `jwt`: self-contained access tokens checked with one denylist lookup. `opaque`: random
       * tokens stored as keyed digests, looked up (cached) on every request, revocable at once.
       */
      access: z.enum(['jwt', 'opaque']).default(DEFAULTS.accessTokenKind),
      /** `iss` of every token; defaults to `baseUrl`. */
      issuer: z.string().min(1).max(200).optional(),
      /** `aud` of access tokens; defaults to `baseUrl`. */
      audience: z.string().min(1).max(200).optional(),
      /**
       * EdDSA/ES256 keys given instead of the ones derived from the secrets: the first signs,
       * the others only verify and stay published (rotation). Each a PEM block or a JWK; read
       * and checked against `algorithm` by resolveConfig.
       */
      signingKeys: z
        .array(
          z.strictObject({
            kid: z
              .string()
              .regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be 1–64 characters of A–Z, a–z, 0–9, ., _, : or -')
              .optional(),
            key: z.union([z.string().min(1).max(16_384), z.record(z.string(), z.unknown())]),
          }),
        )
        .min(1)
        .max(8)
        .optional(),
      /** `client_id` of access tokens signed with EdDSA/ES256 (RFC 9068), for resource servers. */
      clientId: z
        .string()
        .regex(/^[\x21-\x7E]{1,200}$/, 'must be 1–200 printable ASCII characters without spaces')
        .default(DEFAULTS.tokenClientId),
      accessTokenTtlSeconds: z.int().min(60).max(3600).default(DEFAULTS.accessTokenTtlSeconds),
      leewaySeconds: z.int().min(0).max(30).default(DEFAULTS.tokenLeewaySeconds),
      refreshAbsoluteTtlSeconds: z
        .int()
        .min(3600)
        .max(365 * 24 * 3600)
        .default(DEFAULTS.refreshAbsoluteTtlSeconds),
      refreshIdleTtlSeconds: z
        .int()
        .min(300)
        .max(365 * 24 * 3600)
        .default(DEFAULTS.refreshIdleTtlSeconds),
      verifyTokenTtlSeconds: z
        .int()
        .min(300)
        .max(7 * 24 * 3600)
        .default(DEFAULTS.verifyTokenTtlSeconds),
      /** Password-reset link lifetime: short, at most an hour. */
      resetTokenTtlSeconds: z.int().min(300).max(3600).default(DEFAULTS.resetTokenTtlSeconds),
    })
    .prefault({}),
  oauth: z
    .strictObject({
      /** Sign-in providers by name (the `{provider}` of the routes): presets or a generic OIDC issuer. */
      providers: z
        .record(
          z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'provider names are 1-32 of a-z, 0-9, - or _'),
          oauthProvider,
        )
        .default({}),
      /** Absolute `redirectTo` targets allowed besides paths on `baseUrl`: exact origins. */
      redirectOrigins: z.array(z.string().max(200)).max(100).default([]),
      /**
       * Link a provider account to a local account with the same email when both are verified.
       * Off by default: it trusts the provider's verification for your accounts.
       */
      linkByVerifiedEmail: z.boolean().default(false),
      /** Accept provider addresses the provider does not vouch for (new accounts get them unverified). */
      allowUnverifiedEmail: z.boolean().default(false),
      /** Keep the provider's access and refresh tokens, encrypted, for the application to use. */
      storeProviderTokens: z.boolean().default(false),
      fetchTimeoutMs: z.int().min(500).max(30_000).default(DEFAULTS.oauthFetchTimeoutMs),
      /** Plain-http providers on loopback hosts, for tests and local development; production refuses it. */
      allowInsecureLoopback: z.boolean().default(false),
    })
    .prefault({}),
  twoFactor: z
    .strictObject({
      /** Shown by authenticator apps next to the account; defaults to `appName`. */
      issuer: z
        .string()
        .min(1)
        .max(100)
        .regex(/^[^:]+$/, 'must not contain a colon (the otpauth label separator)')
        .optional(),
      totp: z
        .strictObject({
          algorithm: z.enum(['SHA1', 'SHA256', 'SHA512']).default(DEFAULTS.totpAlgorithm),
          digits: z.union([z.literal(6), z.literal(7), z.literal(8)]).default(DEFAULTS.totpDigits),
          periodSeconds: z.int().min(15).max(120).default(DEFAULTS.totpPeriodSeconds),
          /** Steps accepted on each side of the current one. */
          window: z.int().min(0).max(3).default(DEFAULTS.totpWindow),
        })
        .prefault({}),
      stepUpWindowSeconds: z.int().min(30).max(3600).default(DEFAULTS.stepUpWindowSeconds),
      pendingLoginTtlSeconds: z.int().min(60).max(900).default(DEFAULTS.pendingLoginTtlSeconds),
      enrollmentTtlSeconds: z.int().min(60).max(3600).default(DEFAULTS.enrollmentTtlSeconds),
      /**
       * What turning 2FA on does to the user's other sessions: `revoke-single-factor-sessions`
       * signs out those that never passed a second factor; `keep` leaves them.
       */
      onEnable: z.enum(['revoke-single-factor-sessions', 'keep']).default(DEFAULTS.twoFactorOnEnable),
    })
    .prefault({}),
  /**
   * Event hooks (`onUserRegistered`, `onEmailVerified`, `onLogin`, `onLoginFailed`,
   * `onPasswordResetRequested`, `onPasswordReset`, `onPasswordChanged`, `onEmailChanged`,
   * `onSessionRevoked`) run after the fact and never break the flow; the gate hook
   * `beforeRegister({ email, name })` may refuse a registration by returning `false`.
   */
  hooks: z
    .strictObject({
      onUserRegistered: hookFunction.optional(),
      onEmailVerified: hookFunction.optional(),
      onLogin: hookFunction.optional(),
      onLoginFailed: hookFunction.optional(),
      onPasswordResetRequested: hookFunction.optional(),
      onPasswordReset: hookFunction.optional(),
      onPasswordChanged: hookFunction.optional(),
      onEmailChanged: hookFunction.optional(),
      onSessionRevoked: hookFunction.optional(),
      beforeRegister: z
        .custom<
          (input: { readonly email: string; readonly name: string | null }) => boolean | Promise<boolean>
        >((value) => typeof value === 'function', { message: 'must be a function' })
        .optional(),
    })
    .prefault({}),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(DEFAULTS.logLevel),
  /** `auto`: pino-pretty in development when stdout is a terminal, JSON otherwise. */
  logFormat: z.enum(['auto', 'json', 'pretty']).default(DEFAULTS.logFormat),
  /** Pruning of expired rows (`gatehouse prune`, and the in-process schedule when set). */
  maintenance: z
    .strictObject({
      /** Every this many seconds one process prunes (0: no schedule; run `gatehouse prune`). */
      pruneIntervalSeconds: z
        .int()
        .min(0)
        .max(7 * 86_400)
        .default(DEFAULTS.pruneIntervalSeconds),
      batchSize: z.int().min(10).max(10_000).default(DEFAULTS.pruneBatchSize),
    })
    .prefault({}),
  /**
   * Where session and token lifetimes read the time (epoch ms); for tests that move time
   * forward. Defaults to `Date.now`.
   */
  clock: objectWith<{ now(): number }>('an object with a now() method', 'now').optional(),
  /** A pino logger the app owns; Gatehouse logs through a child of it. */
  logger: objectWith<unknown>('a pino logger', 'child', 'info', 'warn', 'error').optional(),
});

/** What `createAuth` accepts. */
export type AuthConfigInput = z.input<typeof configSchema>;
/** The validated configuration before mode-specific resolution. */
export type ParsedConfig = z.output<typeof configSchema>;
