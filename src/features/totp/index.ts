export { STEP_UP_ERROR_CODES, TOTP_ERROR_CODES, totpError } from './error-codes.ts';
export { newRecoveryCodes, normalizeRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-codes.ts';
export { type TotpRoutesOptions, totpRoutes } from './routes.ts';
export {
  createTwoFactor,
  type SeedSealer,
  STEP_UP_CODE_HEADER,
  type TwoFactor,
  type TwoFactorOptions,
} from './two-factor.ts';
