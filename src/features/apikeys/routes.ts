import { z } from 'zod';
import type { Principal } from '../../core/index.ts';
import { defineRoute, type RouteDefinition, requestMeta } from '../../http/index.ts';
import type { ApiKey } from './repository.ts';
import type { ApiKeyActor, ApiKeyService } from './service.ts';

const keyView = z.strictObject({
  id: z.string(),
  prefix: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  signing: z.boolean(),
  createdAt: z.string(),
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function viewOf(key: ApiKey) {
  return {
    id: key.id,
    prefix: `gh_${key.env}_${key.id}`,
    name: key.name,
    scopes: [...key.scopes],
    signing: key.signing,
    createdAt: new Date(key.createdAt).toISOString(),
    expiresAt: new Date(key.expiresAt).toISOString(),
    revokedAt: iso(key.revokedAt),
    lastUsedAt: iso(key.lastUsedAt),
  };
}

const name = z.string().trim().min(1).max(100);
const scopes = z.array(z.string().regex(/^[A-Za-z0-9:._-]{1,64}$/)).max(64);
const createBody = z.strictObject({
  name,
  scopes: scopes.optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  signing: z.boolean().optional(),
});
const created = z.strictObject({ apiKey: z.string(), key: keyView });
const principalOf = (principal: Principal | null): Principal => principal!;
/** The admin behind an admin route, named in the audit event beside the target user. */
const actorOf = (principal: Principal | null): ApiKeyActor => {
  const { userId, sessionId } = principalOf(principal);
  return { userId, sessionId };
};

/** The API-key rows of API.md: the owner's routes and the admin's. */
export function apiKeyRoutes(options: { readonly apiKeys: ApiKeyService }): RouteDefinition[] {
  const { apiKeys } = options;
  return [
    defineRoute({
      method: 'POST',
      path: '/users/me/api-keys',
      operationId: 'createApiKey',
      rateLimit: { slot: 'apiKeyCreate', identifier: ({ principal }) => principal?.userId ?? null },
      summary: 'Create an API key; the raw key is in this answer only',
      tags: ['api-keys'],
      auth: 'required',
      sessionOnly: true,
      stepUp: true,
      body: createBody,
      responses: {
        201: { description: 'Created: keep apiKey now, it is never shown again', schema: created },
      },
      errorCodes: [
        'API_KEY_SCOPE_DENIED',
        'API_KEY_LIMIT_REACHED',
        'STEP_UP_REQUIRED',
        'TWO_FACTOR_CODE_INVALID',
      ],
      async handler(ctx) {
        const result = await apiKeys.create(principalOf(ctx.principal).userId, ctx.body, requestMeta(ctx));
        return { status: 201, body: { apiKey: result.apiKey, key: viewOf(result.key) } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/users/me/api-keys',
      operationId: 'listApiKeys',
      summary: 'My API keys (metadata only)',
      tags: ['api-keys'],
      auth: 'required',
      sessionOnly: true,
      responses: { 200: { description: 'Keys', schema: z.strictObject({ keys: z.array(keyView) }) } },
      async handler(ctx) {
        const keys = await apiKeys.list(principalOf(ctx.principal).userId);
        return { status: 200, body: { keys: keys.map(viewOf) } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/users/me/api-keys/:keyId',
      operationId: 'getApiKey',
      summary: 'One of my API keys',
      tags: ['api-keys'],
      auth: 'required',
      sessionOnly: true,
      responses: { 200: { description: 'The key', schema: z.strictObject({ key: keyView }) } },
      errorCodes: ['API_KEY_NOT_FOUND'],
      async handler(ctx) {
        const key = await apiKeys.get(principalOf(ctx.principal).userId, ctx.params.keyId);
        return { status: 200, body: { key: viewOf(key) } };
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/users/me/api-keys/:keyId',
      operationId: 'updateApiKey',
      summary: 'Rename or rescope one of my API keys (takes effect on every worker at once)',
      tags: ['api-keys'],
      auth: 'required',
      sessionOnly: true,
      body: z.strictObject({ name: name.optional(), scopes: scopes.optional() }),
      responses: { 200: { description: 'The key', schema: z.strictObject({ key: keyView }) } },
      errorCodes: ['API_KEY_NOT_FOUND', 'API_KEY_SCOPE_DENIED'],
      async handler(ctx) {
        const key = await apiKeys.update(
          principalOf(ctx.principal).userId,
          ctx.params.keyId,
          ctx.body,
          requestMeta(ctx),
        );
        return { status: 200, body: { key: viewOf(key) } };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/users/me/api-keys/:keyId',
      operationId: 'revokeApiKey',
      summary: 'Revoke one of my API keys (idempotent; the first revocation time is kept)',
      tags: ['api-keys'],
      auth: 'required',
      sessionOnly: true,
      responses: { 204: { description: 'Revoked' } },
      errorCodes: ['API_KEY_NOT_FOUND'],
      async handler(ctx) {
        await apiKeys.revoke(principalOf(ctx.principal).userId, ctx.params.keyId, requestMeta(ctx));
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/admin/users/:id/api-keys',
      operationId: 'adminListApiKeys',
      summary: "A user's API keys (admins)",
      tags: ['api-keys', 'admin'],
      roles: ['admin'],
      sessionOnly: true,
      responses: { 200: { description: 'Keys', schema: z.strictObject({ keys: z.array(keyView) }) } },
      async handler(ctx) {
        const keys = await apiKeys.list(ctx.params.id);
        return { status: 200, body: { keys: keys.map(viewOf) } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/admin/users/:id/api-keys',
      operationId: 'adminCreateApiKey',
      rateLimit: { slot: 'apiKeyCreate', identifier: ({ principal }) => principal?.userId ?? null },
      summary: 'Create an API key for a user (admins); scopes within what that user may grant',
      tags: ['api-keys', 'admin'],
      roles: ['admin'],
      sessionOnly: true,
      stepUp: true,
      body: createBody,
      responses: { 201: { description: 'Created', schema: created } },
      errorCodes: ['API_KEY_SCOPE_DENIED', 'API_KEY_LIMIT_REACHED', 'API_KEY_NOT_FOUND', 'STEP_UP_REQUIRED'],
      async handler(ctx) {
        const result = await apiKeys.create(
          ctx.params.id,
          ctx.body,
          requestMeta(ctx),
          actorOf(ctx.principal),
        );
        return { status: 201, body: { apiKey: result.apiKey, key: viewOf(result.key) } };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/admin/users/:id/api-keys/:keyId',
      operationId: 'adminRevokeApiKey',
      summary: "Revoke a user's API key (admins)",
      tags: ['api-keys', 'admin'],
      roles: ['admin'],
      sessionOnly: true,
      stepUp: true,
      responses: { 204: { description: 'Revoked' } },
      errorCodes: ['API_KEY_NOT_FOUND', 'STEP_UP_REQUIRED'],
      async handler(ctx) {
        await apiKeys.revoke(ctx.params.id, ctx.params.keyId, requestMeta(ctx), actorOf(ctx.principal));
        return { status: 204 };
      },
    }),
  ];
}
