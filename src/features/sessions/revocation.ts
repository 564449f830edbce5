import { randomUUID } from 'node:crypto';
import type { Denylist } from '../../stores/contract.ts';
import type { SessionRepository } from '../../stores/repositories.ts';
import type { CredentialCache } from './credential-cache.ts';
import { REVOCATION_KEY } from './revocation-keys.ts';
import { createRevocationList, type RebuildReport } from './revocation-list.ts';

export interface SessionRevocationOptions {
  readonly denylist: Denylist;
  /** The cache of checked cookie sessions and opaque access tokens, which revocation marks. */
  readonly cache: CredentialCache;
  readonly sessions: Pick<SessionRepository, 'listRevokedSince' | 'listActive'>;
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
  isAccessTokenRevoked(token: AccessTokenIds): Promise<boolean>;
  /**
   * {@link isAccessTokenRevoked} and the user's version ({@link userVersion}) in the same
   * round trip: the user's version key shares the token's keys' hash tag, so it is one more
   * key of the same MGET.
   */
  checkAccessToken(token: AccessTokenIds): Promise<{ revoked: boolean; userVersion: string }>;
  /**
   * The user's version now: the value written by the last {@link userChanged}, joined to the
   * value of the "complete" marker it was read with (a rebuild after a data loss changes it,
   * so a version read before the loss never matches one read after). A view of the user
   * cached with a version is current while the version read for a request is the same.
   */
  userVersion(userId: string): Promise<string>;
  /**
   * Gives the user a new version, after the change is in the database: every worker's cached
   * view of the user stops matching at its next request. The user's cached cookie and opaque
   * credentials are dropped too (they carry the version they were checked with), so their
   * next request reads the database and the new version.
   */
  userChanged(userId: string): Promise<void>;
}

interface AccessTokenIds {
  readonly tokenId: string;
  readonly sessionId: string;
  readonly userId: string;
  readonly issuedAtMs: number;
}

/**
 * A user version outlives every cache entry that could hold an older one: the accounts
 * feature keeps a view for at most 10 minutes (user-view-cache.ts), so an entry read before a
 * change can never meet the absent version the key's expiry leaves behind (which would look
 * like "no change since").
 */
const USER_VERSION_TTL_MS = 24 * 60 * 60 * 1000;
const NO_VERSION = '-';

export function createSessionRevocation(options: SessionRevocationOptions): SessionRevocation {
  async function checkAccessToken(token: AccessTokenIds): Promise<{ revoked: boolean; userVersion: string }> {
    // Every key shares the user's hash tag: one MGET on one slot, even on a cluster.
    const { marker, values } = await list.read(token.userId, [
      REVOCATION_KEY.token(token.userId, token.tokenId),
      REVOCATION_KEY.session(token.userId, token.sessionId),
      REVOCATION_KEY.userNotBefore(token.userId),
      REVOCATION_KEY.userVersion(token.userId),
    ]);
    const [tokenRevoked, sessionRevoked, notBefore, version] = values;
    const revoked =
      tokenRevoked != null ||
      sessionRevoked != null ||
      (notBefore != null && token.issuedAtMs < Number(notBefore));
    return { revoked, userVersion: `${marker}/${version ?? NO_VERSION}` };
  }

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
      return (await checkAccessToken(token)).revoked;
    },
    checkAccessToken,

    async userVersion(userId) {
      const { marker, values } = await list.read(userId, [REVOCATION_KEY.userVersion(userId)]);
      return `${marker}/${values[0] ?? NO_VERSION}`;
    },

    async userChanged(userId) {
      await denylist.add(REVOCATION_KEY.userVersion(userId), USER_VERSION_TTL_MS, randomUUID());
      const live = await options.sessions.listActive(userId, now());
      await Promise.all(live.map((session) => options.cache.drop(session.id)));
    },
  };
}
