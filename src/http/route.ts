import type { Logger } from 'pino';
import type { z } from 'zod';
import type { GatehouseErrorCode } from '../core/errors/index.ts';
import type { Principal } from '../core/principal.ts';

/** Methods a Gatehouse route can answer. `HEAD` is served by every `GET` route. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Every method a route may declare, in the order `Allow` headers list them. */
export const HTTP_METHODS: readonly HttpMethod[] = Object.freeze(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** The validated value of an optional schema: its output type, or `undefined` when no schema. */
export type SchemaOutput<S> = S extends z.ZodType ? z.output<S> : undefined;

type ParamNames<P extends string> = P extends `${string}/:${infer Rest}`
  ? Rest extends `${infer Name}/${infer Tail}`
    ? Name | ParamNames<`/${Tail}`>
    : Rest
  : never;

/**
 * Path parameters named in a route path: `'/users/:id'` gives `{ readonly id: string }`.
 * A path typed only as `string` gives a string record.
 */
export type PathParams<P extends string> = string extends P
  ? Readonly<Record<string, string>>
  : { readonly [K in ParamNames<P>]: string };

/** What a handler receives: validated input and the request's identity. */
export interface RouteContext<Body = unknown, Query = unknown, Params = Readonly<Record<string, string>>> {
  /** The JSON body, parsed and validated against the route's `body` schema. */
  readonly body: Body;
  /** The query string, validated against the route's `query` schema (repeated keys arrive as arrays). */
  readonly query: Query;
  /** Path parameters, percent-decoded. */
  readonly params: Params;
  /** The Web `Request`; its body has already been consumed when the route declares `body`. */
  readonly request: Request;
  /** Echoed from a sane `X-Request-Id` header or generated; also sent on the response. */
  readonly requestId: string;
  /** The client's address per the trusted proxy hops (see `resolveClientIp`), or `'unknown'`. */
  readonly clientIp: string;
  /** A child logger bound to `requestId`. */
  readonly logger: Logger;
  /** The authenticated caller: always set on routes with `auth: 'required'`, else `null`. */
  readonly principal: Principal | null;
  /**
   * Headers added to the response whatever it turns out to be, an error included (e.g. a
   * `Set-Cookie` that must clear a cookie even when the request fails). `Set-Cookie` appends.
   */
  readonly responseHeaders: Headers;
}

/** How a route takes part in rate limiting. */
export interface RouteRateLimit<Body = unknown> {
  readonly slot: string;
  /** The subject of `identifier` scopes; `null` falls back to the client address. */
  identifier?(input: { readonly body: Body; readonly principal: Principal | null }): string | null;
}

/**
 * Counts one request of a route against its slot. `retryAfterSeconds` is set when the request
 * is refused; `headers` (RateLimit-Policy, RateLimit) go on the response either way.
 */
export type RateLimitHook = (
  slot: string,
  subject: { readonly clientIp: string; readonly identifier: string | null },
) => Promise<{
  readonly headers: Readonly<Record<string, string>>;
  readonly retryAfterSeconds: number | null;
}>;

/**
 * Checks a sensitive request of an authenticated caller; throws `STEP_UP_REQUIRED` (or a code
 * error when a fresh code was sent and is wrong).
 */
export type StepUpHook = (
  principal: Principal,
  request: Request,
  context: { readonly requestId: string; readonly clientIp: string },
) => Promise<void>;

/** A JSON answer: `body` (when present) is serialised with `Content-Type: application/json`. */
export interface RouteResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: ConstructorParameters<typeof Headers>[0];
}

/** One documented response of a route (success statuses; error statuses come from `errorCodes`). */
export interface RouteResponseSpec {
  readonly description: string;
  /** Schema of the JSON body, for the OpenAPI document. */
  readonly schema?: z.ZodType;
}

/**
 * A route declared as data: the HTTP app validates input, runs the handler, maps thrown
 * errors to problem details and documents the route in OpenAPI, all from this one object.
 *
 * @see https://hono.dev/docs/api/routing for the path syntax (`/users/me/sessions/:id`).
 */
export interface RouteDefinition<
  B extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  P extends string = string,
> {
  readonly method: HttpMethod;
  /** Relative to the app's base path; literal segments and `:name` parameters only. */
  readonly path: P;
  readonly summary: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  /** Unique across the app; becomes the OpenAPI `operationId` and the client SDK's method name. */
  readonly operationId: string;
  /**
   * JSON body schema. Objects must reject unknown fields (`z.strictObject`), so privileged
   * fields can never be mass-assigned; a non-strict object is a `TypeError` at assembly.
   * When the schema accepts `undefined`, an empty body is allowed.
   */
  readonly body?: B;
  /** Query schema; it receives an object of strings (arrays for repeated keys). */
  readonly query?: Q;
  /** Success responses by status. */
  readonly responses: Readonly<Record<number, RouteResponseSpec>>;
  /**
   * `'required'`: the request must carry a valid credential (401 `UNAUTHENTICATED` without one,
   * 401 `INVALID_TOKEN` with a bad one), checked before the body is read.
   */
  readonly auth?: 'required';
  /**
   * The rate-limit slot this route counts against (see the ratelimit feature's table), and
   * how to find the identifier (normalised email, account id) for `identifier` scopes.
   */
  readonly rateLimit?: RouteRateLimit<SchemaOutput<B>>;
  /**
   * A sensitive route: a user with a second factor must have verified it recently (the
   * step-up window) or send a fresh code, else 403 `STEP_UP_REQUIRED`. Implies `auth: 'required'`.
   */
  readonly stepUp?: true;
  /**
   * Account management an API key must never do (keys, sessions, passwords, 2FA): an API-key
   * principal gets 403 `PASSWORD_SESSION_REQUIRED`.
   */
  readonly sessionOnly?: true;
  /**
   * Only a browser's cookie session may call this route (e.g. it hands out the session's CSRF
   * token): a bearer token or API key gets 403 `FORBIDDEN`. Implies `auth: 'required'`.
   */
  readonly cookieOnly?: true;
  /**
   * The route touches no database and no store (liveness, this document, public keys), so it
   * never answers 503; every other route may, when a store it needs is down.
   */
  readonly storeFree?: true;
  /** Roles the principal must all hold (403 `INSUFFICIENT_ROLES`); implies `auth: 'required'`. */
  readonly roles?: readonly string[];
  /**
   * Catalogue codes this route may answer beyond the ones every route may return; typed against
   * the catalogue, so a misspelt code fails to compile.
   */
  readonly errorCodes?: readonly GatehouseErrorCode[];
  handler(
    ctx: RouteContext<SchemaOutput<B>, SchemaOutput<Q>, PathParams<P>>,
  ): Promise<Response | RouteResult>;
}

/**
 * Identity helper that infers a route's body, query and path parameter types.
 *
 * @example
 * export const revokeSession = defineRoute({
 *   method: 'DELETE', path: '/users/me/sessions/:id', operationId: 'revokeSession',
 *   summary: 'Revoke one of my sessions', responses: { 204: { description: 'Revoked' } },
 *   errorCodes: ['SESSION_NOT_FOUND'],
 *   async handler({ params }) { await sessions.revoke(params.id); return { status: 204 }; },
 * });
 */
export function defineRoute<
  const P extends string,
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
>(definition: RouteDefinition<B, Q, P>): RouteDefinition<B, Q, P> {
  return definition;
}

const LITERAL_SEGMENT = /^[A-Za-z0-9._~-]+$/;
const PARAM_SEGMENT = /^:([A-Za-z][A-Za-z0-9_]*)$/;

/**
 * Checks a route path and returns its parameter names. Only literal segments and plain `:name`
 * parameters are allowed, so every path has an exact OpenAPI equivalent.
 *
 * @throws {TypeError} on any other syntax (wildcards, optional or regex parameters, `//`).
 */
export function parseRoutePath(path: string): { readonly paramNames: readonly string[] } {
  if (path === '/') return { paramNames: [] };
  if (!path.startsWith('/')) throw new TypeError(`Route path must start with "/": ${path}`);
  const paramNames: string[] = [];
  for (const segment of path.slice(1).split('/')) {
    const param = PARAM_SEGMENT.exec(segment);
    if (param) {
      const name = param[1] ?? '';
      if (paramNames.includes(name)) throw new TypeError(`Route path repeats parameter :${name}: ${path}`);
      paramNames.push(name);
    } else if (!LITERAL_SEGMENT.test(segment)) {
      throw new TypeError(`Route path segment "${segment}" is not supported: ${path}`);
    }
  }
  return { paramNames };
}

/** `/users/:id` → `/users/{id}` (OpenAPI path template). */
export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z][A-Za-z0-9_]*)/g, '{$1}');
}

/** Two paths that differ only in parameter names match the same requests. */
export function routeShape(path: string): string {
  return path.replace(/:[A-Za-z][A-Za-z0-9_]*/g, ':');
}

/** Joins a base path and a route path: `('/auth', '/login')` → `/auth/login`. */
export function joinPaths(basePath: string, path: string): string {
  const base = basePath.replace(/\/+$/, '');
  if (base === '') return path;
  return path === '/' ? base : `${base}${path}`;
}
