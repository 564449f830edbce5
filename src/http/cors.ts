import type { MiddlewareHandler } from 'hono';
import { CSRF_HEADER } from './csrf.ts';
import { REQUEST_ID_HEADER } from './request-id.ts';

export interface CorsOptions {
  /** Exact origins (`https://app.example.com`) allowed to call with credentials. */
  readonly origins: readonly string[];
  /** How long browsers may cache a preflight answer. */
  readonly maxAgeSeconds: number;
}

/** Request headers a browser client may send: JSON bodies, bearer tokens, the CSRF token. */
const ALLOWED_HEADERS = ['Content-Type', 'Authorization', CSRF_HEADER, REQUEST_ID_HEADER].join(', ');
const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
/** Response headers scripts on an allowed origin may read. */
const EXPOSED_HEADERS = [REQUEST_ID_HEADER, CSRF_HEADER, 'Retry-After', 'RateLimit', 'RateLimit-Policy'].join(
  ', ',
);

/** Context variable holding the CORS headers of the current answer (see `corsMiddleware`). */
export const CORS_HEADERS_KEY = 'corsHeaders';

/** What `corsMiddleware` reads and writes on the Hono context. */
export interface CorsEnv {
  Variables: { corsHeaders?: Readonly<Record<string, string>> };
}

/**
 * CORS for single-page apps on other origins, with credentials. Only origins on the list get
 * any CORS header (the exact origin echoed, never `*`: browsers refuse `*` with credentials,
 * and a reflected wildcard would hand every site the user's session). Preflights are answered
 * here, before routing; a preflight from another origin gets no permission and so fails in
 * the browser. Every answer varies on `Origin`, so caches never mix them up.
 */
export function corsMiddleware(
  options: CorsOptions,
  /**
   * Answers built with `c.get('corsHeaders')` already in them (names in lower case, `vary`
   * appended, the others set): they are left alone.
   */
  isComplete: (response: Response) => boolean = () => false,
): MiddlewareHandler<CorsEnv> {
  const allowed = new Set(options.origins);
  return async (c, next) => {
    const origin = c.req.header('Origin');
    const permitted = origin !== undefined && allowed.has(origin.toLowerCase());
    const preflight =
      c.req.method === 'OPTIONS' && c.req.header('Access-Control-Request-Method') !== undefined;
    if (preflight) {
      const headers = new Headers({ Vary: 'Origin' });
      if (permitted) {
        headers.set('Access-Control-Allow-Origin', origin);
        headers.set('Access-Control-Allow-Credentials', 'true');
        headers.set('Access-Control-Allow-Methods', ALLOWED_METHODS);
        headers.set('Access-Control-Allow-Headers', ALLOWED_HEADERS);
        headers.set('Access-Control-Max-Age', String(options.maxAgeSeconds));
      }
      return new Response(null, { status: 204, headers });
    }
    const headers: Record<string, string> = permitted
      ? {
          vary: 'Origin',
          'access-control-allow-origin': origin,
          'access-control-allow-credentials': 'true',
          'access-control-expose-headers': EXPOSED_HEADERS,
        }
      : { vary: 'Origin' };
    c.set(CORS_HEADERS_KEY, headers);
    await next();
    if (isComplete(c.res)) return;
    for (const [name, value] of Object.entries(headers)) {
      if (name === 'vary') c.res.headers.append(name, value);
      else c.res.headers.set(name, value);
    }
  };
}
