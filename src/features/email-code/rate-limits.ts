import type { RateLimitSlotRule } from '../../feature/index.ts';

/**
 * This feature's rate-limit slots and their defaults: at most `limit` requests per
 * `windowSeconds`, refilling continuously (GCRA). `rateLimits.slots` changes, groups or turns
 * off each by name. Each route counts against two: one per address, one per client IP.
 */
export const EMAIL_CODE_RATE_LIMITS: Readonly<Record<string, RateLimitSlotRule>> = Object.freeze({
  /** Each request sends a mail: a small budget per address (mail bombing, code farming). */
  emailCodeRequest: { limit: 3, windowSeconds: 900, scope: 'identifier' },
  /** One client asking codes for many addresses. */
  emailCodeRequestIp: { limit: 10, windowSeconds: 900, scope: 'ip' },
  /** Checks of codes for one address (each code has its own budget of `maxAttempts` too). */
  emailCodeVerify: { limit: 10, windowSeconds: 900, scope: 'identifier' },
  /** One client guessing codes of many addresses. */
  emailCodeVerifyIp: { limit: 30, windowSeconds: 900, scope: 'ip' },
});
