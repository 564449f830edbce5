import { CSRF_HEADER } from '../http/index.ts';

/** The JSON API's fetch handler (the app `createAuth` assembled), called in-process. */
export type ApiFetch = (request: Request, env: unknown) => Promise<Response>;

/** A problem+json answer, as far as the pages read it. */
export interface ApiProblem {
  readonly code: string;
  readonly status: number;
  readonly errors: readonly { readonly path: string; readonly message: string }[];
  /** From `Retry-After` (rate limits, a busy service). */
  readonly retryAfterSeconds: number | null;
}

export interface ApiAnswer {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field by each page.
  readonly body: any;
  readonly problem: ApiProblem | null;
  /** The `Set-Cookie` values the API answered (the session cookie), for the browser. */
  readonly setCookies: readonly string[];
  readonly headers: Headers;
}

export interface ApiCallOptions {
  readonly body?: unknown;
  /**
   * A cookie-authenticated unsafe call: the session's CSRF token is fetched first
   * (`GET /auth/csrf`) and sent in `X-CSRF-Token`. The page checked its own form token and
   * the Origin before calling.
   */
  readonly session?: boolean;
  /** Extra request headers, e.g. a step-up code in `X-2FA-Code` for a sensitive route. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Headers of the browser's request the JSON API decides on: its cookies (the session), where it
 * comes from (Origin, Sec-Fetch-Site, Referer: the API's own CSRF checks run again on them), the
 * forwarding chain (so the client address, and so every rate limit and lockout, is the
 * browser's), its user agent (sessions list it) and its language.
 */
const FORWARDED = [
  'cookie',
  'origin',
  'sec-fetch-site',
  'referer',
  'x-forwarded-for',
  'user-agent',
  'accept-language',
  'x-request-id',
] as const;

/**
 * Calls a route of the JSON API in-process with what the browser sent, so every rule of the
 * API (rate limits, lockout, audit, 2FA, enumeration safety, CSRF) applies to the pages as is.
 * `env` is the page request's: it carries the socket the address is read from.
 */
export function createApiClient(options: { readonly fetch: ApiFetch; readonly basePath: string }) {
  const base = options.basePath === '/' ? '' : options.basePath;

  async function send(
    browser: Request,
    env: unknown,
    method: string,
    path: string,
    body: unknown,
    extra: Record<string, string>,
  ): Promise<ApiAnswer> {
    const headers = new Headers(extra);
    for (const name of FORWARDED) {
      const value = browser.headers.get(name);
      // `Origin: null` is what a no-referrer page's own form post carries; the page accepted it
      // only with `Sec-Fetch-Site: same-origin`, which goes on and is what the API checks then.
      if (value !== null && !(name === 'origin' && value === 'null')) headers.set(name, value);
    }
    headers.set('accept', 'application/json');
    if (body !== undefined) headers.set('content-type', 'application/json');
    const url = new URL(`${base}${path}`, browser.url);
    const response = await options.fetch(
      new Request(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }),
      env,
    );
    const text = await response.text();
    let parsed: unknown = null;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
    }
    return {
      status: response.status,
      body: parsed,
      problem: response.ok ? null : problemOf(response, parsed),
      setCookies: response.headers.getSetCookie(),
      headers: response.headers,
    };
  }

  return {
    async call(browser: Request, env: unknown, method: string, path: string, call: ApiCallOptions = {}) {
      const extra: Record<string, string> = { ...call.headers };
      if (call.session) {
        const csrf = await send(browser, env, 'GET', '/auth/csrf', undefined, {});
        if (csrf.problem) return csrf;
        extra[CSRF_HEADER] = String(csrf.body?.csrfToken ?? '');
      }
      return send(browser, env, method, path, call.body, extra);
    },
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

function problemOf(response: Response, body: unknown): ApiProblem {
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const retry = Number(response.headers.get('retry-after'));
  const errors = Array.isArray(record.errors)
    ? record.errors.filter(
        (e): e is { path: string; message: string } =>
          typeof e === 'object' && e !== null && typeof e.path === 'string' && typeof e.message === 'string',
      )
    : [];
  return {
    code: typeof record.code === 'string' ? record.code : 'INTERNAL',
    status: response.status,
    errors,
    retryAfterSeconds: Number.isFinite(retry) && retry > 0 ? Math.ceil(retry) : null,
  };
}
