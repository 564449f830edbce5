/**
 * Memory stores: bounded, fail-closed, for a single process (development, tests, one-worker
 * deployments). For several workers or machines use the Redis stores.
 */
export type {
  CounterStore,
  CounterValue,
  Denylist,
  KeyValueStore,
  OnceStore,
  RateLimitDecision,
  RateLimiter,
  RateLimitRule,
  StoreCapabilities,
  StoreErrorKind,
  Stores,
} from '../contract.ts';
export { isStoreError, MAX_KEY_BYTES, StoreError } from '../contract.ts';
export { createMemoryStores, type MemoryStoresOptions } from './create-memory-stores.ts';
