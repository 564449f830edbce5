/**
 * `lazyAuth(factory)`: a module-level Gatehouse value for frameworks that import route modules
 * before (or without) a place to `await createAuth(...)` — Next.js route files, serverless
 * handlers. The instance starts on first use; concurrent callers share that one start; a failed
 * start is not cached for ever: callers during a short cool-down get the same error at once (an
 * outage does not start one instance per request), and the first call after it starts again.
 *
 * @example
 * export const auth = lazyAuth(() => createAuth({ dataDir: './data' }), { globalKey: 'app-auth' });
 * export const GET = (request: Request) => auth.fetch(request);
 *
 * @module
 */
import pino from 'pino';
import { coreError } from '../core/errors/index.ts';
import { authErrorResponse } from '../http/index.ts';
import type { Auth } from './create-auth.ts';

/** What the helper needs of the instance: `createAuth`'s result, or anything shaped like it. */
export interface LazyAuthTarget {
  fetch(request: Request, env?: unknown): Promise<Response> | Response;
  close(): Promise<void>;
}

export interface LazyAuthOptions {
  /**
   * How long a failed start is answered from memory before the next call starts again.
   * @default 1000
   */
  readonly retryAfterMs?: number;
  /**
   * Keeps the value on `globalThis` under this key, so that a module evaluated again (Next's
   * dev-mode reloads, several bundles of one server) gets the same instance instead of opening
   * a second database. Without it every `lazyAuth` call is its own value.
   */
  readonly globalKey?: string;
  /** Told once per failed start (the instance's own logger does not exist yet). @default pino at level error */
  readonly logger?: { error(object: object, message: string): void };
}

export interface LazyAuth<A extends LazyAuthTarget = Auth> {
  /** The started instance; starts it on the first call (callers in flight share the start). */
  get(): Promise<A>;
  /**
   * The instance's `fetch`; while it cannot start, a 503 problem+json `SERVICE_UNAVAILABLE` with
   * `Retry-After` (the error is logged once per failed start, never put in the body).
   */
  fetch(request: Request, env?: unknown): Promise<Response>;
  /** Closes the instance when started (a start in flight is closed when it lands); later calls are refused. */
  close(): Promise<void>;
  /** True once an instance is running (nothing is started by reading it). */
  readonly started: boolean;
}

/** The error `get()` rejects with after `close()`. */
export class LazyAuthClosedError extends Error {
  constructor() {
    super('This lazyAuth value was closed');
    this.name = 'LazyAuthClosedError';
  }
}

const DEFAULT_RETRY_AFTER_MS = 1000;

type State<A> =
  | { readonly kind: 'idle' }
  | { readonly kind: 'starting'; readonly promise: Promise<A> }
  | { readonly kind: 'ready'; readonly instance: A; readonly promise: Promise<A> }
  | { readonly kind: 'failed'; readonly error: unknown; readonly until: number }
  | { readonly kind: 'closed' };

function globalSlot(key: string): symbol {
  return Symbol.for(`gatehouse.lazyAuth:${key}`);
}

/**
 * A value usable at module level before the instance exists (see the module comment). With
 * `globalKey`, a second call with the same key answers the first call's value (its factory wins).
 */
export function lazyAuth<A extends LazyAuthTarget = Auth>(
  factory: () => Promise<A>,
  options: LazyAuthOptions = {},
): LazyAuth<A> {
  if (typeof factory !== 'function') throw new TypeError('lazyAuth needs a factory: () => createAuth(...)');
  const retryAfterMs = options.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
  if (!Number.isFinite(retryAfterMs) || retryAfterMs < 0) {
    throw new TypeError('lazyAuth: retryAfterMs must be a finite number of milliseconds, at least 0');
  }
  if (options.globalKey !== undefined) {
    const holder = globalThis as Record<symbol, unknown>;
    const slot = globalSlot(options.globalKey);
    const existing = holder[slot] as LazyAuth<A> | undefined;
    if (existing !== undefined) return existing;
    const created = createLazyAuth(factory, retryAfterMs, options.logger);
    holder[slot] = created;
    return created;
  }
  return createLazyAuth(factory, retryAfterMs, options.logger);
}

function createLazyAuth<A extends LazyAuthTarget>(
  factory: () => Promise<A>,
  retryAfterMs: number,
  logger: LazyAuthOptions['logger'],
): LazyAuth<A> {
  let state: State<A> = { kind: 'idle' };
  // Built only when a start fails: a value that starts fine never creates a second logger.
  let log = logger;
  const logFailure = (error: unknown): void => {
    log ??= pino({ name: 'gatehouse', level: 'error' });
    log.error({ err: error }, 'Gatehouse failed to start; requests get 503 until a later start succeeds');
  };

  function start(): Promise<A> {
    const promise = (async () => factory())().then(
      async (instance) => {
        if (state.kind === 'closed') {
          // close() was called while this start was in flight: nobody will ever use it.
          await instance.close();
          throw new LazyAuthClosedError();
        }
        state = { kind: 'ready', instance, promise };
        return instance;
      },
      (error: unknown) => {
        if (state.kind !== 'closed') {
          state = { kind: 'failed', error, until: Date.now() + retryAfterMs };
          logFailure(error);
        }
        throw error;
      },
    );
    state = { kind: 'starting', promise };
    return promise;
  }

  function get(): Promise<A> {
    switch (state.kind) {
      case 'ready':
      case 'starting':
        return state.promise;
      case 'closed':
        return Promise.reject(new LazyAuthClosedError());
      case 'failed':
        // Within the cool-down: the same error at once, without starting anything.
        if (Date.now() < state.until) return Promise.reject(state.error);
        return start();
      case 'idle':
        return start();
    }
  }

  /** Seconds until a retry may start, for `Retry-After` (at least 1). */
  function retryAfterSeconds(): number {
    const remaining = state.kind === 'failed' ? state.until - Date.now() : retryAfterMs;
    return Math.max(1, Math.ceil(remaining / 1000));
  }

  return {
    get,
    async fetch(request, env) {
      let instance: A;
      try {
        instance = await get();
      } catch {
        // The cause was logged when the start failed; the body says only that we are not up.
        return authErrorResponse(
          coreError('SERVICE_UNAVAILABLE', { retryAfterSeconds: retryAfterSeconds() }),
        );
      }
      return instance.fetch(request, env);
    },
    async close() {
      const previous = state;
      state = { kind: 'closed' };
      if (previous.kind === 'ready') await previous.instance.close();
      else if (previous.kind === 'starting')
        await previous.promise.then(
          () => undefined,
          () => undefined,
        );
    },
    get started() {
      return state.kind === 'ready';
    },
  };
}
