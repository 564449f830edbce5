/**
 * Route handlers for `app/api/[...gatehouse]/route.ts`: every method hands the request to
 * Gatehouse as the client sent it (the URL a signature covers), naming the mount path in the
 * fetch env (see mount-env.ts); the shared mount-path rule applies. The mount path is the route
 * file's folder, read from the request: its path minus the catch-all segments Next matched.
 */
import { withMountPath } from '../../mount-env.ts';
import { PROBLEM_CONTENT_TYPE, problemTypeFor } from '../../problem.ts';
import { mountPathConflicts } from '../mount-path.ts';
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
 * `app/api/[...gatehouse]/route.ts`: `/api/auth/login` is routed as `/auth/login` (its URL kept), or as
 * `/api/auth/login` when `http.basePath` is `'/api'` (the prefix is applied once; a different
 * `http.basePath` answers 500 problem+json, logged once).
 */
export function toNextHandlers(source: NextAuthSource, options: NextHandlersOptions = {}): NextHandlers {
  let mismatchLogged = false;
  const handle: NextRouteHandler = async (request, context) => {
    const started = await instanceOf(source);
    if ('response' in started) return started.response;
    const { instance } = started;
    const mountPath = options.mountPath ?? (await mountPathOf(new URL(request.url).pathname, context));
    if (mountPathConflicts(mountPath, instance.config.http.basePath)) {
      // A configuration error, not a request error: said once in the log; every request under
      // the mount gets a 500 naming the mismatch (never the paths).
      if (!mismatchLogged) {
        mismatchLogged = true;
        instance.logger.error({ code: 'INTERNAL' }, MOUNT_MISMATCH_DETAIL);
      }
      return mountMismatch();
    }
    // The request itself, body unread: Gatehouse applies its own limit and parsing.
    return instance.fetch(request, withMountPath({}, mountPath.replace(/\/+$/, '')));
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
