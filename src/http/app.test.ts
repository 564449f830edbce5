import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { z } from 'zod';
import { CORE_ERROR_CODES, coreError, defineErrorCodes, mergeCatalogues } from '../core/errors/index.ts';
import { StoreError } from '../stores/contract.ts';
import { type CreateHttpAppOptions, createHttpApp } from './app.ts';
import { PROBLEM_CONTENT_TYPE } from './problem.ts';
import { defineRoute, type RouteDefinition } from './route.ts';

const FEATURE_CODES = defineErrorCodes({
  SESSION_NOT_FOUND: { status: 404, title: 'No such session.' },
});
const catalogue = mergeCatalogues(CORE_ERROR_CODES, FEATURE_CODES);
const silent = pino({ level: 'silent' });
const JSON_HEADERS = { 'content-type': 'application/json' };

const echoRoute = defineRoute({
  method: 'POST',
  path: '/echo/:id',
  operationId: 'echo',
  summary: 'Echo the validated input',
  body: z.strictObject({ name: z.string().max(20), age: z.int().optional() }),
  responses: { 200: { description: 'Echoed' } },
  async handler({ body, params, query, clientIp, requestId }) {
    // Compile-time checks: the body, params and query are typed from the definition.
    const name: string = body.name;
    const id: string = params.id;
    const noQuery: undefined = query;
    return { status: 200, body: { name, id, noQuery: noQuery ?? null, clientIp, requestId } };
  },
});

const optionalBodyRoute = defineRoute({
  method: 'POST',
  path: '/optional',
  operationId: 'optionalBody',
  summary: 'Body may be omitted',
  body: z.strictObject({ note: z.string() }).optional(),
  responses: { 200: { description: 'Seen' } },
  async handler({ body }) {
    return { status: 200, body: { received: body ?? null } };
  },
});

const searchRoute = defineRoute({
  method: 'GET',
  path: '/search',
  operationId: 'search',
  summary: 'Query validation',
  query: z.strictObject({ q: z.string().min(1), tag: z.union([z.string(), z.array(z.string())]).optional() }),
  responses: { 200: { description: 'Found' } },
  async handler({ query }) {
    const q: string = query.q;
    return { status: 200, body: { q, tag: query.tag ?? null } };
  },
});

let thrown: unknown;
const throwingRoute = defineRoute({
  method: 'POST',
  path: '/throw',
  operationId: 'throwIt',
  summary: 'Throws whatever the test put in `thrown`',
  responses: { 204: { description: 'Never' } },
  errorCodes: ['SESSION_NOT_FOUND'],
  async handler({ logger }) {
    logger.info('about to throw');
    throw thrown;
  },
});

const noBodyRoute = defineRoute({
  method: 'POST',
  path: '/logout',
  operationId: 'logout',
  summary: 'No body expected',
  responses: { 204: { description: 'Done' } },
  async handler() {
    return { status: 204, headers: { 'X-Extra': 'yes' } };
  },
});

const redirectRoute = defineRoute({
  method: 'GET',
  path: '/redirect',
  operationId: 'redirect',
  summary: 'Immutable headers',
  responses: { 302: { description: 'Away' } },
  async handler() {
    return Response.redirect('https://example.com/next', 302);
  },
});

const cachedRoute = defineRoute({
  method: 'GET',
  path: '/cached',
  operationId: 'cached',
  summary: 'Opts in to caching',
  responses: { 200: { description: 'Public' } },
  async handler() {
    return { status: 200, body: { ok: true }, headers: { 'Cache-Control': 'public, max-age=60' } };
  },
});

const sessionRoutes = [
  defineRoute({
    method: 'DELETE',
    path: '/sessions/:id',
    operationId: 'deleteSession',
    summary: 'Delete',
    responses: { 204: { description: 'Deleted' } },
    async handler() {
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/sessions/revoke-others',
    operationId: 'revokeOthers',
    summary: 'Revoke others',
    responses: { 204: { description: 'Revoked' } },
    async handler() {
      return { status: 204 };
    },
  }),
];

const allRoutes: RouteDefinition[] = [
  echoRoute,
  optionalBodyRoute,
  searchRoute,
  throwingRoute,
  noBodyRoute,
  redirectRoute,
  cachedRoute,
  ...sessionRoutes,
];

function makeApp(overrides: Partial<CreateHttpAppOptions> = {}) {
  return createHttpApp({
    routes: allRoutes,
    catalogue,
    logger: silent,
    bodyLimitBytes: 256,
    trustedProxyHops: 0,
    openapi: { title: 'Test', version: '0.0.0' },
    ...overrides,
  });
}

function captureLogger(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  return {
    logger: pino({ level: 'info' }, stream),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

async function problemOf(response: Response): Promise<Record<string, unknown>> {
  assert.equal(response.headers.get('content-type'), PROBLEM_CONTENT_TYPE);
  return (await response.json()) as Record<string, unknown>;
}

async function expectProblem(
  response: Response,
  status: number,
  code: string,
): Promise<Record<string, unknown>> {
  assert.equal(response.status, status);
  const problem = await problemOf(response);
  assert.equal(problem.code, code);
  assert.equal(problem.status, status);
  return problem;
}

describe('createHttpApp - request bodies', () => {
  const app = makeApp();
  const post = (path: string, init: RequestInit) => app.request(path, { method: 'POST', ...init });

  it('createHttpApp - should hand the validated body, params and request id to the handler', async () => {
    const response = await post('/echo/42', {
      headers: JSON_HEADERS,
      body: JSON.stringify({ name: 'Ada', age: 36 }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.name, 'Ada');
    assert.equal(body.id, '42');
    assert.equal(body.clientIp, 'unknown');
    assert.equal(body.requestId, response.headers.get('x-request-id'));
  });

  it('createHttpApp - should pass malformed percent-encoding in a path parameter through undecoded', async () => {
    const response = await post('/echo/%E0%A4%A', { headers: JSON_HEADERS, body: '{"name":"x"}' });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { id: string }).id, '%E0%A4%A');
    const decoded = await post('/echo/a%20b', { headers: JSON_HEADERS, body: '{"name":"x"}' });
    assert.equal(((await decoded.json()) as { id: string }).id, 'a b');
  });

  it('createHttpApp - should accept a UTF-8 charset parameter', async () => {
    const response = await post('/echo/1', {
      headers: { 'content-type': 'application/json; charset=UTF-8' },
      body: '{"name":"x"}',
    });
    assert.equal(response.status, 200);
  });

  it('createHttpApp - should refuse a body that is not application/json with 415', async () => {
    await expectProblem(
      await post('/echo/1', { headers: { 'content-type': 'text/plain' }, body: '{"name":"x"}' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    await expectProblem(
      await post('/echo/1', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'name=x',
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    await expectProblem(
      await post('/echo/1', {
        headers: { 'content-type': 'application/json; charset=latin1' },
        body: '{"name":"x"}',
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('createHttpApp - should refuse a non-empty body without Content-Type with 415', async () => {
    const request = new Request('http://localhost/echo/1', {
      method: 'POST',
      body: new TextEncoder().encode('{"name":"x"}'),
    });
    assert.equal(request.headers.get('content-type'), null);
    await expectProblem(await app.request(request), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('createHttpApp - should answer 413 from Content-Length alone and from the bytes actually sent', async () => {
    const declared = await post('/echo/1', {
      headers: { ...JSON_HEADERS, 'content-length': '100000' },
      body: '{}',
    });
    await expectProblem(declared, 413, 'PAYLOAD_TOO_LARGE');
    const streamed = await post('/echo/1', {
      headers: JSON_HEADERS,
      body: JSON.stringify({ name: 'x'.repeat(300) }),
    });
    await expectProblem(streamed, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('createHttpApp - should answer 400 MALFORMED_BODY for broken JSON and for an empty required body', async () => {
    await expectProblem(
      await post('/echo/1', { headers: JSON_HEADERS, body: '{"name":' }),
      400,
      'MALFORMED_BODY',
    );
    await expectProblem(await post('/echo/1', { headers: JSON_HEADERS, body: '' }), 400, 'MALFORMED_BODY');
    await expectProblem(await post('/echo/1', {}), 400, 'MALFORMED_BODY');
  });

  it('createHttpApp - should let an optional body be omitted but still validate a present one', async () => {
    const empty = await post('/optional', {});
    assert.equal(empty.status, 200);
    assert.deepEqual(await empty.json(), { received: null });
    const present = await post('/optional', { headers: JSON_HEADERS, body: '{"note":"hi"}' });
    assert.deepEqual(await present.json(), { received: { note: 'hi' } });
    await expectProblem(
      await post('/optional', { headers: JSON_HEADERS, body: '{"other":1}' }),
      422,
      'VALIDATION_FAILED',
    );
  });

  it('mass assignment: unknown fields are refused with 422 naming the field', async () => {
    const response = await post('/echo/1', { headers: JSON_HEADERS, body: '{"name":"x","roles":["admin"]}' });
    const problem = await expectProblem(response, 422, 'VALIDATION_FAILED');
    assert.deepEqual(problem.errors, [{ path: 'roles', message: 'Unknown field' }]);
  });

  it('createHttpApp - should answer 422 for JSON that is not an object, or has wrong types', async () => {
    for (const body of ['[]', '"text"', 'null', '42', 'true']) {
      const problem = await expectProblem(
        await post('/echo/1', { headers: JSON_HEADERS, body }),
        422,
        'VALIDATION_FAILED',
      );
      assert.deepEqual(problem.errors, [{ path: '', message: 'Expected object' }], body);
    }
    const problem = await expectProblem(
      await post('/echo/1', { headers: JSON_HEADERS, body: '{"name":5,"age":1.5}' }),
      422,
      'VALIDATION_FAILED',
    );
    assert.deepEqual(problem.errors, [
      { path: 'name', message: 'Expected string' },
      { path: 'age', message: 'Expected integer' },
    ]);
  });

  it('csrf: a route without a body schema still refuses a form-encoded body', async () => {
    const response = await post('/logout', {
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '3' },
      body: 'a=b',
    });
    await expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const ok = await post('/logout', {});
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('x-extra'), 'yes');
    assert.equal(await ok.text(), '');
  });
});

describe('createHttpApp - query strings', () => {
  const app = makeApp();

  it('createHttpApp - should validate the query and pass repeated keys as arrays', async () => {
    const single = await app.request('/search?q=ada');
    assert.deepEqual(await single.json(), { q: 'ada', tag: null });
    const repeated = await app.request('/search?q=ada&tag=a&tag=b');
    assert.deepEqual(await repeated.json(), { q: 'ada', tag: ['a', 'b'] });
  });

  it('createHttpApp - should answer 422 for a missing or unknown query parameter', async () => {
    const missing = await expectProblem(await app.request('/search'), 422, 'VALIDATION_FAILED');
    assert.deepEqual(missing.errors, [{ path: 'q', message: 'Required' }]);
    const unknown = await expectProblem(
      await app.request('/search?q=a&__proto__=x'),
      422,
      'VALIDATION_FAILED',
    );
    assert.deepEqual(unknown.errors, [{ path: '__proto__', message: 'Unknown field' }]);
  });
});

describe('createHttpApp - routing', () => {
  const app = makeApp();

  it('createHttpApp - should answer 404 NOT_FOUND for an unknown path', async () => {
    await expectProblem(await app.request('/nowhere'), 404, 'NOT_FOUND');
  });

  it('createHttpApp - should answer 405 with Allow for a known path and another method', async () => {
    const response = await app.request('/echo/1', { method: 'GET' });
    await expectProblem(response, 405, 'METHOD_NOT_ALLOWED');
    assert.equal(response.headers.get('allow'), 'POST');
    const search = await app.request('/search', { method: 'DELETE' });
    assert.equal(search.status, 405);
    assert.equal(search.headers.get('allow'), 'GET, HEAD');
  });

  it('createHttpApp - should resolve a literal path before a template, in Allow and in dispatch', async () => {
    // `/sessions/revoke-others` matches both the literal POST route and DELETE `/sessions/:id`;
    // as in OpenAPI, the literal path is the one meant, and it has POST only.
    const response = await app.request('/sessions/revoke-others', { method: 'PUT' });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'POST');
    const deleted = await app.request('/sessions/revoke-others', { method: 'DELETE' });
    await expectProblem(deleted, 405, 'METHOD_NOT_ALLOWED');
    assert.equal(deleted.headers.get('allow'), 'POST');
    assert.equal((await app.request('/sessions/abc', { method: 'DELETE' })).status, 204);
    assert.equal((await app.request('/sessions/abc', { method: 'PUT' })).headers.get('allow'), 'DELETE');
  });

  it('createHttpApp - should serve HEAD from GET routes without a body', async () => {
    const response = await app.request('/search?q=a', { method: 'HEAD' });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '');
    assert.ok(response.headers.get('x-request-id'));
  });

  it('createHttpApp - should mount every route under the base path', async () => {
    const mounted = makeApp({ basePath: '/auth/' });
    const inside = await mounted.request('/auth/search?q=a');
    assert.equal(inside.status, 200);
    await expectProblem(await mounted.request('/search?q=a'), 404, 'NOT_FOUND');
    const outside = await mounted.request('/elsewhere');
    assert.ok(
      outside.headers.get('x-request-id'),
      'a 404 outside the base path still gets the common headers',
    );
    assert.equal((await mounted.request('/auth/openapi.json')).status, 200);
  });
});

describe('createHttpApp - common headers', () => {
  const app = makeApp();

  it('createHttpApp - should put the common headers on success, problem, 404 and redirect responses', async () => {
    const responses = [
      await app.request('/search?q=a'),
      await app.request('/search'),
      await app.request('/nowhere'),
      await app.request('/redirect'),
      await app.request('/echo/1', { method: 'POST', headers: JSON_HEADERS, body: '{' }),
    ];
    assert.equal(responses[3]?.status, 302);
    assert.equal(responses[3]?.headers.get('location'), 'https://example.com/next');
    for (const response of responses) {
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
      assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    }
  });

  it('createHttpApp - should keep a Cache-Control that a route sets deliberately', async () => {
    const response = await app.request('/cached');
    assert.equal(response.headers.get('cache-control'), 'public, max-age=60');
  });

  it('createHttpApp - should echo a sane X-Request-Id and replace anything else', async () => {
    const sane = 'req-1.2:3_abc';
    assert.equal(
      (await app.request('/nowhere', { headers: { 'x-request-id': sane } })).headers.get('x-request-id'),
      sane,
    );
    for (const insane of ['a'.repeat(129), 'has space', 'semi;colon', 'ünï', '<script>']) {
      const echoed = (await app.request('/nowhere', { headers: { 'x-request-id': insane } })).headers.get(
        'x-request-id',
      );
      assert.notEqual(echoed, insane);
      assert.match(echoed ?? '', /^[0-9a-f-]{36}$/);
    }
  });
});

describe('createHttpApp - errors thrown by handlers', () => {
  it('createHttpApp - should map an AuthError to its status and code', async () => {
    const app = makeApp();
    thrown = coreError('INVALID_TOKEN');
    const response = await app.request('/throw', { method: 'POST' });
    await expectProblem(response, 401, 'INVALID_TOKEN');
    assert.equal(response.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    thrown = coreError('RATE_LIMITED', { retryAfterSeconds: 7 });
    const limited = await app.request('/throw', { method: 'POST' });
    await expectProblem(limited, 429, 'RATE_LIMITED');
    assert.equal(limited.headers.get('retry-after'), '7');
  });

  it('createHttpApp - should answer 503 with Retry-After for a StoreError and log it at warn with the request id', async () => {
    const { logger, lines } = captureLogger();
    const app = makeApp({ logger });
    thrown = new StoreError('timeout', 'redis timed out', { retryAfterSeconds: 2 });
    const response = await app.request('/throw', { method: 'POST', headers: { 'x-request-id': 'store-1' } });
    await expectProblem(response, 503, 'SERVICE_UNAVAILABLE');
    assert.equal(response.headers.get('retry-after'), '2');
    const warn = lines().find((line) => line.level === 40);
    assert.equal(warn?.requestId, 'store-1');
    assert.equal(warn?.storeErrorKind, 'timeout');
  });

  it('createHttpApp - should answer 500 without detail and log one error line with the request id, never the body', async () => {
    const { logger, lines } = captureLogger();
    const app = makeApp({ logger });
    thrown = new TypeError('cannot read property of undefined');
    const response = await app.request('/throw', {
      method: 'POST',
      headers: { ...JSON_HEADERS, 'x-request-id': 'boom-1' },
      body: '{"password":"hunter2-secret"}',
    });
    const problem = await expectProblem(response, 500, 'INTERNAL');
    assert.equal(problem.detail, undefined);
    assert.equal(JSON.stringify(problem).includes('cannot read'), false);
    const logged = lines();
    const errors = logged.filter((line) => line.level === 50);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.requestId, 'boom-1');
    assert.equal((errors[0]?.err as { type?: string } | undefined)?.type, 'TypeError');
    assert.ok(!JSON.stringify(logged).includes('hunter2-secret'));
    // The handler's own log line carries the request id through the child logger.
    assert.equal(logged.find((line) => line.msg === 'about to throw')?.requestId, 'boom-1');
  });

  it('createHttpApp - should answer 500 when a non-Error value is thrown', async () => {
    const app = makeApp();
    thrown = 'a string';
    await expectProblem(await app.request('/throw', { method: 'POST' }), 500, 'INTERNAL');
  });
});

describe('createHttpApp - client IP', () => {
  const ipRoute = defineRoute({
    method: 'GET',
    path: '/ip',
    operationId: 'ip',
    summary: 'Client IP',
    responses: { 200: { description: 'The IP' } },
    async handler({ clientIp }) {
      return { status: 200, body: { clientIp } };
    },
  });
  const ipOf = async (app: ReturnType<typeof makeApp>, headers: Record<string, string>) =>
    ((await (await app.request('/ip', { headers })).json()) as { clientIp: string }).clientIp;

  it('spoofing: X-Forwarded-For does not change the client IP without trusted proxies', async () => {
    const app = makeApp({ routes: [ipRoute], getSocketAddress: () => '::ffff:198.51.100.4' });
    assert.equal(await ipOf(app, { 'x-forwarded-for': '203.0.113.9' }), '198.51.100.4');
  });

  it('createHttpApp - should take the client from X-Forwarded-For behind one trusted proxy', async () => {
    const app = makeApp({ routes: [ipRoute], trustedProxyHops: 1, getSocketAddress: () => '10.0.0.2' });
    assert.equal(await ipOf(app, { 'x-forwarded-for': '6.6.6.6, 203.0.113.9' }), '203.0.113.9');
  });
});

describe('createHttpApp - assembly', () => {
  const base = {
    catalogue,
    logger: silent,
    openapi: { title: 'Test', version: '0.0.0' },
  };
  const route = (overrides: Partial<RouteDefinition>): RouteDefinition => ({
    method: 'GET',
    path: '/x',
    operationId: 'x',
    summary: 'x',
    responses: { 200: { description: 'ok' } },
    async handler() {
      return { status: 200 };
    },
    ...overrides,
  });

  it('createHttpApp - should refuse two routes on the same method and path, even with other parameter names', () => {
    assert.throws(
      () => createHttpApp({ ...base, routes: [route({}), route({ operationId: 'y' })] }),
      TypeError,
    );
    assert.throws(
      () =>
        createHttpApp({
          ...base,
          routes: [route({ path: '/a/:id' }), route({ path: '/a/:key', operationId: 'y' })],
        }),
      /declared twice/,
    );
    assert.doesNotThrow(() =>
      createHttpApp({ ...base, routes: [route({}), route({ method: 'POST', operationId: 'y' })] }),
    );
  });

  it('createHttpApp - should refuse a route on GET /openapi.json, which it adds itself', () => {
    assert.throws(
      () => createHttpApp({ ...base, routes: [route({ path: '/openapi.json' })] }),
      /declared twice/,
    );
  });

  it('createHttpApp - should refuse duplicate operation ids and unknown error codes', () => {
    assert.throws(
      () => createHttpApp({ ...base, routes: [route({}), route({ path: '/y' })] }),
      /operationId must be present and unique/,
    );
    // A code outside the catalogue fails to compile; the check at assembly is for untyped callers.
    // @ts-expect-error 'NOPE' is no GatehouseErrorCode
    assert.throws(() => createHttpApp({ ...base, routes: [route({ errorCodes: ['NOPE'] })] }), /NOPE/);
  });

  it('mass assignment: a body schema whose objects accept unknown fields is refused at assembly', () => {
    const loose = z.object({ name: z.string() });
    assert.throws(
      () => createHttpApp({ ...base, routes: [route({ method: 'POST', body: loose })] }),
      /z\.strictObject/,
    );
    const nested = z.strictObject({ profile: z.object({ name: z.string() }) });
    assert.throws(
      () => createHttpApp({ ...base, routes: [route({ method: 'POST', body: nested })] }),
      /body\.profile accepts unknown fields/,
    );
    const inArray = z.strictObject({ items: z.array(z.object({ a: z.string() })) });
    assert.throws(
      () => createHttpApp({ ...base, routes: [route({ method: 'POST', body: inArray })] }),
      TypeError,
    );
    const fine = z.strictObject({ tags: z.record(z.string(), z.string()), extra: z.looseObject({}) });
    assert.doesNotThrow(() => createHttpApp({ ...base, routes: [route({ method: 'POST', body: fine })] }));
  });

  it('createHttpApp - should refuse GET routes with a body and query schemas that are not objects', () => {
    assert.throws(
      () => createHttpApp({ ...base, routes: [route({ body: z.strictObject({}) })] }),
      /GET routes/,
    );
    assert.throws(() => createHttpApp({ ...base, routes: [route({ query: z.string() })] }), /query schema/);
  });

  it('createHttpApp - should refuse route paths it cannot document exactly', () => {
    for (const path of ['x', '/a/*', '/a/:id?', '/a/:id{[0-9]+}', '/a//b', '/a/', '/a/:id/:id']) {
      assert.throws(() => createHttpApp({ ...base, routes: [route({ path })] }), TypeError, path);
    }
  });

  it('createHttpApp - should refuse invalid options and a catalogue without the core codes', () => {
    assert.throws(() => createHttpApp({ ...base, routes: [], bodyLimitBytes: 0 }), /bodyLimitBytes/);
    assert.throws(() => createHttpApp({ ...base, routes: [], bodyLimitBytes: 1.5 }), /bodyLimitBytes/);
    assert.throws(() => createHttpApp({ ...base, routes: [], trustedProxyHops: -1 }), /trustedProxyHops/);
    assert.throws(() => createHttpApp({ ...base, routes: [], trustedProxyHops: 17 }), /trustedProxyHops/);
    assert.throws(() => createHttpApp({ ...base, routes: [], basePath: 'auth' }), TypeError);
    assert.throws(() => createHttpApp({ ...base, routes: [], catalogue: FEATURE_CODES }), /core code/);
  });
});
