/**
 * Express 5 adapter (`gatehouse/express`): serves Gatehouse's routes from an Express app and
 * guards the application's own routes with the same access pipeline.
 *
 * @example
 * import express from 'express';
 * import { gatehouse } from 'gatehouse/express';
 * const auth = await createAuth();
 * const gh = gatehouse(auth);
 * const app = express();
 * app.use('/api', gh); // /api/auth/login, /api/users/me, …
 * app.get('/api/admin', gh.requireRoles('admin'), (req, res) => res.json({ userId: req.auth?.userId }));
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { resolveClientIp } from '../../client-ip.ts';
import type { GuardOutcome } from '../../guards.ts';
import type { Principal } from '../../index.ts';
import { withMountPath } from '../../mount-env.ts';
import { PathMethods } from '../../path-methods.ts';
import type { AccessRule } from '../../pipeline.ts';
import { PROBLEM_CONTENT_TYPE, problemTypeFor } from '../../problem.ts';
import { HTTP_METHODS, type HttpMethod } from '../../route.ts';
import { routedPath } from '../mount-path.ts';

export type { Principal } from '../../index.ts';

declare global {
  // Express's own request type is declared in this global namespace (@types/express-serve-static-core);
  // declaration merging is the documented way to add a member to it.
  namespace Express {
    interface Request {
      /** The caller, set by a `gatehouse/express` guard (`requireAuth()`, `requireRoles()`, …). */
      auth?: Principal;
    }
  }
}

/** What the adapter needs of `createAuth`'s result. */
export interface ExpressAuthTarget {
  fetch(request: Request, env?: unknown): Promise<Response> | Response;
  readonly routes: readonly { readonly method: string; readonly path: string }[];
  readonly config: {
    readonly http: { readonly basePath: string; readonly trustedProxyHops: number };
    readonly cors: { readonly origins: readonly string[] };
  };
  readonly guards: {
    checkRule(
      request: Request,
      rule: AccessRule,
      context?: {
        readonly clientIp?: string;
        readonly known?: Principal | null;
        readonly route?: string | null;
      },
    ): Promise<GuardOutcome>;
  };
  readonly logger: { error(object: object, message: string): void };
}

/** The Node request as Express hands it over (only what the adapter reads). */
export interface ExpressLikeRequest extends IncomingMessage {
  /** The path the router matched and stripped for this middleware (`''` at the root). */
  baseUrl?: string;
  originalUrl?: string;
  /** What a body parser left (Express 5: `undefined` when none ran). */
  body?: unknown;
  /** Raw bytes a parser's `verify` hook kept (see `keepRawBody`). */
  rawBody?: unknown;
  auth?: Principal;
}

export type ExpressNext = (error?: unknown) => void;
export type ExpressMiddleware = (req: ExpressLikeRequest, res: ServerResponse, next: ExpressNext) => void;

/** The guards, as Express middleware: each answers 401/403 problem+json or sets `req.auth` and calls `next()`. */
export interface ExpressGuards {
  /** Sets `req.auth` when the request carries a valid credential; anonymous requests pass (a bad credential is 401). */
  optionalAuth(): ExpressMiddleware;
  /** 401 unless the request carries a valid credential. */
  requireAuth(): ExpressMiddleware;
  /** 401 without a credential, 403 `INSUFFICIENT_ROLES` unless the caller holds every role. */
  requireRoles(...roles: string[]): ExpressMiddleware;
  /** 401 without a credential; for an API key, 403 unless its scopes hold every one named. */
  requireScopes(...scopes: string[]): ExpressMiddleware;
  /** 401 without a credential; 403 `STEP_UP_REQUIRED` for a 2FA user without a recent second factor. */
  requireStepUp(): ExpressMiddleware;
}

/** The middleware `gatehouse(auth)` returns: Gatehouse's routes, with the guards attached. */
export type GatehouseMiddleware = ExpressMiddleware & ExpressGuards;

export interface ExpressAdapterOptions {
  /** Host used to build the request URL when the request has no `Host` header. */
  readonly hostname?: string;
}

/**
 * A `verify` hook for Express's body parsers that keeps the exact bytes on `req.rawBody`:
 * `app.use(express.json({ verify: keepRawBody }))`. Gatehouse then reads those bytes instead of
 * re-serialising `req.body`, so a signed body verifies whatever its formatting.
 */
export function keepRawBody(req: IncomingMessage, _res: ServerResponse, bytes: Buffer): void {
  (req as ExpressLikeRequest).rawBody = bytes;
}

const MOUNT_MISMATCH_DETAIL =
  'Gatehouse is mounted under a path that differs from its http.basePath: mount it at http.basePath, or leave http.basePath empty.';

/**
 * Gatehouse's routes as Express middleware. A request is Gatehouse's when its method and path
 * are in the app's route table (after the mount-path rule, see `mount-path.ts`); everything
 * else goes to `next()`. Works before or after `express.json()` / `express.urlencoded()`.
 */
export function gatehouse(auth: ExpressAuthTarget, options: ExpressAdapterOptions = {}): GatehouseMiddleware {
  const table = new PathMethods();
  for (const route of auth.routes) {
    if ((HTTP_METHODS as readonly string[]).includes(route.method))
      table.add(route.path, route.method as HttpMethod);
  }
  const basePath = auth.config.http.basePath;
  const corsEnabled = auth.config.cors.origins.length > 0;
  // The prefix Express matched for each request handed over (see mount-env.ts); the listener
  // calls back synchronously, before the request could be reused.
  const mountPaths = new WeakMap<object, string>();
  const listener = getRequestListener(
    (request, env) => auth.fetch(request, withMountPath(env, mountPaths.get(env.incoming) ?? '')),
    {
      overrideGlobalObjects: false,
      ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
    },
  );
  let mismatchLogged = false;

  const middleware: ExpressMiddleware = (req, res, next) => {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const pathname = queryAt === -1 ? url : url.slice(0, queryAt);
    const search = queryAt === -1 ? '' : url.slice(queryAt);
    const routed = routedPath({ mountPath: req.baseUrl, basePath, path: pathname });
    if (!routed.ok) {
      // A configuration error, not a request error: say so once in the log, and answer every
      // request under the mount with a 500 that names the mismatch (never the paths).
      if (!mismatchLogged) {
        mismatchLogged = true;
        auth.logger.error({ code: 'INTERNAL' }, MOUNT_MISMATCH_DETAIL);
      }
      sendMountMismatch(res);
      return;
    }
    const method = req.method ?? 'GET';
    const allowed = table.allowed(routed.path);
    const served = allowed.includes(method) || (method === 'OPTIONS' && corsEnabled && allowed.length > 0);
    if (!served) {
      next();
      return;
    }
    supplyConsumedBody(req);
    // Gatehouse gets the URL below any outer rewrite but with the mount path kept — what the
    // client sent, so a signature over it verifies — and routes on the path below the mount.
    // The listener reads `req.url` synchronously; the host app keeps seeing its own value.
    const mountPath = req.baseUrl ?? '';
    mountPaths.set(req, mountPath);
    const hostUrl = req.url;
    req.url = `${mountPath}${pathname}${search}`;
    try {
      listener(req, res).catch((error: unknown) => {
        if (!res.headersSent) next(error);
        else res.destroy();
      });
    } finally {
      req.url = hostUrl;
    }
  };
  return Object.assign(middleware, expressGuards(auth));
}

/**
 * When a body parser already read the stream, hands Gatehouse the bytes: the parser's own (see
 * `keepRawBody`), else `req.body` serialised again in its content type (JSON as
 * `JSON.stringify` writes it, which is also how clients write it, so signatures still verify).
 */
function supplyConsumedBody(req: ExpressLikeRequest): void {
  if (req.method === 'GET' || req.method === 'HEAD') return;
  if (!req.readableEnded || req.rawBody instanceof Buffer) return;
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  const body = req.body;
  let bytes: Buffer;
  if (body === undefined) bytes = Buffer.alloc(0);
  else if (Buffer.isBuffer(body)) bytes = body;
  else if (typeof body === 'string') bytes = Buffer.from(body, 'utf8');
  else if (contentType.includes('application/x-www-form-urlencoded')) bytes = Buffer.from(formEncode(body));
  else bytes = Buffer.from(JSON.stringify(body) ?? '', 'utf8');
  // @hono/node-server reads a consumed request's body from `rawBody`.
  req.rawBody = bytes;
}

function formEncode(body: unknown): string {
  const params = new URLSearchParams();
  if (body !== null && typeof body === 'object') {
    for (const [name, value] of Object.entries(body)) {
      for (const item of Array.isArray(value) ? value : [value]) params.append(name, String(item));
    }
  }
  return params.toString();
}

function sendMountMismatch(res: ServerResponse): void {
  const body = JSON.stringify({
    type: problemTypeFor('INTERNAL'),
    title: 'An internal error occurred.',
    status: 500,
    code: 'INTERNAL',
    detail: MOUNT_MISMATCH_DETAIL,
  });
  res.statusCode = 500;
  res.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

const ANONYMOUS_ALLOWED: AccessRule = Object.freeze({ authentication: 'optional' });
const SIGNED_IN: AccessRule = Object.freeze({ authentication: 'required' });
const STEP_UP: AccessRule = Object.freeze({ authentication: 'required', stepUp: true });

/**
 * The guards alone (also attached to `gatehouse(auth)`'s result). They run the access pipeline
 * of Gatehouse's own routes; the request's body is not read, so a signature over a body cannot
 * be checked here (use a GET, or a Gatehouse route, for signed bodies).
 */
export function expressGuards(auth: Pick<ExpressAuthTarget, 'guards' | 'config'>): ExpressGuards {
  const guard =
    (rule: AccessRule): ExpressMiddleware =>
    (req, res, next) => {
      const request = webRequestOf(req);
      const clientIp = resolveClientIp({
        socketAddress: req.socket?.remoteAddress,
        forwardedFor: headerValue(req.headers['x-forwarded-for']),
        trustedProxyHops: auth.config.http.trustedProxyHops,
      });
      auth.guards
        .checkRule(request, rule, { clientIp, ...(req.auth === undefined ? {} : { known: req.auth }) })
        .then(
          async (outcome) => {
            if (outcome.ok) {
              if (outcome.principal !== null) req.auth = outcome.principal;
              next();
              return;
            }
            res.statusCode = outcome.response.status;
            outcome.response.headers.forEach((value, name) => {
              res.setHeader(name, value);
            });
            res.end(Buffer.from(await outcome.response.arrayBuffer()));
          },
          (error: unknown) => next(error),
        );
    };
  return {
    optionalAuth: () => guard(ANONYMOUS_ALLOWED),
    requireAuth: () => guard(SIGNED_IN),
    requireRoles: (...roles: string[]) => {
      // An empty list would let every signed-in user through: refuse it at setup time.
      if (roles.length === 0 || roles.some((r) => typeof r !== 'string' || r === '')) {
        throw new TypeError('requireRoles needs at least one non-empty role');
      }
      return guard(Object.freeze({ authentication: 'required', roles }));
    },
    requireScopes: (...scopes: string[]) => {
      if (scopes.length === 0 || scopes.some((s) => typeof s !== 'string' || s === '')) {
        throw new TypeError('requireScopes needs at least one non-empty scope');
      }
      return guard(Object.freeze({ authentication: 'required', scopes }));
    },
    requireStepUp: () => guard(STEP_UP),
  };
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The request line and headers as a Web Request (the path before mounting: what was signed). */
function webRequestOf(req: ExpressLikeRequest): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  const target = typeof req.originalUrl === 'string' ? req.originalUrl : (req.url ?? '/');
  return new Request(`http://${req.headers.host ?? 'localhost'}${target}`, {
    method: req.method ?? 'GET',
    headers,
  });
}
