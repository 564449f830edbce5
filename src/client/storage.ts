/**
 * Where the client keeps what must outlive one call: the bearer transport's tokens, and the
 * PKCE verifier of an OAuth sign-in across the provider's redirect. Synchronous or not.
 */
export interface ClientStorage {
  get(key: string): string | null | Promise<string | null>;
  set(key: string, value: string): void | Promise<void>;
  delete(key: string): void | Promise<void>;
}

/** Kept in this page's memory only (the default for tokens): gone on reload, out of reach of other scripts' storage reads. */
export function memoryStorage(): ClientStorage {
  const values = new Map<string, string>();
  return {
    get: (key) => values.get(key) ?? null,
    set: (key, value) => {
      values.set(key, value);
    },
    delete: (key) => {
      values.delete(key);
    },
  };
}

/** The part of the Web Storage API the adapters use. */
export interface WebStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Adapts a Web Storage object (localStorage, sessionStorage) to {@link ClientStorage}. */
export function webStorage(storage: WebStorageLike): ClientStorage {
  return {
    get: (key) => storage.getItem(key),
    set: (key, value) => storage.setItem(key, value),
    delete: (key) => storage.removeItem(key),
  };
}

function globalStorage(name: 'localStorage' | 'sessionStorage'): WebStorageLike | undefined {
  try {
    return (globalThis as { [key: string]: unknown })[name] as WebStorageLike | undefined;
  } catch {
    // Reading localStorage throws where storage is blocked (sandboxed frames, some privacy modes).
    return undefined;
  }
}

/**
 * Tokens in `localStorage`: they survive reloads and are shared by the origin's tabs, but any
 * script running on the origin (an XSS, a compromised dependency) can read and exfiltrate them.
 * Not the default; prefer the cookie transport for browsers (docs/CLIENT.md, "Storage").
 *
 * @throws {Error} where there is no `localStorage`.
 */
export function localStorageAdapter(
  storage: WebStorageLike | undefined = globalStorage('localStorage'),
): ClientStorage {
  if (storage === undefined) throw new Error('localStorage is not available here');
  return webStorage(storage);
}

/** `sessionStorage` when the runtime has it (this tab, across the OAuth redirect), else memory. */
export function sessionStorageOrMemory(): ClientStorage {
  const storage = globalStorage('sessionStorage');
  return storage === undefined ? memoryStorage() : webStorage(storage);
}
