import { type CoreErrorCode, defineErrors } from '../../core/index.ts';

export const TWO_FACTOR_ERRORS = defineErrors({
  TWO_FACTOR_ALREADY_ENABLED: { status: 409, title: 'Two-factor authentication is already on.' },
  TWO_FACTOR_NOT_ENABLED: { status: 409, title: 'Two-factor authentication is not on.' },
  ENROLLMENT_TOKEN_INVALID: {
    status: 400,
    title: 'The enrollment token is invalid, expired, used or superseded.',
  },
  TWO_FACTOR_CODE_INVALID: { status: 400, title: 'The code is wrong, expired or already used.' },
  PENDING_TOKEN_INVALID: { status: 400, title: 'The sign-in is invalid, expired or already finished.' },
  STEP_UP_REQUIRED: {
    status: 403,
    title: 'This action needs a recent second factor: verify a code first.',
  },
});

export const TWO_FACTOR_ERROR_CODES = TWO_FACTOR_ERRORS.codes;

export type TwoFactorErrorCode = keyof typeof TWO_FACTOR_ERROR_CODES;

export const twoFactorError = TWO_FACTOR_ERRORS.error;

/**
 * What the step-up check of a sensitive route may answer: no recent second factor, a wrong
 * code in the step-up header, too many wrong codes (the 2FA lockout), or an account that was
 * deactivated meanwhile.
 */
export const STEP_UP_ERROR_CODES: readonly (TwoFactorErrorCode | CoreErrorCode)[] = Object.freeze([
  'STEP_UP_REQUIRED',
  'TWO_FACTOR_CODE_INVALID',
  'RATE_LIMITED',
  'INVALID_TOKEN',
]);
