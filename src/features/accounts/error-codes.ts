import { defineErrors } from '../../core/errors/index.ts';

/**
 * Error codes of the accounts feature (register, login, profile, change of password). Declared
 * once here; the same map feeds the catalogue (HTTP mapping, docs) and the client SDK.
 *
 * Titles are fixed strings: they never carry the submitted email, password or token, and the
 * login failure title is deliberately the same for every cause (unknown email, wrong password,
 * inactive account, unverified email), so the body cannot tell them apart.
 */
export const ACCOUNTS_ERRORS = defineErrors({
  PASSWORD_POLICY: { status: 422, title: 'The password does not meet the policy.' },
  LOGIN_BAD_CREDENTIALS: { status: 401, title: 'The email or password is incorrect.' },
  USER_ALREADY_EXISTS: { status: 409, title: 'An account with this email already exists.' },
});

export const ACCOUNTS_ERROR_CODES = ACCOUNTS_ERRORS.codes;

/** One of the accounts feature's error codes. */
export type AccountsErrorCode = keyof typeof ACCOUNTS_ERROR_CODES;

/**
 * Builds an `AuthError` for one of the accounts codes, with the catalogue's status and fixed
 * title.
 *
 * @example
 * throw accountsError('USER_ALREADY_EXISTS');
 */
export const accountsError = ACCOUNTS_ERRORS.error;
