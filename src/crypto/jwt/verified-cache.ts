import { createHash } from 'node:crypto';

/**
 * A bounded least-recently-used map from a token's SHA-256 to what its signature check
 * established. Only tokens whose signature verified are stored; everything that depends on the
 * time or on the token class is checked again on every hit.
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
      // UTF-16 keeps distinct strings distinct: Latin-1 would fold a non-ASCII variant of a
      // cached token onto the cached token's key.
      const key = createHash('sha256').update(token, 'utf16le').digest('base64');
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
