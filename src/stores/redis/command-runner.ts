import { StoreError } from '../contract.ts';
import type { RedisClientLike } from './client.ts';
import type { LuaScript } from './scripts.ts';

type CommandArgument = string | number;

export interface CommandRunnerOptions {
  /** Budget for one store operation, from the call to the reply. */
  readonly timeoutMs: number;
  /**
   * Resolves once the connection can take commands and rejects when `signal` aborts. Given
   * for clients built by this package, whose offline queue is off: a command is then sent
   * only on a live connection and never parked to run after its caller gave up.
   */
  readonly whenReady?: ((signal: AbortSignal) => Promise<void>) | undefined;
  /**
   * Replicas that must acknowledge a durable write (WAIT) before it counts, and how long to
   * wait for them; `replicas: 0` makes durable writes plain ones.
   */
  readonly durability?: ReplicaDurability | undefined;
}

/** The `WAIT` policy of the writes that must survive a failover. */
export interface ReplicaDurability {
  readonly replicas: number;
  readonly timeoutMs: number;
  /**
   * A connection of their own for durable writes: WAIT blocks the connection it is sent on
   * until the replicas answer, and on the shared one every other request's command would
   * queue behind it. Without one, the shared client is used.
   */
  readonly client?: RedisClientLike | undefined;
  readonly whenReady?: ((signal: AbortSignal) => Promise<void>) | undefined;
}

/** A client that can send several commands as one batch to one node (ioredis `Redis` and `Cluster`). */
interface PipelineClient {
  pipeline(commands: CommandArgument[][]): { exec(): Promise<[Error | null, unknown][] | null> };
}

function canPipeline(client: RedisClientLike): client is RedisClientLike & PipelineClient {
  return typeof (client as Partial<PipelineClient>).pipeline === 'function';
}

/** Sends commands with a deadline and turns every failure into a {@link StoreError}. */
export interface CommandRunner {
  call(command: string, ...args: CommandArgument[]): Promise<unknown>;
  /** Runs a Lua script by SHA, sending its source once if the server does not know it yet. */
  evalScript(script: LuaScript, keys: readonly string[], args: readonly CommandArgument[]): Promise<unknown>;
  /**
   * Like {@link call}, for a write that must not be lost in a failover (a single-use
   * consumption): followed by `WAIT` on the same connection and node, in one round trip. Too
   * few acknowledgements reject with a StoreError: the write may be on the primary alone, so
   * the caller fails closed (the one-time item is spent, the revocation must be retried).
   */
  callDurably(command: string, ...args: CommandArgument[]): Promise<unknown>;
  /** {@link evalScript} followed by `WAIT`, as {@link callDurably}. */
  evalScriptDurably(
    script: LuaScript,
    keys: readonly string[],
    args: readonly CommandArgument[],
  ): Promise<unknown>;
}

/** Longest part of a driver's error message kept in a `cause`. */
const MAX_CAUSE_MESSAGE_LENGTH = 200;

/**
 * A copy of a driver error that is safe to log. ioredis attaches the failed command with its
 * arguments (keys and values, which may be secrets or attacker input) to reply errors, so only
 * the name, code and a bounded message are kept.
 */
function sanitizedCause(error: unknown): Error {
  if (!(error instanceof Error)) return new Error('Non-error thrown by the Redis client');
  const copy = new Error(error.message.slice(0, MAX_CAUSE_MESSAGE_LENGTH));
  copy.name = error.name;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(copy, { code });
  return copy;
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

function toStoreError(error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const cause = sanitizedCause(error);
  // `maxmemory` with `noeviction` refuses writes instead of evicting: the same fail-closed
  // refusal as a full memory store.
  if (cause.message.startsWith('OOM'))
    return new StoreError('full', 'Redis is out of memory and refuses writes', { cause });
  if (cause.message.includes('timed out'))
    return new StoreError('timeout', 'Redis did not answer in time', { cause });
  if (cause.name === 'ReplyError')
    return new StoreError('unavailable', 'Redis refused the command', { cause });
  return new StoreError('unavailable', 'Redis cannot be reached', { cause });
}

/**
 * Wraps a client so no store call can outlast `timeoutMs`, whatever the client's own settings.
 *
 * A command that timed out after it was written to the socket may still run when a stalled
 * server resumes, so a `StoreError` means "outcome unknown": the caller fails the request and
 * never acts as if the write happened. For the guarding operations a late run only closes
 * further (a burnt marker, one more counted attempt, a recorded revocation).
 */
export function createCommandRunner(client: RedisClientLike, options: CommandRunnerOptions): CommandRunner {
  const { timeoutMs, whenReady } = options;

  async function run<T>(
    send: (signal: AbortSignal) => Promise<T>,
    ready: CommandRunnerOptions['whenReady'] = whenReady,
  ): Promise<T> {
    const controller = new AbortController();
    let sent = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(
          sent
            ? new StoreError('timeout', `Redis did not answer within ${timeoutMs} ms`)
            : new StoreError('unavailable', `No Redis connection within ${timeoutMs} ms`),
        );
      }, timeoutMs);
    });
    const attempt = (async () => {
      if (ready !== undefined) await ready(controller.signal);
      // The deadline may have passed while the connection came up: a caller that was told
      // "failed" must not have its command sent afterwards.
      if (controller.signal.aborted) throw new StoreError('unavailable', 'Redis command abandoned');
      sent = true;
      return send(controller.signal);
    })();
    try {
      return await Promise.race([attempt, deadline]);
    } catch (error) {
      throw toStoreError(error);
    } finally {
      clearTimeout(timer);
    }
  }

  const replicas = options.durability?.replicas ?? 0;
  const waitMs = options.durability?.timeoutMs ?? 0;
  const durableClient = options.durability?.client ?? client;
  const durableReady = options.durability?.client ? options.durability.whenReady : whenReady;

  /** Sends `write` then `WAIT`: as one pipeline (so a cluster sends both to the key's node). */
  async function writeThenWait(write: CommandArgument[]): Promise<unknown> {
    let reply: unknown;
    let acknowledged: unknown;
    if (canPipeline(durableClient)) {
      // `call` entries: ioredis pipelines name commands by method, and `call` sends any command.
      const results = await durableClient
        .pipeline([
          ['call', ...write],
          ['call', 'WAIT', replicas, waitMs],
        ])
        .exec();
      const [first, second] = results ?? [];
      if (first === undefined || second === undefined) throw new Error('Redis pipeline returned no replies');
      if (first[0] !== null) throw first[0];
      if (second[0] !== null) throw second[0];
      [reply, acknowledged] = [first[1], second[1]];
    } else {
      // One connection to one server: WAIT covers every write this connection made before it.
      const [command, ...args] = write as [string, ...CommandArgument[]];
      const sent = durableClient.call(command, ...args);
      const waited = durableClient.call('WAIT', replicas, waitMs);
      [reply, acknowledged] = await Promise.all([sent, waited]);
    }
    if (typeof acknowledged !== 'number' || acknowledged < replicas) {
      throw new StoreError('unavailable', `Fewer than ${replicas} Redis replicas acknowledged the write`);
    }
    return reply;
  }

  async function evalThenWait(script: LuaScript, keys: readonly string[], args: readonly CommandArgument[]) {
    const tail = [keys.length, ...keys, ...args];
    try {
      return await writeThenWait(['EVALSHA', script.sha, ...tail]);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return writeThenWait(['EVAL', script.lua, ...tail]);
    }
  }

  return {
    callDurably(command, ...args) {
      if (replicas === 0) return run(() => client.call(command, ...args));
      return run(() => writeThenWait([command, ...args]), durableReady);
    },
    evalScriptDurably(script, keys, args) {
      if (replicas === 0) return this.evalScript(script, keys, args);
      return run(() => evalThenWait(script, keys, args), durableReady);
    },
    call(command, ...args) {
      return run(() => client.call(command, ...args));
    },
    evalScript(script, keys, args) {
      return run(async (signal) => {
        try {
          return await client.call('EVALSHA', script.sha, keys.length, ...keys, ...args);
        } catch (error) {
          // An empty script cache (first use, restart, SCRIPT FLUSH) answers NOSCRIPT.
          if (!isNoScript(error) || signal.aborted) throw error;
          return client.call('EVAL', script.lua, keys.length, ...keys, ...args);
        }
      });
    },
  };
}
