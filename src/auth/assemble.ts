import { z } from 'zod';
import {
  type AuditLog,
  mergeCatalogues,
  type Principal,
  type RequestMeta,
  type SecurityNotices,
  toUserView,
  type UserView,
} from '../core/index.ts';
import { createJwtCodec, importJwtKeyRing, type TokenClass } from '../crypto/jwt/index.ts';
import { createPasswordHasher } from '../crypto/password.ts';
import { defineFeature, type FeatureContext, type FeatureParts } from '../feature/index.ts';
import {
  ACCOUNTS_ERROR_CODES,
  ACCOUNTS_RATE_LIMITS,
  accountsError,
  accountsRoutes,
  createAccountsService,
  createBreachedPasswordCheck,
  createBreachGate,
  createPasswordPolicy,
  normalizeEmail,
  passwordPolicyError,
  twoFactorChallenge,
  userView,
} from '../features/accounts/index.ts';
import { createAuditLog, type EventHooks, withEventHooks } from '../features/audit/index.ts';
import { createLoginGuard } from '../features/lockout/index.ts';
import {
  createFlowCookies,
  createOAuthService,
  createProviderClient,
  OAUTH_ERROR_CODES,
  OAUTH_RATE_LIMITS,
  oauthRoutes,
  type ProviderConfig,
} from '../features/oauth/index.ts';
import {
  bearerAuthenticator,
  cookieAuthenticator,
  createCookieSessions,
  createCredentialCache,
  createSessionRevocation,
  createTokenService,
  SESSIONS_ERROR_CODES,
  SESSIONS_RATE_LIMITS,
  sessionsRoutes,
  tokenBody,
  tokenResponseSchema,
} from '../features/sessions/index.ts';
import {
  createTwoFactor,
  STEP_UP_CODE_HEADER,
  STEP_UP_ERROR_CODES,
  TWO_FACTOR_ERROR_CODES,
  TWO_FACTOR_RATE_LIMITS,
  type TwoFactor,
  twoFactorRoutes,
} from '../features/two-factor/index.ts';
import {
  createEmailChange,
  createMailer,
  createPasswordReset,
  createSecurityNotices,
  createVerificationService,
  type MailTemplate,
  VERIFICATION_ERROR_CODES,
  VERIFICATION_RATE_LIMITS,
  verificationRoutes,
} from '../features/verification/index.ts';
import { defineRoute, type RouteDefinition, sessionCookieName } from '../http/index.ts';
import { encryptedColumnAad, type User, type UserChanges } from '../stores/repositories.ts';

/**
 * Purpose labels of the keys the identity features derive from the master secrets (one per
 * use). The rate-limit, API-key and stored-secret purposes are declared by their features.
 */
export const KEY_PURPOSES = {
  accessToken: 'access-token',
  verifyToken: 'verify-token',
  refreshDigest: 'refresh-digest',
  identifierDigest: 'identifier-digest',
  ipDigest: 'ip-hash',
  emailBinding: 'email-binding',
  resetToken: 'reset-token',
  emailChangeToken: 'email-change-token',
  sessionDigest: 'session-digest',
  accessDigest: 'access-digest',
  csrfToken: 'csrf-token',
  twoFactorPending: 'two-factor-pending',
  twoFactorBinding: 'two-factor-binding',
  twoFactorEnrollment: 'two-factor-enrollment',
  recoveryCode: 'recovery-code',
} as const;

/** The access-token class: RFC 9068 `typ`, so no other token class can pass for it. */
const ACCESS_TYP = 'at+jwt';
const VERIFY_TYP = 'gh-verify+jwt';
const RESET_TYP = 'gh-reset+jwt';
const EMAIL_CHANGE_TYP = 'gh-email-change+jwt';
const TWO_FACTOR_PENDING_TYP = 'gh-2fa-pending+jwt';
/** An authorization request may take this long at the provider (the flow cookie's life). */
const OAUTH_FLOW_TTL_SECONDS = 600;
/** A one-time exchange code (SPA and mobile sign-in) lives this long. */
const OAUTH_EXCHANGE_TTL_MS = 60_000;

/**
 * Server-side API for application code (no HTTP involved). Users come back in their public
 * view, as in every response: the password hash, security stamp and TOTP seed never leave the
 * library, so application code cannot log, serialise or leak them.
 */
export interface AuthApi {
  readonly users: {
    create(input: {
      email: string;
      password: string;
      name?: string | null;
      roles?: readonly string[];
      emailVerified?: boolean;
    }): Promise<UserView>;
    get(id: string): Promise<UserView | null>;
    findByEmail(email: string): Promise<UserView | null>;
    /** Changing roles or deactivating takes effect on every session at once. */
    update(
      id: string,
      changes: Pick<UserChanges, 'name' | 'roles' | 'isActive'> & { emailVerified?: boolean },
    ): Promise<UserView | null>;
    /** Deletes the user, their sessions, and revokes their live tokens. */
    delete(id: string): Promise<boolean>;
  };
  /** Checks an access token as a route would (signature, claims, revocation). */
  verifyAccessToken(token: string): Promise<Principal>;
  /** Lifts a failed-login lock on an email (support tools; a password reset does it too). */
  unlockLogin(email: string): Promise<void>;
}

const viewOf = (user: User | null): UserView | null => (user ? toUserView(user) : null);

const SYSTEM_META: RequestMeta = Object.freeze({
  requestId: 'server-api',
  clientIp: 'unknown',
  userAgent: null,
});

/** What the API-key feature reads from the identity features. */
interface RateLimitPorts {
  readonly subjectDigest: (subject: string) => string;
}

/**
 * Accounts, sessions and tokens, email verification and password reset, two-factor and OAuth,
 * with the audit log and the lockout they share: built together from their folders' services
 * until each becomes a definition of its own (their errors, slots and key purposes already
 * come from their folders).
 */
export const identityFeature = defineFeature({
  id: 'identity',
  requires: ['ratelimit'],
  errors: mergeCatalogues(
    ACCOUNTS_ERROR_CODES,
    SESSIONS_ERROR_CODES,
    VERIFICATION_ERROR_CODES,
    TWO_FACTOR_ERROR_CODES,
    OAUTH_ERROR_CODES,
  ),
  rateLimits: {
    ...ACCOUNTS_RATE_LIMITS,
    ...SESSIONS_RATE_LIMITS,
    ...VERIFICATION_RATE_LIMITS,
    ...TWO_FACTOR_RATE_LIMITS,
    ...OAUTH_RATE_LIMITS,
  },
  keyPurposes: KEY_PURPOSES,
  stepUp: { errorCodes: STEP_UP_ERROR_CODES, codeHeader: STEP_UP_CODE_HEADER },
  build: buildIdentity,
});

function buildIdentity(context: FeatureContext): FeatureParts {
  const { config, keys, stores, repositories, logger, now } = context;
  const issuer = config.tokens.issuer ?? config.baseUrl;
  const leewayMs = config.tokens.leewaySeconds * 1000;

  const accessTokenClass: TokenClass = {
    typ: ACCESS_TYP,
    audience: config.tokens.audience ?? config.baseUrl,
    lifetimeSeconds: config.tokens.accessTokenTtlSeconds,
  };
  const verifyTokenClass: TokenClass = {
    typ: VERIFY_TYP,
    audience: `${issuer}#verify-email`,
    lifetimeSeconds: config.tokens.verifyTokenTtlSeconds,
  };
  // Keys the operator gave replace the derived ones (resolveConfig has read each already).
  const accessTokens = config.tokens.signingKeys
    ? createJwtCodec({
        algorithm: config.tokens.algorithm,
        keys: importJwtKeyRing(config.tokens.algorithm, config.tokens.signingKeys),
        issuer,
        leewaySeconds: config.tokens.leewaySeconds,
      })
    : keys.jwt(KEY_PURPOSES.accessToken, config.tokens.algorithm, issuer, config.tokens.leewaySeconds);
  // Verification tokens are only ever checked by this app: HS256 with their own key.
  const verifyTokens = keys.jwt(KEY_PURPOSES.verifyToken, 'HS256', issuer, config.tokens.leewaySeconds);

  const refreshDigester = keys.digester(KEY_PURPOSES.refreshDigest);
  const refreshDigestsPerKey = keys.digestersPerKey(KEY_PURPOSES.refreshDigest);
  const identifierDigester = keys.digester(KEY_PURPOSES.identifierDigest);
  const ipDigester = keys.digester(KEY_PURPOSES.ipDigest);
  const emailDigester = keys.digester(KEY_PURPOSES.emailBinding);

  const { beforeRegister, ...eventHooks } = config.hooks;
  const recorder = createAuditLog({
    repository: repositories.audit,
    identifierDigest: (value) => identifierDigester.digest(value),
    ipDigest: (ip) => ipDigester.digest(ip),
    logger,
    now,
  });
  const audit = withEventHooks(recorder, eventHooks as EventHooks, logger);

  const rolesOf = async (userId: string): Promise<readonly string[] | null> => {
    const user = await repositories.users.findById(userId);
    return user?.isActive ? user.roles : null;
  };
  const cache = createCredentialCache({
    store: stores.keyValue,
    ttlMs: config.cookies.cacheTtlSeconds * 1000,
    now,
  });
  // Ending sessions on every worker, for every transport: built before the cookie sessions and
  // the token service, which both revoke through it (so neither needs the other for that).
  const revocation = createSessionRevocation({
    denylist: stores.denylist,
    cache,
    sessions: repositories.sessions,
    accessTtlMs: accessTokenClass.lifetimeSeconds * 1000,
    leewayMs,
    now,
    // A first start of memory stores rebuilds too; a list seen complete before was lost.
    onRebuilt: ({ sessions, durationMs, lost }) =>
      logger[lost ? 'warn' : 'info'](
        { revokedSessions: sessions, durationMs: Math.round(durationMs) },
        lost
          ? 'the denylist lost its data (store restarted or flushed); rebuilt it from the database'
          : 'the denylist had no completeness marker (first start, or the store lost its data); rebuilt it from the database',
      ),
  });
  const allowedOrigins = new Set([
    new URL(config.baseUrl).origin,
    ...config.cors.origins,
    ...config.csrf.trustedOrigins,
  ]);
  const cookies = createCookieSessions({
    sessions: repositories.sessions,
    cache,
    digests: keys.digester(KEY_PURPOSES.sessionDigest),
    csrfTokens: keys.digester(KEY_PURPOSES.csrfToken),
    allowedOrigins,
    ipDigest: (ip) => ipDigester.digest(ip),
    rolesOf,
    revocation,
    now,
    cookie: {
      name: sessionCookieName(config.cookies.name, { secure: config.cookies.secure }),
      secure: config.cookies.secure,
      sameSite: config.cookies.sameSite,
      idleTimeoutMs: config.cookies.idleTimeoutSeconds * 1000,
      absoluteTimeoutMs: config.cookies.absoluteTimeoutSeconds * 1000,
      rememberMeTimeoutMs: config.cookies.rememberMeTimeoutSeconds * 1000,
      touchIntervalMs: config.cookies.touchIntervalSeconds * 1000,
    },
  });

  const tokens = createTokenService({
    sessions: repositories.sessions,
    accessKind: config.tokens.access,
    accessDigests: keys.digester(KEY_PURPOSES.accessDigest),
    cache,
    cookies,
    ...(config.sessions.maxPerUser === undefined ? {} : { maxSessionsPerUser: config.sessions.maxPerUser }),
    revocation,
    audit,
    jwt: accessTokens,
    accessTokenClass,
    // Tokens other services verify through the JWKS follow RFC 9068 (client_id, scope).
    ...(config.tokens.algorithm === 'HS256'
      ? {}
      : { resourceServerClaims: { clientId: config.tokens.clientId } }),
    refreshDigests: {
      digest: (secret) => refreshDigester.digest(secret),
      candidates: (secret) => refreshDigestsPerKey.map((d) => d.digest(secret)),
    },
    ipDigest: (ip) => ipDigester.digest(ip),
    rolesOf,
    refreshAbsoluteTtlMs: config.tokens.refreshAbsoluteTtlSeconds * 1000,
    refreshIdleTtlMs: config.tokens.refreshIdleTtlSeconds * 1000,
    now,
  });

  const mailer = createMailer({
    transport: context.mail,
    templates: config.mail.templates as Partial<Record<string, MailTemplate>> | undefined,
    logger,
  });
  // Security notices to the owner (2FA on/off, recovery codes, password, API keys, a 2FA lock).
  const notices = createSecurityNotices({
    users: repositories.users,
    mailer,
    audit,
    appName: config.appName,
    logger,
  });

  const verification = createVerificationService({
    users: repositories.users,
    once: stores.once,
    keyValue: stores.keyValue,
    notifyNewSignIn: config.mail.notifyNewSignIn,
    jwt: verifyTokens,
    tokenClass: verifyTokenClass,
    emailDigest: (email) => emailDigester.digest(email),
    mailer,
    audit,
    appName: config.appName,
    verifyUrl: `${config.baseUrl}${config.mail.links.verifyEmail}`,
    now,
  });

  // Lockout counters are keyed like rate-limit counters.
  const { subjectDigest } = context.port<RateLimitPorts>('ratelimit');
  const { enabled: lockoutEnabled, ...lockoutPolicy } = config.lockout;
  const loginGuard = lockoutEnabled
    ? createLoginGuard({
        policy: lockoutPolicy,
        counters: stores.counters,
        keyValue: stores.keyValue,
        subjectDigest,
        audit,
      })
    : null;

  const enumerationSafe = config.registration.mode === 'enumeration-safe';
  const hasher = createPasswordHasher(config.passwords.argon2);
  const policy = createPasswordPolicy({
    minLength: config.passwords.minLength,
    maxLength: config.passwords.maxLength,
    // The service's own names are context words (NIST SP 800-63B-4 §3.1.1.2), beside the configured ones.
    contextWords: [
      config.appName,
      ...(config.twoFactor.issuer ? [config.twoFactor.issuer] : []),
      ...config.passwords.contextWords,
    ],
  });
  const breachCheck = config.passwords.breachCheck;
  const breachGate = breachCheck
    ? createBreachGate({
        check: createBreachedPasswordCheck({ url: breachCheck.url, timeoutMs: breachCheck.timeoutMs }),
        onError: breachCheck.onError,
        warn: (error) =>
          logger.warn({ err: error }, 'breached-password check unavailable; password accepted'),
      })
    : undefined;
  const aead = keys.storedSecrets;
  const twoFactor = buildTwoFactor();
  const accounts = createAccountsService({
    users: repositories.users,
    hasher,
    policy,
    ...(breachGate ? { breachGate } : {}),
    sessions: tokens,
    verification,
    audit,
    loginGuard,
    ...(beforeRegister ? { beforeRegister } : {}),
    registrationMode: config.registration.mode,
    secondFactor: twoFactor,
    notices,
    now,
    requireVerifiedEmail: enumerationSafe || config.registration.requireVerifiedEmail === true,
  });

  const resetDigester = keys.digester(KEY_PURPOSES.resetToken);
  const passwordReset = createPasswordReset({
    users: repositories.users,
    once: stores.once,
    keyValue: stores.keyValue,
    jwt: keys.jwt(KEY_PURPOSES.resetToken, 'HS256', issuer, config.tokens.leewaySeconds),
    tokenClass: {
      typ: RESET_TYP,
      audience: `${issuer}#reset-password`,
      lifetimeSeconds: config.tokens.resetTokenTtlSeconds,
    },
    digest: (value) => resetDigester.digest(value),
    hasher,
    checkPolicy: async (password, email) => {
      const reasons = policy.check(password, { email });
      if (reasons.length > 0) throw passwordPolicyError(reasons);
      await breachGate?.(password);
    },
    sessions: tokens,
    loginGuard,
    mailer,
    audit,
    appName: config.appName,
    resetUrl: `${config.baseUrl}${config.mail.links.resetPassword}`,
    now,
  });

  const emailChangeDigester = keys.digester(KEY_PURPOSES.emailChangeToken);
  const emailChange = createEmailChange({
    users: repositories.users,
    once: stores.once,
    jwt: keys.jwt(KEY_PURPOSES.emailChangeToken, 'HS256', issuer, config.tokens.leewaySeconds),
    tokenClass: {
      typ: EMAIL_CHANGE_TYP,
      audience: `${issuer}#confirm-email`,
      lifetimeSeconds: config.tokens.verifyTokenTtlSeconds,
    },
    digest: (value) => emailChangeDigester.digest(value),
    hasher,
    badCredentials: () => accountsError('LOGIN_BAD_CREDENTIALS'),
    mailer,
    audit,
    appName: config.appName,
    confirmUrl: `${config.baseUrl}${config.mail.links.confirmEmail}`,
    now,
  });

  const jwksRoute = defineRoute({
    method: 'GET',
    path: '/.well-known/jwks.json',
    operationId: 'jwks',
    summary: 'Public keys that verify access tokens (EdDSA/ES256; empty with HS256)',
    tags: ['tokens'],
    storeFree: true,
    responses: {
      200: { description: 'JSON Web Key Set', schema: z.strictObject({ keys: z.array(z.unknown()) }) },
    },
    async handler() {
      return { status: 200, body: accessTokens.jwks(), headers: { 'Cache-Control': 'public, max-age=300' } };
    },
  });

  const routes: RouteDefinition[] = [
    ...accountsRoutes({ accounts, tokenBody, tokenSchema: tokenResponseSchema, allowedOrigins }),
    ...sessionsRoutes({
      tokens,
      cookies,
      sessions: repositories.sessions,
      requireRecentAuthentication: (principal, request, meta) =>
        twoFactor.assertRecentAuthentication(principal, request, meta),
      now,
    }),
    ...verificationRoutes({ verification, passwordReset, emailChange, normalizeEmail, userSchema: userView }),
    ...twoFactorRoutes({
      twoFactor,
      sessions: tokens,
      tokenBody,
      tokenSchema: tokenResponseSchema,
      userSchema: userView,
      allowedOrigins,
      async signedIn(user, sessionId, meta, authMethods) {
        await verification.noticeSignIn(user, meta);
        await audit.record('login.success', meta, {
          userId: user.id,
          sessionId,
          data: { methods: authMethods },
        });
      },
      now,
    }),
    jwksRoute,
    ...buildOAuthRoutes(),
  ];

  /** TOTP, recovery codes and step-up (the totp feature), over the stores built above. */
  function buildTwoFactor(): TwoFactor {
    const seedAad = (userId: string) => encryptedColumnAad('users', 'totp_secret', userId);
    // Pending enrollments live in the store, encrypted too and bound to their user.
    const pendingAad = (userId: string) => `gatehouse:2fa-enrollment:${userId}`;
    const recoveryDigester = keys.digester(KEY_PURPOSES.recoveryCode);
    const recoveryPerKey = keys.digestersPerKey(KEY_PURPOSES.recoveryCode);
    return createTwoFactor({
      users: repositories.users,
      sessions: repositories.sessions,
      recoveryCodes: repositories.recoveryCodes,
      keyValue: stores.keyValue,
      once: stores.once,
      seeds: {
        seal: (userId, seed) => aead.encrypt(seed, seedAad(userId)),
        open: (userId, envelope) => aead.decrypt(envelope, seedAad(userId)),
        sealPending: (userId, seed) => aead.encrypt(seed, pendingAad(userId)),
        openPending: (userId, envelope) => aead.decrypt(envelope, pendingAad(userId)),
      },
      hasher,
      pendingTokens: {
        jwt: keys.jwt(KEY_PURPOSES.twoFactorPending, 'HS256', issuer, config.tokens.leewaySeconds),
        tokenClass: {
          typ: TWO_FACTOR_PENDING_TYP,
          audience: `${issuer}#2fa-pending`,
          lifetimeSeconds: config.twoFactor.pendingLoginTtlSeconds,
        },
      },
      binding: keys.digester(KEY_PURPOSES.twoFactorBinding),
      recoveryDigests: {
        digest: (code) => recoveryDigester.digest(code),
        candidates: (code) => recoveryPerKey.map((d) => d.digest(code)),
      },
      enrollmentDigests: keys.digester(KEY_PURPOSES.twoFactorEnrollment),
      guard: loginGuard,
      sessionIssuer: tokens,
      audit,
      notifyRecoveryCodeUsed: (user, meta) =>
        mailer.send('recoveryCodeUsed', user.email, { appName: config.appName }, meta),
      notices,
      onEnable: config.twoFactor.onEnable,
      badCredentials: () => accountsError('LOGIN_BAD_CREDENTIALS'),
      totp: config.twoFactor.totp,
      issuer: config.twoFactor.issuer ?? config.appName,
      stepUpWindowMs: config.twoFactor.stepUpWindowSeconds * 1000,
      enrollmentTtlMs: config.twoFactor.enrollmentTtlSeconds * 1000,
      now,
    });
  }

  /** OAuth / OIDC sign-in (the oauth feature): no routes at all without a configured provider. */
  function buildOAuthRoutes(): RouteDefinition[] {
    const configured = Object.entries(config.oauth.providers);
    if (configured.length === 0) return [];
    const callbackBase = `${config.baseUrl}${config.http.basePath}/auth/oauth`;
    const providers = new Map(
      configured.map(([name, provider]) => [
        name,
        createProviderClient(name, provider as ProviderConfig, {
          redirectUri: `${callbackBase}/${name}/callback`,
          fetchTimeoutMs: config.oauth.fetchTimeoutMs,
          allowInsecureLoopback: config.oauth.allowInsecureLoopback,
        }),
      ]),
    );
    const oauth = createOAuthService({
      providers,
      flows: createFlowCookies({
        seal: (plaintext, aad) => aead.encrypt(plaintext, aad),
        open: (envelope, aad) => aead.decrypt(envelope, aad).toString('utf8'),
        secure: config.cookies.secure,
        now,
      }),
      users: repositories.users,
      accounts: repositories.oauthAccounts,
      once: stores.once,
      keyValue: stores.keyValue,
      sessions: tokens,
      secondFactor: twoFactor,
      audit,
      redirects: { baseUrl: config.baseUrl, allowedOrigins: config.oauth.redirectOrigins },
      normalizeEmail,
      linkByVerifiedEmail: config.oauth.linkByVerifiedEmail,
      allowUnverifiedEmail: config.oauth.allowUnverifiedEmail,
      sealProviderToken: config.oauth.storeProviderTokens
        ? (accountId, column, token) =>
            aead.encrypt(token, encryptedColumnAad('oauth_accounts', column, accountId))
        : null,
      mayRegister: async (email, name) => {
        if (!beforeRegister) return true;
        try {
          return (await beforeRegister({ email, name })) === true;
        } catch {
          // A gate that throws refuses: gates fail closed.
          return false;
        }
      },
      flowTtlSeconds: OAUTH_FLOW_TTL_SECONDS,
      exchangeTtlMs: OAUTH_EXCHANGE_TTL_MS,
      now,
    });
    return oauthRoutes({
      oauth,
      tokenBody,
      tokenSchema: tokenResponseSchema,
      userSchema: userView,
      challengeSchema: twoFactorChallenge,
    });
  }

  const api: AuthApi = {
    users: {
      create: async (user) => toUserView(await accounts.createUser(user)),
      get: async (id) => viewOf(await repositories.users.findById(id)),
      findByEmail: async (email) => {
        const normalised = normalizeEmail(email);
        return normalised ? viewOf(await repositories.users.findByEmail(normalised)) : null;
      },
      async update(id, changes) {
        const { emailVerified, ...rest } = changes;
        const at = now();
        const user = await repositories.users.update(
          id,
          {
            ...rest,
            ...(emailVerified === undefined ? {} : { emailVerifiedAt: emailVerified ? at : null }),
          },
          at,
        );
        // Roles travel inside access tokens: the sessions end (below, and every other feature
        // that holds credentials of the user forgets them).
        if (user && (changes.roles !== undefined || changes.isActive !== undefined)) {
          await context.userChanged(id, {
            kind: 'updated',
            rolesChanged: changes.roles !== undefined,
            isActive: changes.isActive,
          });
        }
        return viewOf(user);
      },
      async delete(id) {
        // Before the rows go: every feature ends or forgets what the user holds.
        await context.userChanged(id, { kind: 'deleting' });
        const deleted = await repositories.users.delete(id);
        if (deleted) await audit.record('user.deleted', SYSTEM_META, { userId: id });
        return deleted;
      },
    },
    verifyAccessToken: (token) => tokens.verifyAccessToken(token),
    async unlockLogin(email) {
      await loginGuard?.clear(normalizeEmail(email) ?? email.trim().toLowerCase());
    },
  };

  const ports: IdentityPorts = { audit, notices };
  return {
    routes,
    ports,
    // Access tokens claim every other `Authorization` header; only without one, the cookie.
    authenticators: [bearerAuthenticator(tokens), cookieAuthenticator(cookies)],
    // Roles travel inside access tokens: end the sessions so no token keeps old roles.
    async onUserChange(userId, change) {
      if (change.kind === 'deleting') {
        await tokens.revokeAllForUser(userId, { reason: 'user_deleted' });
      } else if (change.rolesChanged || change.isActive === false) {
        await tokens.revokeAllForUser(userId, { reason: 'user_updated' });
      }
    },
    async onAccessDenied(denial) {
      const { principal } = denial;
      await audit.record(
        'access.denied',
        { requestId: denial.requestId, clientIp: denial.clientIp, userAgent: denial.userAgent },
        {
          userId: principal?.userId ?? null,
          sessionId: principal?.apiKey ? null : (principal?.sessionId ?? null),
          data: {
            code: denial.code,
            method: denial.method,
            route: denial.route,
            ...(principal?.apiKey ? { apiKeyId: principal.apiKey.id } : {}),
          },
        },
      );
    },
    stepUp: (principal, request, context) =>
      twoFactor.assertStepUp(principal, request, {
        requestId: context.requestId,
        clientIp: context.clientIp,
        userAgent: request.headers.get('user-agent'),
      }),
    api: api as unknown as Readonly<Record<string, unknown>>,
  };
}

/** What the identity features offer the features that require them. */
export interface IdentityPorts {
  readonly audit: AuditLog;
  readonly notices: SecurityNotices;
}
