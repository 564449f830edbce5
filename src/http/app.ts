import { type Context, Hono } from 'hono';
import type { Logger } from 'pino';
import { z } from 'zod';
import { type AuthError, CORE_ERROR_CODES, coreError, type ErrorCatalogue } from '../core/errors/index.ts';
import {
  DEFAULT_BODY_LIMIT_BYTES,
  declaredLengthExceeds,
  declaresBody,
  isJsonContentType,
  parseJsonBody,
  readBodyWithLimit,
} from './body.ts';
import { MAX_TRUSTED_PROXY_HOPS, nodeSocketAddress, resolveClientIp } from './client-ip.ts';
import { CORS_HEADERS_KEY, type CorsEnv, type CorsOptions, corsMiddleware } from './cors.ts';
import { HandlerContext } from './handler-context.ts';
import { routingPath } from './mount-env.ts';
import {
  buildOpenApiDocument,
  type CredentialScheme,
  defaultCredentialSchemes,
  type JsonObject,
  type OpenApiInfo,
  toJsonSchema,
} from './openapi.ts';
import { PathMethods } from './path-methods.ts';
import { type AccessPipeline, type AccessRule, accessRuleOf, createAccessPipeline } from './pipeline.ts';
import {
  DEFAULT_INVALID_TOKEN_CODES,
  errorResponse,
  type ProblemResponseOptions,
  problemFromAuthError,
  problemHeaders,
  toAuthError,
} from './problem.ts';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id.ts';
import {
  type AnswerHeaders,
  appendHeaders,
  routeResponse,
  setCommonHeaders,
  withHeaders,
} from './response-headers.ts';
import {
  defineRoute,
  HTTP_METHODS,
  joinPaths,
  parseRoutePath,
  type RateLimitHook,
  type RouteDefinition,
  type RouteResult,
  routeShape,
} from './route.ts';
import { fieldProblemsFromIssues } from './validation.ts';

/** Hono environment of the Gatehouse app: the request id travels as a context variable. */
export interface HttpAppEnv {
  Variables: { requestId: string; routeTemplate?: string } & CorsEnv['Variables'];
}

/**
 * One finished request, for metrics and the access log: the route's template (`/admin/users/:id`,
 * never the path the client sent, so ids and tokens in paths stay out), or `unmatched`.
 */
export interface RequestRecord {
  readonly method: string;
  readonly route: string;
  readonly status: number;
  readonly durationMs: number;
  readonly requestId: string;
}

export interface CreateHttpAppOptions {
  /** Every route of the app. `GET /openapi.json` is added here and must not be passed in. */
  readonly routes: readonly RouteDefinition[];
  /** Every code routes may answer; must contain the core codes. */
  readonly catalogue: ErrorCatalogue;
  readonly logger: Logger;
  /** Largest accepted request body. @default 16384 */
  readonly bodyLimitBytes?: number;
  /** Reverse proxies we operate in front of this process (see `resolveClientIp`). @default 0 */
  readonly trustedProxyHops?: number;
  /** Mount point, e.g. `/auth`; route paths are relative to it. @default '' */
  readonly basePath?: string;
  readonly openapi: OpenApiInfo;
  /**
   * The TCP peer of a request. The default reads `env.incoming.socket.remoteAddress`, which
   * `@hono/node-server` (and so `gatehouse/node`) provides; other runtimes pass their own.
   */
  readonly getSocketAddress?: (env: unknown, request: Request) => string | undefined;
  /**
   * The access checks (authenticators, step-up, scopes, 403 reporting), shared with the guards.
   * Without it, routes that need a principal answer 401 to everyone and `stepUp` routes 403:
   * failing closed beats serving them unauthenticated.
   */
  readonly access?: AccessPipeline;
  /** Counts requests of routes that declare a `rateLimit` slot; without it they are not limited. */
  readonly rateLimit?: RateLimitHook;
  /** Name of the session cookie, documented as a second security scheme of authenticated routes. */
  readonly sessionCookieName?: string;
  /**
   * The credentials `authenticate` accepts, for the OpenAPI document: each one's security
   * scheme and the codes a bad credential of that kind gets. @default a bearer token, and the
   * session cookie when `sessionCookieName` is set
   */
  readonly credentials?: readonly CredentialScheme[];
  /** Codes the step-up check may answer (documented on every `stepUp` route). @default ['STEP_UP_REQUIRED'] when the catalogue has it */
  readonly stepUpErrorCodes?: readonly string[];
  /** Header a `stepUp` route reads a fresh second-factor code from, documented as a parameter. */
  readonly stepUpCodeHeader?: string;
  /** Cross-origin browser access with credentials; without it, no CORS header is ever sent. */
  readonly cors?: CorsOptions;
  /** 401 codes meaning "a presented token is invalid" (RFC 6750 `error="invalid_token"`). @default ['INVALID_TOKEN'] */
  readonly invalidTokenCodes?: readonly string[];
  /** Told of every finished request (metrics, the access log); must not throw. */
  readonly onRequestDone?: (record: RequestRecord) => void;
}

/** A route with what assembly worked out once, so requests do not redo it. */
interface CompiledRoute {
  readonly definition: RouteDefinition;
  /** What the caller must be and hold, checked by the access pipeline. */
  readonly access: AccessRule;
  /** The body schema accepts `undefined`, so an empty body is allowed. */
  readonly bodyOptional: boolean;
}

/** Path of the generated OpenAPI document, relative to the base path. */
export const OPENAPI_PATH = '/openapi.json';

/**
 * Assembles the Gatehouse HTTP app from a route table.
 *
 * Every response, including 404s and failures, carries `X-Request-Id`, `Cache-Control: no-store`
 * (unless the route set its own), `X-Content-Type-Options: nosniff` and
 * `Referrer-Policy: no-referrer`. Errors are RFC 9457 problem details with a catalogue `code`.
 *
 * Request bodies (routes with a `body` schema), in order:
 * 1. a `Content-Length` over the limit → 413 `PAYLOAD_TOO_LARGE`, before reading anything;
 * 2. a `Content-Type` other than `application/json` (charset, if given, UTF-8) → 415;
 * 3. the body is read up to the limit whatever the headers say (chunked bodies too) → 413;
 * 4. a non-empty body without `Content-Type` → 415;
 * 5. an empty body → 400 `MALFORMED_BODY` (empty is not JSON) unless the schema accepts
 *    `undefined`; invalid UTF-8, invalid JSON or too deep nesting → 400 `MALFORMED_BODY`;
 * 6. schema violations, unknown fields and non-objects → 422 `VALIDATION_FAILED`.
 * Routes without a body schema do not read the body, but an announced body on a non-GET
 * request must still be JSON and within the limit (413/415), so a cross-site form post is
 * refused before the handler runs.
 *
 * @throws {TypeError} at assembly for invalid options, a route path Gatehouse cannot document,
 *   two routes on the same method and path, a duplicate `operationId`, an error code missing
 *   from the catalogue, or a body schema whose objects accept unknown fields.
 *
 * @example
 * const app = createHttpApp({ routes, catalogue, logger, openapi: { title: 'Auth', version: '1' } });
 * const res = await app.request('/health');
 */
export function createHttpApp(options: CreateHttpAppOptions): Hono<HttpAppEnv> {
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const trustedProxyHops = options.trustedProxyHops ?? 0;
  const basePath = normalizeBasePath(options.basePath ?? '');
  if (!Number.isSafeInteger(bodyLimitBytes) || bodyLimitBytes <= 0) {
    throw new TypeError('bodyLimitBytes must be a positive integer');
  }
  if (
    !Number.isInteger(trustedProxyHops) ||
    trustedProxyHops < 0 ||
    trustedProxyHops > MAX_TRUSTED_PROXY_HOPS
  ) {
    throw new TypeError(`trustedProxyHops must be an integer from 0 to ${MAX_TRUSTED_PROXY_HOPS}`);
  }
  checkCatalogue(options.catalogue);
  const getSocketAddress = options.getSocketAddress ?? nodeSocketAddress;
  const access = options.access ?? createAccessPipeline();
  const problemOptions: ProblemResponseOptions = {
    catalogue: options.catalogue,
    invalidTokenCodes: options.invalidTokenCodes ?? DEFAULT_INVALID_TOKEN_CODES,
  };

  let openApiBody = '';
  const openApiRoute = defineRoute({
    method: 'GET',
    path: OPENAPI_PATH,
    operationId: 'getOpenApiDocument',
    summary: 'This OpenAPI 3.1 document',
    tags: ['operations'],
    storeFree: true,
    responses: {
      200: {
        description: 'The OpenAPI document of every route, this one included.',
        schema: z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) }),
      },
    },
    async handler() {
      return new Response(openApiBody, { status: 200, headers: { 'Content-Type': 'application/json' } });
    },
  });
  const routes: readonly RouteDefinition[] = [...options.routes, openApiRoute];
  const compiled = compileRoutes(routes, options.catalogue);
  const document: JsonObject = buildOpenApiDocument({
    routes,
    catalogue: options.catalogue,
    info: options.openapi,
    basePath,
    pipeline: {
      credentials: options.credentials ?? defaultCredentialSchemes(options.sessionCookieName),
      // Without a step-up check, stepUp routes fail closed with FORBIDDEN (see pipeline.ts).
      stepUpErrorCodes: access.checksStepUp
        ? (options.stepUpErrorCodes ??
          (options.catalogue.STEP_UP_REQUIRED === undefined ? [] : ['STEP_UP_REQUIRED']))
        : ['FORBIDDEN'],
      authFailuresLimited: access.countsRefusedCredentials,
      ...(options.stepUpCodeHeader === undefined ? {} : { stepUpCodeHeader: options.stepUpCodeHeader }),
    },
  });
  // Serialised once: the document only changes with the route table.
  openApiBody = JSON.stringify(document);

  const methodsByPath = new PathMethods();
  for (const route of compiled) {
    methodsByPath.add(joinPaths(basePath, route.definition.path), route.definition.method);
  }
  /** Responses built with the common headers already in them (see `routeResponse`). */
  const complete = new WeakSet<Response>();
  /** A problem response with every header it will carry, so the middleware leaves it alone. */
  const problemResponse = (
    error: AuthError<string>,
    answer: AnswerHeaders,
    headers?: Readonly<Record<string, string>>,
  ): Response => {
    const response = routeResponse(
      {
        status: error.status,
        body: problemFromAuthError(error, problemOptions),
        headers: { ...problemHeaders(error, problemOptions), ...headers },
      },
      answer,
    );
    complete.add(response);
    return response;
  };
  /** What every answer of this request carries: its id and the CORS headers (see cors.ts). */
  const answerOf = (c: Context<HttpAppEnv>): AnswerHeaders => ({
    requestId: c.get('requestId'),
    crossOrigin: c.get(CORS_HEADERS_KEY),
  });
  // Refusals that never leave the app are built once: capturing an Error's stack costs more
  // than the rest of a cheap request.
  const notFoundError = coreError('NOT_FOUND');
  const methodNotAllowedError = coreError('METHOD_NOT_ALLOWED');
  const methodNotAllowed = (c: Context<HttpAppEnv>): Response =>
    problemResponse(methodNotAllowedError, answerOf(c), {
      allow: methodsByPath.allowed(c.req.path).join(', '),
    });

  // Routed on the path below a framework's mount path when an adapter names one (mount-env.ts);
  // the request itself keeps the URL the client sent, which is what signatures cover.
  const app = new Hono<HttpAppEnv>({
    getPath: (request, options) => routingPath(request, options?.env, basePath),
  });

  const onRequestDone = options.onRequestDone;
  app.use('*', async (c, next) => {
    const started = onRequestDone ? performance.now() : 0;
    const requestId = requestIdFrom(c.req.header(REQUEST_ID_HEADER));
    c.set('requestId', requestId);
    await next();
    if (!complete.has(c.res)) applyCommonHeaders(c, requestId);
    onRequestDone?.({
      method: c.req.method,
      route: c.get('routeTemplate') ?? 'unmatched',
      status: c.res.status,
      durationMs: performance.now() - started,
      requestId,
    });
  });
  if (options.cors && options.cors.origins.length > 0) {
    app.use(
      '*',
      corsMiddleware(options.cors, (response) => complete.has(response)),
    );
  }

  for (const route of compiled) {
    const fullPath = joinPaths(basePath, route.definition.path);
    // `/sessions/:id` also matches `/sessions/revoke-others`, which is another path: there the
    // router's match is not this route, and the method is one that path does not have.
    const shadowed = methodsByPath.mayBeShadowed(fullPath);
    // Without parameters (`:id`, in the route or the base path), `params` stays an empty object.
    const hasParams = parseRoutePath(fullPath).paramNames.length > 0;
    app.on(route.definition.method, fullPath, async (c) => {
      if (shadowed && !methodsByPath.owns(fullPath, c.req.path)) {
        return methodNotAllowed(c);
      }
      c.set('routeTemplate', route.definition.path);
      const requestId = c.get('requestId');
      const request = c.req.raw;
      const context = new HandlerContext(request, requestId, options.logger);
      let limitHeaders: Readonly<Record<string, string>> | undefined;
      try {
        context.clientIp = resolveClientIp({
          socketAddress: getSocketAddress(c.env, request),
          forwardedFor: c.req.header('X-Forwarded-For') ?? null,
          trustedProxyHops,
        });
        // Steps the route's rule does not ask for are skipped, not awaited: each await of an
        // async call is a promise and a turn of the microtask queue on every request.
        if (route.access.authentication !== 'none') {
          context.principal = await access.authenticate(request, route.access, context.clientIp);
        }
        const principal = context.principal;
        // After `principal` is set, so a refusal is reported with who was refused; before
        // anything is counted, so a key refused here does not spend its owner's budgets.
        access.authorize(principal, route.access);
        // GET bodies are never read (see readRouteBody).
        if (route.definition.method !== 'GET') {
          context.body = await readRouteBody(request, route, bodyLimitBytes);
        }
        if (route.definition.query !== undefined) {
          context.query = await readRouteQuery(request, route.definition.query);
        }
        if (hasParams) context.params = c.req.param();
        const limit = route.definition.rateLimit;
        if (limit && options.rateLimit) {
          const outcome = await options.rateLimit(limit.slot, {
            clientIp: context.clientIp,
            identifier: limit.identifier?.({ body: context.body, principal }) ?? null,
          });
          limitHeaders = outcome.headers;
          if (outcome.retryAfterSeconds !== null) {
            throw coreError('RATE_LIMITED', { retryAfterSeconds: outcome.retryAfterSeconds });
          }
        }
        if (route.access.stepUp) {
          await access.stepUp(principal, route.access, request, { requestId, clientIp: context.clientIp });
        }
        const result = await route.definition.handler(context);
        if (isRouteResult(result)) {
          const response = routeResponse(result, {
            ...answerOf(c),
            limitHeaders,
            handlerHeaders: context.addedHeaders,
          });
          complete.add(response);
          return response;
        }
        return appendHeaders(withHeaders(result, limitHeaders), context.addedHeaders);
      } catch (error) {
        // The context's logger is made only if the failure is logged (a 5xx).
        const response = problemResponse(toAuthError(error, context), {
          ...answerOf(c),
          limitHeaders,
          handlerHeaders: context.addedHeaders,
        });
        await access.reportDenial(
          error,
          response,
          {
            method: c.req.method,
            route: route.definition.path,
            principal: context.principal,
            requestId,
            clientIp: context.clientIp,
            userAgent: c.req.header('User-Agent') ?? null,
          },
          // The parent logger: a denial's log line names the request id itself, and a child
          // logger made for every refusal would cost more than the refusal.
          options.logger,
        );
        return response;
      }
    });
  }

  app.notFound((c) => {
    if (methodsByPath.resolve(c.req.path) === undefined) return problemResponse(notFoundError, answerOf(c));
    return methodNotAllowed(c);
  });

  // Last resort: route handlers catch their own errors, so this only sees failures of the
  // framework itself. The common headers are applied here too, in case the failure happened
  // before the middleware could.
  app.onError((error, c) => {
    const requestId = c.get('requestId') ?? requestIdFrom(null);
    const response = errorResponse(error, { ...problemOptions, logger: options.logger.child({ requestId }) });
    setCommonHeaders(response.headers, requestId);
    return response;
  });

  return app;
}

function compileRoutes(routes: readonly RouteDefinition[], catalogue: ErrorCatalogue): CompiledRoute[] {
  const seenRoutes = new Set<string>();
  const seenOperations = new Set<string>();
  return routes.map((definition) => {
    const label = `${definition.method} ${definition.path}`;
    if (!HTTP_METHODS.includes(definition.method)) throw new TypeError(`Route ${label}: unsupported method`);
    parseRoutePath(definition.path);
    const key = `${definition.method} ${routeShape(definition.path)}`;
    if (seenRoutes.has(key)) throw new TypeError(`Route ${label} is declared twice`);
    seenRoutes.add(key);
    if (definition.operationId.length === 0 || seenOperations.has(definition.operationId)) {
      throw new TypeError(`Route ${label}: operationId must be present and unique`);
    }
    seenOperations.add(definition.operationId);
    for (const code of definition.errorCodes ?? []) {
      if (catalogue[code] === undefined)
        throw new TypeError(`Route ${label} lists error code ${code}, not in the catalogue`);
    }
    if (definition.body !== undefined) {
      // Node never hands a GET body to the app, so a GET body schema could never be satisfied.
      if (definition.method === 'GET')
        throw new TypeError(`Route ${label}: GET routes cannot declare a body`);
      const loose = findLooseObject(toJsonSchema(definition.body, 'input'), 'body');
      if (loose !== undefined) {
        throw new TypeError(`Route ${label}: ${loose} accepts unknown fields; use z.strictObject`);
      }
    }
    if (definition.query !== undefined && toJsonSchema(definition.query, 'input').type !== 'object') {
      throw new TypeError(`Route ${label}: the query schema must be an object schema`);
    }
    return {
      definition,
      access: accessRuleOf(definition),
      bodyOptional: definition.body?.safeParse(undefined).success === true,
    };
  });
}

/**
 * Finds an object schema that silently accepts unknown properties (zod's plain `z.object`
 * strips them, which would hide a client's mistake and invite mass-assignment attempts).
 * `z.strictObject`, records and an explicit `z.looseObject` all state `additionalProperties`.
 */
function findLooseObject(schema: unknown, path: string): string | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const node = schema as JsonObject;
  const isObject = node.type === 'object' || (Array.isArray(node.type) && node.type.includes('object'));
  if (isObject && node.additionalProperties === undefined && node.unevaluatedProperties === undefined)
    return path;
  const children: [string, unknown][] = [];
  for (const keyword of ['properties', 'patternProperties', '$defs'] as const) {
    const map = node[keyword];
    if (typeof map === 'object' && map !== null) {
      for (const [name, child] of Object.entries(map)) children.push([`${path}.${name}`, child]);
    }
  }
  for (const keyword of ['anyOf', 'oneOf', 'allOf', 'prefixItems'] as const) {
    const list = node[keyword];
    if (Array.isArray(list)) for (const child of list) children.push([path, child]);
  }
  for (const keyword of ['items', 'additionalProperties', 'not', 'if', 'then', 'else'] as const) {
    if (node[keyword] !== undefined) children.push([path, node[keyword]]);
  }
  for (const [childPath, child] of children) {
    const found = findLooseObject(child, childPath);
    if (found !== undefined) return found;
  }
  return undefined;
}

function checkCatalogue(catalogue: ErrorCatalogue): void {
  for (const [code, spec] of Object.entries(CORE_ERROR_CODES)) {
    if (catalogue[code]?.status !== spec.status) {
      throw new TypeError(
        `The error catalogue must contain the core code ${code} with status ${spec.status}`,
      );
    }
  }
}

function normalizeBasePath(basePath: string): string {
  const trimmed = basePath.replace(/\/+$/, '');
  if (trimmed !== '') parseRoutePath(trimmed);
  return trimmed;
}

async function readRouteBody(request: Request, route: CompiledRoute, limitBytes: number): Promise<unknown> {
  const schema = route.definition.body;
  if (route.definition.method === 'GET') return undefined;
  const headers = request.headers;
  const contentType = headers.get('content-type');
  if (schema === undefined) {
    if (declaresBody(headers)) {
      if (declaredLengthExceeds(headers, limitBytes)) throw coreError('PAYLOAD_TOO_LARGE');
      if (contentType === null || !isJsonContentType(contentType)) throw coreError('UNSUPPORTED_MEDIA_TYPE');
    }
    return undefined;
  }
  if (declaredLengthExceeds(headers, limitBytes)) throw coreError('PAYLOAD_TOO_LARGE');
  if (contentType !== null && !isJsonContentType(contentType)) throw coreError('UNSUPPORTED_MEDIA_TYPE');
  const bytes = await readBodyWithLimit(request, limitBytes);
  if (bytes.byteLength > 0 && contentType === null) throw coreError('UNSUPPORTED_MEDIA_TYPE');
  if (bytes.byteLength === 0) {
    if (route.bodyOptional) return validate(schema, undefined);
    throw coreError('MALFORMED_BODY', { detail: 'A JSON body is required.' });
  }
  return validate(schema, parseJsonBody(bytes));
}

async function readRouteQuery(request: Request, schema: z.ZodType | undefined): Promise<unknown> {
  if (schema === undefined) return undefined;
  const search = new URL(request.url).searchParams;
  // A prototype-less object: a `__proto__` parameter stays an ordinary (rejected) key.
  const query: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of search) {
    const existing = query[name];
    if (existing === undefined) query[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else query[name] = [existing, value];
  }
  return validate(schema, query);
}

async function validate(schema: z.ZodType, value: unknown): Promise<unknown> {
  const result = await schema.safeParseAsync(value, { reportInput: true });
  if (result.success) return result.data;
  throw coreError('VALIDATION_FAILED', { errors: fieldProblemsFromIssues(result.error.issues) });
}

/**
 * A handler answers a plain object literal or a `Response`. `instanceof Response` is not used:
 * when the Node adapter replaces the global `Response`, responses built before (or by a static
 * like `Response.redirect`) are not instances of the new global.
 */
function isRouteResult(value: Response | RouteResult): value is RouteResult {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function applyCommonHeaders(c: Context<HttpAppEnv>, requestId: string): void {
  try {
    setCommonHeaders(c.res.headers, requestId);
  } catch {
    // Responses from `Response.redirect()` or `fetch()` have immutable headers: copy first.
    c.res = new Response(c.res.body, c.res);
    setCommonHeaders(c.res.headers, requestId);
  }
}
