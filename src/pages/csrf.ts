import { randomBytes } from 'node:crypto';
import { isAllowedOrigin, readCookie, serializeCookie } from '../http/index.ts';

/** Makes keyed digests with the active key and checks them under the key they name. */
export interface FormDigests {
  digest(value: string): string;
  matches(value: string, digest: string): boolean;
}

/** The field every page form carries its token in. */
export const CSRF_FIELD = '_csrf';

/**
 * CSRF protection of the page forms, signed in or not: a random browser secret in an HttpOnly
 * cookie (`__Host-` prefixed when secure, so a sibling subdomain cannot plant one), and in each
 * form a keyed digest of it that only this server can make. A POST must come from an allowed
 * origin (the same check as the JSON API's cookie routes) and carry the digest of the cookie
 * it presents. Calls the pages then make to the JSON API carry the session's own CSRF token.
 */
export interface FormCsrf {
  /** The browser secret the request carries, or a new one with the cookie that stores it. */
  secretFor(request: Request): { readonly secret: string; readonly setCookie: string | null };
  tokenFor(secret: string): string;
  /** Whether a form POST passes: allowed origin, one cookie, and its token. */
  check(request: Request, token: string | null): boolean;
}

export function createFormCsrf(options: {
  readonly digests: FormDigests;
  readonly allowedOrigins: ReadonlySet<string>;
  readonly secure: boolean;
}): FormCsrf {
  const name = options.secure ? '__Host-gh_form' : 'gh_form';
  const read = (request: Request): string | null => {
    const lookup = readCookie(request.headers.get('cookie'), name);
    // Two copies: one was planted; trust neither.
    return lookup.status === 'present' && /^[A-Za-z0-9_-]{43}$/.test(lookup.value) ? lookup.value : null;
  };
  return {
    secretFor(request) {
      const existing = read(request);
      if (existing) return { secret: existing, setCookie: null };
      const secret = randomBytes(32).toString('base64url');
      return {
        secret,
        setCookie: serializeCookie(name, secret, { secure: options.secure, sameSite: 'lax' }),
      };
    },
    tokenFor: (secret) => options.digests.digest(secret),
    check(request, token) {
      if (!fromOurPages(request, options.allowedOrigins)) return false;
      const secret = read(request);
      return (
        secret !== null && token !== null && token.length <= 512 && options.digests.matches(secret, token)
      );
    },
  };
}

/**
 * Whether a form post comes from our own pages. The pages send `Referrer-Policy: no-referrer`,
 * and browsers then send `Origin: null` on a document's own form posts (Fetch, "serializing a
 * request origin"); such a post is ours only when the browser also says `Sec-Fetch-Site:
 * same-origin` (a header no page can set; a sandboxed or foreign frame gets `cross-site`).
 * Any other Origin must be an allowed one, as for the JSON API's cookie routes.
 */
export function fromOurPages(request: Request, allowedOrigins: ReadonlySet<string>): boolean {
  if (request.headers.get('origin') === 'null')
    return request.headers.get('sec-fetch-site') === 'same-origin';
  return isAllowedOrigin(request, allowedOrigins);
}
