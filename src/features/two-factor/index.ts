export { STEP_UP_ERROR_CODES, TWO_FACTOR_ERROR_CODES, twoFactorError } from './error-codes.ts';
export { TWO_FACTOR_KEY_PURPOSES, type TwoFactorPorts, twoFactorFeature } from './feature.ts';
export { TWO_FACTOR_RATE_LIMITS } from './rate-limits.ts';
export { newRecoveryCodes, normalizeRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-codes.ts';
export { type TwoFactorRoutesOptions, twoFactorRoutes } from './routes.ts';
export {
  createTwoFactor,
  type SeedSealer,
  STEP_UP_CODE_HEADER,
  type TwoFactor,
  type TwoFactorOptions,
} from './service.ts';
