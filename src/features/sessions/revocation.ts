import type { Denylist } from '../../stores/contract.ts';
import type { SessionRepository } from '../../stores/repositories.ts';
import type { CredentialCache } from './credential-cache.ts';
import { REVOCATION_KEY } from './revocation-keys.ts';
import { createRevocationList, type RebuildReport } from './revocation-list.ts';

export interface SessionRevocationOptions {
  readonly denylist: Denylist;
  /** The cache of checked cookie sessions and opaque access tokens, which revocation marks. */
  readonly cache: CredentialCache;
  readonly sessions: Pick<SessionRepository, 'listRevokedSince'>;
  /** Lifetime of an access token: a revocation outlives every token it could still stop. */
  readonly accessTtlMs: number;
  readonly leewayMs: number;
  readonly now: () => number;
  /** Told when this process rebuilt the denylist from SQL (it was empty: lost, or a first start). */
  readonly onRebuilt?: (report: RebuildReport) => void;
}

/**
 * "These sessions are over, on every worker": the one place revocations are written to the
 * shared stores and access tokens are checked against them. Every transport uses it — bearer
 * tokens, cookie sessions, whoever revokes (logout, refresh reuse, a password change, an admin)
 * — so neither the token service nor the cookie sessions need the other to end a session.
 *
 * The database is the source of truth and is written first; the denylist (JWTs) and the
 * credential cache's markers (cookies, opaque tokens) make the revocation take effect at once.
 */
export interface SessionRevocation {
  /**
   * Makes sessions the database already revoked fail everywhere at once: their JWTs through
   * the denylist, their cached cookies and opaque access tokens through the cache.
   */
  forgetSessions(userId: string, sessionIds: readonly string[]): Promise<void>;
  /** Stops one JWT access token (by its `jti`) until it would have expired (`expiresAt`, epoch ms). */
  forgetAccessToken(userId: string, tokenId: string, expiresAt: number): Promise<void>;
  /** The denylist entry of a session alone, written again after its row (see the token service's logout). */
  denylistSession(userId: string, sessionId: string): Promise<void>;
  /**
   * Whether a JWT access token was revoked: its id, its session, or every token of its user
   * issued before a not-before time. One round trip, answered only from a complete list
   * (rebuilt from SQL first when the store lost its data; a `StoreError` while it cannot be).
   */
  isAccessTokenRevoked(token: {
    readonly tokenId: string;
    readonly sessionId: string;
    readonly userId: string;
    readonly issuedAtMs: number;
  }): Promise<boolean>;
}

export function createSessionRevocation(options: SessionRevocationOptions): SessionRevocation {
  const { denylist, now } = options;
  /** Long enough to outlive every access token issued before the revocation. */
  const sessionTtlMs = options.accessTtlMs + options.leewayMs + 1000;
  /** The denylist, checked only once it is known to hold every revocation SQL knows of. */
  const list = createRevocationList({
    denylist,
    sessions: options.sessions,
    sessionTtlMs,
    now,
    ...(options.onRebuilt ? { onRebuilt: options.onRebuilt } : {}),
  });

  return {
    async forgetSessions(userId, sessionIds) {
      if (sessionIds.length === 0) return;
      await Promise.all([
        ...sessionIds.map((sid) => denylist.add(REVOCATION_KEY.session(userId, sid), sessionTtlMs)),
        options.cache.revoke(sessionIds),
      ]);
    },

    forgetAccessToken: (userId, tokenId, expiresAt) =>
      denylist.add(
        REVOCATION_KEY.token(userId, tokenId),
        Math.max(expiresAt - now(), 0) + options.leewayMs + 1000,
      ),

    denylistSession: (userId, sessionId) =>
      denylist.add(REVOCATION_KEY.session(userId, sessionId), sessionTtlMs),

    async isAccessTokenRevoked(token) {
      // All three keys share the user's hash tag: one MGET on one slot, even on a cluster.
      const [tokenRevoked, sessionRevoked, notBefore] = await list.lookup(token.userId, [
        REVOCATION_KEY.token(token.userId, token.tokenId),
        REVOCATION_KEY.session(token.userId, token.sessionId),
        REVOCATION_KEY.userNotBefore(token.userId),
      ]);
      if (tokenRevoked !== null || sessionRevoked !== null) return true;
      return notBefore !== null && token.issuedAtMs < Number(notBefore);
    },
  };
}
