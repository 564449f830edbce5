import {
  CORE_ERROR_CODES,
  type ErrorCatalogue,
  type ErrorCodeRegistry,
  mergeCatalogues,
} from '../core/index.ts';
import { ACCOUNTS_ERROR_CODES } from '../features/accounts/index.ts';
import { ADMIN_ERROR_CODES } from '../features/admin/index.ts';
import { API_KEY_ERROR_CODES } from '../features/apikeys/index.ts';
import { EMAIL_CODE_ERROR_CODES } from '../features/email-code/index.ts';
import { OAUTH_ERROR_CODES } from '../features/oauth/index.ts';
import { PASSKEY_ERROR_CODES } from '../features/passkeys/index.ts';
import { SESSIONS_ERROR_CODES } from '../features/sessions/index.ts';
import { TWO_FACTOR_ERROR_CODES } from '../features/two-factor/index.ts';
import { VERIFICATION_ERROR_CODES } from '../features/verification/index.ts';

// The code maps the definitions declare as `errors`, in feature-list order. Imported as
// constants, not read from the definitions: routes type their codes against this catalogue,
// so reading it back from the definitions would make the type refer to itself.
const ASSEMBLED_CODES = mergeCatalogues(
  CORE_ERROR_CODES,
  ACCOUNTS_ERROR_CODES,
  SESSIONS_ERROR_CODES,
  VERIFICATION_ERROR_CODES,
  TWO_FACTOR_ERROR_CODES,
  OAUTH_ERROR_CODES,
  PASSKEY_ERROR_CODES,
  EMAIL_CODE_ERROR_CODES,
  API_KEY_ERROR_CODES,
  ADMIN_ERROR_CODES,
);

type AssembledCodes = typeof ASSEMBLED_CODES;

// The type of every code is the catalogue assembled here: this adds each feature's codes to the
// registry core started with its own, so `GatehouseErrorCode` is exactly what is served.
declare module '../core/errors/registry.ts' {
  interface ErrorCodeRegistry extends AssembledCodes {}
}

/**
 * Every error code a Gatehouse response can carry: the core codes plus each built-in feature's,
 * merged in feature-list order. The same merge as the definitions' `errors` (createAuth serves
 * that one, with the application's features' codes added; a test checks both agree), kept here
 * as a constant for its literal types. This is the one catalogue; `docs/ERRORS.md` is checked against it by a test. Known codes keep their
 * literal status and title (`ERROR_CATALOGUE.RATE_LIMITED.status` is `429`).
 */
export const ERROR_CATALOGUE: ErrorCatalogue & Readonly<ErrorCodeRegistry> = ASSEMBLED_CODES;
