/**
 * Where argon2 runs: a bounded pool of hashing threads with a capped queue (piscina), instead of
 * the libuv thread pool (`createPasswordHasher` runs argon2 through it).
 *
 * On the libuv pool, hashes compete with the event loop for the cores at the same priority: a
 * sign-up or login flood stretches every other request's latency (the scheduler makes the event
 * loop wait a time slice whenever a hash thread holds its core), and the queue in front of the
 * pool is unbounded, so a flood makes every password request wait longer and longer.
 *
 * Here each hashing thread runs at a lower priority (`nice` raised by {@link Argon2PoolOptions.niceIncrement},
 * Linux and macOS through piscina's `@napi-rs/nice`; elsewhere nothing changes): the event loop
 * takes a core back as soon as it has work, and hashing uses whatever CPU is left, all of it
 * when the server is otherwise idle. At most `maxQueued` calls wait for a thread; one more is
 * refused at once with {@link HashingQueueFullError} (the HTTP layer answers 503 with
 * `Retry-After`), so a flood costs the flooder, not the readers.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { type Argon2Runner, HashingQueueFullError } from '../../crypto/password.ts';
import type { Argon2Task } from './argon2-worker.mts';

export interface Argon2PoolOptions {
  /** Hashing threads. @default the number of CPUs */
  readonly threads?: number;
  /** Calls that may wait for a thread; one more is refused. @default 32 per thread */
  readonly maxQueued?: number;
  /** How much lower than the event loop's the hashing threads' priority is (0–19). @default 10 */
  readonly niceIncrement?: number;
}

export interface Argon2Pool extends Argon2Runner {
  /** Calls waiting for a hashing thread now (a gauge for the metrics). */
  queued(): number;
  /** Calls running on a hashing thread now. */
  running(): number;
  readonly threads: number;
  readonly maxQueued: number;
  /** Stops the threads; calls still queued are rejected. */
  close(): Promise<void>;
}

/**
 * `.mts`/`.mjs`, not `.ts`/`.js`: a bundler that copies the worker beside its output (Next's
 * does, under a folder whose package.json says CommonJS) must not change how Node reads it.
 */
const workerFile = new URL(
  `./argon2-worker${import.meta.url.endsWith('.ts') ? '.mts' : '.mjs'}`,
  import.meta.url,
);

export function createArgon2Pool(options: Argon2PoolOptions = {}): Argon2Pool {
  const threads = positiveInteger('threads', options.threads ?? availableParallelism());
  const maxQueued = positiveInteger('maxQueued', options.maxQueued ?? 32 * threads);
  const niceIncrement = options.niceIncrement ?? 10;
  if (!Number.isInteger(niceIncrement) || niceIncrement < 0 || niceIncrement > 19)
    throw new TypeError('niceIncrement must be an integer from 0 to 19');
  let inFlight = 0;
  // Threads start on the first call and stop after a minute idle: an instance that never
  // checks a password (a test, a CLI command) never starts one.
  const pool = new Piscina<Argon2Task, string | boolean>({
    filename: workerFile.href,
    minThreads: 0,
    maxThreads: threads,
    maxQueue: maxQueued,
    idleTimeout: 60_000,
    niceIncrement,
    name: 'default',
    // argon2 holds its memory for the length of a call; the default heap limits are plenty.
    atomics: 'disabled',
  });

  async function submit<R extends string | boolean>(task: Argon2Task): Promise<R> {
    // Checked before piscina's own cap, so a full queue is our error with its Retry-After.
    if (pool.queueSize >= maxQueued) throw new HashingQueueFullError();
    inFlight += 1;
    try {
      return (await pool.run(task)) as R;
    } finally {
      inFlight -= 1;
    }
  }

  return {
    threads,
    maxQueued,
    hash: (password, hashOptions) => submit<string>({ op: 'hash', password, options: hashOptions }),
    verify: (hash, password) => submit<boolean>({ op: 'verify', hash, password }),
    queued: () => pool.queueSize,
    running: () => inFlight - pool.queueSize,
    close: () => pool.destroy(),
  };
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer`);
  return value;
}
