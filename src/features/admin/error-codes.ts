import { defineErrors } from '../../core/index.ts';

/** Error codes of the admin API and of self-service account deletion. */
export const ADMIN_ERRORS = defineErrors({
  LAST_ADMIN: {
    status: 409,
    title: 'The service would be left without an active admin.',
  },
  USER_NOT_FOUND: { status: 404, title: 'No such user.' },
  CURSOR_INVALID: { status: 400, title: 'The cursor is not one this list gave out.' },
});

export const ADMIN_ERROR_CODES = ADMIN_ERRORS.codes;

export type AdminErrorCode = keyof typeof ADMIN_ERROR_CODES;

export const adminError = ADMIN_ERRORS.error;
