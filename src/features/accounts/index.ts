export {
  type BreachCheckFailureMode,
  BreachCheckUnavailableError,
  type BreachedPasswordCheck,
  type BreachGate,
  createBreachedPasswordCheck,
  createBreachGate,
} from './breached-passwords.ts';
export {
  ACCOUNTS_CONFIG_KEY,
  ACCOUNTS_DEFAULTS,
  type AccountsOptions,
  accountsOptionsSchema,
} from './config.ts';
export { emailSchema, normalizeEmail } from './email.ts';
export { ACCOUNTS_ERROR_CODES, accountsError } from './error-codes.ts';
export { type AccountsPorts, accountsFeature } from './feature.ts';
export {
  createPasswordPolicy,
  type PasswordPolicy,
  type PasswordPolicyReason,
  passwordPolicyError,
} from './password-policy.ts';
export { ACCOUNTS_RATE_LIMITS } from './rate-limits.ts';
export { type AccountsRoutesOptions, accountsRoutes, twoFactorChallenge, userView } from './routes.ts';
export { type AccountsService, type AccountsServiceOptions, createAccountsService } from './service.ts';
