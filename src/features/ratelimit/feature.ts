import { ConfigError } from '../../core/index.ts';
import { defineFeature } from '../../feature/index.ts';
import { createRateLimitEnforcer, type RateLimitEnforcer, slotOverrideProblems } from './enforcer.ts';

/** What other features use: the enforcer (`null` when limits are off) and the counter digest. */
export interface RateLimitPorts {
  readonly enforcer: RateLimitEnforcer | null;
  /** Keyed digest of a counter's subject (the lockout counters use it too). */
  readonly subjectDigest: (subject: string) => string;
}

/**
 * Rate limits: enforces the slots every feature declares (merged by the assembler), with the
 * overrides of `rateLimits.slots` and `rateLimits.groups`.
 */
export const rateLimitFeature = defineFeature({
  id: 'ratelimit',
  keyPurposes: { rateLimitKey: 'ratelimit-key' },
  build({ config, keys, stores, rateLimitSlots, metrics }) {
    const { rateLimits } = config;
    // Checked even with limits off: turning them back on must not meet a typo then.
    const problems = slotOverrideProblems(rateLimitSlots, rateLimits.slots, rateLimits.groups);
    if (problems.length > 0) throw new ConfigError(problems);
    const digester = keys.digester('ratelimit-key');
    const subjectDigest = (subject: string): string => digester.digest(subject);
    const enforcer = rateLimits.enabled
      ? createRateLimitEnforcer({
          limiter: stores.rateLimiter,
          table: rateLimitSlots,
          slots: rateLimits.slots,
          groups: rateLimits.groups,
          subjectDigest,
          ipv6PrefixLength: rateLimits.ipv6PrefixLength,
        })
      : null;
    const limited = metrics.counter({
      name: 'gatehouse_rate_limited_total',
      help: 'Requests refused with 429 by a rate-limit slot, by slot',
      labelNames: ['slot'],
    });
    // Counted here, where the refusal is decided: routes and authenticators share the hook.
    const counted: RateLimitEnforcer | null = enforcer && {
      ...enforcer,
      hook: async (slot, subject) => {
        const decision = await enforcer.hook(slot, subject);
        if (decision.retryAfterSeconds !== null) limited.inc({ slot });
        return decision;
      },
    };
    const ports: RateLimitPorts = { enforcer: counted, subjectDigest };
    return { ports, ...(counted ? { rateLimit: counted.hook } : {}) };
  },
});
