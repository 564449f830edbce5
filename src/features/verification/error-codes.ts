import { AuthError, defineErrorCodes } from '../../core/index.ts';

export const VERIFICATION_ERROR_CODES = defineErrorCodes({
  VERIFY_TOKEN_INVALID: { status: 400, title: 'The verification token is invalid, expired or used.' },
  RESET_TOKEN_INVALID: { status: 400, title: 'The password reset token is invalid, expired or used.' },
  EMAIL_CHANGE_TOKEN_INVALID: { status: 400, title: 'The email change token is invalid, expired or used.' },
  EMAIL_TAKEN: { status: 409, title: 'The new email address belongs to another account.' },
});

export function verifyTokenInvalid(): AuthError {
  return new AuthError('VERIFY_TOKEN_INVALID', VERIFICATION_ERROR_CODES.VERIFY_TOKEN_INVALID);
}

export function resetTokenInvalid(): AuthError {
  return new AuthError('RESET_TOKEN_INVALID', VERIFICATION_ERROR_CODES.RESET_TOKEN_INVALID);
}
