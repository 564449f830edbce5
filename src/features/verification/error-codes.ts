import { type AuthError, defineErrors } from '../../core/index.ts';

export const VERIFICATION_ERRORS = defineErrors({
  VERIFY_TOKEN_INVALID: { status: 400, title: 'The verification token is invalid, expired or used.' },
  RESET_TOKEN_INVALID: { status: 400, title: 'The password reset token is invalid, expired or used.' },
  EMAIL_CHANGE_TOKEN_INVALID: { status: 400, title: 'The email change token is invalid, expired or used.' },
  EMAIL_TAKEN: { status: 409, title: 'The new email address belongs to another account.' },
});

export const VERIFICATION_ERROR_CODES = VERIFICATION_ERRORS.codes;

export type VerificationErrorCode = keyof typeof VERIFICATION_ERROR_CODES;

export const verificationError = VERIFICATION_ERRORS.error;

export function verifyTokenInvalid(): AuthError<'VERIFY_TOKEN_INVALID'> {
  return verificationError('VERIFY_TOKEN_INVALID');
}

export function resetTokenInvalid(): AuthError<'RESET_TOKEN_INVALID'> {
  return verificationError('RESET_TOKEN_INVALID');
}
