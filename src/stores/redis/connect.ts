/**
 * Builds an ioredis client for bundles that own their connection: one server from a URL, a
 * Redis Cluster from seed nodes, or the primary Sentinel names. ioredis is a peer dependency,
 * so it is loaded here (and only here) when one of those is given.
 */
import { createRequire } from 'node:module';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { RedisClientLike } from './client.ts';

/** The parts of an ioredis client this module drives; kept local so no ioredis type leaks. */
interface IoredisClient extends RedisClientLike {
  readonly status: string;
  on(event: 'ready' | 'error', listener: (...args: unknown[]) => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}

type IoredisConstructor = new (url: string, options: RedisOptions) => IoredisClient;
type SentinelConstructor = new (options: RedisOptions) => IoredisClient;
type ClusterConstructor = new (nodes: readonly HostAndPort[], options: ClusterOptions) => IoredisClient;

/** A server address, as ioredis takes it for cluster seeds and sentinels. */
export interface HostAndPort {
  readonly host: string;
  readonly port: number;
}

/** What to connect to: exactly one of the three. */
export type ConnectionTarget =
  | { readonly url: string }
  | { readonly cluster: readonly HostAndPort[] }
  | { readonly sentinels: readonly HostAndPort[]; readonly name: string };

/** A connection this bundle built and must close. */
export interface OwnedConnection {
  readonly client: RedisClientLike;
  /** Resolves when commands can be sent; rejects with `signal.reason` when it aborts first. */
  whenReady(signal: AbortSignal): Promise<void>;
  /** Quits gracefully within `timeoutMs`, then drops the socket whatever happened. */
  close(timeoutMs: number): Promise<void>;
}

/** Reconnect after 100 ms, 200 ms, … at most 2 s apart: quick to recover, cheap while down. */
const RECONNECT_STEP_MS = 100;
const RECONNECT_MAX_DELAY_MS = 2_000;
/** A TCP connect that takes longer is abandoned and retried. */
const CONNECT_TIMEOUT_MS = 2_000;
/** A socket silent this long while replies are owed is treated as dead and redialled. */
const SOCKET_TIMEOUT_MS = 2_000;

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
}

/**
 * Loads the ioredis `Redis` class synchronously, so `createRedisStores` stays synchronous and a
 * missing peer dependency is reported at construction, not on the first request.
 * `load` is replaceable for tests.
 */
export function loadIoredis(
  load: (id: string) => unknown = createRequire(import.meta.url),
): IoredisConstructor {
  return loadExport(load, 'Redis') as IoredisConstructor;
}

function loadExport(load: (id: string) => unknown, name: 'Redis' | 'Cluster'): unknown {
  let loaded: unknown;
  try {
    loaded = load('ioredis');
  } catch (error) {
    if (!isModuleNotFound(error)) throw error;
    throw new Error(
      "createRedisStores({ url }) needs the 'ioredis' package (a peer dependency): install it " +
        'with `npm install ioredis`, or build a client yourself and pass it as { client }',
      { cause: error },
    );
  }
  const exported = (loaded as Record<string, unknown> | null)?.[name];
  if (typeof exported !== 'function') {
    throw new Error(`The installed 'ioredis' package has no ${name} export; install ioredis 5 or later`);
  }
  return exported;
}

/**
 * Client settings that turn an outage into a prompt error instead of a wait:
 * - `enableOfflineQueue: false`: commands are never parked while disconnected (a parked
 *   command would run after its caller had already been told it failed). The command runner
 *   waits for `ready` within its deadline instead, which also covers the first connection.
 * - `maxRetriesPerRequest: 0` and `autoResendUnfulfilledCommands: false`: commands in flight
 *   when the connection drops fail at once and are not replayed on reconnect.
 * - `commandTimeout`: a command without a reply fails after the same budget the runner uses.
 * - `lazyConnect: false`: connect at construction, so the first request does not pay for it.
 */
export function ioredisOptions(commandTimeoutMs: number): RedisOptions {
  return {
    commandTimeout: commandTimeoutMs,
    connectTimeout: CONNECT_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt: number) => Math.min(attempt * RECONNECT_STEP_MS, RECONNECT_MAX_DELAY_MS),
    lazyConnect: false,
    connectionName: 'gatehouse',
    // A socket still opening when close() is called is destroyed after this long; the 2 s
    // default kept a CLI run against an unreachable Redis alive for 2 s after it was done.
    disconnectTimeout: 200,
  };
}

/**
 * Redis Cluster: the same per-node settings, and a cluster-level offline queue that is off too,
 * so a command is sent only once the slot map is known. MOVED and ASK are followed by ioredis
 * (a resharding moves slots under load); while a slot has no master (CLUSTERDOWN, a failover)
 * ioredis retries within the command's deadline, after which the caller gets a StoreError.
 */
export function clusterOptions(commandTimeoutMs: number): ClusterOptions {
  const {
    retryStrategy: _retry,
    enableOfflineQueue: _queue,
    lazyConnect: _lazy,
    ...node
  } = ioredisOptions(commandTimeoutMs);
  return {
    redisOptions: node,
    enableOfflineQueue: false,
    lazyConnect: false,
    clusterRetryStrategy: (attempt: number) => Math.min(attempt * RECONNECT_STEP_MS, RECONNECT_MAX_DELAY_MS),
    slotsRefreshTimeout: CONNECT_TIMEOUT_MS,
    retryDelayOnMoved: 0,
    retryDelayOnFailover: RECONNECT_STEP_MS,
    retryDelayOnClusterDown: RECONNECT_STEP_MS,
    retryDelayOnTryAgain: RECONNECT_STEP_MS,
  };
}

/**
 * Sentinel: ioredis asks the sentinels for the current primary on every (re)connect. A write
 * answered READONLY (a demoted primary, after a failover with the old one still up) fails and
 * drops the connection, so the next command goes to the new primary; it is never resent (`1`,
 * not `2`), since the caller was already told it failed. ioredis's `failoverDetector` stays
 * off: its reconnect on `+switch-master` can land while a reconnect is resolving the primary,
 * and ioredis then closes the client for good (status `end`, every command refused) — seen in
 * the failover test, where the dead primary's clients are reconnecting when the switch comes.
 */
export function sentinelOptions(
  commandTimeoutMs: number,
  sentinels: readonly HostAndPort[],
  name: string,
): RedisOptions {
  return {
    ...ioredisOptions(commandTimeoutMs),
    sentinels: sentinels.map(({ host, port }) => ({ host, port })),
    name,
    sentinelRetryStrategy: (attempt: number) => Math.min(attempt * RECONNECT_STEP_MS, RECONNECT_MAX_DELAY_MS),
    reconnectOnError: (error: Error) => (error.message.startsWith('READONLY') ? 1 : false),
  };
}

function connect(target: ConnectionTarget, commandTimeoutMs: number): IoredisClient {
  const load = createRequire(import.meta.url);
  if ('cluster' in target) {
    const Cluster = loadExport(load, 'Cluster') as ClusterConstructor;
    return new Cluster(target.cluster, clusterOptions(commandTimeoutMs));
  }
  if ('sentinels' in target) {
    const Redis = loadExport(load, 'Redis') as SentinelConstructor;
    return new Redis(sentinelOptions(commandTimeoutMs, target.sentinels, target.name));
  }
  return new (loadIoredis(load))(target.url, ioredisOptions(commandTimeoutMs));
}

/** Connects to `target` with {@link ioredisOptions} (and the cluster or sentinel settings). */
export function connectOwnedClient(
  target: ConnectionTarget,
  options: { commandTimeoutMs: number },
): OwnedConnection {
  const redis = connect(target, options.commandTimeoutMs);
  // Connection errors surface to callers as StoreErrors; without a listener ioredis would
  // also print each reconnect failure to stderr.
  redis.on('error', () => {});
  // One listener serves every waiter, so a burst of requests during an outage cannot pile
  // up listeners on the client.
  const waiters = new Set<() => void>();
  redis.on('ready', () => {
    const ready = [...waiters];
    waiters.clear();
    for (const resume of ready) resume();
  });

  return {
    client: redis,
    whenReady(signal) {
      if (redis.status === 'ready') return Promise.resolve();
      // `end`: closed for good (only `close()` does that, since the retry strategy never gives up).
      if (redis.status === 'end') return Promise.reject(new Error('Connection is closed'));
      return new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          waiters.delete(resume);
          reject(signal.reason);
        };
        const resume = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        if (signal.aborted) return reject(signal.reason);
        waiters.add(resume);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    async close(timeoutMs) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([
          redis.quit(),
          new Promise((resolve) => {
            timer = setTimeout(resolve, timeoutMs);
          }),
        ]);
      } catch {
        // QUIT fails when the connection is already down; the disconnect below still runs.
      } finally {
        clearTimeout(timer);
        redis.disconnect();
      }
    },
  };
}
