/**
 * The memory rate limiter: GCRA over a bounded map. Like the other memory stores, `consume`
 * runs synchronously between its argument checks and its return, so it is atomic on one event
 * loop by construction.
 *
 * Arithmetic is exact: time is whole milliseconds and budgets are counted in units of
 * `1 / limit` ms, so one request costs exactly `windowMs` units and a full budget is exactly
 * `windowMs * limit` units; no fraction such as `1000 / 3` is ever rounded (which could let
 * `limit + 1` requests through, or only `limit - 1`). The Redis script does the same.
 */

import { assertKey, assertRateLimitRule, rateLimitCost } from '../arguments.ts';
import type { RateLimitDecision, RateLimiter, StoreCapabilities } from '../contract.ts';
import type { BoundedTtlMap } from './bounded-ttl-map.ts';

/**
 * A key's theoretical arrival time (TAT): `tatMs + remainder / limit` ms on the map's clock.
 * Split in two so the value stays exact whatever the clock's magnitude.
 */
export interface GcraState {
  readonly tatMs: number;
  /** Units of `1 / limit` ms, below `limit`. */
  readonly remainder: number;
}

/**
 * How far the key's TAT is ahead of `nowMs`, in units of `1 / limit` ms: 0 when the budget is
 * full. Capped at a full window, so a state written under another rule (or a clock that went
 * back) can refuse for at most one window.
 */
function unitsAhead(state: GcraState | undefined, nowMs: number, limit: number, capacity: number): number {
  if (state === undefined || state.tatMs < nowMs) return 0;
  const ahead = (state.tatMs - nowMs) * limit + Math.min(state.remainder, limit - 1);
  return Math.min(ahead, capacity);
}

export function createMemoryRateLimiter(
  states: BoundedTtlMap<GcraState>,
  capabilities: StoreCapabilities,
): RateLimiter {
  return {
    capabilities,
    async consume(key, rule, options): Promise<RateLimitDecision> {
      assertKey(key);
      assertRateLimitRule(rule);
      const cost = rateLimitCost(options, rule);
      const { limit, windowMs } = rule;
      const now = states.now();
      const nowMs = Math.floor(now);
      const capacity = windowMs * limit;
      const ahead = unitsAhead(states.getLive(key, now)?.value, nowMs, limit, capacity);
      const after = ahead + cost * windowMs;
      if (after > capacity) {
        // Refused: nothing is written, so a refusal spends nothing.
        return {
          allowed: false,
          limit,
          remaining: 0,
          retryAfterMs: Math.ceil((after - capacity) / limit),
          resetMs: Math.ceil(ahead / limit),
        };
      }
      const wholeMs = Math.floor(after / limit);
      const resetMs = Math.ceil(after / limit);
      // Once the TAT has passed the key is the same as an absent one, so it can be pruned.
      states.set(key, { tatMs: nowMs + wholeMs, remainder: after - wholeMs * limit }, nowMs + resetMs, now);
      const remaining = Math.floor((capacity - after) / windowMs);
      return {
        allowed: true,
        limit,
        remaining,
        retryAfterMs: remaining > 0 ? 0 : Math.ceil((after + windowMs - capacity) / limit),
        resetMs,
      };
    },
    async reset(key) {
      assertKey(key);
      states.delete(key);
    },
  };
}
