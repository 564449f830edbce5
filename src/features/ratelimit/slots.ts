/** What a limit counts per: the client address, the account/email, or both together. */
export type RateLimitScope = 'ip' | 'identifier' | 'ipIdentifier';

export interface RateLimitSlotRule {
  readonly limit: number;
  readonly windowSeconds: number;
  readonly scope: RateLimitScope;
}

/**
 * The limits on by default, one per endpoint slot. At most `limit` requests per `windowSeconds`
 * in any window, refilling continuously (GCRA). Each can be changed, shared with other slots
 * through a group, or turned off (`false`) in `rateLimits.slots`. Slots of later features
 * (2FA, API keys, OAuth) are added to this table with them.
 */
export const DEFAULT_RATE_LIMIT_SLOTS: Readonly<Record<string, RateLimitSlotRule>> = Object.freeze({
  /** Password guessing against one account from one address; lockout adds the per-account cap. */
  login: { limit: 10, windowSeconds: 60, scope: 'ipIdentifier' },
  /** Cookie login (browser sessions): the same budget shape as login. */
  session: { limit: 10, windowSeconds: 60, scope: 'ipIdentifier' },
  /** Sign-up floods, and mail bombing through "existing account" notices. */
  register: { limit: 10, windowSeconds: 3600, scope: 'ip' },
  refresh: { limit: 60, windowSeconds: 60, scope: 'ip' },
  /** Each request may send a mail: a small budget per address. */
  requestVerify: { limit: 3, windowSeconds: 900, scope: 'identifier' },
  verify: { limit: 20, windowSeconds: 900, scope: 'ip' },
  forgotPassword: { limit: 3, windowSeconds: 900, scope: 'identifier' },
  resetPassword: { limit: 10, windowSeconds: 900, scope: 'ip' },
  changePassword: { limit: 5, windowSeconds: 900, scope: 'identifier' },
  changeEmail: { limit: 3, windowSeconds: 3600, scope: 'identifier' },
  /** Two-factor: codes per user (per pending login for `totpVerify`), 5 per 5 minutes. */
  totpEnable: { limit: 5, windowSeconds: 900, scope: 'identifier' },
  totpConfirm: { limit: 5, windowSeconds: 300, scope: 'identifier' },
  totpVerify: { limit: 5, windowSeconds: 300, scope: 'identifier' },
  totpDisable: { limit: 5, windowSeconds: 300, scope: 'identifier' },
  totpRecoveryCodes: { limit: 5, windowSeconds: 300, scope: 'identifier' },
  totpStepUp: { limit: 5, windowSeconds: 300, scope: 'identifier' },
  /** OAuth: flows started and finished per address, exchange codes traded per address. */
  oauthAuthorize: { limit: 30, windowSeconds: 60, scope: 'ip' },
  oauthCallback: { limit: 30, windowSeconds: 60, scope: 'ip' },
  oauthExchange: { limit: 30, windowSeconds: 60, scope: 'ip' },
  /** API keys: creations per account; failed key authentications per address. */
  apiKeyCreate: { limit: 10, windowSeconds: 3600, scope: 'identifier' },
  apiKeyAuthFailure: { limit: 20, windowSeconds: 60, scope: 'ip' },
});
