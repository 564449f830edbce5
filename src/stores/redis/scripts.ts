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
 * KEYS[1] counter, ARGV[1] limit, ARGV[2] TTL in ms. Returns `{ granted (1|0), value, ttlMs }`.
 * Adds 1 only while the value is below the limit, so the check and the count are one step;
 * a refused call writes nothing (it only gives an expiry to a key found without one). The
 * expiry is set when the counter is created, as in {@link INCREMENT_SCRIPT}.
 */
export const RESERVE_SCRIPT = defineScript(`
local limit = tonumber(ARGV[1])
local value = tonumber(redis.call('GET', KEYS[1]) or '0')
local granted = 0
if value < limit then
  value = redis.call('INCR', KEYS[1])
  granted = 1
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  ttl = tonumber(ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return {granted, value, ttl}
`);

/**
 * KEYS[1] counter. Gives one unit back: `DECR` only above 0, so it never creates the key nor
 * goes negative, and it keeps the key's expiry.
 */
export const RELEASE_SCRIPT = defineScript(`
local value = tonumber(redis.call('GET', KEYS[1]) or '0')
if value > 0 then
  redis.call('DECR', KEYS[1])
end
return 1
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

/**
 * KEYS[1] entry, ARGV[1] TTL in ms, ARGV[2] new value, ARGV[3] `absent` (write only if there is
 * no entry) or `present` (write only if the entry holds ARGV[4]). Returns 1 when it wrote.
 * `GET` answers `false` in Lua for an absent key, which equals no string.
 */
export const DENYLIST_COMPARE_AND_SET_SCRIPT = defineScript(`
local current = redis.call('GET', KEYS[1])
if ARGV[3] == 'absent' then
  if current then
    return 0
  end
elseif current ~= ARGV[4] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', tonumber(ARGV[1]))
return 1
`);

/**
 * GCRA rate limiting. KEYS[1] state, ARGV[1] limit, ARGV[2] window in ms, ARGV[3] cost.
 * Returns `{ allowed (1|0), remaining, retryAfterMs, resetMs }`.
 *
 * The time comes from the server (`TIME`), so workers with skewed clocks agree. A script that
 * reads `TIME` and then writes must be replicated by its effects (the `SET` it ran), which is
 * the only mode since Redis 7 and the default since Redis 5.
 *
 * The state is the theoretical arrival time as `"<ms>:<remainder>"`, the remainder in units of
 * `1 / limit` ms, so every sum is an exact integer below 2^53 (see the memory limiter for why
 * no fraction is ever rounded). Numbers are written with `%d`: Lua's default formatting keeps
 * only 14 digits. An allowed request writes the new state with `PX` set to the time until its
 * TAT passes (then the key is the same as an absent one); a refused one writes nothing, and
 * only gives an expiry to a key found without one.
 */
export const RATE_LIMIT_SCRIPT = defineScript(`
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local capacity = window * limit
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ahead = 0
local state = redis.call('GET', KEYS[1])
if state then
  local tatMs, remainder = string.match(state, '^(%d+):(%d+)$')
  if not tatMs then
    return redis.error_reply('ERR rate limiter state is malformed')
  end
  tatMs = tonumber(tatMs)
  if tatMs >= now then
    ahead = math.min((tatMs - now) * limit + math.min(tonumber(remainder), limit - 1), capacity)
  end
end
local after = ahead + cost * window
if after > capacity then
  if ahead > 0 and redis.call('PTTL', KEYS[1]) == -1 then
    redis.call('PEXPIRE', KEYS[1], math.ceil(ahead / limit))
  end
  return {0, 0, math.ceil((after - capacity) / limit), math.ceil(ahead / limit)}
end
local wholeMs = math.floor(after / limit)
local resetMs = math.ceil(after / limit)
redis.call('SET', KEYS[1], string.format('%d:%d', now + wholeMs, after - wholeMs * limit), 'PX', resetMs)
local remaining = math.floor((capacity - after) / window)
local retryAfterMs = 0
if remaining == 0 then
  retryAfterMs = math.ceil((after + window - capacity) / limit)
end
return {1, remaining, retryAfterMs, resetMs}
`);
