/**
 * Route handlers for `app/api/[...gatehouse]/route.ts`: every method hands the request to
 * Gatehouse with the path the shared mount-path rule gives. The mount path is the route file's
 * folder, read from the request: its path minus the catch-all segments Next matched.
 */
import { PROBLEM_CONTENT_TYPE, problemTypeFor } from '../../problem.ts';
import { routedPath } from '../mount-path.ts';
import { instanceOf, type NextAuthSource } from './source.ts';

/** The second argument Next passes a route handler (`params` is a promise since Next 15). */
export interface NextRouteContext {
  readonly params?: Promise<Readonly<Record<string, string | readonly string[] | undefined>>>;
}

export type NextRouteHandler = (request: Request, context?: NextRouteContext) => Promise<Response>;

export interface NextHandlers {
  readonly GET: NextRouteHandler;
  readonly HEAD: NextRouteHandler;
  readonly POST: NextRouteHandler;
  readonly PUT: NextRouteHandler;
  readonly PATCH: NextRouteHandler;
  readonly DELETE: NextRouteHandler;
  readonly OPTIONS: NextRouteHandler;
}

export interface NextHandlersOptions {
  /**
   * The path the route file serves Gatehouse under (`'/api'` for `app/api/[...gatehouse]`).
   * Read from each request by default (its path minus the catch-all's segments); give it when
   * the handlers are called from somewhere else than a catch-all route.
   */
  readonly mountPath?: string;
}

const MOUNT_MISMATCH_DETAIL =
  'Gatehouse is mounted under a path that differs from its http.basePath: mount it at http.basePath, or leave http.basePath empty.';
const NO_BODY_METHODS = new Set(['GET', 'HEAD']);

/** The folder of the catch-all route: the request path without the segments the catch-all matched. */
async function mountPathOf(pathname: string, context: NextRouteContext | undefined): Promise<string> {
  const params = context?.params === undefined ? {} : await context.params;
  // The catch-all is the one array-valued parameter (`[...gatehouse]`); an optional one that
  // matched nothing is absent.
  const caught = Object.values(params).find((value) => Array.isArray(value)) as readonly string[] | undefined;
  const segments = pathname.split('/').filter((segment) => segment !== '');
  const kept = segments.slice(0, Math.max(0, segments.length - (caught?.length ?? 0)));
  return kept.length === 0 ? '' : `/${kept.join('/')}`;
}

function mountMismatch(): Response {
  return new Response(
    JSON.stringify({
      type: problemTypeFor('INTERNAL'),
      title: 'An internal error occurred.',
      status: 500,
      code: 'INTERNAL',
      detail: MOUNT_MISMATCH_DETAIL,
    }),
    { status: 500, headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store' } },
  );
}

/**
 * `export const { GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS } = toNextHandlers(auth)` in
 * `app/api/[...gatehouse]/route.ts`: `/api/auth/login` reaches Gatehouse as `/auth/login`, or as
 * `/api/auth/login` when `http.basePath` is `'/api'` (the prefix is applied once; a different
 * `http.basePath` answers 500 problem+json, logged once).
 */
export function toNextHandlers(source: NextAuthSource, options: NextHandlersOptions = {}): NextHandlers {
  let mismatchLogged = false;
  const handle: NextRouteHandler = async (request, context) => {
    const started = await instanceOf(source);
    if ('response' in started) return started.response;
    const { instance } = started;
    const url = new URL(request.url);
    const mountPath = options.mountPath ?? (await mountPathOf(url.pathname, context));
    const mount = mountPath.replace(/\/+$/, '');
    const relative = url.pathname.startsWith(mount) ? url.pathname.slice(mount.length) : url.pathname;
    const routed = routedPath({ mountPath: mount, basePath: instance.config.http.basePath, path: relative });
    if (!routed.ok) {
      if (!mismatchLogged) {
        mismatchLogged = true;
        instance.logger.error({ code: 'INTERNAL' }, MOUNT_MISMATCH_DETAIL);
      }
      return mountMismatch();
    }
    const init: RequestInit & { duplex?: 'half' } = {
      method: request.method,
      headers: request.headers,
      signal: request.signal,
    };
    if (!NO_BODY_METHODS.has(request.method) && request.body !== null) {
      // Streamed through unread: Gatehouse applies its own body limit and parsing.
      init.body = request.body;
      init.duplex = 'half';
    }
    return instance.fetch(new Request(`${url.origin}${routed.path}${url.search}`, init));
  };
  return Object.freeze({
    GET: handle,
    HEAD: handle,
    POST: handle,
    PUT: handle,
    PATCH: handle,
    DELETE: handle,
    OPTIONS: handle,
  });
}
