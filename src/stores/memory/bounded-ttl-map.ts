import { StoreError } from '../contract.ts';

/** One stored value and the instant (on the map's clock) it stops being live. */
export interface TtlEntry<V> {
  value: V;
  expiresAt: number;
}

export interface BoundedTtlMapOptions {
  /** Most entries held at once, live or not yet pruned. */
  readonly maxEntries: number;
  /** Milliseconds on a clock that never goes backwards. */
  readonly now: () => number;
  /** Names the store in the `full` error, e.g. `memory once store`. */
  readonly label: string;
}

/** `Retry-After` for a full store: until the earliest entry expires, within sane bounds. */
const MIN_RETRY_AFTER_SECONDS = 1;
const MAX_RETRY_AFTER_SECONDS = 60;

/**
 * A map whose entries expire, with a hard size bound that fails closed.
 *
 * Expired entries are dropped when read and swept when the map is full; there is no timer, so
 * the map never keeps a process alive. When every slot holds a live entry, a write that needs
 * a new slot throws `StoreError('full')` instead of evicting: a revocation or a single-use
 * marker that vanished to make room would re-open what it closed. Overwriting an existing key
 * needs no new slot and always succeeds.
 */
export class BoundedTtlMap<V> {
  readonly #entries = new Map<string, TtlEntry<V>>();
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #label: string;
  /**
   * A lower bound on every entry's expiry: until the clock reaches it a sweep frees nothing,
   * so a map full of live entries refuses writes without scanning itself each time.
   */
  #earliestExpiry = Number.POSITIVE_INFINITY;

  constructor(options: BoundedTtlMapOptions) {
    this.#maxEntries = options.maxEntries;
    this.#now = options.now;
    this.#label = options.label;
  }

  /** The current time on this map's clock. */
  now(): number {
    return this.#now();
  }

  /** Entries held, including expired ones not yet pruned. */
  get size(): number {
    return this.#entries.size;
  }

  /** The live entry for `key`; an expired one is pruned and reported as absent. */
  getLive(key: string, now: number = this.#now()): TtlEntry<V> | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /**
   * Stores `value` until `expiresAt`, replacing any entry under `key`.
   * @throws {StoreError} kind `full` when `key` is new and every slot holds a live entry.
   */
  set(key: string, value: V, expiresAt: number, now: number = this.#now()): void {
    if (!this.#entries.has(key) && this.#entries.size >= this.#maxEntries) this.#makeRoom(now);
    this.#entries.set(key, { value, expiresAt });
    if (expiresAt < this.#earliestExpiry) this.#earliestExpiry = expiresAt;
  }

  /** Removes `key`; `true` when the removed entry was still live. */
  delete(key: string, now: number = this.#now()): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    return entry.expiresAt > now;
  }

  /** Drops every entry. */
  clear(): void {
    this.#entries.clear();
    this.#earliestExpiry = Number.POSITIVE_INFINITY;
  }

  #makeRoom(now: number): void {
    if (now >= this.#earliestExpiry) {
      let earliest = Number.POSITIVE_INFINITY;
      for (const [key, entry] of this.#entries) {
        if (entry.expiresAt <= now) this.#entries.delete(key);
        else if (entry.expiresAt < earliest) earliest = entry.expiresAt;
      }
      this.#earliestExpiry = earliest;
    }
    if (this.#entries.size < this.#maxEntries) return;
    const secondsUntilRoom = Math.ceil((this.#earliestExpiry - now) / 1000);
    throw new StoreError('full', `The ${this.#label} is full of live entries and refuses new keys`, {
      retryAfterSeconds: Math.min(
        MAX_RETRY_AFTER_SECONDS,
        Math.max(MIN_RETRY_AFTER_SECONDS, secondsUntilRoom),
      ),
    });
  }
}
