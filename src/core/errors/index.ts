export { AuthError, type AuthErrorOptions, coreError, isAuthError } from './auth-error.ts';
export {
  CORE_ERROR_CODES,
  type CoreErrorCode,
  defineErrorCodes,
  type ErrorCatalogue,
  type ErrorCodeSpec,
  mergeCatalogues,
  RETIRED_CODES,
} from './catalogue.ts';
export { ConfigError, type ConfigProblem } from './config-error.ts';
