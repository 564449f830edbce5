import {
  CORE_ERROR_CODES,
  type ErrorCatalogue,
  type ErrorCodeRegistry,
  type GatehouseErrorCode,
  mergeCatalogues,
} from '../core/index.ts';
import { ACCOUNTS_ERROR_CODES } from '../features/accounts/index.ts';
import { API_KEY_ERROR_CODES, API_KEY_INVALID_TOKEN_CODES } from '../features/apikeys/index.ts';
import { OAUTH_ERROR_CODES } from '../features/oauth/index.ts';
import { SESSIONS_ERROR_CODES } from '../features/sessions/index.ts';
import { TWO_FACTOR_ERROR_CODES } from '../features/two-factor/index.ts';
import { VERIFICATION_ERROR_CODES } from '../features/verification/index.ts';

const ASSEMBLED_CODES = mergeCatalogues(
  CORE_ERROR_CODES,
  ACCOUNTS_ERROR_CODES,
  SESSIONS_ERROR_CODES,
  VERIFICATION_ERROR_CODES,
  TWO_FACTOR_ERROR_CODES,
  OAUTH_ERROR_CODES,
  API_KEY_ERROR_CODES,
);

type AssembledCodes = typeof ASSEMBLED_CODES;

// The type of every code is the catalogue assembled here: this adds each feature's codes to the
// registry core started with its own, so `GatehouseErrorCode` is exactly what is served.
declare module '../core/errors/registry.ts' {
  interface ErrorCodeRegistry extends AssembledCodes {}
}

/**
 * Every error code a Gatehouse response can carry: the core codes plus each feature's. This is
 * the one catalogue; `docs/ERRORS.md` is checked against it by a test. Known codes keep their
 * literal status and title (`ERROR_CATALOGUE.RATE_LIMITED.status` is `429`).
 */
export const ERROR_CATALOGUE: ErrorCatalogue & Readonly<ErrorCodeRegistry> = ASSEMBLED_CODES;

/** 401 codes that mean a presented credential was refused (`WWW-Authenticate: Bearer error="invalid_token"`). */
export const INVALID_TOKEN_CODES: readonly GatehouseErrorCode[] = Object.freeze([
  'INVALID_TOKEN',
  ...API_KEY_INVALID_TOKEN_CODES,
]);
