/**
 * Argument checks shared by every store backend. A bad argument is a programming error, so it
 * throws a `TypeError` with a Node-style `code`; messages never echo the key or value.
 */
import {
  MAX_KEY_BYTES,
  MAX_RATE_LIMIT,
  MAX_RATE_LIMIT_WINDOW_MS,
  MIN_RATE_LIMIT_WINDOW_MS,
  type RateLimitRule,
} from './contract.ts';

type CodedTypeError = TypeError & { code: string };

/** A `TypeError` carrying a Node-style `ERR_INVALID_ARG_*` code (a programming error). */
export function invalidArgument(
  message: string,
  code: 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE',
): CodedTypeError {
  const error = new TypeError(message) as CodedTypeError;
  error.code = code;
  return error;
}

/** `String.prototype.isWellFormed` (ES2024, Node ≥ 20) without widening the project's `lib`. */
function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

/**
 * A key is a non-empty, well-formed string of at most `MAX_KEY_BYTES` UTF-8 bytes.
 * Lone surrogates are refused because a backend that stores UTF-8 turns every one of them into
 * U+FFFD, so two different keys would name the same entry.
 */
export function assertKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw invalidArgument('A store key must be a string', 'ERR_INVALID_ARG_TYPE');
  // UTF-8 needs at most 3 bytes per UTF-16 unit, so short keys skip the byte count.
  const tooLong = key.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES;
  if (key.length === 0 || tooLong || !isWellFormed(key)) {
    throw invalidArgument(
      `A store key must be a non-empty, well-formed string of at most ${MAX_KEY_BYTES} bytes`,
      'ERR_INVALID_ARG_VALUE',
    );
  }
}

/** A stored value is a well-formed string (see {@link assertKey} for why well-formed). */
export function assertValue(value: unknown): asserts value is string {
  if (typeof value !== 'string')
    throw invalidArgument('A store value must be a string', 'ERR_INVALID_ARG_TYPE');
  if (!isWellFormed(value))
    throw invalidArgument('A store value must be well-formed Unicode', 'ERR_INVALID_ARG_VALUE');
}

/** Every write carries an expiry: a positive safe integer number of milliseconds. */
export function assertTtlMs(ttlMs: unknown): asserts ttlMs is number {
  if (typeof ttlMs !== 'number') throw invalidArgument('ttlMs must be a number', 'ERR_INVALID_ARG_TYPE');
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw invalidArgument('ttlMs must be a positive safe integer (milliseconds)', 'ERR_INVALID_ARG_VALUE');
  }
}

/** Counters only go up (attempt caps and lockouts), by a positive safe integer. */
export function assertIncrement(by: unknown): asserts by is number {
  if (typeof by !== 'number') throw invalidArgument('by must be a number', 'ERR_INVALID_ARG_TYPE');
  if (!Number.isSafeInteger(by) || by <= 0) {
    throw invalidArgument('by must be a positive safe integer', 'ERR_INVALID_ARG_VALUE');
  }
}

/** A budget's `limit` (counters' `reserve`): a positive safe integer. */
export function assertLimit(limit: unknown): asserts limit is number {
  if (typeof limit !== 'number') throw invalidArgument('limit must be a number', 'ERR_INVALID_ARG_TYPE');
  if (!Number.isSafeInteger(limit) || limit <= 0) {
    throw invalidArgument('limit must be a positive safe integer', 'ERR_INVALID_ARG_VALUE');
  }
}

/** `getMany` takes an array of keys, each checked like a single key. */
export function assertKeys(keys: unknown): asserts keys is readonly string[] {
  if (!Array.isArray(keys)) throw invalidArgument('keys must be an array of strings', 'ERR_INVALID_ARG_TYPE');
  for (const key of keys) assertKey(key);
}

/** A rate-limit rule: `limit` 1..MAX_RATE_LIMIT, `windowMs` MIN..MAX_RATE_LIMIT_WINDOW_MS, integers. */
export function assertRateLimitRule(rule: unknown): asserts rule is RateLimitRule {
  if (typeof rule !== 'object' || rule === null)
    throw invalidArgument('A rate-limit rule must be an object', 'ERR_INVALID_ARG_TYPE');
  const { limit, windowMs } = rule as Partial<Record<keyof RateLimitRule, unknown>>;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || limit > MAX_RATE_LIMIT) {
    throw invalidArgument(
      `rule.limit must be an integer from 1 to ${MAX_RATE_LIMIT}`,
      'ERR_INVALID_ARG_VALUE',
    );
  }
  if (
    typeof windowMs !== 'number' ||
    !Number.isSafeInteger(windowMs) ||
    windowMs < MIN_RATE_LIMIT_WINDOW_MS ||
    windowMs > MAX_RATE_LIMIT_WINDOW_MS
  ) {
    throw invalidArgument(
      `rule.windowMs must be an integer from ${MIN_RATE_LIMIT_WINDOW_MS} to ${MAX_RATE_LIMIT_WINDOW_MS}`,
      'ERR_INVALID_ARG_VALUE',
    );
  }
}

/**
 * The `cost` of one `consume` (default 1): a safe integer from 1 to the rule's limit. A larger
 * cost could never be allowed, so asking for one is a programming error.
 */
export function rateLimitCost(options: unknown, rule: RateLimitRule): number {
  if (options === undefined) return 1;
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('consume options must be an object', 'ERR_INVALID_ARG_TYPE');
  const { cost = 1 } = options as { cost?: unknown };
  if (typeof cost !== 'number') throw invalidArgument('cost must be a number', 'ERR_INVALID_ARG_TYPE');
  if (!Number.isSafeInteger(cost) || cost < 1 || cost > rule.limit) {
    throw invalidArgument("cost must be an integer from 1 to the rule's limit", 'ERR_INVALID_ARG_VALUE');
  }
  return cost;
}
