import { type StoreCapabilities, StoreError, type Stores } from '../contract.ts';
import type { RedisClientLike } from './client.ts';
import { createCommandRunner, type ReplicaDurability } from './command-runner.ts';
import {
  type ConnectionTarget,
  connectOwnedClient,
  type HostAndPort,
  type OwnedConnection,
} from './connect.ts';
import { keyNamer, NAMESPACES, prefixHasBraces } from './keys.ts';
import { probePersistence } from './persistence.ts';
import { createRedisRateLimiter } from './rate-limiter.ts';
import {
  createRedisCounterStore,
  createRedisDenylist,
  createRedisKeyValueStore,
  createRedisOnceStore,
} from './stores.ts';

/** Options of {@link createRedisStores}. Give exactly one of `client`, `url`, `cluster` and `sentinels`. */
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
   * Redis Cluster seed nodes, `host:port` each (any few of the cluster's nodes; the rest are
   * discovered): the bundle builds an ioredis `Cluster`, which follows MOVED/ASK redirections
   * and slot migrations. The key prefix must not contain `{` or `}` (it would take over every
   * key's hash tag).
   */
  readonly cluster?: readonly string[];
  /**
   * Redis Sentinel addresses, `host:port` each, with {@link name}: the bundle connects to the
   * primary the sentinels name and follows a failover without a restart (commands in between
   * fail with a StoreError, i.e. 503).
   */
  readonly sentinels?: readonly string[];
  /** The primary's name as the sentinels know it (`sentinel monitor <name> …`); with `sentinels` only. */
  readonly name?: string;
  /**
   * Writes that must survive a failover (revocations, single-use consumption) are followed by
   * `WAIT replicas timeoutMs`; fewer acknowledgements fail the operation (503). `replicas` from
   * 0 (off) to 16; `timeoutMs` from 1 to 400 and below `commandTimeoutMs`.
   * @default { replicas: 0, timeoutMs: 50 }
   */
  readonly durability?: { readonly replicas?: number; readonly timeoutMs?: number };
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
const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'client',
  'url',
  'cluster',
  'sentinels',
  'name',
  'durability',
  'keyPrefix',
  'commandTimeoutMs',
]);
const MAX_DURABILITY_REPLICAS = 16;
const MAX_DURABILITY_TIMEOUT_MS = 400;
const DEFAULT_DURABILITY_TIMEOUT_MS = 50;

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
  readonly target: ConnectionTarget | undefined;
  /** Keys live on several shards (an owned cluster, or a passed ioredis `Cluster`). */
  readonly sharded: boolean;
  readonly durability: ReplicaDurability;
  readonly keyPrefix: string;
  readonly commandTimeoutMs: number;
}

/** `host:port` or `[v6]:port` → ioredis's form; never echoes the text (it is configuration). */
function parseHostAndPort(text: unknown, option: string): HostAndPort {
  const match =
    typeof text === 'string' ? /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s/@]+)):(\d{1,5})$/.exec(text) : null;
  const port = Number(match?.[3]);
  if (match === null || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw invalidOption(`every entry of \`${option}\` must be host:port`);
  }
  return { host: (match[1] ?? match[2]) as string, port };
}

function parseNodes(nodes: unknown, option: string): HostAndPort[] {
  if (!Array.isArray(nodes) || nodes.length === 0)
    throw invalidOption(`\`${option}\` must be a non-empty list of host:port`);
  return nodes.map((node) => parseHostAndPort(node, option));
}

function validateDurability(
  value: RedisStoresOptions['durability'],
  commandTimeoutMs: number,
): ReplicaDurability {
  if (value === undefined) return { replicas: 0, timeoutMs: DEFAULT_DURABILITY_TIMEOUT_MS };
  const replicas = value.replicas ?? 0;
  const timeoutMs = value.timeoutMs ?? DEFAULT_DURABILITY_TIMEOUT_MS;
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > MAX_DURABILITY_REPLICAS)
    throw invalidOption(`durability.replicas must be an integer from 0 to ${MAX_DURABILITY_REPLICAS}`);
  if (
    !Number.isInteger(timeoutMs) ||
    timeoutMs < 1 ||
    timeoutMs > MAX_DURABILITY_TIMEOUT_MS ||
    timeoutMs >= commandTimeoutMs
  )
    throw invalidOption(
      `durability.timeoutMs must be an integer from 1 to ${MAX_DURABILITY_TIMEOUT_MS}, below commandTimeoutMs`,
    );
  return { replicas, timeoutMs };
}

function validateOptions(options: RedisStoresOptions): ValidOptions {
  if (typeof options !== 'object' || options === null)
    throw invalidOption('Redis store options must be an object');
  const unknown = Object.keys(options).filter((name) => !KNOWN_OPTIONS.has(name));
  if (unknown.length > 0) throw invalidOption(`Unknown Redis store options: ${unknown.join(', ')}`);
  const { client, url } = options;
  const given = [client, url, options.cluster, options.sentinels].filter((value) => value !== undefined);
  if (given.length !== 1) {
    throw invalidOption(
      'Give exactly one of `client`, `url`, `cluster` and `sentinels` to createRedisStores',
    );
  }
  if ((options.sentinels === undefined) !== (options.name === undefined)) {
    throw invalidOption("`name` (the primary's name) goes with `sentinels`, and only with it");
  }
  if (
    options.name !== undefined &&
    (typeof options.name !== 'string' || !/^[\w.-]{1,64}$/.test(options.name))
  ) {
    throw invalidOption('`name` must be 1 to 64 letters, digits, dots, dashes or underscores');
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
  const target: ConnectionTarget | undefined =
    url !== undefined
      ? { url }
      : options.cluster !== undefined
        ? { cluster: parseNodes(options.cluster, 'cluster') }
        : options.sentinels !== undefined
          ? { sentinels: parseNodes(options.sentinels, 'sentinels'), name: options.name as string }
          : undefined;
  const sharded =
    options.cluster !== undefined || (client as { isCluster?: unknown } | undefined)?.isCluster === true;
  if (sharded && prefixHasBraces(keyPrefix)) {
    throw invalidOption(
      'keyPrefix must not contain { or } on Redis Cluster (it would put every key on one slot)',
    );
  }
  const durability = validateDurability(options.durability, commandTimeoutMs);
  return { client, target, sharded, durability, keyPrefix, commandTimeoutMs };
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
  const { client, target, sharded, durability, keyPrefix, commandTimeoutMs } = validateOptions(options);
  const owned: OwnedConnection | undefined =
    target === undefined ? undefined : connectOwnedClient(target, { commandTimeoutMs });
  // WAIT blocks its connection until the replicas answer: durable writes get their own, so
  // the per-request reads never queue behind one.
  const durableConnection: OwnedConnection | undefined =
    target !== undefined && durability.replicas > 0
      ? connectOwnedClient(target, { commandTimeoutMs })
      : undefined;
  const redis = createCommandRunner(owned?.client ?? (client as RedisClientLike), {
    timeoutMs: commandTimeoutMs,
    whenReady: owned?.whenReady,
    durability: {
      ...durability,
      ...(durableConnection
        ? { client: durableConnection.client, whenReady: durableConnection.whenReady }
        : {}),
    },
  });
  let closing: Promise<void> | undefined;
  return {
    keyValue: createRedisKeyValueStore(redis, keyNamer(keyPrefix + NAMESPACES.keyValue), REDIS_CAPABILITIES),
    once: createRedisOnceStore(redis, keyNamer(keyPrefix + NAMESPACES.once), REDIS_CAPABILITIES),
    counters: createRedisCounterStore(redis, keyNamer(keyPrefix + NAMESPACES.counters), REDIS_CAPABILITIES),
    denylist: createRedisDenylist(
      redis,
      keyNamer(keyPrefix + NAMESPACES.denylist),
      REDIS_CAPABILITIES,
      sharded,
    ),
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
      closing ??= Promise.all([
        owned?.close(commandTimeoutMs),
        durableConnection?.close(commandTimeoutMs),
      ]).then(() => undefined);
      return closing;
    },
  };
}
