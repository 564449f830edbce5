/**
 * Lua for the read-modify-write operations, so each runs as one atomic step on the server.
 * Every script writes at most one key, named in KEYS[1], so they also run on Redis Cluster.
 */
import { createHash } from 'node:crypto';

/** A Lua script and the SHA-1 that `EVALSHA` names it by. */
export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

function defineScript(lua: string): LuaScript {
  return Object.freeze({ lua, sha: createHash('sha1').update(lua).digest('hex') });
}

/**
 * KEYS[1] counter, ARGV[1] increment, ARGV[2] TTL in ms. Returns `{ value, ttlMs }`.
 * The expiry is set only when the key has none (it was just created), so increments never
 * extend the window. `PTTL` is -1 exactly when the key has no expiry.
 */
export const INCREMENT_SCRIPT = defineScript(`
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  ttl = tonumber(ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return {value, ttl}
`);

/**
 * KEYS[1] revocation, ARGV[1] TTL in ms, ARGV[2] value. Writes the value and keeps the later
 * of the current and the requested expiry, since shortening a revocation re-admits what it
 * revoked. `PTTL` is negative when the key is absent (-2) or, never by our hand, has no
 * expiry (-1); either way the requested TTL applies.
 */
export const DENYLIST_ADD_SCRIPT = defineScript(`
local ttl = tonumber(ARGV[1])
local remaining = redis.call('PTTL', KEYS[1])
if remaining > ttl then
  ttl = remaining
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
return 1
`);
