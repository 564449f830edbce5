/**
 * The mount-path rule every framework adapter shares: Gatehouse's routes are prefixed exactly
 * once — by the framework's mount path when there is one (`app.use('/api', …)`), else by
 * `http.basePath`. When both are given they must be equal, and the prefix is then applied once;
 * when they differ, the adapter reports a mismatch (a TypeError at mount time when it can know
 * the mount path then, else a 500 problem response that does not echo the path).
 *
 * @module
 */

/** Trailing slashes removed; `'/'` and `''` both mean "no prefix". */
function normalizePrefix(prefix: string | undefined): string {
  if (prefix === undefined) return '';
  return prefix.replace(/\/+$/, '');
}

export interface RoutedPathInput {
  /** The prefix the framework matched and stripped (Express `req.baseUrl`); `''` when not mounted. */
  readonly mountPath?: string | undefined;
  /** The app's `http.basePath` (`''` when none). */
  readonly basePath: string;
  /** The path the framework hands the mounted handler, after stripping `mountPath`. */
  readonly path: string;
}

export type RoutedPath =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly reason: 'mount-path-mismatch' };

/** True when a mount path and a base path are both given and differ (the prefix would be applied twice). */
export function mountPathConflicts(mountPath: string | undefined, basePath: string): boolean {
  const mount = normalizePrefix(mountPath);
  const base = normalizePrefix(basePath);
  return mount !== '' && base !== '' && mount !== base;
}

/**
 * The path the fetch app must see for a request the framework routed to the adapter. The app
 * matches `basePath + routePath`, so: not mounted → the path as is; mounted with no base path →
 * the path relative to the mount; mounted at the base path → the base path put back once.
 */
export function routedPath(input: RoutedPathInput): RoutedPath {
  const mount = normalizePrefix(input.mountPath);
  const base = normalizePrefix(input.basePath);
  const path = input.path === '' ? '/' : input.path;
  if (mount === '' || base === '') return { ok: true, path };
  // Express matches mount paths without regard to case and reports the prefix as the request
  // spelled it (`/API` for `app.use('/api', …)`): the framework chose this mount, so a prefix
  // that differs only in case is the base path, not a second prefix.
  if (mount !== base && mount.toLowerCase() !== base.toLowerCase()) {
    return { ok: false, reason: 'mount-path-mismatch' };
  }
  return { ok: true, path: path === '/' ? base : `${base}${path}` };
}
