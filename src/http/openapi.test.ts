import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { z } from 'zod';
import { CORE_ERROR_CODES, defineErrorCodes, mergeCatalogues } from '../core/errors/index.ts';
import { createHttpApp } from './app.ts';
import {
  buildOpenApiDocument,
  defaultCredentialSchemes,
  type JsonObject,
  type PipelineFacts,
} from './openapi.ts';
import { defineRoute, type RouteDefinition } from './route.ts';

const FEATURE_CODES = defineErrorCodes({
  SESSION_NOT_FOUND: { status: 404, title: 'No such session.' },
  LOGIN_BAD_CREDENTIALS: { status: 401, title: 'Bad credentials.' },
});
const catalogue = mergeCatalogues(CORE_ERROR_CODES, FEATURE_CODES);

const Address = z
  .strictObject({ city: z.string() })
  .meta({ id: 'GhTestAddress', description: 'A postal address' });

const routes: RouteDefinition[] = [
  defineRoute({
    method: 'POST',
    path: '/auth/login',
    operationId: 'login',
    summary: 'Log in',
    tags: ['accounts'],
    body: z.strictObject({ email: z.email(), password: z.string().min(1) }),
    responses: { 200: { description: 'Logged in', schema: z.strictObject({ accessToken: z.string() }) } },
    errorCodes: ['LOGIN_BAD_CREDENTIALS', 'RATE_LIMITED'],
    async handler() {
      return { status: 200, body: { accessToken: 't' } };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/users/me/sessions/:id',
    operationId: 'deleteSession',
    summary: 'Revoke one session',
    responses: { 204: { description: 'Revoked' } },
    errorCodes: ['SESSION_NOT_FOUND', 'UNAUTHENTICATED', 'INVALID_TOKEN'],
    async handler() {
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/users',
    operationId: 'listUsers',
    summary: 'List users',
    query: z.strictObject({ cursor: z.string().optional(), limit: z.coerce.number().int().max(100) }),
    responses: {
      200: { description: 'A page', schema: z.strictObject({ home: Address, work: Address.optional() }) },
    },
    async handler() {
      return { status: 200, body: {} };
    },
  }),
  defineRoute({
    method: 'PATCH',
    path: '/users/me',
    operationId: 'updateMe',
    summary: 'Update my profile',
    body: z.strictObject({ address: Address }).optional(),
    responses: { 200: { description: 'Updated' } },
    async handler() {
      return { status: 200 };
    },
  }),
];

const app = createHttpApp({
  routes,
  catalogue,
  logger: pino({ level: 'silent' }),
  basePath: '/api',
  openapi: { title: 'Gatehouse test', version: '1.2.3', description: 'For tests' },
});

async function fetchDocument(): Promise<JsonObject> {
  const response = await app.request('/api/openapi.json');
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/json');
  return (await response.json()) as JsonObject;
}

type Operation = {
  operationId: string;
  parameters?: JsonObject[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonObject }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonObject }> }>;
};

function operation(document: JsonObject, path: string, method: string): Operation {
  const found = (document.paths as Record<string, Record<string, Operation>>)[path]?.[method];
  assert.ok(found, `${method} ${path} is documented`);
  return found;
}

function codesOf(op: Operation, status: number): unknown {
  const schema = op.responses[String(status)]?.content?.['application/problem+json']?.schema as
    | { properties: { code: { enum: string[] } } }
    | undefined;
  return schema?.properties.code.enum;
}

describe('OpenAPI document', () => {
  it('openapi - should describe every route, itself included, as OpenAPI 3.1', async () => {
    const document = await fetchDocument();
    assert.equal(document.openapi, '3.1.0');
    assert.deepEqual(document.info, { title: 'Gatehouse test', version: '1.2.3', description: 'For tests' });
    assert.deepEqual(document.servers, [{ url: '/api' }]);
    const operations = Object.entries(document.paths as Record<string, Record<string, Operation>>).flatMap(
      ([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`),
    );
    assert.deepEqual(operations.sort(), [
      'delete /users/me/sessions/{id}',
      'get /admin/users',
      'get /openapi.json',
      'patch /users/me',
      'post /auth/login',
    ]);
    assert.equal(operation(document, '/openapi.json', 'get').operationId, 'getOpenApiDocument');
  });

  it('openapi - should serve the same document on every request', async () => {
    const [first, second] = await Promise.all([
      app.request('/api/openapi.json'),
      app.request('/api/openapi.json'),
    ]);
    assert.equal(await first.text(), await second.text());
  });

  it('openapi - should take request bodies and responses from the zod schemas', async () => {
    const document = await fetchDocument();
    const login = operation(document, '/auth/login', 'post');
    assert.equal(login.requestBody?.required, true);
    const body = login.requestBody?.content['application/json']?.schema;
    assert.equal(body?.type, 'object');
    assert.equal(body?.additionalProperties, false);
    assert.deepEqual(body?.required, ['email', 'password']);
    assert.equal('$schema' in (body ?? {}), false);
    const ok = login.responses['200']?.content?.['application/json']?.schema;
    assert.deepEqual(ok?.required, ['accessToken']);
    assert.equal(operation(document, '/users/me', 'patch').requestBody?.required, false);
  });

  it('openapi - should list path and query parameters', async () => {
    const document = await fetchDocument();
    assert.deepEqual(operation(document, '/users/me/sessions/{id}', 'delete').parameters, [
      {
        name: 'id',
        in: 'path',
        required: true,
        schema: { type: 'string', minLength: 1, not: { enum: ['.', '..'] } },
      },
    ]);
    const parameters = operation(document, '/admin/users', 'get').parameters ?? [];
    assert.deepEqual(
      parameters.map(({ name, in: where, required }) => ({ name, where, required })),
      [
        { name: 'cursor', where: 'query', required: false },
        { name: 'limit', where: 'query', required: true },
      ],
    );
  });

  it('openapi - should list error codes per status, implicit and declared, as problem+json', async () => {
    const document = await fetchDocument();
    const login = operation(document, '/auth/login', 'post');
    assert.deepEqual(codesOf(login, 400), ['MALFORMED_BODY']);
    assert.deepEqual(codesOf(login, 401), ['LOGIN_BAD_CREDENTIALS']);
    assert.deepEqual(codesOf(login, 413), ['PAYLOAD_TOO_LARGE']);
    assert.deepEqual(codesOf(login, 415), ['UNSUPPORTED_MEDIA_TYPE']);
    assert.deepEqual(codesOf(login, 422), ['VALIDATION_FAILED']);
    assert.deepEqual(codesOf(login, 429), ['RATE_LIMITED']);
    assert.deepEqual(codesOf(login, 500), ['INTERNAL']);
    assert.deepEqual(codesOf(login, 503), ['SERVICE_UNAVAILABLE']);
    const problem = login.responses['401']?.content?.['application/problem+json']?.schema as {
      allOf: unknown[];
    };
    assert.deepEqual(problem.allOf, [{ $ref: '#/components/schemas/Problem' }]);
    const remove = operation(document, '/users/me/sessions/{id}', 'delete');
    assert.deepEqual(codesOf(remove, 401), ['UNAUTHENTICATED', 'INVALID_TOKEN']);
    assert.deepEqual(codesOf(remove, 404), ['SESSION_NOT_FOUND']);
    assert.equal(codesOf(remove, 400), undefined, 'no body, so no MALFORMED_BODY');
    const list = operation(document, '/admin/users', 'get');
    assert.equal(codesOf(list, 415), undefined, 'GET requests never carry a body');
    assert.deepEqual(codesOf(list, 422), ['VALIDATION_FAILED']);
    const schemas = (document.components as { schemas: Record<string, JsonObject> }).schemas;
    assert.deepEqual(schemas.Problem?.required, ['type', 'title', 'status', 'code']);
  });

  it('openapi - should move shared definitions to components and point references at them', async () => {
    const document = await fetchDocument();
    const schemas = (document.components as { schemas: Record<string, JsonObject> }).schemas;
    assert.equal(schemas.GhTestAddress?.description, 'A postal address');
    const text = JSON.stringify(document);
    assert.equal(text.includes('#/$defs/'), false);
    assert.equal(text.includes('"$defs"'), false);
    const list = operation(document, '/admin/users', 'get');
    const page = list.responses['200']?.content?.['application/json']?.schema as {
      properties: Record<string, JsonObject>;
    };
    assert.deepEqual(page.properties.home, { $ref: '#/components/schemas/GhTestAddress' });
  });

  it('openapi - should mark routes that need a principal with the bearer scheme and their 401/403 codes', () => {
    const document = buildOpenApiDocument({
      routes: [
        defineRoute({
          method: 'GET',
          path: '/admin/stats',
          operationId: 'stats',
          summary: 'stats',
          roles: ['admin'],
          responses: { 200: { description: 'ok' } },
          async handler() {
            return { status: 200 };
          },
        }),
        routes[0] as RouteDefinition,
      ],
      catalogue,
      info: { title: 't', version: '1' },
      basePath: '',
    });
    const guarded = operation(document, '/admin/stats', 'get') as Operation & { security?: unknown };
    assert.deepEqual(guarded.security, [{ bearer: [] }]);
    assert.ok(guarded.responses['401'] && guarded.responses['403']);
    const open = operation(document, '/auth/login', 'post') as Operation & { security?: unknown };
    assert.deepEqual(open.security, [], 'a public operation says so with an empty security list');
    assert.deepEqual((document.components as { securitySchemes: JsonObject }).securitySchemes.bearer, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'Access token from POST /auth/login (a JWT, or an opaque token when so configured), in `Authorization: Bearer`.',
    });
    assert.equal(
      (document.components as { securitySchemes: JsonObject }).securitySchemes.sessionCookie,
      undefined,
    );
  });

  it('openapi - should offer the session cookie as an alternative to bearer when one is named', () => {
    const document = buildOpenApiDocument({
      routes: [
        routes[0] as RouteDefinition,
        { ...(routes[0] as RouteDefinition), path: '/me', operationId: 'me', auth: 'required' },
      ],
      catalogue,
      info: { title: 't', version: '1' },
      basePath: '',
      sessionCookieName: '__Host-sid',
    });
    const guarded = operation(document, '/me', 'post') as Operation & { security?: unknown };
    assert.deepEqual(guarded.security, [{ bearer: [] }, { sessionCookie: [] }]);
    const open = operation(document, '/auth/login', 'post') as Operation & { security?: unknown };
    assert.deepEqual(open.security, [], 'a public operation says so with an empty security list');
    const schemes = (document.components as { securitySchemes: Record<string, JsonObject> }).securitySchemes;
    assert.equal(schemes.sessionCookie?.type, 'apiKey');
    assert.equal(schemes.sessionCookie?.in, 'cookie');
    assert.equal(schemes.sessionCookie?.name, '__Host-sid');
  });

  it('openapi - should keep two different definitions that share a name apart', () => {
    const first = z.strictObject({ a: z.string() }).meta({ id: 'GhTestClash' });
    const document = buildOpenApiDocument({
      routes: [routes[2] as RouteDefinition],
      catalogue,
      info: { title: 't', version: '1' },
      basePath: '',
    });
    assert.deepEqual(document.servers, [{ url: '/' }]);
    // Two unrelated schemas that happen to use the same id: neither may overwrite the other.
    const clashing = buildOpenApiDocument({
      routes: [
        defineRoute({
          method: 'GET',
          path: '/one',
          operationId: 'one',
          summary: 'one',
          responses: { 200: { description: 'one', schema: z.strictObject({ v: first }) } },
          async handler() {
            return { status: 200 };
          },
        }),
        defineRoute({
          method: 'GET',
          path: '/two',
          operationId: 'two',
          summary: 'two',
          responses: {
            200: {
              description: 'two',
              schema: z.strictObject({ v: z.strictObject({ b: z.number() }).meta({ id: 'GhTestClash' }) }),
            },
          },
          async handler() {
            return { status: 200 };
          },
        }),
      ],
      catalogue,
      info: { title: 't', version: '1' },
      basePath: '',
    });
    const schemas = (clashing.components as { schemas: Record<string, JsonObject> }).schemas;
    assert.deepEqual(Object.keys(schemas.GhTestClash?.properties as object), ['a']);
    assert.deepEqual(Object.keys(schemas.GhTestClash2?.properties as object), ['b']);
    const paths = clashing.paths as Record<string, Record<string, Operation>>;
    const refOf = (path: string) => {
      const schema = paths[path]?.get?.responses['200']?.content?.['application/json']?.schema as
        | { properties: { v: { $ref: string } } }
        | undefined;
      return schema?.properties.v.$ref;
    };
    assert.equal(refOf('/one'), '#/components/schemas/GhTestClash');
    assert.equal(refOf('/two'), '#/components/schemas/GhTestClash2');
  });
});

describe('OpenAPI document - statuses derived from route metadata', () => {
  const cookieAndKeys: PipelineFacts = {
    credentials: [
      ...defaultCredentialSchemes('__Host-sid'),
      {
        name: 'apiKey',
        transport: 'bearer',
        apiKey: true,
        errorCodes: ['INVALID_TOKEN', 'PAYLOAD_TOO_LARGE'],
        scheme: { type: 'http', scheme: 'GH1-HMAC-SHA256' },
      },
    ],
    stepUpErrorCodes: ['FORBIDDEN', 'RATE_LIMITED'],
    authFailuresLimited: true,
    stepUpCodeHeader: 'X-2FA-Code',
  };
  const handler = async () => ({ status: 204 });
  const document = buildOpenApiDocument({
    routes: [
      defineRoute({
        method: 'GET',
        path: '/me',
        operationId: 'me',
        summary: 'me',
        auth: 'required',
        responses: { 200: { description: 'ok' } },
        handler,
      }),
      defineRoute({
        method: 'DELETE',
        path: '/me',
        operationId: 'deleteMe',
        summary: 'd',
        auth: 'required',
        sessionOnly: true,
        stepUp: true,
        responses: { 204: { description: 'gone' } },
        handler,
      }),
      defineRoute({
        method: 'GET',
        path: '/csrf',
        operationId: 'csrf',
        summary: 'c',
        cookieOnly: true,
        responses: { 200: { description: 'ok' } },
        handler,
      }),
      defineRoute({
        method: 'GET',
        path: '/health',
        operationId: 'health',
        summary: 'h',
        storeFree: true,
        responses: { 200: { description: 'ok' } },
        handler,
      }),
      defineRoute({
        method: 'GET',
        path: '/go',
        operationId: 'go',
        summary: 'g',
        rateLimit: { slot: 'go' },
        responses: { 302: { description: 'away' } },
        handler,
      }),
    ],
    catalogue,
    info: { title: 't', version: '1' },
    basePath: '',
    pipeline: cookieAndKeys,
  });
  type Full = Operation & {
    security: unknown;
    responses: Record<string, { headers?: Record<string, unknown> }>;
  };
  const op = (path: string, method: string) => operation(document, path, method) as Full;

  it('openapi - should document every credential scheme and 401 code on authenticated routes', () => {
    const me = op('/me', 'get');
    assert.deepEqual(me.security, [{ bearer: [] }, { sessionCookie: [] }, { apiKey: [] }]);
    assert.deepEqual(codesOf(me, 401), ['UNAUTHENTICATED', 'INVALID_TOKEN']);
    assert.deepEqual(codesOf(me, 413), ['PAYLOAD_TOO_LARGE'], "the API key scheme's own codes");
    assert.deepEqual(codesOf(me, 429), ['RATE_LIMITED'], 'refused credentials are counted');
    assert.equal(codesOf(me, 403), undefined, 'a GET with a cookie needs no CSRF token');
    const schemes = (document.components as { securitySchemes: Record<string, JsonObject> }).securitySchemes;
    assert.deepEqual(Object.keys(schemes), ['bearer', 'sessionCookie', 'apiKey']);
  });

  it('openapi - should add CSRF, session-only and step-up answers where they apply', () => {
    const remove = op('/me', 'delete');
    assert.deepEqual(
      remove.security,
      [{ bearer: [] }, { sessionCookie: [] }],
      'no API key on session-only routes',
    );
    assert.deepEqual(codesOf(remove, 403), ['CSRF_FAILED', 'PASSWORD_SESSION_REQUIRED', 'FORBIDDEN']);
    assert.deepEqual(
      (remove.parameters ?? []).map((p) => [p.name, p.in, p.required]),
      [['X-2FA-Code', 'header', false]],
    );
    const csrf = op('/csrf', 'get');
    assert.deepEqual(csrf.security, [{ sessionCookie: [] }]);
    assert.deepEqual(codesOf(csrf, 403), ['FORBIDDEN'], 'other transports are refused');
  });

  it('openapi - should leave 503 off routes that touch no store, and say which headers come back', () => {
    const health = op('/health', 'get');
    assert.deepEqual(health.security, []);
    assert.equal(codesOf(health, 503), undefined);
    assert.deepEqual(codesOf(health, 500), ['INTERNAL']);
    const go = op('/go', 'get');
    assert.deepEqual(Object.keys(go.responses['302']?.headers ?? {}).sort(), [
      'Location',
      'RateLimit',
      'RateLimit-Policy',
      'X-Request-Id',
    ]);
    assert.ok(go.responses['429']?.headers?.['Retry-After']);
    assert.ok(go.responses['503']?.headers?.RateLimit);
    const headers = (document.components as { headers: Record<string, unknown> }).headers;
    assert.equal(headers['WWW-Authenticate'] !== undefined, true);
  });
});
