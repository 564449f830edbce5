import type { RateLimitSlotRule } from '../../feature/index.ts';

/**
 * This feature's rate-limit slots and their defaults: at most `limit` requests per
 * `windowSeconds`, refilling continuously (GCRA). `rateLimits.slots` changes, groups or turns
 * off each by name.
 */
export const TWO_FACTOR_RATE_LIMITS: Readonly<Record<string, RateLimitSlotRule>> = Object.freeze({
  /** Codes per user (per pending login for `totpVerify`), 5 per 5 minutes. */
  totpEnable: { limit: 5, windowSeconds: 900, scope: 'identifier' },
  totpConfirm: { limit: 5, windowSeconds: 300, scope: 'identifier' },
  totpVerify: { limit: 5, windowSeconds: 300, scope: 'identifier' },
  totpDisable: { limit: 5, windowSeconds: 300, scope: 'identifier' },
  totpRecoveryCodes: { limit: 5, windowSeconds: 300, scope: 'identifier' },
  totpStepUp: { limit: 5, windowSeconds: 300, scope: 'identifier' },
});
