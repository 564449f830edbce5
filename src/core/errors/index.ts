export {
  type AnyAuthError,
  AuthError,
  type AuthErrorOf,
  type AuthErrorOptions,
  isAuthError,
} from './auth-error.ts';
export {
  CORE_ERROR_CODES,
  type CoreErrorCode,
  defineErrorCodes,
  type ErrorCatalogue,
  type ErrorCodeSpec,
  type MergedCatalogue,
  mergeCatalogues,
  RETIRED_CODES,
  type UpperSnakeCodes,
} from './catalogue.ts';
export { ConfigError, type ConfigProblem } from './config-error.ts';
export { CORE_ERRORS, coreError } from './core-errors.ts';
export { defineErrors, type ErrorFamily } from './define-errors.ts';
export type {
  ErrorCodeRegistry,
  ErrorStatusOf,
  GatehouseErrorCode,
  GatehouseErrorStatus,
} from './registry.ts';
