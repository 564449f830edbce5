/**
 * A bounded least-recently-used map from a token to what its signature check established.
 * Only tokens whose signature verified are stored (so only tokens this deployment signed, of
 * bounded size); everything that depends on the time or on the token class is checked again on
 * every hit. The token string itself is the key: an exact match, and cheaper than hashing it
 * (hashing would cost about as much as the HMAC check the cache saves).
 */
export interface VerifiedCache<T> {
  get(token: string): { readonly key: string; readonly value: T | undefined };
  set(key: string, value: T): void;
  delete(key: string): void;
  readonly size: number;
}

export function createVerifiedCache<T>(capacity: number): VerifiedCache<T> {
  const entries = new Map<string, T>();
  return {
    get(token) {
      const key = token;
      const value = entries.get(key);
      if (value !== undefined) {
        // Move to the most recently used end.
        entries.delete(key);
        entries.set(key, value);
      }
      return { key, value };
    },
    set(key, value) {
      if (capacity <= 0) return;
      entries.delete(key);
      if (entries.size >= capacity) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
      entries.set(key, value);
    },
    delete(key) {
      entries.delete(key);
    },
    get size() {
      return entries.size;
    },
  };
}
