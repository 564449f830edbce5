/**
 * The four memory stores. Every method body runs synchronously between its argument checks
 * and its return, so on one event loop each call is one atomic step by construction.
 */

import {
  assertIncrement,
  assertKey,
  assertKeys,
  assertLimit,
  assertTtlMs,
  assertValue,
} from '../arguments.ts';
import type {
  CounterReservation,
  CounterStore,
  CounterValue,
  Denylist,
  KeyValueStore,
  OnceStore,
  StoreCapabilities,
} from '../contract.ts';
import type { BoundedTtlMap } from './bounded-ttl-map.ts';

/** Value recorded by `Denylist.add` when none is given (the contract's default). */
const DEFAULT_DENYLIST_VALUE = '1';
/** What a single-use marker holds; only its presence matters. */
const CONSUMED_MARKER = true;

export function createMemoryKeyValueStore(
  entries: BoundedTtlMap<string>,
  capabilities: StoreCapabilities,
): KeyValueStore {
  return {
    capabilities,
    async get(key) {
      assertKey(key);
      return entries.getLive(key)?.value ?? null;
    },
    async set(key, value, ttlMs) {
      assertKey(key);
      assertValue(value);
      assertTtlMs(ttlMs);
      const now = entries.now();
      entries.set(key, value, now + ttlMs, now);
    },
    async setIfAbsent(key, value, ttlMs) {
      assertKey(key);
      assertValue(value);
      assertTtlMs(ttlMs);
      const now = entries.now();
      if (entries.getLive(key, now) !== undefined) return false;
      entries.set(key, value, now + ttlMs, now);
      return true;
    },
    async getAndDelete(key) {
      assertKey(key);
      const now = entries.now();
      const entry = entries.getLive(key, now);
      if (entry === undefined) return null;
      entries.delete(key, now);
      return entry.value;
    },
    async delete(key) {
      assertKey(key);
      return entries.delete(key);
    },
  };
}

export function createMemoryOnceStore(
  markers: BoundedTtlMap<boolean>,
  capabilities: StoreCapabilities,
): OnceStore {
  return {
    capabilities,
    async consumeOnce(key, ttlMs) {
      assertKey(key);
      assertTtlMs(ttlMs);
      const now = markers.now();
      if (markers.getLive(key, now) !== undefined) return false;
      markers.set(key, CONSUMED_MARKER, now + ttlMs, now);
      return true;
    },
    async isConsumed(key) {
      assertKey(key);
      return markers.getLive(key) !== undefined;
    },
  };
}

export function createMemoryCounterStore(
  counters: BoundedTtlMap<number>,
  capabilities: StoreCapabilities,
): CounterStore {
  return {
    capabilities,
    async increment(key, ttlMs, by = 1): Promise<CounterValue> {
      assertKey(key);
      assertTtlMs(ttlMs);
      assertIncrement(by);
      const now = counters.now();
      const entry = counters.getLive(key, now);
      if (entry === undefined) {
        // The window starts here; later increments never move its end (fixed window).
        counters.set(key, by, now + ttlMs, now);
        return { value: by, ttlMs };
      }
      entry.value += by;
      return { value: entry.value, ttlMs: Math.max(1, Math.ceil(entry.expiresAt - now)) };
    },
    async reserve(key, limit, ttlMs): Promise<CounterReservation> {
      assertKey(key);
      assertLimit(limit);
      assertTtlMs(ttlMs);
      const now = counters.now();
      const entry = counters.getLive(key, now);
      if (entry === undefined) {
        counters.set(key, 1, now + ttlMs, now);
        return { granted: true, value: 1, ttlMs };
      }
      const remainingMs = Math.max(1, Math.ceil(entry.expiresAt - now));
      if (entry.value >= limit) return { granted: false, value: entry.value, ttlMs: remainingMs };
      entry.value += 1;
      return { granted: true, value: entry.value, ttlMs: remainingMs };
    },
    async release(key) {
      assertKey(key);
      const entry = counters.getLive(key);
      if (entry !== undefined && entry.value > 0) entry.value -= 1;
    },
    async expire(key, ttlMs) {
      assertKey(key);
      assertTtlMs(ttlMs);
      const now = counters.now();
      const entry = counters.getLive(key, now);
      if (entry === undefined) return false;
      // Overwriting an existing key needs no new slot, so this never fails for being full.
      counters.set(key, entry.value, now + ttlMs, now);
      return true;
    },
    async peek(key) {
      assertKey(key);
      return counters.getLive(key)?.value ?? 0;
    },
    async reset(key) {
      assertKey(key);
      counters.delete(key);
    },
  };
}

export function createMemoryDenylist(
  entries: BoundedTtlMap<string>,
  capabilities: StoreCapabilities,
): Denylist {
  return {
    capabilities,
    async add(key, ttlMs, value = DEFAULT_DENYLIST_VALUE) {
      assertKey(key);
      assertTtlMs(ttlMs);
      assertValue(value);
      const now = entries.now();
      const existing = entries.getLive(key, now);
      // Shortening a revocation would re-admit what it revoked, so the later expiry wins;
      // the value is the newest one (e.g. a newer not-before epoch).
      const expiresAt = Math.max(now + ttlMs, existing?.expiresAt ?? 0);
      entries.set(key, value, expiresAt, now);
    },
    async get(key) {
      assertKey(key);
      return entries.getLive(key)?.value ?? null;
    },
    async getMany(keys) {
      assertKeys(keys);
      const now = entries.now();
      return keys.map((key) => entries.getLive(key, now)?.value ?? null);
    },
    async compareAndSet(key, expected, value, ttlMs) {
      assertKey(key);
      if (expected !== null) assertValue(expected);
      assertValue(value);
      assertTtlMs(ttlMs);
      const now = entries.now();
      if ((entries.getLive(key, now)?.value ?? null) !== expected) return false;
      entries.set(key, value, now + ttlMs, now);
      return true;
    },
  };
}
