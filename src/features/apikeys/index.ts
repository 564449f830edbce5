export { apiKeyAuthenticator, checkApiKeyScopes } from './authenticator.ts';
export {
  API_KEY_CONFIG_KEY,
  API_KEY_DEFAULTS,
  type ApiKeyOptions,
  apiKeyOptionsSchema,
} from './config.ts';
export { API_KEY_CREDENTIAL_SCHEMES } from './credential-schemes.ts';
export { API_KEY_ERROR_CODES, API_KEY_INVALID_TOKEN_CODES, apiKeyError } from './error-codes.ts';
export { apiKeysFeature } from './feature.ts';
export { looksLikeApiKey, newApiKeyMaterial, parseApiKey } from './key-format.ts';
export { API_KEY_MIGRATIONS } from './migrations.ts';
export { API_KEY_RATE_LIMITS } from './rate-limits.ts';
export type { ApiKey, ApiKeyCredential, ApiKeyRepository, NewApiKey } from './repository.ts';
export { apiKeyRoutes } from './routes.ts';
export {
  type ApiKeyService,
  type ApiKeyServiceOptions,
  createApiKeyService,
  isApiKeyAuthorization,
  type RequestSignatures,
  type SignatureParameters,
} from './service.ts';
export { createApiKeyRepository } from './sql-repository.ts';
export type { ApiKeysTable, ApiKeyTables } from './tables.ts';
