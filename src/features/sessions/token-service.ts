import { randomUUID } from 'node:crypto';
import type { AuditLog, Principal, RequestMeta, SessionIssuer, TokenResponse } from '../../core/index.ts';
import { coreError } from '../../core/index.ts';
import { newId } from '../../crypto/ids.ts';
import type { JwtCodec, TokenClass } from '../../crypto/jwt/index.ts';
import { newOpaqueToken, parseOpaqueToken } from '../../crypto/opaque-token.ts';
import { isStoreError } from '../../stores/contract.ts';
import type { Session, SessionRepository } from '../../stores/repositories.ts';
import type { CookieSessions, KeyedDigests } from './cookie-sessions.ts';
import type { CachedCredential, CredentialCache } from './credential-cache.ts';
import { sessionsError } from './error-codes.ts';
import type { SessionRevocation } from './revocation.ts';

/** Keyed digests under every key of the ring: `digest` makes one, `candidates` one per key. */
export interface Digests {
  digest(secret: string): string;
  candidates(secret: string): readonly string[];
}

export interface TokenServiceOptions {
  readonly sessions: SessionRepository;
  /** Ends sessions and access tokens on every worker, and checks access tokens against that. */
  readonly revocation: SessionRevocation;
  readonly audit: AuditLog;
  readonly jwt: JwtCodec;
  readonly accessTokenClass: TokenClass;
  /**
   * Set when other services verify access tokens (EdDSA/ES256 through the JWKS): the tokens
   * also carry RFC 9068's `client_id`, and `scope` from the user's roles.
   */
  readonly resourceServerClaims?: { readonly clientId: string };
  /** Keyed digests of refresh secrets. */
  readonly refreshDigests: Digests;
  /**
   * `jwt` (default): signed access tokens. `opaque`: `<sessionId>.<secret>` access tokens whose
   * keyed digests (their own key) live on the session row, looked up through the cache.
   */
  readonly accessKind?: 'jwt' | 'opaque';
  readonly accessDigests: KeyedDigests;
  /** Checked opaque access tokens (beside cookie sessions), marked by revocation. */
  readonly cache: CredentialCache;
  readonly cookies: CookieSessions;
  /** Most live sessions per user; older ones are revoked when a login goes past it. */
  readonly maxSessionsPerUser?: number;
  readonly ipDigest: (ip: string) => string;
  /** Current roles of an active user, or `null` when the user is gone or deactivated. */
  readonly rolesOf: (userId: string) => Promise<readonly string[] | null>;
  readonly refreshAbsoluteTtlMs: number;
  readonly refreshIdleTtlMs: number;
  readonly now?: () => number;
}

export interface TokenService extends SessionIssuer {
  /** Rotates a refresh token; a token presented twice revokes its whole session. */
  refresh(refreshToken: string, meta: RequestMeta): Promise<TokenResponse>;
  /**
   * Checks a bearer access token: a JWT (signature, claims, one revocation lookup) or, when
   * access tokens are opaque, an opaque token (one cache lookup), told apart by shape.
   */
  verifyAccessToken(token: string): Promise<Principal>;
  /** Revokes the caller's access token and session on every worker. */
  logout(principal: Principal, meta: RequestMeta): Promise<void>;
  /** Revokes one of the user's sessions; `false` when it is unknown or someone else's. */
  revokeSession(userId: string, sessionId: string, meta: RequestMeta): Promise<boolean>;
  /** Revokes every session of the caller except the current one. */
  revokeOthers(principal: Principal, meta: RequestMeta): Promise<void>;
}

/** RFC 6749 section 3.3 scope-token: roles with spaces, quotes or backslashes stay out of `scope`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Bearer sessions: a short-lived JWT access token plus an opaque refresh token
 * (`<sessionId>.<secret>`, stored only as a keyed digest) rotated on every use.
 *
 * Revocation goes through `revocation.ts`, so it takes effect on every worker at once; each
 * authenticated request makes exactly one denylist lookup covering the token id, the session
 * id and the user's not-before time.
 */
export function createTokenService(options: TokenServiceOptions): TokenService {
  const now = options.now ?? Date.now;
  const accessTtlMs = options.accessTokenClass.lifetimeSeconds * 1000;
  const { revocation } = options;

  const rfc9068 = options.resourceServerClaims;

  async function accessTokenFor(session: Session, roles: readonly string[], at: number): Promise<string> {
    const scope = rfc9068 ? roles.filter((role) => SCOPE_TOKEN.test(role)).join(' ') : '';
    return options.jwt.sign(
      options.accessTokenClass,
      {
        sub: session.userId,
        sid: session.id,
        jti: randomUUID(),
        amr: session.authMethods,
        roles,
        ...(rfc9068 ? { client_id: rfc9068.clientId } : {}),
        // RFC 6749 section 3.3: a scope is one or more tokens, so none means no claim.
        ...(scope ? { scope } : {}),
      },
      { now: at },
    );
  }

  function tokenResponse(session: Session, accessToken: string, refreshToken: string): TokenResponse {
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresIn: options.accessTokenClass.lifetimeSeconds,
      refreshToken,
      sessionId: session.id,
    };
  }

  const accessKind = options.accessKind ?? 'jwt';

  /** Revokes the user's oldest live sessions beyond the cap (after a new one was created). */
  async function enforceCap(userId: string): Promise<void> {
    const cap = options.maxSessionsPerUser;
    if (cap === undefined) return;
    const at = now();
    // Newest first: everything after the first `cap` goes.
    const excess = (await options.sessions.listActive(userId, at)).slice(cap);
    const revoked: string[] = [];
    for (const session of excess) {
      if (await options.sessions.revoke(userId, session.id, 'session_limit', at)) revoked.push(session.id);
    }
    await revocation.forgetSessions(userId, revoked);
  }

  /** A new opaque access token for the session: the client's token and what the row keeps. */
  function newAccessToken(sessionId: string, at: number) {
    const token = newOpaqueToken(sessionId);
    return {
      token: token.token,
      digest: options.accessDigests.digest(token.secret),
      expiresAt: at + accessTtlMs,
    };
  }

  async function verifyOpaqueAccessToken(token: string): Promise<Principal> {
    const parsed = parseOpaqueToken(token);
    if (!parsed) throw coreError('INVALID_TOKEN');
    const at = now();
    const cached = await options.cache.get(parsed.id);
    if (cached === 'revoked') throw coreError('INVALID_TOKEN');
    const matches = (digest: string | null): boolean =>
      digest !== null && options.accessDigests.matches(parsed.secret, digest);
    let credential: CachedCredential | null = cached && matches(cached.digest) ? cached : null;
    if (!credential) {
      // Absent, or the cache holds the token a refresh replaced: the database decides.
      const found = await options.sessions.findCredentials(parsed.id);
      if (
        found?.session.kind !== 'bearer' ||
        found.session.revokedAt !== null ||
        found.accessExpiresAt === null ||
        !matches(found.accessDigest)
      ) {
        throw coreError('INVALID_TOKEN');
      }
      // The user's version before the user is read, as for cookies (cookie-sessions.ts).
      const userVersion = await revocation.userVersion(found.session.userId);
      const roles = await options.rolesOf(found.session.userId);
      if (roles === null) throw coreError('INVALID_TOKEN');
      credential = {
        userId: found.session.userId,
        roles,
        authMethods: found.session.authMethods,
        digest: found.accessDigest as string,
        expiresAt: found.accessExpiresAt,
        idleExpiresAt: found.accessExpiresAt,
        touchedAt: found.session.lastUsedAt,
        userVersion,
      };
      if (cached) await options.cache.drop(parsed.id);
      else {
        await options.cache.fill(parsed.id, credential);
        // A change whose drop of the cached credentials ran before this fill: drop it now.
        if ((await revocation.userVersion(found.session.userId)) !== userVersion)
          await options.cache.drop(parsed.id);
      }
    }
    if (at >= credential.expiresAt) throw coreError('INVALID_TOKEN');
    return {
      userId: credential.userId,
      sessionId: parsed.id,
      roles: credential.roles,
      authMethods: credential.authMethods,
      tokenId: parsed.id,
      expiresAt: credential.expiresAt,
      transport: 'bearer',
      ...(credential.userVersion === undefined ? {} : { userVersion: credential.userVersion }),
    };
  }

  const service: TokenService = {
    async issue(user, meta, { authMethods, secondFactorAt }) {
      const at = now();
      const sessionId = newId();
      const refresh = newOpaqueToken(sessionId);
      const access = accessKind === 'opaque' ? newAccessToken(sessionId, at) : null;
      const session = await options.sessions.create({
        id: sessionId,
        userId: user.id,
        kind: 'bearer',
        tokenDigest: options.refreshDigests.digest(refresh.secret),
        now: at,
        idleExpiresAt: Math.min(at + options.refreshIdleTtlMs, at + options.refreshAbsoluteTtlMs),
        absoluteExpiresAt: at + options.refreshAbsoluteTtlMs,
        ipHash: meta.clientIp === 'unknown' ? null : options.ipDigest(meta.clientIp),
        userAgent: meta.userAgent?.slice(0, 512) ?? null,
        authMethods,
        ...(secondFactorAt === undefined ? {} : { secondFactorAt }),
        ...(access ? { accessDigest: access.digest, accessExpiresAt: access.expiresAt } : {}),
      });
      await enforceCap(user.id);
      const accessToken = access ? access.token : await accessTokenFor(session, user.roles, at);
      return tokenResponse(session, accessToken, refresh.token);
    },

    async startCookieSession(user, meta, startOptions) {
      const started = await options.cookies.start(user, meta, startOptions);
      await enforceCap(user.id);
      return started;
    },

    async renewCookieSession(principal, meta, renewOptions) {
      if (principal.transport !== 'cookie') return null;
      return options.cookies.renew(principal, meta, renewOptions);
    },

    async refresh(refreshToken, meta) {
      const parsed = parseOpaqueToken(refreshToken);
      if (!parsed) throw sessionsError('REFRESH_TOKEN_INVALID');
      const at = now();
      const next = newOpaqueToken(parsed.id);
      const nextDigest = options.refreshDigests.digest(next.secret);
      const access = accessKind === 'opaque' ? newAccessToken(parsed.id, at) : null;
      // Every read happens before the rotation commits: a database that fails after the commit
      // would answer 503 for a rotation that took place, and the client's retry with the token
      // it still holds would then count as reuse and end the session.
      const owner = await options.sessions.findById(parsed.id);
      if (owner === null) throw sessionsError('REFRESH_TOKEN_INVALID');
      const roles = await options.rolesOf(owner.userId);
      // Try the digest under each key of the ring: a token issued before a secret rotation was
      // digested with the previous key.
      for (const presented of options.refreshDigests.candidates(parsed.secret)) {
        const result = await options.sessions.rotate(parsed.id, presented, nextDigest, {
          now: at,
          idleExpiresAt: at + options.refreshIdleTtlMs,
          ...(access ? { accessDigest: access.digest, accessExpiresAt: access.expiresAt } : {}),
        });
        if (result.outcome === 'invalid') continue;
        if (result.outcome === 'reused') {
          // A rotated token came back: either the client or a thief holds a copy. Kill the
          // session (and its live access token) so neither can go on.
          await options.sessions.revoke(result.session.userId, result.session.id, 'refresh_token_reuse', at);
          await revocation.forgetSessions(result.session.userId, [result.session.id]);
          await options.audit.record('session.refresh_reuse', meta, {
            userId: result.session.userId,
            sessionId: result.session.id,
          });
          throw sessionsError('REFRESH_TOKEN_INVALID');
        }
        if (roles === null || result.session.userId !== owner.userId) {
          // The user was deleted or deactivated since the session started.
          await options.sessions.revoke(result.session.userId, result.session.id, 'user_inactive', at);
          throw sessionsError('REFRESH_TOKEN_INVALID');
        }
        if (access) {
          // The previous opaque access token died with the rotation: forget its cached copy.
          await options.cache.drop(result.session.id);
          return tokenResponse(result.session, access.token, next.token);
        }
        return tokenResponse(result.session, await accessTokenFor(result.session, roles, at), next.token);
      }
      throw sessionsError('REFRESH_TOKEN_INVALID');
    },

    async verifyAccessToken(token) {
      // Only the configured kind passes: after a switch to opaque tokens, JWTs issued before
      // stop at once (clients refresh), and the reverse. Opaque tokens have two dot-separated
      // parts, JWTs three; each verifier refuses the other's shape.
      if (accessKind === 'opaque') return verifyOpaqueAccessToken(token);
      let claims: Awaited<ReturnType<JwtCodec['verify']>>;
      try {
        claims = await options.jwt.verify(token, options.accessTokenClass, { now: now() });
      } catch (error) {
        if (isStoreError(error)) throw error;
        throw coreError('INVALID_TOKEN');
      }
      const sid = typeof claims.sid === 'string' ? claims.sid : null;
      if (!sid) throw coreError('INVALID_TOKEN');
      // One round trip: the token, its session, the user's not-before time and version together.
      const { revoked, userVersion } = await revocation.checkAccessToken({
        tokenId: claims.jti,
        sessionId: sid,
        userId: claims.sub,
        issuedAtMs: claims.iat * 1000,
      });
      if (revoked) throw coreError('INVALID_TOKEN');
      return {
        userId: claims.sub,
        sessionId: sid,
        roles: Array.isArray(claims.roles)
          ? claims.roles.filter((r): r is string => typeof r === 'string')
          : [],
        authMethods: Array.isArray(claims.amr)
          ? claims.amr.filter((m): m is string => typeof m === 'string')
          : [],
        tokenId: claims.jti,
        expiresAt: claims.exp * 1000,
        transport: 'bearer',
        userVersion,
      };
    },

    async logout(principal, meta) {
      const at = now();
      // A JWT has its own id; cookies and opaque tokens are the session itself.
      const selfContained = principal.tokenId !== principal.sessionId;
      const unavailable = (error: unknown, detail: string) => {
        if (!isStoreError(error)) return error;
        return coreError('SERVICE_UNAVAILABLE', { retryAfterSeconds: error.retryAfterSeconds, detail });
      };
      if (selfContained) {
        try {
          // The denylist first: if it cannot record the revocation, the session is left alone
          // and the client is told it is still valid. A write that timed out may still land when
          // a stalled store resumes, so the access token is only said to be possibly valid.
          await revocation.forgetAccessToken(principal.userId, principal.tokenId, principal.expiresAt);
          await revocation.forgetSessions(principal.userId, [principal.sessionId]);
        } catch (error) {
          throw unavailable(
            error,
            'The session was not revoked: its refresh token is still valid, and the access token may be too. Retry the logout.',
          );
        }
      }
      await options.sessions.revoke(principal.userId, principal.sessionId, 'logout', at);
      if (selfContained) {
        // Once more after the row: had the store lost its data after the first write, a rebuild
        // that read SQL before the row was written would have missed this revocation.
        try {
          await revocation.denylistSession(principal.userId, principal.sessionId);
        } catch (error) {
          throw unavailable(
            error,
            'The session was revoked; only if the store lost its data during the logout may the access token be accepted until it expires.',
          );
        }
      }
      if (!selfContained) {
        // The row first, the cache marker second: the row is what outlives the marker.
        try {
          await revocation.forgetSessions(principal.userId, [principal.sessionId]);
        } catch (error) {
          throw unavailable(
            error,
            'The session was revoked, but a cached copy may still be accepted for a few minutes. Retry the logout.',
          );
        }
      }
      await options.audit.record('session.logout', meta, {
        userId: principal.userId,
        sessionId: principal.sessionId,
      });
    },

    async revokeSession(userId, sessionId, meta) {
      const revoked = await options.sessions.revoke(userId, sessionId, 'revoked_by_user', now());
      if (!revoked) return false;
      await revocation.forgetSessions(userId, [sessionId]);
      await options.audit.record('session.revoked', meta, { userId, sessionId });
      return true;
    },

    async revokeOthers(principal, meta) {
      await service.revokeAllForUser(principal.userId, {
        exceptSessionId: principal.sessionId,
        reason: 'revoked_by_user',
      });
      await options.audit.record('session.revoked_others', meta, {
        userId: principal.userId,
        sessionId: principal.sessionId,
      });
    },

    async revokeAllForUser(userId, { exceptSessionId, reason }) {
      const ids = await options.sessions.revokeAllForUser(
        userId,
        reason,
        now(),
        exceptSessionId ? { exceptId: exceptSessionId } : {},
      );
      await revocation.forgetSessions(userId, ids);
    },

    async revokeSingleFactorSessions(userId, { exceptSessionId, reason }) {
      const at = now();
      const singleFactor = (await options.sessions.listActive(userId, at)).filter(
        (session) => session.id !== exceptSessionId && session.secondFactorAt === null,
      );
      const revoked: string[] = [];
      for (const session of singleFactor) {
        if (await options.sessions.revoke(userId, session.id, reason, at)) revoked.push(session.id);
      }
      await revocation.forgetSessions(userId, revoked);
      return revoked;
    },

    async isSessionLive(userId, sessionId) {
      const session = await options.sessions.findById(sessionId);
      const at = now();
      return (
        session !== null &&
        session.userId === userId &&
        session.revokedAt === null &&
        at < session.idleExpiresAt &&
        at < session.absoluteExpiresAt
      );
    },
  };
  return service;
}
