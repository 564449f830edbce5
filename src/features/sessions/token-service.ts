import { randomUUID } from 'node:crypto';
import type { AuditLog, Principal, RequestMeta, SessionIssuer, TokenResponse } from '../../core/index.ts';
import { coreError } from '../../core/index.ts';
import { newId } from '../../crypto/ids.ts';
import type { JwtCodec, TokenClass } from '../../crypto/jwt/index.ts';
import { newOpaqueToken, parseOpaqueToken } from '../../crypto/opaque-token.ts';
import { type Denylist, isStoreError } from '../../stores/contract.ts';
import type { Session, SessionRepository } from '../../stores/repositories.ts';
import { sessionsError } from './error-codes.ts';

export interface TokenServiceOptions {
  readonly sessions: SessionRepository;
  readonly denylist: Denylist;
  readonly audit: AuditLog;
  readonly jwt: JwtCodec;
  readonly accessTokenClass: TokenClass;
  /** Keyed digests of refresh secrets: `digest` makes one, `candidates` gives one per key of the ring. */
  readonly refreshDigests: {
    digest(secret: string): string;
    candidates(secret: string): readonly string[];
  };
  readonly ipDigest: (ip: string) => string;
  /** Current roles of an active user, or `null` when the user is gone or deactivated. */
  readonly rolesOf: (userId: string) => Promise<readonly string[] | null>;
  readonly refreshAbsoluteTtlMs: number;
  readonly refreshIdleTtlMs: number;
  readonly leewayMs: number;
  readonly now?: () => number;
}

export interface TokenService extends SessionIssuer {
  /** Rotates a refresh token; a token presented twice revokes its whole session. */
  refresh(refreshToken: string, meta: RequestMeta): Promise<TokenResponse>;
  /** Checks a bearer access token: signature, claims, and the one revocation lookup. */
  verifyAccessToken(token: string): Promise<Principal>;
  /** Reads the `Authorization: Bearer` header; `null` without one. */
  authenticate(request: Request): Promise<Principal | null>;
  /** Revokes the caller's access token and session on every worker. */
  logout(principal: Principal, meta: RequestMeta): Promise<void>;
  /** Revokes one of the user's sessions; `false` when it is unknown or someone else's. */
  revokeSession(userId: string, sessionId: string, meta: RequestMeta): Promise<boolean>;
  /** Revokes every session of the caller except the current one. */
  revokeOthers(principal: Principal, meta: RequestMeta): Promise<void>;
}

/** Revocation entries live as long as any access token they could still stop. */
const KEY = {
  token: (jti: string) => `rev:jti:${jti}`,
  session: (sid: string) => `rev:sid:${sid}`,
  userNotBefore: (userId: string) => `rev:nbf:${userId}`,
} as const;

/** RFC 7235: the scheme name is case-insensitive; the token is RFC 6750's b64token. */
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i;

/**
 * Bearer sessions: a short-lived JWT access token plus an opaque refresh token
 * (`<sessionId>.<secret>`, stored only as a keyed digest) rotated on every use.
 *
 * Revocation is recorded in the shared denylist, so it takes effect on every worker at once;
 * each authenticated request makes exactly one denylist lookup covering the token id, the
 * session id and the user's not-before time.
 */
export function createTokenService(options: TokenServiceOptions): TokenService {
  const now = options.now ?? Date.now;
  const accessTtlMs = options.accessTokenClass.lifetimeSeconds * 1000;
  /** Long enough to outlive every access token issued before the revocation. */
  const revocationTtlMs = accessTtlMs + options.leewayMs + 1000;

  async function accessTokenFor(session: Session, roles: readonly string[], at: number): Promise<string> {
    return options.jwt.sign(
      options.accessTokenClass,
      { sub: session.userId, sid: session.id, jti: randomUUID(), amr: session.authMethods, roles },
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

  async function denySessions(sessionIds: readonly string[]): Promise<void> {
    await Promise.all(sessionIds.map((sid) => options.denylist.add(KEY.session(sid), revocationTtlMs)));
  }

  const service: TokenService = {
    async issue(user, meta, { authMethods }) {
      const at = now();
      const sessionId = newId();
      const refresh = newOpaqueToken(sessionId);
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
      });
      return tokenResponse(session, await accessTokenFor(session, user.roles, at), refresh.token);
    },

    async refresh(refreshToken, meta) {
      const parsed = parseOpaqueToken(refreshToken);
      if (!parsed) throw sessionsError('REFRESH_TOKEN_INVALID');
      const at = now();
      const next = newOpaqueToken(parsed.id);
      const nextDigest = options.refreshDigests.digest(next.secret);
      // Try the digest under each key of the ring: a token issued before a secret rotation was
      // digested with the previous key.
      for (const presented of options.refreshDigests.candidates(parsed.secret)) {
        const result = await options.sessions.rotate(parsed.id, presented, nextDigest, {
          now: at,
          idleExpiresAt: at + options.refreshIdleTtlMs,
        });
        if (result.outcome === 'invalid') continue;
        if (result.outcome === 'reused') {
          // A rotated token came back: either the client or a thief holds a copy. Kill the
          // session (and its live access token) so neither can go on.
          await options.sessions.revoke(result.session.userId, result.session.id, 'refresh_token_reuse', at);
          await denySessions([result.session.id]);
          await options.audit.record('session.refresh_reuse', meta, {
            userId: result.session.userId,
            sessionId: result.session.id,
          });
          throw sessionsError('REFRESH_TOKEN_INVALID');
        }
        const roles = await options.rolesOf(result.session.userId);
        if (roles === null) {
          // The user was deleted or deactivated since the session started.
          await options.sessions.revoke(result.session.userId, result.session.id, 'user_inactive', at);
          throw sessionsError('REFRESH_TOKEN_INVALID');
        }
        return tokenResponse(result.session, await accessTokenFor(result.session, roles, at), next.token);
      }
      throw sessionsError('REFRESH_TOKEN_INVALID');
    },

    async verifyAccessToken(token) {
      let claims: Awaited<ReturnType<JwtCodec['verify']>>;
      try {
        claims = await options.jwt.verify(token, options.accessTokenClass, { now: now() });
      } catch (error) {
        if (isStoreError(error)) throw error;
        throw coreError('INVALID_TOKEN');
      }
      const sid = typeof claims.sid === 'string' ? claims.sid : null;
      if (!sid) throw coreError('INVALID_TOKEN');
      // One round trip: the token, its session and the user's not-before time together.
      const [tokenRevoked, sessionRevoked, notBefore] = await options.denylist.getMany([
        KEY.token(claims.jti),
        KEY.session(sid),
        KEY.userNotBefore(claims.sub),
      ]);
      if (tokenRevoked !== null || sessionRevoked !== null) throw coreError('INVALID_TOKEN');
      if (notBefore !== null && claims.iat * 1000 < Number(notBefore)) throw coreError('INVALID_TOKEN');
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
      };
    },

    async authenticate(request) {
      const header = request.headers.get('authorization');
      if (header === null) return null;
      const match = BEARER.exec(header);
      if (!match?.[1]) throw coreError('INVALID_TOKEN');
      return service.verifyAccessToken(match[1]);
    },

    async logout(principal, meta) {
      const at = now();
      try {
        // The denylist first: if it cannot record the revocation, the session is left alone and
        // the client is told it is still valid. A write that timed out may still land when a
        // stalled store resumes, so the access token is only said to be possibly valid.
        await options.denylist.add(
          KEY.token(principal.tokenId),
          Math.max(principal.expiresAt - at, 0) + options.leewayMs + 1000,
        );
        await options.denylist.add(KEY.session(principal.sessionId), revocationTtlMs);
      } catch (error) {
        if (!isStoreError(error)) throw error;
        throw coreError('SERVICE_UNAVAILABLE', {
          retryAfterSeconds: error.retryAfterSeconds,
          detail:
            'The session was not revoked: its refresh token is still valid, and the access token may be too. Retry the logout.',
        });
      }
      await options.sessions.revoke(principal.userId, principal.sessionId, 'logout', at);
      await options.audit.record('session.logout', meta, {
        userId: principal.userId,
        sessionId: principal.sessionId,
      });
    },

    async revokeSession(userId, sessionId, meta) {
      const revoked = await options.sessions.revoke(userId, sessionId, 'revoked_by_user', now());
      if (!revoked) return false;
      await denySessions([sessionId]);
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
      await denySessions(ids);
    },
  };
  return service;
}
