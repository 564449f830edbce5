/**
 * A helper for Next's `proxy.ts` (named `middleware.ts` before Next 16): sends a request for a
 * matched page to the sign-in page when it carries no credential at all. It looks only at the
 * presence of the session cookie or an `Authorization` header, so it needs no instance and opens
 * no database: a present but expired or revoked cookie passes here and is refused by the page's
 * own `getAuth()` / `requireAuth()`, which stay the check that counts.
 */

export interface SignInRedirectOptions {
  /** Where an anonymous request goes (`'/login'`); the path it asked for is added as `?next=`. */
  readonly signInPath: string;
  /**
   * Session cookie names that count as signed in.
   * @default ['__Host-gh_session', 'gh_session'] (the default `cookies.name`, with and without `cookies.secure`)
   */
  readonly cookieNames?: readonly string[];
}

const DEFAULT_COOKIE_NAMES = Object.freeze(['__Host-gh_session', 'gh_session']);

function hasCookie(header: string | null, names: readonly string[]): boolean {
  if (header === null) return false;
  return header.split(';').some((pair) => {
    const at = pair.indexOf('=');
    const name = (at === -1 ? pair : pair.slice(0, at)).trim();
    return names.includes(name) && pair.slice(at + 1).trim() !== '';
  });
}

/**
 * `export const proxy = signInRedirect({ signInPath: '/login' })` with a `config.matcher` for
 * the pages to protect: answers a 307 to the sign-in page for a request without a credential,
 * and `undefined` (Next continues) otherwise.
 */
export function signInRedirect(
  options: SignInRedirectOptions,
): (request: Request) => Promise<Response | undefined> {
  const { signInPath } = options;
  if (typeof signInPath !== 'string' || !signInPath.startsWith('/') || signInPath.startsWith('//')) {
    throw new TypeError('gatehouse/next: signInPath must be a path on this site, like /login');
  }
  const names = options.cookieNames ?? DEFAULT_COOKIE_NAMES;
  return async (request) => {
    if (request.headers.has('authorization') || hasCookie(request.headers.get('cookie'), names)) {
      return undefined;
    }
    const url = new URL(request.url);
    if (url.pathname === signInPath) return undefined;
    const target = new URL(signInPath, url.origin);
    target.searchParams.set('next', `${url.pathname}${url.search}`);
    return Response.redirect(target, 307);
  };
}
