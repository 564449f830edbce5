import type { StoreCapabilities, Stores } from '../contract.ts';
import { BoundedTtlMap } from './bounded-ttl-map.ts';
import { createMemoryRateLimiter, type GcraState } from './rate-limiter.ts';
import {
  createMemoryCounterStore,
  createMemoryDenylist,
  createMemoryKeyValueStore,
  createMemoryOnceStore,
} from './stores.ts';

/** Options of {@link createMemoryStores}. */
export interface MemoryStoresOptions {
  /**
   * Most entries each store (key-value, once, counters, denylist, rate limiter) holds. A store
   * full of live entries refuses new keys with `StoreError('full')` rather than evicting one.
   * @default 100_000
   */
  readonly maxEntries?: number;
  /**
   * The clock, in milliseconds. Only differences matter, so it need not be wall time; inject
   * one in tests to move time without sleeping.
   * @default performance.now (monotonic: a wall-clock jump cannot expire a revocation early)
   */
  readonly now?: () => number;
}

const DEFAULT_MAX_ENTRIES = 100_000;
const KNOWN_OPTIONS: ReadonlySet<string> = new Set(['maxEntries', 'now']);

const MEMORY_CAPABILITIES: StoreCapabilities = Object.freeze({
  backend: 'memory',
  shared: false,
  survivesRestart: false,
});

function invalidOption(message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_VALUE' });
}

function validateOptions(options: MemoryStoresOptions): { maxEntries: number; now: () => number } {
  if (typeof options !== 'object' || options === null)
    throw invalidOption('Memory store options must be an object');
  const unknown = Object.keys(options).filter((name) => !KNOWN_OPTIONS.has(name));
  if (unknown.length > 0) throw invalidOption(`Unknown memory store options: ${unknown.join(', ')}`);
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (!Number.isSafeInteger(maxEntries) || maxEntries <= 0) {
    throw invalidOption('maxEntries must be a positive safe integer');
  }
  const now = options.now ?? (() => performance.now());
  if (typeof now !== 'function') throw invalidOption('now must be a function returning milliseconds');
  return { maxEntries, now };
}

/**
 * Stores that live in this process's memory: for one process only (`shared: false`), and
 * emptied by a restart (`survivesRestart: false`). Each store is bounded and fails closed.
 *
 * @example
 * ```ts
 * const stores = createMemoryStores();
 * await stores.once.consumeOnce('reset:abc', 15 * 60_000); // true the first time only
 * ```
 * @throws {TypeError} on unknown or invalid options.
 */
export function createMemoryStores(options: MemoryStoresOptions = {}): Stores {
  const { maxEntries, now } = validateOptions(options);
  const keyValueEntries = new BoundedTtlMap<string>({ maxEntries, now, label: 'memory key-value store' });
  const markers = new BoundedTtlMap<boolean>({ maxEntries, now, label: 'memory once store' });
  const counters = new BoundedTtlMap<number>({ maxEntries, now, label: 'memory counter store' });
  const revocations = new BoundedTtlMap<string>({ maxEntries, now, label: 'memory denylist' });
  const budgets = new BoundedTtlMap<GcraState>({ maxEntries, now, label: 'memory rate limiter' });
  return {
    keyValue: createMemoryKeyValueStore(keyValueEntries, MEMORY_CAPABILITIES),
    once: createMemoryOnceStore(markers, MEMORY_CAPABILITIES),
    counters: createMemoryCounterStore(counters, MEMORY_CAPABILITIES),
    denylist: createMemoryDenylist(revocations, MEMORY_CAPABILITIES),
    rateLimiter: createMemoryRateLimiter(budgets, MEMORY_CAPABILITIES),
    async ping() {},
    async close() {
      keyValueEntries.clear();
      markers.clear();
      counters.clear();
      revocations.clear();
      budgets.clear();
    },
  };
}
