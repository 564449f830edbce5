import type { AuditLog, Principal, RequestMeta } from '../../core/index.ts';
import { createJwtCodec, importJwtKeyRing, type JwtCodec, type TokenClass } from '../../crypto/jwt/index.ts';
import { defineFeature } from '../../feature/index.ts';
import { sessionCookieName } from '../../http/index.ts';
import { bearerAuthenticator, cookieAuthenticator } from './authenticators.ts';
import { type CookieSessions, createCookieSessions } from './cookie-sessions.ts';
import { createCredentialCache } from './credential-cache.ts';
import { SESSIONS_ERROR_CODES } from './error-codes.ts';
import { registerSessionMetrics, SESSION_MIGRATIONS, sessionMaintenance } from './maintenance.ts';
import { SESSIONS_RATE_LIMITS } from './rate-limits.ts';
import { createSessionRevocation } from './revocation.ts';
import { sessionsRoutes, tokenBody, tokenResponseSchema } from './routes.ts';
import { createTokenService, type TokenService } from './token-service.ts';

/** Purpose labels of the keys sessions and tokens derive from the master secrets. */
export const SESSIONS_KEY_PURPOSES = Object.freeze({
  accessToken: 'access-token',
  refreshDigest: 'refresh-digest',
  sessionDigest: 'session-digest',
  accessDigest: 'access-digest',
  csrfToken: 'csrf-token',
});

/** The access-token class: RFC 9068 `typ`, so no other token class can pass for it. */
const ACCESS_TYP = 'at+jwt';

/** What other features use of sessions. */
export interface SessionsPorts {
  readonly tokens: TokenService;
  readonly cookies: CookieSessions;
  /** Signs and checks access tokens; its public keys are the JWKS. */
  readonly accessTokens: JwtCodec;
  /** Origins a cookie login may come from (login CSRF): our own and the configured ones. */
  readonly allowedOrigins: ReadonlySet<string>;
  readonly tokenBody: typeof tokenBody;
  readonly tokenResponseSchema: typeof tokenResponseSchema;
  /** The user's version now (revocation.ts), for credentials cached by other features. */
  readonly userVersion: (userId: string) => Promise<string>;
}

/** What ending other sessions asks of two-factor (at request time). */
interface RecentAuthentication {
  readonly twoFactor: {
    assertRecentAuthentication(principal: Principal, request: Request, meta: RequestMeta): Promise<void>;
  };
}

/**
 * Sessions: token pairs and cookie sessions, their revocation on every worker, the session
 * routes, and the bearer and cookie authenticators.
 */
export const sessionsFeature = defineFeature({
  id: 'sessions',
  requires: ['audit'],
  uses: ['two-factor'],
  errors: SESSIONS_ERROR_CODES,
  rateLimits: SESSIONS_RATE_LIMITS,
  keyPurposes: SESSIONS_KEY_PURPOSES,
  migrations: SESSION_MIGRATIONS,
  build({ config, keys, stores, repositories, database, logger, metrics, now, port, later }) {
    const { audit, ipDigest } = port<{ audit: AuditLog; ipDigest: (ip: string) => string }>('audit');
    const twoFactor = later<RecentAuthentication>('two-factor');
    const issuer = config.tokens.issuer ?? config.baseUrl;
    const accessTokenClass: TokenClass = {
      typ: ACCESS_TYP,
      audience: config.tokens.audience ?? config.baseUrl,
      lifetimeSeconds: config.tokens.accessTokenTtlSeconds,
    };
    // Keys the operator gave replace the derived ones (resolveConfig has read each already).
    const accessTokens = config.tokens.signingKeys
      ? createJwtCodec({
          algorithm: config.tokens.algorithm,
          keys: importJwtKeyRing(config.tokens.algorithm, config.tokens.signingKeys),
          issuer,
          leewaySeconds: config.tokens.leewaySeconds,
        })
      : keys.jwt(
          SESSIONS_KEY_PURPOSES.accessToken,
          config.tokens.algorithm,
          issuer,
          config.tokens.leewaySeconds,
        );
    const refreshDigester = keys.digester(SESSIONS_KEY_PURPOSES.refreshDigest);
    const refreshDigestsPerKey = keys.digestersPerKey(SESSIONS_KEY_PURPOSES.refreshDigest);

    const rolesOf = async (userId: string): Promise<readonly string[] | null> => {
      const user = await repositories.users.findById(userId);
      return user?.isActive ? user.roles : null;
    };
    const cache = createCredentialCache({
      store: stores.keyValue,
      ttlMs: config.cookies.cacheTtlSeconds * 1000,
      now,
    });
    // Ending sessions on every worker, for every transport: built before the cookie sessions
    // and the token service, which both revoke through it (so neither needs the other for that).
    const revocation = createSessionRevocation({
      denylist: stores.denylist,
      cache,
      sessions: repositories.sessions,
      accessTtlMs: accessTokenClass.lifetimeSeconds * 1000,
      leewayMs: config.tokens.leewaySeconds * 1000,
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
      digests: keys.digester(SESSIONS_KEY_PURPOSES.sessionDigest),
      csrfTokens: keys.digester(SESSIONS_KEY_PURPOSES.csrfToken),
      allowedOrigins,
      ipDigest,
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
      accessDigests: keys.digester(SESSIONS_KEY_PURPOSES.accessDigest),
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
      ipDigest,
      rolesOf,
      refreshAbsoluteTtlMs: config.tokens.refreshAbsoluteTtlSeconds * 1000,
      refreshIdleTtlMs: config.tokens.refreshIdleTtlSeconds * 1000,
      now,
    });

    const ports: SessionsPorts = {
      tokens,
      cookies,
      accessTokens,
      allowedOrigins,
      tokenBody,
      tokenResponseSchema,
      userVersion: (userId) => revocation.userVersion(userId),
    };
    registerSessionMetrics(metrics, database, now);
    return {
      ports,
      routes: sessionsRoutes({
        tokens,
        cookies,
        sessions: repositories.sessions,
        requireRecentAuthentication: (principal, request, meta) =>
          twoFactor().twoFactor.assertRecentAuthentication(principal, request, meta),
        now,
      }),
      // Access tokens claim every `Authorization` header API keys left; only without one, the cookie.
      authenticators: [bearerAuthenticator(tokens), cookieAuthenticator(cookies)],
      api: { verifyAccessToken: (token: string) => tokens.verifyAccessToken(token) },
      maintenance: sessionMaintenance({
        database,
        graceMs: (config.tokens.accessTokenTtlSeconds + config.tokens.leewaySeconds) * 1000,
      }),
      // Roles travel inside access tokens: end the sessions so no token keeps old roles.
      async onUserChange(userId, change) {
        if (change.kind === 'deleting') {
          await tokens.revokeAllForUser(userId, { reason: 'user_deleted' });
        } else if (change.rolesChanged || change.isActive === false) {
          await tokens.revokeAllForUser(userId, { reason: 'user_updated' });
        }
        // Every worker's cached view of the user is out of date from its next request on.
        await revocation.userChanged(userId);
      },
    };
  },
});
