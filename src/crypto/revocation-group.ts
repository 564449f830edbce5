/**
 * Which of the revocation groups a user's revocation keys belong to (features/sessions/
 * revocation-keys.ts explains the groups). Here, not in the sessions feature, because the SQL
 * store and the admin feature record it too: a deleted user's session tombstone keeps its
 * group (a number from 0 to 1023, nothing of the user), so a rebuild puts it back into that
 * one group.
 */

/** Number of groups: an even spread over the 16384 slots of a cluster of up to ~100 shards. */
export const REVOCATION_GROUPS = 1024;

/** FNV-1a (32 bit): a fast, stable spread of user ids over the groups; not a security boundary. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The group (0 … REVOCATION_GROUPS - 1) of a user's revocation keys. */
export function revocationGroupOf(userId: string): number {
  return fnv1a(userId) % REVOCATION_GROUPS;
}
