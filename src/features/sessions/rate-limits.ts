import type { RateLimitSlotRule } from '../../feature/index.ts';

/**
 * This feature's rate-limit slots and their defaults: at most `limit` requests per
 * `windowSeconds`, refilling continuously (GCRA). `rateLimits.slots` changes, groups or turns
 * off each by name.
 */
export const SESSIONS_RATE_LIMITS: Readonly<Record<string, RateLimitSlotRule>> = Object.freeze({
  /** Cookie login (browser sessions): the same budget shape as login. */
  session: { limit: 10, windowSeconds: 60, scope: 'ipIdentifier' },
  refresh: { limit: 60, windowSeconds: 60, scope: 'ip' },
});
