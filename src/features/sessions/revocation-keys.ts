/**
 * The revocation check's keys, grouped so that one request's check is one command on every
 * Redis topology.
 *
 * Redis Cluster refuses a multi-key command (MGET, a Lua script) whose keys hash to different
 * slots; it hashes only the part of a key inside its first `{…}` (the hash tag) when there is
 * one. So every key one authenticated request reads together carries the same tag, derived
 * from the user id: the token id, the session id, the user's not-before epoch, and the
 * completeness marker of that group (see revocation-list.ts). Anything else a request must
 * read in the same round trip (a per-user version, say) takes the same tag: build it with
 * {@link revocationTag}.
 *
 * Why groups and not one tag per user: the "complete" marker must sit in the same slot as the
 * keys it vouches for. A single global marker would live on one shard, and a different shard
 * losing its data (a restart without persistence, a failover to an empty replica) would go
 * unnoticed; one marker per user could not be re-created for users the rebuild does not know
 * to be active. So users are spread over {@link REVOCATION_GROUPS} groups, each with its own
 * marker: a shard that loses data loses exactly the markers of the groups it held, and those
 * groups are rebuilt from SQL.
 */

import { createHash } from 'node:crypto';
import { REVOCATION_GROUPS, revocationGroupOf } from '../../crypto/revocation-group.ts';
import { createVerifiedCache } from '../../crypto/verified-cache.ts';

export { REVOCATION_GROUPS, revocationGroupOf };

/** The hash tag of a group, e.g. `{r517}`. */
export function groupTag(group: number): string {
  return `{r${group}}`;
}

/** The hash tag every key of this user's revocation check carries. */
export function revocationTag(userId: string): string {
  return groupTag(revocationGroupOf(userId));
}

/** Keys of the revocation entries an access token is checked against (all in the user's group). */
export const REVOCATION_KEY = {
  token: (userId: string, jti: string) => `rev:${revocationTag(userId)}:jti:${jti}`,
  session: (userId: string, sid: string) => `rev:${revocationTag(userId)}:sid:${sid}`,
  /** A session revocation written into a given group (the rebuild's tombstones go to every group). */
  sessionInGroup: (group: number, sid: string) => `rev:${groupTag(group)}:sid:${sid}`,
  userNotBefore: (userId: string) => `rev:${revocationTag(userId)}:nbf:${userId}`,
  /**
   * The user's version: a random value written after every change to the user, read in the
   * same MGET as the token's keys, so every worker's cached view of the user is checked
   * against it on every request (see user-versions.ts). Named by a one-way digest of the id,
   * not the id: the key outlives a hard delete by up to a day (it must, to outlive the caches
   * it invalidates), and an erased user must not stay findable by id in the store.
   */
  userVersion: (userId: string) => {
    const known = versionKeys.get(userId);
    if (known.value !== undefined) return known.value;
    const key = `rev:${revocationTag(userId)}:ver:${userIdDigest(userId)}`;
    versionKeys.set(known.key, key);
    return key;
  },
} as const;

/**
 * Recent users' version keys: every bearer request names its user's, and the SHA-256 in it was
 * the dearest step of building a request's revocation keys. Derived from the id alone, so a
 * remembered key is always the key.
 */
const versionKeys = createVerifiedCache<string>(10_000);

/** SHA-256 of the user id, base64url, first 128 bits: unlinkable once the id is erased. */
function userIdDigest(userId: string): string {
  return createHash('sha256').update(userId).digest('base64url').slice(0, 22);
}

/** The marker saying a group's entries are complete (`complete:…`) or being rebuilt (`pending:…`). */
export function completenessMarkerKey(group: number): string {
  return `rev:${groupTag(group)}:complete`;
}
