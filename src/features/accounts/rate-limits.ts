import type { RateLimitSlotRule } from '../../feature/index.ts';

/**
 * This feature's rate-limit slots and their defaults: at most `limit` requests per
 * `windowSeconds`, refilling continuously (GCRA). `rateLimits.slots` changes, groups or turns
 * off each by name.
 */
export const ACCOUNTS_RATE_LIMITS: Readonly<Record<string, RateLimitSlotRule>> = Object.freeze({
  /** Password guessing against one account from one address; lockout adds the per-account cap. */
  login: { limit: 10, windowSeconds: 60, scope: 'ipIdentifier' },
  /** Sign-up floods, and mail bombing through "existing account" notices. */
  register: { limit: 10, windowSeconds: 3600, scope: 'ip' },
  changePassword: { limit: 5, windowSeconds: 900, scope: 'identifier' },
});
