import type { RateLimitSlotRule } from '../../feature/index.ts';

/**
 * This feature's rate-limit slots and their defaults: at most `limit` requests per
 * `windowSeconds`, refilling continuously (GCRA). `rateLimits.slots` changes, groups or turns
 * off each by name.
 */
export const OAUTH_RATE_LIMITS: Readonly<Record<string, RateLimitSlotRule>> = Object.freeze({
  /** Flows started and finished per address, exchange codes traded per address. */
  oauthAuthorize: { limit: 30, windowSeconds: 60, scope: 'ip' },
  oauthCallback: { limit: 30, windowSeconds: 60, scope: 'ip' },
  oauthExchange: { limit: 30, windowSeconds: 60, scope: 'ip' },
});
