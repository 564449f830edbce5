/**
 * The four Redis stores. Each method is one command or one Lua script, so it is atomic across
 * every process sharing the server, and every key it writes carries an expiry.
 */

import {
  assertIncrement,
  assertKey,
  assertKeys,
  assertLimit,
  assertTtlMs,
  assertValue,
} from '../arguments.ts';
import {
  type CounterReservation,
  type CounterStore,
  type CounterValue,
  type Denylist,
  type KeyValueStore,
  type OnceStore,
  type StoreCapabilities,
  StoreError,
} from '../contract.ts';
import type { CommandRunner } from './command-runner.ts';
import { type KeyNamer, shareHashTag } from './keys.ts';
import {
  DENYLIST_ADD_SCRIPT,
  DENYLIST_COMPARE_AND_SET_SCRIPT,
  INCREMENT_SCRIPT,
  RELEASE_SCRIPT,
  RESERVE_SCRIPT,
} from './scripts.ts';

/** Value recorded by `Denylist.add` when none is given (the contract's default). */
const DEFAULT_DENYLIST_VALUE = '1';
/** What a single-use marker holds; only its presence matters. */
const CONSUMED_MARKER = '1';
/** `compareAndSet` flags: the caller expects the entry absent, or holding a given value. */
const ABSENT = 'absent';
const PRESENT = 'present';

/** A reply of a shape no supported client produces: fail the operation rather than guess. */
export function unexpectedReply(expected: string): StoreError {
  return new StoreError('unavailable', `Unexpected Redis reply: expected ${expected}`);
}

function asNullableString(reply: unknown): string | null {
  if (reply === null || typeof reply === 'string') return reply;
  throw unexpectedReply('a string or nil');
}

/** Integers arrive as numbers, or as strings from a client set to `stringNumbers`. */
export function asInteger(reply: unknown): number {
  if (typeof reply === 'number' && Number.isSafeInteger(reply)) return reply;
  if (typeof reply === 'string' && /^-?\d+$/.test(reply) && Number.isSafeInteger(Number(reply)))
    return Number(reply);
  throw unexpectedReply('an integer');
}

export function createRedisKeyValueStore(
  redis: CommandRunner,
  name: KeyNamer,
  capabilities: StoreCapabilities,
): KeyValueStore {
  return {
    capabilities,
    async get(key) {
      assertKey(key);
      return asNullableString(await redis.call('GET', name(key)));
    },
    async set(key, value, ttlMs) {
      assertKey(key);
      assertValue(value);
      assertTtlMs(ttlMs);
      await redis.call('SET', name(key), value, 'PX', ttlMs);
    },
    async setIfAbsent(key, value, ttlMs) {
      assertKey(key);
      assertValue(value);
      assertTtlMs(ttlMs);
      return (await redis.call('SET', name(key), value, 'PX', ttlMs, 'NX')) !== null;
    },
    async getAndDelete(key) {
      assertKey(key);
      // GETDEL (Redis ≥ 6.2) reads and deletes in one command.
      // Durable: a one-time value taken must stay taken after a failover.
      return asNullableString(await redis.callDurably('GETDEL', name(key)));
    },
    async delete(key) {
      assertKey(key);
      return asInteger(await redis.call('DEL', name(key))) > 0;
    },
  };
}

export function createRedisOnceStore(
  redis: CommandRunner,
  name: KeyNamer,
  capabilities: StoreCapabilities,
): OnceStore {
  return {
    capabilities,
    async consumeOnce(key, ttlMs) {
      assertKey(key);
      assertTtlMs(ttlMs);
      // SET NX answers OK to the one caller that created the marker and nil to everyone else.
      // Durable: a marker lost in a failover would let the item be used a second time.
      return (await redis.callDurably('SET', name(key), CONSUMED_MARKER, 'PX', ttlMs, 'NX')) !== null;
    },
    async isConsumed(key) {
      assertKey(key);
      return asInteger(await redis.call('EXISTS', name(key))) > 0;
    },
  };
}

export function createRedisCounterStore(
  redis: CommandRunner,
  name: KeyNamer,
  capabilities: StoreCapabilities,
): CounterStore {
  return {
    capabilities,
    async increment(key, ttlMs, by = 1): Promise<CounterValue> {
      assertKey(key);
      assertTtlMs(ttlMs);
      assertIncrement(by);
      const reply = await redis.evalScript(INCREMENT_SCRIPT, [name(key)], [by, ttlMs]);
      if (!Array.isArray(reply) || reply.length !== 2) throw unexpectedReply('[value, ttl]');
      return { value: asInteger(reply[0]), ttlMs: asInteger(reply[1]) };
    },
    async reserve(key, limit, ttlMs): Promise<CounterReservation> {
      assertKey(key);
      assertLimit(limit);
      assertTtlMs(ttlMs);
      const reply = await redis.evalScript(RESERVE_SCRIPT, [name(key)], [limit, ttlMs]);
      if (!Array.isArray(reply) || reply.length !== 3) throw unexpectedReply('[granted, value, ttl]');
      return { granted: asInteger(reply[0]) === 1, value: asInteger(reply[1]), ttlMs: asInteger(reply[2]) };
    },
    async release(key) {
      assertKey(key);
      await redis.evalScript(RELEASE_SCRIPT, [name(key)], []);
    },
    async expire(key, ttlMs) {
      assertKey(key);
      assertTtlMs(ttlMs);
      return asInteger(await redis.call('PEXPIRE', name(key), ttlMs)) === 1;
    },
    async peek(key) {
      assertKey(key);
      const value = asNullableString(await redis.call('GET', name(key)));
      return value === null ? 0 : Number(value);
    },
    async reset(key) {
      assertKey(key);
      await redis.call('DEL', name(key));
    },
  };
}

export function createRedisDenylist(
  redis: CommandRunner,
  name: KeyNamer,
  capabilities: StoreCapabilities,
  /** Redis Cluster: an MGET must not span slots (see keys.ts). */
  sharded = false,
): Denylist {
  return {
    capabilities,
    async add(key, ttlMs, value = DEFAULT_DENYLIST_VALUE) {
      assertKey(key);
      assertTtlMs(ttlMs);
      assertValue(value);
      // Durable: a revocation lost in a failover would let the credential back in.
      await redis.evalScriptDurably(DENYLIST_ADD_SCRIPT, [name(key)], [ttlMs, value]);
    },
    async get(key) {
      assertKey(key);
      return asNullableString(await redis.call('GET', name(key)));
    },
    async getMany(keys) {
      assertKeys(keys);
      // MGET refuses an empty key list; nothing to look up means no round trip.
      if (keys.length === 0) return [];
      const names = keys.map(name);
      if (sharded && !shareHashTag(names)) {
        // Keys on different slots: one GET each, all sent at once (ioredis routes each to its node).
        return Promise.all(names.map(async (key) => asNullableString(await redis.call('GET', key))));
      }
      const reply = await redis.call('MGET', ...names);
      if (!Array.isArray(reply) || reply.length !== keys.length) {
        throw unexpectedReply('one value per key');
      }
      return reply.map(asNullableString);
    },
    async compareAndSet(key, expected, value, ttlMs) {
      assertKey(key);
      if (expected !== null) assertValue(expected);
      assertValue(value);
      assertTtlMs(ttlMs);
      const reply = await redis.evalScript(
        DENYLIST_COMPARE_AND_SET_SCRIPT,
        [name(key)],
        [ttlMs, value, expected === null ? ABSENT : PRESENT, expected ?? ''],
      );
      return asInteger(reply) === 1;
    },
  };
}
