import { CORE_ERROR_CODES, type ErrorCatalogue, mergeCatalogues } from '../core/index.ts';
import { ACCOUNTS_ERROR_CODES } from '../features/accounts/index.ts';
import { API_KEY_ERROR_CODES, API_KEY_INVALID_TOKEN_CODES } from '../features/apikeys/index.ts';
import { OAUTH_ERROR_CODES } from '../features/oauth/index.ts';
import { SESSIONS_ERROR_CODES } from '../features/sessions/index.ts';
import { TWO_FACTOR_ERROR_CODES } from '../features/two-factor/index.ts';
import { VERIFICATION_ERROR_CODES } from '../features/verification/index.ts';

/**
 * Every error code a Gatehouse response can carry: the core codes plus each feature's. This is
 * the one catalogue; `docs/ERRORS.md` is checked against it by a test.
 */
export const ERROR_CATALOGUE: ErrorCatalogue = mergeCatalogues(
  CORE_ERROR_CODES,
  ACCOUNTS_ERROR_CODES,
  SESSIONS_ERROR_CODES,
  VERIFICATION_ERROR_CODES,
  TWO_FACTOR_ERROR_CODES,
  OAUTH_ERROR_CODES,
  API_KEY_ERROR_CODES,
);

/** 401 codes that mean a presented credential was refused (`WWW-Authenticate: Bearer error="invalid_token"`). */
export const INVALID_TOKEN_CODES: readonly string[] = Object.freeze([
  'INVALID_TOKEN',
  ...API_KEY_INVALID_TOKEN_CODES,
]);
