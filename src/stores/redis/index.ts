/**
 * `gatehouse/redis`: stores kept in Redis, shared by every worker and machine. Pass an ioredis
 * client you own, or a URL (ioredis, a peer dependency, must then be installed).
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
export type { RedisClientLike } from './client.ts';
export { createRedisStores, type RedisStoresOptions } from './create-redis-stores.ts';
