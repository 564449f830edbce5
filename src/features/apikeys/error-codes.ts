import { defineErrors } from '../../core/index.ts';

export const API_KEY_ERRORS = defineErrors({
  API_KEY_INVALID: { status: 401, title: 'The API key is invalid.' },
  API_KEY_REVOKED: { status: 401, title: 'The API key was revoked.' },
  API_KEY_EXPIRED: { status: 401, title: 'The API key has expired.' },
  API_KEY_SCOPE_DENIED: { status: 400, title: 'A requested scope is not yours to grant.' },
  API_KEY_LIMIT_REACHED: { status: 409, title: 'The account has as many active API keys as allowed.' },
  API_KEY_NOT_FOUND: { status: 404, title: 'No such API key.' },
  INSUFFICIENT_SCOPE: { status: 403, title: 'The API key lacks a scope this action requires.' },
  SIGNATURE_INVALID: { status: 401, title: 'The request signature is missing or invalid.' },
  SIGNATURE_EXPIRED: { status: 401, title: 'The request signature is too old or from the future.' },
  NONCE_REPLAYED: { status: 401, title: 'The request nonce was already used.' },
});

export const API_KEY_ERROR_CODES = API_KEY_ERRORS.codes;

export type ApiKeyErrorCode = keyof typeof API_KEY_ERROR_CODES;

/** 401 codes that mean "a credential was presented and refused" (RFC 6750 `invalid_token`). */
export const API_KEY_INVALID_TOKEN_CODES: readonly ApiKeyErrorCode[] = Object.freeze([
  'API_KEY_INVALID',
  'API_KEY_REVOKED',
  'API_KEY_EXPIRED',
  'SIGNATURE_INVALID',
  'SIGNATURE_EXPIRED',
  'NONCE_REPLAYED',
]);

export const apiKeyError = API_KEY_ERRORS.error;
