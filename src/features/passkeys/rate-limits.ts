import type { RateLimitSlotRule } from '../../feature/index.ts';

/**
 * This feature's rate-limit slots and their defaults (GCRA); `rateLimits.slots` changes,
 * groups or turns off each by name.
 */
export const PASSKEY_RATE_LIMITS: Readonly<Record<string, RateLimitSlotRule>> = Object.freeze({
  /** Sign-in options per address (each stores a challenge for 5 minutes). */
  passkeyOptions: { limit: 30, windowSeconds: 60, scope: 'ip' },
  /** Sign-in attempts per address. */
  passkeyLogin: { limit: 20, windowSeconds: 60, scope: 'ip' },
  /** Registration ceremonies (options and finish) per account. */
  passkeyRegister: { limit: 20, windowSeconds: 3600, scope: 'identifier' },
});
