/**
 * Cross-site request checks for cookie-authenticated requests (see docs/SECURITY.md): the
 * request's origin must be allowed, and unsafe methods must carry the session's CSRF token.
 */

/** The header that carries the synchronizer token. */
export const CSRF_HEADER = 'X-CSRF-Token';

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Methods that may change state, and so need CSRF protection when a cookie authenticates them. */
export function isUnsafeMethod(method: string): boolean {
  return UNSAFE_METHODS.has(method.toUpperCase());
}

/**
 * Whether the request comes from an allowed origin. `Origin` decides when present (`null`, the
 * value sandboxed and privacy-sensitive contexts send, is never allowed). Without it, a
 * `Sec-Fetch-Site: same-origin` or a `Referer` on an allowed origin is accepted; with none of
 * the three the answer is no: fail closed, browsers send `Origin` on every unsafe request.
 */
export function isAllowedOrigin(request: Request, allowed: ReadonlySet<string>): boolean {
  const origin = request.headers.get('origin');
  if (origin !== null) return allowed.has(origin.toLowerCase());
  const fetchSite = request.headers.get('sec-fetch-site');
  if (fetchSite !== null) return fetchSite === 'same-origin';
  const referer = request.headers.get('referer');
  if (referer === null) return false;
  try {
    return allowed.has(new URL(referer).origin);
  } catch {
    return false;
  }
}
