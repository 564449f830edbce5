import type { RateLimitSlotRule } from '../../feature/index.ts';

/**
 * This feature's rate-limit slots and their defaults: at most `limit` requests per
 * `windowSeconds`, refilling continuously (GCRA). `rateLimits.slots` changes, groups or turns
 * off each by name.
 */
export const API_KEY_RATE_LIMITS: Readonly<Record<string, RateLimitSlotRule>> = Object.freeze({
  /** Creations per account. */
  apiKeyCreate: { limit: 10, windowSeconds: 3600, scope: 'identifier' },
  /** Failed key authentications per address (guessing keys meets a 429). */
  apiKeyAuthFailure: { limit: 20, windowSeconds: 60, scope: 'ip' },
});
