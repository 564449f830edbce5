import { createHash, createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';

/** One digest key: `id` is written into every digest it makes, so rotation is "add a key". */
export interface DigestKey {
  readonly id: string;
  readonly key: KeyObject;
}

/** Where a digester finds its keys (a keyring's purpose keys, for example). */
export interface DigestKeys {
  /** The key that digests new values. */
  active(): DigestKey;
  /** The key a stored digest names, or `null` when it left the ring. */
  byId(id: string): DigestKey | null;
}

export interface Digester {
  /** `${keyId}.${base64url HMAC-SHA-256(value)}` with the active key. */
  digest(value: string): string;
  /**
   * Whether `digest` is the digest of `value` under the key it names. Constant time in the
   * value; `false` (never a throw) for an unknown key id or a malformed digest.
   */
  matches(value: string, digest: string): boolean;
}

/** base64url of 32 bytes: 43 characters, the last one carrying 2 zero bits. */
const MAC_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
/** Longest digest string `matches` reads; key ids are short labels. */
const MAX_DIGEST_LENGTH = 256;

/**
 * Keyed digests of bearer secrets (refresh tokens, session ids, API keys, reset tokens) and of
 * identifiers that must not be stored in clear. A database leak then reveals nothing usable
 * without the key, and HMAC with a prepared `KeyObject` costs about a microsecond.
 */
export function createDigester(keys: DigestKeys): Digester {
  const mac = (key: KeyObject, value: string): string =>
    createHmac('sha256', key).update(value, 'utf8').digest('base64url');

  return Object.freeze({
    digest(value: string): string {
      if (typeof value !== 'string') throw new TypeError('only strings can be digested');
      const { id, key } = keys.active();
      return `${id}.${mac(key, value)}`;
    },

    matches(value: string, digest: string): boolean {
      if (typeof value !== 'string' || typeof digest !== 'string' || digest.length > MAX_DIGEST_LENGTH)
        return false;
      // The MAC is base64url and never holds a dot, so the last dot ends the key id.
      const dot = digest.lastIndexOf('.');
      if (dot <= 0) return false;
      const presented = digest.slice(dot + 1);
      if (!MAC_PATTERN.test(presented)) return false;
      const key = keys.byId(digest.slice(0, dot));
      if (!key) return false;
      // Both sides are exactly 32 bytes (the pattern above fixes the stored one's length), so
      // the MACs are compared as bytes at once, without hashing them to a common length first.
      const expected = createHmac('sha256', key.key).update(value, 'utf8').digest();
      return timingSafeEqual(expected, Buffer.from(presented, 'base64url'));
    },
  });
}

/**
 * String equality whose time does not depend on where, or whether, the strings differ, nor on
 * their lengths: both sides are hashed to 32 bytes first and the hashes compared with
 * `timingSafeEqual`. UTF-16 encoding keeps every JavaScript string distinct (UTF-8 would map
 * two different lone surrogates to the same U+FFFD bytes).
 */
export function constantTimeEqual(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const left = createHash('sha256').update(a, 'utf16le').digest();
  const right = createHash('sha256').update(b, 'utf16le').digest();
  return timingSafeEqual(left, right);
}
