import { AuthError, type AuthErrorOptions, defineErrorCodes } from '../../core/index.ts';

export const SESSIONS_ERROR_CODES = defineErrorCodes({
  REFRESH_TOKEN_INVALID: { status: 401, title: 'The refresh token is invalid, expired or revoked.' },
  SESSION_NOT_FOUND: { status: 404, title: 'No such session.' },
});

export type SessionsErrorCode = keyof typeof SESSIONS_ERROR_CODES;

export function sessionsError(code: SessionsErrorCode, options?: AuthErrorOptions): AuthError {
  return new AuthError(code, SESSIONS_ERROR_CODES[code], options);
}
