/**
 * Builds an ioredis client from a URL for bundles that own their connection. ioredis is a
 * peer dependency, so it is loaded here (and only here) when a URL is given.
 */
import { createRequire } from 'node:module';
import type { RedisOptions } from 'ioredis';
import type { RedisClientLike } from './client.ts';

/** The parts of an ioredis client this module drives; kept local so no ioredis type leaks. */
interface IoredisClient extends RedisClientLike {
  readonly status: string;
  on(event: 'ready' | 'error', listener: (...args: unknown[]) => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}

type IoredisConstructor = new (url: string, options: RedisOptions) => IoredisClient;

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
  const Redis = (loaded as { Redis?: unknown } | null)?.Redis;
  if (typeof Redis !== 'function') {
    throw new Error("The installed 'ioredis' package has no Redis export; install ioredis 5 or later");
  }
  return Redis as IoredisConstructor;
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

/** Connects to `url` with {@link ioredisOptions}. */
export function connectOwnedClient(url: string, options: { commandTimeoutMs: number }): OwnedConnection {
  const Redis = loadIoredis();
  const redis = new Redis(url, ioredisOptions(options.commandTimeoutMs));
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
