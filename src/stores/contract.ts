/**
 * The store contract: the shared, short-lived state every Gatehouse feature relies on
 * (single-use markers, counters, rate-limit budgets, revocations, small cached values).
 *
 * Each interface has a memory implementation (one process) and a Redis implementation (many
 * workers and machines); both pass one contract suite (`test/contract/`). Durable data (users,
 * sessions, audit events) lives in SQL instead, see `stores/sql/`.
 *
 * Guarantees every implementation gives:
 * - Atomicity: each method is one atomic step, even under concurrent callers on many
 *   processes sharing the backend.
 * - TTLs are milliseconds, must be positive integers, and are always applied: no key is ever
 *   written without an expiry.
 * - Fail closed: when the backend cannot do the operation (unreachable, too slow, full) the
 *   method rejects with a {@link StoreError}. It never answers as if the operation succeeded,
 *   and it never makes room by evicting a live entry (a revocation or a single-use marker
 *   that disappeared would re-open what it closed). A `StoreError` means "outcome unknown": a
 *   write that timed out on the wire may still land later, so callers fail the request and
 *   never assume either outcome.
 * - Keys and values are well-formed Unicode strings (no lone surrogates: a UTF-8 backend would
 *   turn them all into U+FFFD, so distinct keys would collide); bad arguments reject with a
 *   `TypeError` whose message never echoes them.
 *
 * This module imports nothing: stores depend on it, never the other way round.
 */

/** What a backend can promise; the core branches on these flags, never on the backend's name. */
export interface StoreCapabilities {
  /** Name for logs and `gatehouse doctor`, e.g. `memory` or `redis`. Never branch on it. */
  readonly backend: string;
  /** State is visible to every process that shares the backend (false: this process only). */
  readonly shared: boolean;
  /** State survives a restart of this process. */
  readonly survivesRestart: boolean;
}

/** Why a store operation could not be done. */
export type StoreErrorKind =
  /** The backend cannot be reached or refused the command. */
  | 'unavailable'
  /** The backend did not answer within the command timeout. */
  | 'timeout'
  /** A bounded backend is full of live entries and refuses new keys (fail closed). */
  | 'full';

/**
 * A store could not do what was asked, so the caller must fail the request (503) and change
 * nothing. The message never contains keys or values (they may hold attacker input or secrets).
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly kind: StoreErrorKind;
  /** Seconds a client should wait before retrying; sent as `Retry-After`. */
  readonly retryAfterSeconds: number;

  constructor(
    kind: StoreErrorKind,
    message: string,
    options: { retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.retryAfterSeconds = options.retryAfterSeconds ?? (kind === 'full' ? 5 : 1);
  }
}

export function isStoreError(value: unknown): value is StoreError {
  return value instanceof StoreError;
}

/** Small values with an expiry: pending enrollments, cached lookups, flow state. */
export interface KeyValueStore {
  readonly capabilities: StoreCapabilities;
  /** The value, or `null` when absent or expired. */
  get(key: string): Promise<string | null>;
  /** Writes (or overwrites) the value with a fresh TTL. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Writes only when the key is absent; `true` when this call wrote it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Reads and deletes in one atomic step: at most one concurrent caller gets the value. */
  getAndDelete(key: string): Promise<string | null>;
  /** `true` when a live key was deleted. */
  delete(key: string): Promise<boolean>;
}

/**
 * Single-use markers: one-time tokens, codes, nonces, OAuth state.
 *
 * `consumeOnce(key, ttl)` answers `true` for exactly one caller, ever, within the TTL, across
 * every process sharing the backend; every other caller (concurrent or later) gets `false`.
 * The TTL must outlive the thing it guards (e.g. a token's remaining lifetime): once it has
 * passed the marker is gone and the next `consumeOnce` answers `true` again.
 */
export interface OnceStore {
  readonly capabilities: StoreCapabilities;
  consumeOnce(key: string, ttlMs: number): Promise<boolean>;
  /** Whether the key was consumed and its marker is still live (for diagnostics and tests). */
  isConsumed(key: string): Promise<boolean>;
}

export interface CounterValue {
  /** The value after this increment. */
  readonly value: number;
  /** Milliseconds until the counter expires (the TTL is set when the counter is created). */
  readonly ttlMs: number;
}

/** The outcome of {@link CounterStore.reserve}. */
export interface CounterReservation {
  /** Whether this call took a unit of the budget. */
  readonly granted: boolean;
  /**
   * Granted: the counter's value after this call, i.e. which unit (1..limit) this call took.
   * Refused: the current value (at least the limit).
   */
  readonly value: number;
  /** Milliseconds until the counter expires. */
  readonly ttlMs: number;
}

/**
 * Counters for attempt caps and lockouts. The TTL is set only when the counter is created, so
 * a steady stream of increments cannot keep a counter alive forever (fixed window).
 */
export interface CounterStore {
  readonly capabilities: StoreCapabilities;
  /**
   * Adds `by` (default 1; a positive safe integer) and returns the new value; creates the
   * counter with `ttlMs`.
   */
  increment(key: string, ttlMs: number, by?: number): Promise<CounterValue>;
  /**
   * Takes one unit of a budget of `limit` (a positive safe integer) in one atomic step: adds 1
   * only while the value is below `limit`, creating the counter with `ttlMs`; a refused call
   * changes nothing. So of any number of concurrent callers, on one process or many, exactly
   * `limit` minus the current value are granted: an attempt is paid for before it is made.
   */
  reserve(key: string, limit: number, ttlMs: number): Promise<CounterReservation>;
  /**
   * Gives one unit back (an attempt that succeeded, or one refused elsewhere): subtracts 1 from
   * a live counter above 0. Never creates a counter, never goes below 0, keeps the expiry.
   */
  release(key: string): Promise<void>;
  /**
   * Sets a live counter's remaining life to `ttlMs`, keeping its value (a spent budget held as
   * a lock for exactly the lock's length); `false` when the counter is absent or expired.
   */
  expire(key: string, ttlMs: number): Promise<boolean>;
  /** The current value (0 when absent or expired). */
  peek(key: string): Promise<number>;
  /** Removes the counter (e.g. a successful login resets failures). */
  reset(key: string): Promise<void>;
}

/**
 * Revocations: token ids, session ids, "not before" epochs. An entry must live at least as long
 * as what it revokes could still be accepted, so the TTL is the credential's remaining lifetime.
 */
export interface Denylist {
  readonly capabilities: StoreCapabilities;
  /**
   * Records the revocation. Re-adding keeps the longer of the two expiries and records the
   * newer value (e.g. a later not-before epoch).
   */
  add(key: string, ttlMs: number, value?: string): Promise<void>;
  /** The value recorded for a live entry (default `'1'`), or `null`. */
  get(key: string): Promise<string | null>;
  /**
   * Looks up several keys in one round trip (the per-request revocation check covers the
   * token id, the session id and the user's not-before epoch at once). Same order as `keys`.
   */
  getMany(keys: readonly string[]): Promise<(string | null)[]>;
  /**
   * Writes `value` with `ttlMs` only if the entry holds `expected` right now (`null`: only if it
   * is absent), in one atomic step across every process sharing the backend; `true` when it
   * wrote. The expiry is the one given (unlike `add`). Gatehouse uses it for the marker that
   * says the denylist is complete: claimed as pending before a rebuild, set to complete only if
   * the pending value survived the rebuild (a data loss in between removed it).
   */
  compareAndSet(key: string, expected: string | null, value: string, ttlMs: number): Promise<boolean>;
}

/** A rate-limit budget: `limit` requests per `windowMs`, refilled continuously. */
export interface RateLimitRule {
  /** Requests per window: a safe integer from 1 to {@link MAX_RATE_LIMIT}. */
  readonly limit: number;
  /** The window in ms: an integer from 1000 to {@link MAX_RATE_LIMIT_WINDOW_MS}. */
  readonly windowMs: number;
}

/** The outcome of {@link RateLimiter.consume}, with what the `RateLimit*` headers need. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  /** The rule's `limit`, echoed for the `RateLimit-Policy` header. */
  readonly limit: number;
  /** Requests still allowed right now after this one (0 when refused). */
  readonly remaining: number;
  /**
   * Ms until one more request would be allowed (0 when allowed and `remaining > 0`). For a
   * refused request it is the wait until this same request (with its `cost`) would pass:
   * the `Retry-After`.
   */
  readonly retryAfterMs: number;
  /** Ms until the budget is fully restored (for the `RateLimit` header's reset). */
  readonly resetMs: number;
}

/**
 * Rate limiting with GCRA (the generic cell rate algorithm): a token bucket kept as a single
 * timestamp per key, the theoretical arrival time (TAT).
 *
 * Semantics: a key starts with a budget of `limit` requests. Each allowed request spends one
 * (or `cost`), and the budget refills continuously at `limit` per `windowMs` (one request
 * every `windowMs / limit` ms), never above `limit`. So at most `limit` requests pass in a
 * burst, the sustained rate is `limit` per `windowMs`, and over any span of `t` ms at most
 * `limit + floor(t * limit / windowMs)` requests pass. This is a rolling budget, not a fixed
 * or sliding window count: a client that spent its burst gets one request back every
 * `windowMs / limit` ms, e.g. `{ limit: 5, windowMs: 60_000 }` admits 5 at once, then one every
 * 12 s.
 *
 * Exact under concurrency: each `consume` is one atomic step, so 100 concurrent calls on one
 * key with `limit: 10` allow exactly 10, on one process or many sharing the backend. Time is
 * counted in whole milliseconds; the shared backend uses its own clock, so workers whose
 * clocks disagree still agree on every decision.
 *
 * Keys: the backend stores the key as given, so callers pass keys that are already hashed
 * (a keyed digest of the IP or identifier): an attacker-chosen email must never appear in the
 * backend as is. A key is meant to be used with one rule; `cost` must not exceed its `limit`.
 */
export interface RateLimiter {
  readonly capabilities: StoreCapabilities;
  /**
   * Counts one request (or `cost`, a safe integer from 1 to `rule.limit`) against `key` under
   * `rule`; atomic; a refused request consumes nothing. The state expires once the budget is
   * full again, so an idle key costs nothing.
   */
  consume(key: string, rule: RateLimitRule, options?: { cost?: number }): Promise<RateLimitDecision>;
  /** Forgets the key (e.g. a successful login resets a failure budget). */
  reset(key: string): Promise<void>;
}

/** What {@link Stores.persistence} found out about the backend's own durability. */
export interface StorePersistence {
  /** `on`: data survives a restart of the backend; `off`: it does not; `unknown`: could not tell. */
  readonly state: 'on' | 'off' | 'unknown';
  /** What was seen, for logs (settings or why they could not be read; never keys or secrets). */
  readonly detail: string;
}

/** The shared stores a Gatehouse instance uses, all from one backend. */
export interface Stores {
  readonly keyValue: KeyValueStore;
  readonly once: OnceStore;
  readonly counters: CounterStore;
  readonly denylist: Denylist;
  readonly rateLimiter: RateLimiter;
  /** Confirms the backend answers (for `/ready`); rejects with a `StoreError` otherwise. */
  ping(): Promise<void>;
  /**
   * Whether the backend keeps its data across its own restart (for start-up warnings and
   * `gatehouse doctor`). Optional: a bundle without it is not checked. Never rejects.
   */
  persistence?(): Promise<StorePersistence>;
  /** Releases what this bundle owns (a client it built itself); a passed-in client is left open. */
  close(): Promise<void>;
}

/** Largest key accepted, in bytes; longer keys are a programming error (`TypeError`). */
export const MAX_KEY_BYTES = 512;
/** Largest `RateLimitRule.limit` accepted. */
export const MAX_RATE_LIMIT = 1_000_000;
/**
 * Longest `RateLimitRule.windowMs` accepted (30 days). With {@link MAX_RATE_LIMIT} it keeps the
 * exact integer arithmetic (units of `1 / limit` ms) within a double's 53 bits.
 */
export const MAX_RATE_LIMIT_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;
/** Shortest `RateLimitRule.windowMs` accepted. */
export const MIN_RATE_LIMIT_WINDOW_MS = 1000;
