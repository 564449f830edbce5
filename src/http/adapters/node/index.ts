/**
 * Node.js adapter (`gatehouse/node`): serves a Web `fetch` handler from `node:http`, Express,
 * or anything else that hands out `(IncomingMessage, ServerResponse)` pairs.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';

/** Anything with a Web-standard `fetch`, such as the app returned by `createAuth` or `createHttpApp`. */
export interface FetchTarget {
  fetch(request: Request, env?: unknown): Promise<Response> | Response;
}

export interface NodeHandlerOptions {
  /**
   * Replace the global `Request`/`Response` with `@hono/node-server`'s faster variants. A
   * library should not change its host's globals, so this is opt-in; the standalone server,
   * which owns its process, turns it on.
   * @default false
   */
  readonly overrideGlobalObjects?: boolean;
  /** Host used to build the request URL when the request has no `Host` header. */
  readonly hostname?: string;
}

/** What Express (and Connect-style routers) add to the request: the URL before mounting. */
interface MountedIncomingMessage extends IncomingMessage {
  originalUrl?: unknown;
}

/**
 * Wraps a fetch handler as a Node request listener. The handler receives
 * `env.incoming` / `env.outgoing` (the Node request and response), which is how the app learns
 * the TCP peer address for client-IP resolution.
 *
 * Mounted under a prefix in Express (`app.use('/auth', handler)`), Express strips the prefix
 * from `req.url`; the handler uses `req.originalUrl` instead, so the app must be created with
 * the same base path as the mount point. Mount it before any body parser: the app reads and
 * limits the raw body itself.
 *
 * @example
 * import { createServer } from 'node:http';
 * createServer(toNodeHandler(auth)).listen(3000);
 * // or, in Express 5:
 * expressApp.use('/auth', toNodeHandler(auth)); // auth created with basePath '/auth'
 */
export function toNodeHandler(
  target: FetchTarget,
  options: NodeHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const listener = getRequestListener((request, env) => target.fetch(request, env), {
    overrideGlobalObjects: options.overrideGlobalObjects ?? false,
    ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
  });
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    listener(req, res).catch(() => {
      // The listener already turns app and socket failures into responses; this is the last
      // guard against an unhandled rejection taking the host process down.
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  };
  return (req: MountedIncomingMessage, res: ServerResponse): void => {
    const originalUrl = req.originalUrl;
    if (typeof originalUrl !== 'string' || originalUrl === req.url) {
      serve(req, res);
      return;
    }
    // The listener reads `req.url` synchronously, before its first await; put Express's value
    // back right after so that nothing else in the host app sees a changed request.
    const mountedUrl = req.url;
    req.url = originalUrl;
    try {
      serve(req, res);
    } finally {
      req.url = mountedUrl;
    }
  };
}

/** What a Node guard needs: the framework-neutral check of `auth.guards`. */
export interface GuardSource {
  check(
    request: Request,
    roles: readonly string[] | null,
    context?: { readonly clientIp?: string },
  ): Promise<
    { readonly ok: true; readonly principal: unknown } | { readonly ok: false; readonly response: Response }
  >;
}

/** A request that passed a Node guard: the principal is on it (or `null` for anonymous). */
export interface GuardedIncomingMessage extends IncomingMessage {
  principal?: unknown;
}

/**
 * Guards for Express, Connect or plain `node:http` code: `(req, res, next)` middleware that
 * sets `req.principal` or answers the problem response (401/403) itself.
 *
 * @param roles `null`: anonymous requests pass (a bad token still fails); `[]`: any signed-in
 *   user; otherwise every listed role is required.
 * @example
 * app.get('/reports', toNodeGuard(auth.guards, ['admin']), (req, res) => res.json(req.principal));
 */
export function toNodeGuard(
  source: GuardSource,
  roles: readonly string[] | null,
): (req: GuardedIncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
  return (req, res, next) => {
    // The method and every header go to the check: the cookie transport's CSRF defence needs
    // the method, Origin (or Sec-Fetch-Site, Referer) and X-CSRF-Token. The body is left for
    // the app, so requests signed over a body cannot be checked here (see docs/API-KEYS.md).
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const item of value) headers.append(name, item);
      else headers.set(name, value);
    }
    const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
      method: req.method ?? 'GET',
      headers,
    });
    const clientIp = req.socket?.remoteAddress;
    source.check(request, roles, clientIp === undefined ? {} : { clientIp }).then(
      async (outcome) => {
        if (outcome.ok) {
          req.principal = outcome.principal;
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
}
