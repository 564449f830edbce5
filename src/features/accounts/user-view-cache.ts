/**
 * Views of signed-in users kept in this process, so `GET /users/me` (and `auth.api.getUser`)
 * answer without SQL in the steady state.
 *
 * Each entry holds the user's version it was read under (the principal's `userVersion`, read
 * in the same round trip as the revocation check; see sessions/revocation.ts). Every change to
 * a user gives it a new version in the shared store, after the change is in the database, so
 * the next request on any worker reads a version no entry holds and goes to the database:
 * correct on every worker without messages between them. A principal without a version (an
 * API key, an opaque token, a cookie cached by an older release) always reads the database.
 *
 * Bounded: at most `maxEntries` users (the oldest filled goes first) and each entry at most
 * `maxAgeMs` old, shorter than a version's lifetime in the store (an entry can never outlive
 * the version that would have told it apart).
 */
import type { UserView } from '../../core/index.ts';

export interface UserViewCache {
  /** The cached view, when it was read under `version`. */
  get(userId: string, version: string | undefined): UserView | undefined;
  /** Keeps `view`, read from the database after `version` was read. */
  set(userId: string, version: string | undefined, view: UserView): void;
}

interface Entry {
  readonly version: string;
  readonly view: UserView;
  readonly expiresAt: number;
}

export function createUserViewCache(options: {
  readonly maxEntries: number;
  readonly maxAgeMs: number;
  /** A monotonic clock in milliseconds. */
  readonly now?: () => number;
}): UserViewCache {
  const now = options.now ?? (() => performance.now());
  const entries = new Map<string, Entry>();
  return {
    get(userId, version) {
      if (version === undefined) return undefined;
      const entry = entries.get(userId);
      if (entry === undefined) return undefined;
      if (entry.version !== version || entry.expiresAt <= now()) {
        entries.delete(userId);
        return undefined;
      }
      return entry.view;
    },
    set(userId, version, view) {
      if (version === undefined) return;
      // Re-inserted, so the Map's order stays the order of filling: the first key is the oldest.
      entries.delete(userId);
      if (entries.size >= options.maxEntries) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
      entries.set(userId, { version, view: Object.freeze(view), expiresAt: now() + options.maxAgeMs });
    },
  };
}
