import { getPath } from 'hono/utils/url';

/**
 * Serving Gatehouse under a framework's mount path (`app.use('/api', gatehouse(auth))`, a Fastify
 * `prefix`) while `http.basePath` is empty. The request Gatehouse receives keeps the URL the
 * client sent — `/api/users/me?x=1`, which is what a `GH1-HMAC-SHA256` signature covers — and
 * the adapter says in the fetch `env` which prefix it mounted at; the app routes on the path
 * below it. Only the adapter's own code writes `env`: no request header, whoever sends it, can
 * move Gatehouse's routes or change the URL a signature is checked against.
 *
 * @module
 */

/**
 * The `env` property (of `auth.fetch(request, env)`) naming the prefix the host framework
 * matched for this request: `auth.fetch(request, { ...env, gatehouseMountPath: '/api' })`.
 */
export const MOUNT_PATH_ENV_KEY = 'gatehouseMountPath';

/**
 * What the router sees for a request outside the mount it names: no route has this path (a NUL
 * cannot be in one), so such a request is a 404 rather than served from the wrong place.
 */
const OUTSIDE_MOUNT = '/\u0000outside-mount';

/** `env` with the mount path added (a copy; the adapter's env is not changed). */
export function withMountPath<T extends object>(
  env: T,
  mountPath: string,
): T & { gatehouseMountPath: string } {
  return { ...env, [MOUNT_PATH_ENV_KEY]: mountPath };
}

/** The mount path an adapter put in `env`, without trailing slashes; `''` when there is none. */
export function mountPathOf(env: unknown): string {
  if (typeof env !== 'object' || env === null) return '';
  const value = (env as Record<string, unknown>)[MOUNT_PATH_ENV_KEY];
  return typeof value === 'string' ? value.replace(/\/+$/, '') : '';
}

/**
 * The path the app routes `request` on: Hono's own reading of the URL's path, less the mount
 * path the adapter named — unless the mount is the base path, whose routes carry it already
 * (the prefix is applied once, see adapters/mount-path.ts).
 */
export function routingPath(request: Request, env: unknown, basePath: string): string {
  const path = getPath(request);
  const mount = mountPathOf(env);
  if (mount === '' || mount === basePath) return path;
  let below: string;
  if (path === mount) below = '/';
  else if (path.startsWith(`${mount}/`)) below = path.slice(mount.length);
  else return OUTSIDE_MOUNT;
  // A mount the framework matched without regard to case (Express) is the base path itself.
  if (basePath !== '' && mount.toLowerCase() === basePath.toLowerCase()) {
    return below === '/' ? basePath : `${basePath}${below}`;
  }
  return below;
}
