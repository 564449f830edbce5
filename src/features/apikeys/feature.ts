import type { AuditLog, SecurityNotices } from '../../core/index.ts';
import { coreError, isAuthError } from '../../core/index.ts';
import {
  createBodyHasher,
  isRequestBodyError,
  parseSignatureHeader,
  verifySignature,
} from '../../crypto/request-signing.ts';
import { defineFeature } from '../../feature/index.ts';
import { encryptedColumnAad } from '../../stores/repositories.ts';
import { apiKeyAuthenticator, checkApiKeyScopes } from './authenticator.ts';
import { API_KEY_CONFIG_KEY, apiKeyOptionsSchema } from './config.ts';
import { API_KEY_CREDENTIAL_SCHEMES } from './credential-schemes.ts';
import { API_KEY_ERROR_CODES, API_KEY_INVALID_TOKEN_CODES } from './error-codes.ts';
import { API_KEY_PRUNE_MIGRATIONS, apiKeyMaintenance } from './maintenance.ts';
import { API_KEY_MIGRATIONS } from './migrations.ts';
import { API_KEY_RATE_LIMITS } from './rate-limits.ts';
import { apiKeyRoutes } from './routes.ts';
import { createApiKeyService, type RequestSignatures } from './service.ts';
import { createApiKeyRepository } from './sql-repository.ts';

/** What this feature reads of the rate-limit feature. */
interface RateLimitPorts {
  readonly enforcer: {
    readonly hook: (
      slot: string,
      subject: { clientIp: string; identifier: string | null },
    ) => Promise<{ readonly retryAfterSeconds: number | null }>;
  } | null;
}

const DAY_MS = 24 * 3600 * 1000;

/** Checks `GH1-HMAC-SHA256` signatures: the body hash (bounded), then the canonical request. */
function requestSignatures(bodyLimitBytes: number): RequestSignatures {
  const bodyHasher = createBodyHasher(bodyLimitBytes);
  return {
    parse: (header) => parseSignatureHeader(header),
    async hashBody(request, limitBytes) {
      try {
        const hasher = limitBytes === bodyHasher.limitBytes ? bodyHasher : createBodyHasher(limitBytes);
        // A declared length over the cap is refused before reading anything.
        const declared = Number(request.headers.get('content-length') ?? Number.NaN);
        if (declared > limitBytes) throw coreError('PAYLOAD_TOO_LARGE');
        // The stream of a clone, not the clone: the Node adapter may replace the global
        // Request, and a clone is then no instance of it. The route reads the original.
        return (await hasher.hash(request.clone().body)).sha256Hex;
      } catch (error) {
        if (isAuthError(error)) throw error;
        if (isRequestBodyError(error) && error.reason === 'too_large') throw coreError('PAYLOAD_TOO_LARGE');
        throw coreError('MALFORMED_BODY');
      }
    },
    verify(secret, request, parameters, bodySha256Hex) {
      try {
        return verifySignature(
          secret,
          {
            method: request.method,
            url: new URL(request.url),
            headers: request.headers,
            signedHeaders: parameters.signedHeaders,
            timestamp: parameters.timestamp,
            nonce: parameters.nonce,
            bodySha256Hex,
          },
          parameters.signature,
        );
      } catch {
        // A request that cannot be put in canonical form (a dot segment, a signed header it
        // does not carry) is not signed correctly.
        return false;
      }
    },
  };
}

/**
 * API keys and signed requests: the key routes, the API-key authenticator (first in the chain,
 * before bearer access tokens would claim the header), scope checks, and forgetting a user's
 * cached keys when the user changes.
 */
export const apiKeysFeature = defineFeature({
  id: 'apikeys',
  requires: ['audit', 'verification', 'ratelimit'],
  // The owner's version, read when a key is checked against the database (at request time).
  uses: ['sessions'],
  errors: API_KEY_ERROR_CODES,
  rateLimits: API_KEY_RATE_LIMITS,
  keyPurposes: { apiKeyDigest: 'api-key-digest' },
  migrations: { ...API_KEY_MIGRATIONS, ...API_KEY_PRUNE_MIGRATIONS },
  credentialSchemes: API_KEY_CREDENTIAL_SCHEMES,
  invalidTokenCodes: API_KEY_INVALID_TOKEN_CODES,
  config: { key: API_KEY_CONFIG_KEY, schema: apiKeyOptionsSchema },
  build({ config, options, keys, stores, repositories, database, logger, now, port, later }) {
    const { audit } = port<{ audit: AuditLog }>('audit');
    const { notices } = port<{ notices: SecurityNotices }>('verification');
    const { enforcer } = port<RateLimitPorts>('ratelimit');
    const sessions = later<{ userVersion: (userId: string) => Promise<string> }>('sessions');
    const secrets = keys.storedSecrets;
    const secretAad = (keyId: string) => encryptedColumnAad('api_keys', 'signing_secret', keyId);
    const apiKeys = createApiKeyService({
      keys: createApiKeyRepository(database),
      users: repositories.users,
      cache: stores.keyValue,
      userVersion: (userId) => sessions().userVersion(userId),
      once: stores.once,
      digests: keys.digester('api-key-digest'),
      sealSigningSecret: (keyId, secret) =>
        secrets.encrypt(Buffer.from(secret, 'base64url'), secretAad(keyId)),
      openSigningSecret: (keyId, envelope) => secrets.decrypt(envelope, secretAad(keyId)),
      signatures: requestSignatures(config.http.bodyLimitBytes),
      audit,
      notices,
      env: options.env,
      grantableScopes: options.scopes,
      maxActivePerUser: options.maxActivePerUser,
      defaultTtlMs: options.defaultTtlDays * DAY_MS,
      maxTtlMs: options.maxTtlDays * DAY_MS,
      cacheTtlMs: config.cookies.cacheTtlSeconds * 1000,
      lastUsedIntervalMs: options.lastUsedIntervalSeconds * 1000,
      signatureWindowMs: options.signatureWindowSeconds * 1000,
      bodyLimitBytes: config.http.bodyLimitBytes,
      onBackgroundError: (error) => logger.error({ err: error }, 'could not record API key use'),
      now,
    });
    return {
      routes: apiKeyRoutes({ apiKeys }),
      // The Authorization header decides the transport by shape: API keys (`Bearer gh_…` or a
      // GH1-HMAC-SHA256 signature) are recognised before bearer access tokens.
      authenticators: [
        apiKeyAuthenticator(apiKeys, {
          countRefusal: enforcer
            ? async (clientIp) =>
                (await enforcer.hook('apiKeyAuthFailure', { clientIp, identifier: null })).retryAfterSeconds
            : null,
        }),
      ],
      authenticatorsBefore: 'bearer',
      checkScopes: checkApiKeyScopes,
      maintenance: apiKeyMaintenance(database),
      // API keys outlive sessions: they re-read their owner (scopes narrow, or stop) at once;
      // before a delete, the cache must stop trusting the keys the delete will remove.
      async onUserChange(userId) {
        // Every change: the cached keys hold the owner's roles and version.
        await apiKeys.forgetUser(userId);
      },
    };
  },
});
