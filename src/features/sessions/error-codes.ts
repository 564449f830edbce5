import { defineErrors } from '../../core/index.ts';

export const SESSIONS_ERRORS = defineErrors({
  REFRESH_TOKEN_INVALID: { status: 401, title: 'The refresh token is invalid, expired or revoked.' },
  SESSION_NOT_FOUND: { status: 404, title: 'No such session.' },
});

export const SESSIONS_ERROR_CODES = SESSIONS_ERRORS.codes;

export type SessionsErrorCode = keyof typeof SESSIONS_ERROR_CODES;

export const sessionsError = SESSIONS_ERRORS.error;
