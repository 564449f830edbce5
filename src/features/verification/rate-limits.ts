import type { RateLimitSlotRule } from '../../feature/index.ts';

/**
 * This feature's rate-limit slots and their defaults: at most `limit` requests per
 * `windowSeconds`, refilling continuously (GCRA). `rateLimits.slots` changes, groups or turns
 * off each by name.
 */
export const VERIFICATION_RATE_LIMITS: Readonly<Record<string, RateLimitSlotRule>> = Object.freeze({
  /** Each request may send a mail: a small budget per address. */
  requestVerify: { limit: 3, windowSeconds: 900, scope: 'identifier' },
  verify: { limit: 20, windowSeconds: 900, scope: 'ip' },
  forgotPassword: { limit: 3, windowSeconds: 900, scope: 'identifier' },
  resetPassword: { limit: 10, windowSeconds: 900, scope: 'ip' },
  changeEmail: { limit: 3, windowSeconds: 3600, scope: 'identifier' },
});
