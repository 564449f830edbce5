/**
 * The client's view of who is signed in, as an external store: `get()` answers the same object
 * until the state changes, so React's `useSyncExternalStore` (and any other subscriber) sees
 * stable snapshots and re-renders only on a change.
 */

/** The public view of a user, as GET /users/me answers it. */
export interface SessionUser {
  readonly id: string;
  readonly email: string;
  readonly emailVerified: boolean;
  readonly name: string | null;
  readonly roles: readonly string[];
  readonly twoFactorEnabled: boolean;
  readonly createdAt: string;
}

/**
 * Why the client is signed out:
 * - `no-session`: no credential (never signed in, or none left from an earlier visit);
 * - `signed-out`: the app signed out (logout, DELETE /auth/session);
 * - `refresh-failed`: the server refused the refresh token (`REFRESH_TOKEN_INVALID`: reused —
 *   someone else used it, so the whole session was revoked — or expired); the tokens are gone;
 * - `session-ended`: the server no longer accepts the session (401 on an authenticated call).
 */
export type SignedOutReason = 'no-session' | 'signed-out' | 'refresh-failed' | 'session-ended';

/** The states of the session. */
export type SessionState =
  | { readonly status: 'loading' }
  | { readonly status: 'signed-in'; readonly user: SessionUser }
  | { readonly status: 'signed-out'; readonly reason: SignedOutReason }
  | { readonly status: 'two-factor-required'; readonly methods: readonly string[] };

/** Subscribe / snapshot, the shape `useSyncExternalStore` takes. */
export interface SessionStore {
  /** The current state; the same object until it changes. */
  get(): SessionState;
  /** Calls `listener` after every change; answers the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** Asks the server who is signed in (GET /users/me) and answers the new state. */
  refresh(): Promise<SessionState>;
}

/** The store plus the setter the client keeps to itself. */
export interface WritableSessionStore extends SessionStore {
  set(state: SessionState): void;
}

/** A store in `initial` state; `load` runs on the first `subscribe` while loading, and on `refresh()`. */
export function createSessionStore(load: () => Promise<SessionState>): WritableSessionStore {
  let state: SessionState = { status: 'loading' };
  const listeners = new Set<() => void>();
  let loading: Promise<SessionState> | null = null;
  const store: WritableSessionStore = {
    get: () => state,
    set(next) {
      if (sameState(state, next)) return;
      state = next;
      for (const listener of [...listeners]) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      if (state.status === 'loading' && loading === null) void store.refresh();
      return () => {
        listeners.delete(listener);
      };
    },
    refresh() {
      // One question in flight at a time: subscribers mounting together share it.
      loading ??= load().finally(() => {
        loading = null;
      });
      return loading;
    },
  };
  return store;
}

function sameState(a: SessionState, b: SessionState): boolean {
  if (a === b) return true;
  if (a.status !== b.status) return false;
  // Equal JSON means an equal value here (plain data from the server), so snapshots stay stable.
  return JSON.stringify(a) === JSON.stringify(b);
}
