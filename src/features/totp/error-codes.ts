import { AuthError, type AuthErrorOptions, defineErrorCodes } from '../../core/index.ts';

export const TOTP_ERROR_CODES = defineErrorCodes({
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

export type TotpErrorCode = keyof typeof TOTP_ERROR_CODES;

export function totpError(code: TotpErrorCode, options?: AuthErrorOptions): AuthError {
  return new AuthError(code, TOTP_ERROR_CODES[code], options);
}
