/**
 * How the Redis stores name keys, and what Redis Cluster makes of those names.
 *
 * A key is `<keyPrefix><namespace><caller's key>`, e.g. `gh:deny:rev:{r517}:sid:…`. Redis
 * Cluster places a key by the part inside its first `{…}` (the hash tag) when there is one, by
 * the whole key otherwise. So:
 * - Single-key commands and the Lua scripts (each touches only KEYS[1]) work on any topology
 *   whatever the key.
 * - A multi-key read (`Denylist.getMany`) is one MGET when all its keys carry the same tag;
 *   callers that need one round trip (the revocation check) build their keys that way. On a
 *   cluster, keys with different or no tags are read with one GET per key, sent at once.
 * - The prefix and namespaces hold no braces, so the first `{…}` is always the caller's.
 */

/** One namespace per store, so the same caller key in two stores names two Redis keys. */
export const NAMESPACES = {
  keyValue: 'kv:',
  once: 'once:',
  counters: 'ctr:',
  denylist: 'deny:',
  rateLimiter: 'rl:',
} as const;

/** Maps a caller's key to the full Redis key of one store (prefix and namespace applied). */
export type KeyNamer = (key: string) => string;

export function keyNamer(prefix: string): KeyNamer {
  return (key) => prefix + key;
}

/**
 * The hash tag Redis Cluster would hash for `key` (the text between the first `{` and the
 * first `}` after it, when not empty), or `null` when the whole key is hashed.
 */
export function hashTagOf(key: string): string | null {
  const open = key.indexOf('{');
  if (open === -1) return null;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return null;
  return key.slice(open + 1, close);
}

/** Whether every key hashes to the same slot because they share one hash tag. */
export function shareHashTag(keys: readonly string[]): boolean {
  const first = keys[0];
  if (first === undefined) return true;
  const tag = hashTagOf(first);
  return tag !== null && keys.every((key) => hashTagOf(key) === tag);
}

/** Whether a key prefix would take over the hash tag of every key (refused on a cluster). */
export function prefixHasBraces(prefix: string): boolean {
  return prefix.includes('{') || prefix.includes('}');
}
