/**
 * The caller in Server Components, Route Handlers and Server Actions: the request's headers
 * (Next's `headers()`, which carry the cookie) run through the access pipeline of Gatehouse's own
 * routes (`guards.checkRule`), the same one every adapter's guards use.
 */
import { resolveClientIp } from '../../client-ip.ts';
import type { Principal } from '../../index.ts';
import type { AccessRule } from '../../pipeline.ts';
import { instanceOf, type NextAuthSource } from './source.ts';

/** What Next's `headers()` answers (a read-only `Headers`), or any headers of a request. */
export type HeadersSource = () => Promise<Headers | Iterable<readonly [string, string]>>;

export interface NextAuthOptions {
  /** Next's `headers` from `next/headers`: passed in, so that the adapter never imports `next` itself. */
  readonly headers: HeadersSource;
}

/** What a check asks of the caller; without `roles`, `scopes` or `stepUp`, just a valid credential. */
export interface AccessOptions {
  /** Every one is required: 403 `INSUFFICIENT_ROLES` otherwise. */
  readonly roles?: readonly string[];
  /** An API key must hold every one (people are not limited by scopes). */
  readonly scopes?: readonly string[];
  /** A recent second factor (403 `STEP_UP_REQUIRED` otherwise). */
  readonly stepUp?: boolean;
  /**
   * The request of a Route Handler: checked as it is (its method, so a cookie write needs the
   * CSRF token; its path, so a signed request verifies). Without it, the headers of the page
   * being rendered are checked as a read.
   */
  readonly request?: Request;
}

/** A refusal: the problem response Gatehouse would send, with its status and code. */
export class NextAuthError extends Error {
  readonly status: number;
  readonly code: string;
  readonly response: Response;
  constructor(response: Response, code: string) {
    super(`Gatehouse refused the request (${response.status} ${code})`);
    this.name = 'NextAuthError';
    this.status = response.status;
    this.code = code;
    this.response = response;
  }
}

/** Internal outcome of one check. */
type CheckResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly response: Response };

export interface RequireAuthOptions extends AccessOptions {
  /**
   * Called instead of throwing `NextAuthError`, e.g. `() => redirect('/login')` with Next's
   * `redirect` (which throws the way Next expects). A 5xx or 429 always throws.
   */
  readonly otherwise?: (refusal: NextAuthError) => never;
}

export interface NextAuth {
  /**
   * The caller, or `null` when anonymous or the credential is not valid (expired, revoked) or
   * lacks what `options` asks. Throws `NextAuthError` only when Gatehouse cannot answer (5xx, 429).
   */
  getAuth(options?: AccessOptions): Promise<Principal | null>;
  /**
   * For Route Handlers: the caller, or the 401/403 problem+json `Response` to return as it is
   * (`if (caller instanceof Response) return caller;` narrows with or without `strict`).
   */
  authorize(options?: AccessOptions): Promise<Principal | Response>;
  /** The caller, or `otherwise(refusal)` / a thrown `NextAuthError`. */
  requireAuth(options?: RequireAuthOptions): Promise<Principal>;
}

function ruleOf(options: AccessOptions, authentication: AccessRule['authentication']): AccessRule {
  const rule: { -readonly [K in keyof AccessRule]: AccessRule[K] } = { authentication };
  for (const [name, list] of [
    ['roles', options.roles],
    ['scopes', options.scopes],
  ] as const) {
    if (list === undefined) continue;
    // An empty list would let every signed-in user through: refuse it where it is written.
    if (list.length === 0 || list.some((item) => typeof item !== 'string' || item === '')) {
      throw new TypeError(`gatehouse/next: ${name} needs at least one non-empty entry`);
    }
    rule[name] = list;
    rule.authentication = 'required';
  }
  if (options.stepUp) {
    rule.stepUp = true;
    rule.authentication = 'required';
  }
  return rule;
}

async function codeOf(response: Response): Promise<string> {
  try {
    const body = (await response.clone().json()) as { code?: unknown };
    return typeof body.code === 'string' ? body.code : 'INTERNAL';
  } catch {
    return 'INTERNAL';
  }
}

/**
 * `export const { getAuth, authorize, requireAuth } = nextAuth(auth, { headers })` in
 * `lib/auth.ts`, with `headers` from `next/headers`.
 */
export function nextAuth(source: NextAuthSource, options: NextAuthOptions): NextAuth {
  if (typeof options?.headers !== 'function') {
    throw new TypeError("gatehouse/next: nextAuth needs { headers } from 'next/headers'");
  }

  async function check(rule: AccessRule, request: Request | undefined): Promise<CheckResult> {
    const checked = request ?? (await pageRequest());
    const started = await instanceOf(source);
    if ('response' in started) return { ok: false, response: started.response };
    const { instance } = started;
    // Next serves route handlers without their socket: the address comes from X-Forwarded-For,
    // trusted as far as http.trustedProxyHops says (see docs/NEXT.md).
    const clientIp = resolveClientIp({
      socketAddress: undefined,
      forwardedFor: checked.headers.get('x-forwarded-for'),
      trustedProxyHops: instance.config.http.trustedProxyHops,
    });
    const outcome = await instance.guards.checkRule(checked, rule, { clientIp });
    if (!outcome.ok) return { ok: false, response: outcome.response };
    if (outcome.principal === null) {
      // Only an optional rule lets an anonymous caller through; getAuth maps it to null.
      return { ok: false, response: new Response(null, { status: 401 }) };
    }
    return { ok: true, principal: outcome.principal };
  }

  /** The page being rendered, as a read: its headers (and so its cookie) on a GET. */
  async function pageRequest(): Promise<Request> {
    const headers = new Headers();
    for (const [name, value] of await options.headers()) headers.append(name, value);
    const host = headers.get('x-forwarded-host') ?? headers.get('host') ?? 'localhost';
    return new Request(`http://${host}/`, { method: 'GET', headers });
  }

  const isRefusal = (status: number) => status === 401 || status === 403;

  return {
    async getAuth(access = {}) {
      const result = await check(ruleOf(access, 'optional'), access.request);
      if (result.ok) return result.principal;
      if (isRefusal(result.response.status)) return null;
      throw new NextAuthError(result.response, await codeOf(result.response));
    },
    async authorize(access = {}) {
      const result = await check(ruleOf(access, 'required'), access.request);
      return result.ok ? result.principal : result.response;
    },
    async requireAuth(access = {}) {
      const result = await check(ruleOf(access, 'required'), access.request);
      if (result.ok) return result.principal;
      const error = new NextAuthError(result.response, await codeOf(result.response));
      if (access.otherwise && isRefusal(error.status)) return access.otherwise(error);
      throw error;
    },
  };
}
