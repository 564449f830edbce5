import { defineErrors } from '../../core/index.ts';

export const OAUTH_ERRORS = defineErrors({
  REDIRECT_NOT_ALLOWED: {
    status: 400,
    title: 'redirectTo must be a relative path or an allowed origin.',
  },
  OAUTH_STATE_INVALID: {
    status: 400,
    title: 'The sign-in flow is missing, expired, already finished or does not match.',
  },
  OAUTH_PROVIDER_ERROR: {
    status: 400,
    title: 'The provider refused or failed the sign-in.',
  },
  OAUTH_PROVIDER_UNAVAILABLE: {
    status: 502,
    title: 'The provider could not be reached. Try again later.',
  },
  OAUTH_EMAIL_NOT_VERIFIED: {
    status: 400,
    title: 'The provider did not assert a verified email address.',
  },
  OAUTH_EMAIL_IN_USE: {
    status: 409,
    title: 'An account already uses this email: sign in to it, then link the provider.',
  },
  OAUTH_ACCOUNT_ALREADY_LINKED: {
    status: 409,
    title: 'This provider account is linked to another user.',
  },
  OAUTH_LINK_SESSION_ENDED: {
    status: 400,
    title: 'The session that started linking has ended: sign in again and start over.',
  },
  OAUTH_EXCHANGE_CODE_INVALID: {
    status: 400,
    title: 'The exchange code is invalid, expired, used, or the verifier does not match.',
  },
  LAST_SIGN_IN_METHOD: {
    status: 409,
    title: 'This is the last way to sign in to the account: set a password or link another provider first.',
  },
  OAUTH_ACCOUNT_NOT_FOUND: { status: 404, title: 'No such linked account.' },
});

export const OAUTH_ERROR_CODES = OAUTH_ERRORS.codes;

export type OAuthErrorCode = keyof typeof OAUTH_ERROR_CODES;

export const oauthError = OAUTH_ERRORS.error;
