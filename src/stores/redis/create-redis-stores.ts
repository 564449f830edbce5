import { type StoreCapabilities, StoreError, type Stores } from '../contract.ts';
import type { RedisClientLike } from './client.ts';
import { createCommandRunner } from './command-runner.ts';
import { connectOwnedClient, type OwnedConnection } from './connect.ts';
import { keyNamer, NAMESPACES } from './keys.ts';
import { probePersistence } from './persistence.ts';
import { createRedisRateLimiter } from './rate-limiter.ts';
import {
  createRedisCounterStore,
  createRedisDenylist,
  createRedisKeyValueStore,
  createRedisOnceStore,
} from './stores.ts';

/** Options of {@link createRedisStores}. Give exactly one of `client` and `url`. */
export interface RedisStoresOptions {
  /**
   * A client you built and own (e.g. an ioredis `Redis` or `Cluster`); `close()` leaves it open.
   * Every call is still bounded by `commandTimeoutMs`, whatever the client's own settings, but
   * a client with an offline queue may run a timed-out command once it reconnects.
   */
  readonly client?: RedisClientLike;
  /**
   * `redis://` or `rediss://` URL: the bundle builds an ioredis client (the peer dependency
   * must be installed), configured to fail fast when Redis is down, and closes it on `close()`.
   */
  readonly url?: string;
  /**
   * Prepended to every key, so several apps or environments can share one server.
   * @default 'gh:'
   */
  readonly keyPrefix?: string;
  /**
   * Longest a store call may take, connection wait included, before it rejects with a
   * `StoreError`; an integer from 1 to 500.
   * @default 500
   */
  readonly commandTimeoutMs?: number;
}

const DEFAULT_KEY_PREFIX = 'gh:';
const MAX_KEY_PREFIX_BYTES = 128;
const DEFAULT_COMMAND_TIMEOUT_MS = 500;
/** A store call sits on a request's path; waiting longer than this only piles requests up. */
const MAX_COMMAND_TIMEOUT_MS = 500;
const KNOWN_OPTIONS: ReadonlySet<string> = new Set(['client', 'url', 'keyPrefix', 'commandTimeoutMs']);

const REDIS_CAPABILITIES: StoreCapabilities = Object.freeze({
  backend: 'redis',
  shared: true,
  survivesRestart: true,
});

function invalidOption(message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_VALUE' });
}

interface ValidOptions {
  readonly client: RedisClientLike | undefined;
  readonly url: string | undefined;
  readonly keyPrefix: string;
  readonly commandTimeoutMs: number;
}

function validateOptions(options: RedisStoresOptions): ValidOptions {
  if (typeof options !== 'object' || options === null)
    throw invalidOption('Redis store options must be an object');
  const unknown = Object.keys(options).filter((name) => !KNOWN_OPTIONS.has(name));
  if (unknown.length > 0) throw invalidOption(`Unknown Redis store options: ${unknown.join(', ')}`);
  const { client, url } = options;
  if ((client === undefined) === (url === undefined)) {
    throw invalidOption('Give exactly one of `client` and `url` to createRedisStores');
  }
  if (client !== undefined && typeof (client as Partial<RedisClientLike>).call !== 'function') {
    throw invalidOption('`client` must have a call(command, ...args) method, like an ioredis client');
  }
  if (url !== undefined && !isRedisUrl(url)) {
    // The URL may hold a password, so it is never echoed.
    throw invalidOption('`url` must be a redis:// or rediss:// URL');
  }
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (typeof keyPrefix !== 'string' || Buffer.byteLength(keyPrefix, 'utf8') > MAX_KEY_PREFIX_BYTES) {
    throw invalidOption(`keyPrefix must be a string of at most ${MAX_KEY_PREFIX_BYTES} bytes`);
  }
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  if (
    !Number.isInteger(commandTimeoutMs) ||
    commandTimeoutMs < 1 ||
    commandTimeoutMs > MAX_COMMAND_TIMEOUT_MS
  ) {
    throw invalidOption(`commandTimeoutMs must be an integer from 1 to ${MAX_COMMAND_TIMEOUT_MS}`);
  }
  return { client, url, keyPrefix, commandTimeoutMs };
}

function isRedisUrl(url: unknown): url is string {
  if (typeof url !== 'string') return false;
  try {
    const { protocol } = new URL(url);
    return protocol === 'redis:' || protocol === 'rediss:';
  } catch {
    return false;
  }
}

/**
 * Stores kept in Redis (or Valkey, ≥ 6.2): shared by every process and machine using the same
 * server and prefix. Each operation is one command or Lua script, so it is atomic across
 * processes; every key carries an expiry; every call settles within `commandTimeoutMs`, with a
 * `StoreError` when Redis is down, frozen or out of memory.
 *
 * Run the server with `maxmemory-policy noeviction`: an evicting policy could drop a live
 * revocation or single-use marker, which re-opens what it closed. With `noeviction` a full
 * server refuses writes, which surfaces as `StoreError('full')`.
 *
 * @example
 * ```ts
 * import { createRedisStores } from 'gatehouse/redis';
 * const stores = createRedisStores({ url: process.env.REDIS_URL });
 * ```
 * @throws {TypeError} on unknown or invalid options.
 * @throws {Error} when `url` is given and the `ioredis` package is not installed.
 */
export function createRedisStores(options: RedisStoresOptions): Stores {
  const { client, url, keyPrefix, commandTimeoutMs } = validateOptions(options);
  const owned: OwnedConnection | undefined =
    url === undefined ? undefined : connectOwnedClient(url, { commandTimeoutMs });
  const redis = createCommandRunner(owned?.client ?? (client as RedisClientLike), {
    timeoutMs: commandTimeoutMs,
    whenReady: owned?.whenReady,
  });
  let closing: Promise<void> | undefined;
  return {
    keyValue: createRedisKeyValueStore(redis, keyNamer(keyPrefix + NAMESPACES.keyValue), REDIS_CAPABILITIES),
    once: createRedisOnceStore(redis, keyNamer(keyPrefix + NAMESPACES.once), REDIS_CAPABILITIES),
    counters: createRedisCounterStore(redis, keyNamer(keyPrefix + NAMESPACES.counters), REDIS_CAPABILITIES),
    denylist: createRedisDenylist(redis, keyNamer(keyPrefix + NAMESPACES.denylist), REDIS_CAPABILITIES),
    rateLimiter: createRedisRateLimiter(
      redis,
      keyNamer(keyPrefix + NAMESPACES.rateLimiter),
      REDIS_CAPABILITIES,
    ),
    async ping() {
      const reply = await redis.call('PING');
      if (reply !== 'PONG') throw new StoreError('unavailable', 'Redis did not answer PING');
    },
    persistence: () => probePersistence(redis),
    close() {
      closing ??= owned === undefined ? Promise.resolve() : owned.close(commandTimeoutMs);
      return closing;
    },
  };
}
