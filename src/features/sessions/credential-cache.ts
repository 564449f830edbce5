import { createVerifiedCache } from '../../crypto/verified-cache.ts';
import type { KeyValueStore } from '../../stores/contract.ts';

/**
 * A checked session credential (cookie session or opaque access token), kept in the shared
 * store so that a request costs one store round trip instead of database reads.
 */
export interface CachedCredential {
  readonly userId: string;
  readonly roles: readonly string[];
  readonly authMethods: readonly string[];
  /** Keyed digest the presented secret must match. */
  readonly digest: string;
  /** The credential is refused from then on (access-token expiry, or absolute expiry). */
  readonly expiresAt: number;
  /** Sliding expiry (cookie sessions); equals `expiresAt` for access tokens. */
  readonly idleExpiresAt: number;
  /** When the database last recorded use of the session. */
  readonly touchedAt: number;
  /**
   * The user's version when the credential was checked against the database (revocation.ts):
   * a change to the user drops the user's cached credentials, so a cached one carries the
   * current version. Absent in entries an older release wrote.
   */
  readonly userVersion?: string;
}

export interface CredentialCache {
  /** The cached credential, `'revoked'` when a revocation replaced it, or `null` when absent. */
  get(sessionId: string): Promise<CachedCredential | 'revoked' | null>;
  /**
   * Caches a credential read from the database, unless an entry (a revocation above all) is
   * there already: a read that raced a revocation must not bring the session back.
   */
  fill(sessionId: string, credential: CachedCredential): Promise<void>;
  /**
   * Forgets a cached credential so the next request reads the database (after a slide or a
   * rotation); a revocation marker stays.
   */
  drop(sessionId: string): Promise<void>;
  /** Replaces the entries with revocation markers that outlive any cached copy. */
  revoke(sessionIds: readonly string[]): Promise<void>;
}

const REVOKED = '-';
/** Entries whose parsed form is kept per process (a few MB at most). */
const PARSED_ENTRIES = 10_000;
const key = (sessionId: string) => `sc:${sessionId}`;

export function createCredentialCache(options: {
  readonly store: KeyValueStore;
  readonly ttlMs: number;
  readonly now?: () => number;
}): CredentialCache {
  const now = options.now ?? Date.now;
  // What each recently read entry parses to, by the entry's text: a session's entry is read on
  // every one of its requests, and parsing it was about a twentieth of a cookie check. The
  // text is the key, so a changed entry is parsed afresh; the result is frozen, since requests
  // share it.
  const parsed = createVerifiedCache<CachedCredential>(PARSED_ENTRIES);
  return {
    async get(sessionId) {
      const raw = await options.store.get(key(sessionId));
      if (raw === null) return null;
      if (raw === REVOKED) return 'revoked';
      const known = parsed.get(raw);
      if (known.value !== undefined) return known.value;
      let credential: CachedCredential;
      try {
        credential = frozen(JSON.parse(raw) as CachedCredential);
      } catch {
        // Unreadable (another version wrote it?): treat as absent and re-read the database.
        return null;
      }
      parsed.set(known.key, credential);
      return credential;
    },
    async fill(sessionId, credential) {
      const ttlMs = Math.min(options.ttlMs, credential.expiresAt - now());
      if (ttlMs <= 0) return;
      await options.store.setIfAbsent(key(sessionId), JSON.stringify(credential), ttlMs);
    },
    async drop(sessionId) {
      // Never lose a revocation marker: if the entry was one, it goes straight back. A fill
      // that slipped in between is overwritten by it, and later fills find it and give up.
      const previous = await options.store.getAndDelete(key(sessionId));
      if (previous === REVOKED) await options.store.set(key(sessionId), REVOKED, options.ttlMs);
    },
    async revoke(sessionIds) {
      // A marker, not a delete: `fill` never overwrites it, so a lookup that read the row just
      // before the revocation cannot put the live session back into the cache.
      await Promise.all(sessionIds.map((id) => options.store.set(key(id), REVOKED, options.ttlMs)));
    },
  };
}

function frozen(credential: CachedCredential): CachedCredential {
  Object.freeze(credential.roles);
  Object.freeze(credential.authMethods);
  return Object.freeze(credential);
}
