/**
 * Gatehouse: production-grade authentication for TypeScript servers.
 *
 * `createAuth(config)` validates the configuration, opens the database and the shared stores,
 * and returns a fetch handler to mount in any framework (see `gatehouse/node` for Node,
 * Express and friends).
 *
 * @module
 */
export {
  type Auth,
  type AuthConfig as ResolvedConfig,
  type AuthConfigInput,
  type CreateAuthOptions,
  createAuth,
  DEFAULTS,
  ERROR_CATALOGUE,
  type LazyAuth,
  LazyAuthClosedError,
  type LazyAuthOptions,
  type LazyAuthTarget,
  lazyAuth,
  type Posture,
} from './auth/index.ts';
export {
  type AnyAuthError,
  AuthError,
  type AuthErrorOf,
  type AuthErrorOptions,
  CORE_ERROR_CODES,
  ConfigError,
  type ConfigProblem,
  type ConfigWarning,
  type CoreErrorCode,
  defineErrorCodes,
  defineErrors,
  type ErrorCatalogue,
  type ErrorCodeRegistry,
  type ErrorCodeSpec,
  type ErrorFamily,
  type GatehouseErrorCode,
  type GatehouseErrorStatus,
  isAuthError,
  type Keyring,
  type Mode,
  type PurposeKey,
  type SecretEntry,
  type UserView,
} from './core/index.ts';
export { generateSecret } from './crypto/random.ts';
export {
  type AnyFeatureDefinition,
  defineFeature,
  type FeatureConfigSlice,
  type FeatureContext,
  type FeatureDefinition,
  type FeatureKeys,
  type FeatureMigrationContext,
  type FeatureOptionsInput,
  type FeatureParts,
  type RateLimitScope,
  type RateLimitSlotRule,
  type SqlDatabaseHandle,
  type UserChange,
} from './feature/index.ts';
export type { ProviderConfig as OAuthProviderConfig } from './features/oauth/index.ts';

import { github, google, microsoft } from './features/oauth/index.ts';

/** Presets for `oauth.providers`: `{ google: oauthProviders.google({ clientId, clientSecret }) }`. */
export const oauthProviders = Object.freeze({ google, microsoft, github });
export type { EventHooks, HookEvent, HookName } from './features/audit/index.ts';
export {
  escapeHtml,
  type MailContext,
  type MailKind,
  type MailTemplate,
  type RenderedMail,
} from './features/verification/index.ts';
export {
  defineRoute,
  type GuardEnv,
  type Principal,
  type RouteContext,
  type RouteDefinition,
  type RouteResult,
} from './http/index.ts';
/** The hosted pages' handler (`auth.pages`), for an app that mounts them itself. */
export type { PagePaths, Pages } from './pages/index.ts';
export { isStoreError, StoreError } from './stores/contract.ts';
