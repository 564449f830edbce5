/**
 * The Redis rate limiter: one GCRA script per `consume`, so each decision is one round trip
 * and one atomic step across every process sharing the server, timed by the server's clock.
 */

import { assertKey, assertRateLimitRule, rateLimitCost } from '../arguments.ts';
import type { RateLimitDecision, RateLimiter, StoreCapabilities } from '../contract.ts';
import type { CommandRunner } from './command-runner.ts';
import type { KeyNamer } from './keys.ts';
import { RATE_LIMIT_SCRIPT } from './scripts.ts';
import { asInteger, unexpectedReply } from './stores.ts';

export function createRedisRateLimiter(
  redis: CommandRunner,
  name: KeyNamer,
  capabilities: StoreCapabilities,
): RateLimiter {
  return {
    capabilities,
    async consume(key, rule, options): Promise<RateLimitDecision> {
      assertKey(key);
      assertRateLimitRule(rule);
      const cost = rateLimitCost(options, rule);
      const { limit, windowMs } = rule;
      const reply = await redis.evalScript(RATE_LIMIT_SCRIPT, [name(key)], [limit, windowMs, cost]);
      if (!Array.isArray(reply) || reply.length !== 4) {
        throw unexpectedReply('[allowed, remaining, retryAfterMs, resetMs]');
      }
      const [allowed, remaining, retryAfterMs, resetMs] = reply.map(asInteger) as [
        number,
        number,
        number,
        number,
      ];
      return { allowed: allowed === 1, limit, remaining, retryAfterMs, resetMs };
    },
    async reset(key) {
      assertKey(key);
      await redis.call('DEL', name(key));
    },
  };
}
