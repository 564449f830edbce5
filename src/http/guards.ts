import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { AuthError, coreError } from '../core/errors/index.ts';
import type { Authenticate, Principal } from '../core/principal.ts';
import { type AccessDeniedHook, reportIfDenied } from './access-denial.ts';
import { nodeSocketAddress, resolveClientIp, UNKNOWN_CLIENT_IP } from './client-ip.ts';
import { type ErrorResponseOptions, errorResponse } from './problem.ts';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id.ts';
import type { StepUpHook } from './route.ts';

/** Hono variables the guards set: the principal, or `null` for an anonymous request. */
export interface GuardEnv {
  Variables: { principal: Principal | null };
}

export interface Guards {
  /** Authenticates when a credential is present and puts the principal (or `null`) on the context. */
  middleware(): MiddlewareHandler<GuardEnv>;
  /** 401 unless the request carries a valid credential. */
  requireAuth(): MiddlewareHandler<GuardEnv>;
  /** 401 without a valid credential, 403 `INSUFFICIENT_ROLES` unless the principal holds every role. */
  requireRoles(...roles: string[]): MiddlewareHandler<GuardEnv>;
  /**
   * 401 without a valid credential; for a user with 2FA, 403 `STEP_UP_REQUIRED` unless the
   * session verified a second factor recently or the request carries a fresh code in
   * `X-2FA-Code` (the same rule as Gatehouse's own sensitive routes).
   */
  requireStepUp(): MiddlewareHandler<GuardEnv>;
  /**
   * 401 without a valid credential; for an API key, 403 `INSUFFICIENT_SCOPE` unless its
   * effective scopes hold every one named. Scopes limit keys, not people: a signed-in session
   * passes (combine with `requireRoles` to limit people).
   */
  requireScopes(...scopes: string[]): MiddlewareHandler<GuardEnv>;
  /**
   * Framework-neutral check behind every guard: the principal, or the problem response to send.
   * `roles: null` lets anonymous requests through (a bad token still fails).
   */
  check(
    request: Request,
    roles: readonly string[] | null,
    context?: { readonly clientIp?: string },
  ): Promise<GuardOutcome>;
}

export type GuardOutcome =
  | { readonly ok: true; readonly principal: Principal | null }
  | { readonly ok: false; readonly response: Response };

export interface GuardOptions extends Omit<ErrorResponseOptions, 'logger'> {
  readonly authenticate: Authenticate;
  readonly logger: Logger;
  /** The step-up check; without it `requireStepUp` refuses everyone (403 `FORBIDDEN`). */
  readonly stepUp?: StepUpHook;
  /** For the client address step-up failures are counted under (see `resolveClientIp`). @default 0 */
  readonly trustedProxyHops?: number;
  /** Counts refused credentials per address; a number turns the 401 into a 429 (as on Gatehouse's routes). */
  readonly onAuthFailure?: (error: unknown, clientIp: string) => Promise<number | null>;
  /** Told of every 403 a guard answers (as on Gatehouse's own routes). */
  readonly onAccessDenied?: AccessDeniedHook;
}

/**
 * Route guards for application code mounted beside Gatehouse. They answer with the same
 * problem details as Gatehouse's own routes; a presented but invalid token is a 401 even on a
 * route that would accept anonymous callers.
 */
export function createGuards(options: GuardOptions): Guards {
  const responseOptions: ErrorResponseOptions = options;

  async function decide(principal: Principal | null, roles: readonly string[] | null): Promise<void> {
    if (roles === null) return;
    if (!principal) throw coreError('UNAUTHENTICATED');
    if (!roles.every((role) => principal.roles.includes(role))) throw coreError('INSUFFICIENT_ROLES');
  }

  async function authenticateCounted(
    request: Request,
    clientIp: string | undefined,
  ): Promise<Principal | null> {
    try {
      return await options.authenticate(request);
    } catch (error) {
      const retryAfterSeconds =
        options.onAuthFailure && clientIp !== undefined ? await options.onAuthFailure(error, clientIp) : null;
      if (retryAfterSeconds !== null) throw coreError('RATE_LIMITED', { retryAfterSeconds });
      throw error;
    }
  }

  /** The problem response for `error`, reported when it is a 403. */
  async function refusal(
    error: unknown,
    request: Request,
    facts: { principal: Principal | null; clientIp: string | undefined; route: string | null },
  ): Promise<Response> {
    const response = errorResponse(error, responseOptions);
    await reportIfDenied(
      options.onAccessDenied,
      error,
      response,
      {
        method: request.method,
        route: facts.route,
        principal: facts.principal,
        requestId: requestIdFrom(request.headers.get(REQUEST_ID_HEADER) ?? undefined),
        clientIp: facts.clientIp ?? UNKNOWN_CLIENT_IP,
        userAgent: request.headers.get('user-agent'),
      },
      options.logger,
    );
    return response;
  }

  async function check(
    request: Request,
    roles: readonly string[] | null,
    known?: Principal | null,
    clientIp?: string,
    route: string | null = null,
  ): Promise<GuardOutcome> {
    let principal: Principal | null = known ?? null;
    try {
      principal = known !== undefined ? known : await authenticateCounted(request, clientIp);
      await decide(principal, roles);
      return { ok: true, principal };
    } catch (error) {
      return { ok: false, response: await refusal(error, request, { principal, clientIp, route }) };
    }
  }

  /** The client address of a Hono request, as Gatehouse's own routes resolve it. */
  const clientIpOf = (c: Context<GuardEnv>): string =>
    resolveClientIp({
      socketAddress: nodeSocketAddress(c.env),
      forwardedFor: c.req.header('X-Forwarded-For') ?? null,
      trustedProxyHops: options.trustedProxyHops ?? 0,
    });

  const guard =
    (roles: readonly string[] | null): MiddlewareHandler<GuardEnv> =>
    async (c, next) => {
      // Authenticate once per request, even when several guards run.
      const outcome = await check(c.req.raw, roles, c.get('principal'), clientIpOf(c), c.req.routePath);
      if (!outcome.ok) return outcome.response;
      c.set('principal', outcome.principal);
      await next();
    };

  const stepUpGuard: MiddlewareHandler<GuardEnv> = async (c, next) => {
    const outcome = await check(c.req.raw, [], c.get('principal'), clientIpOf(c), c.req.routePath);
    if (!outcome.ok) return outcome.response;
    const principal = outcome.principal as Principal;
    c.set('principal', principal);
    try {
      if (!options.stepUp) throw coreError('FORBIDDEN');
      await options.stepUp(principal, c.req.raw, {
        requestId: requestIdFrom(c.req.header(REQUEST_ID_HEADER)),
        clientIp: clientIpOf(c),
      });
    } catch (error) {
      return refusal(error, c.req.raw, { principal, clientIp: clientIpOf(c), route: c.req.routePath });
    }
    await next();
  };

  const scopeGuard =
    (scopes: readonly string[]): MiddlewareHandler<GuardEnv> =>
    async (c, next) => {
      const outcome = await check(c.req.raw, [], c.get('principal'), clientIpOf(c), c.req.routePath);
      if (!outcome.ok) return outcome.response;
      const principal = outcome.principal as Principal;
      c.set('principal', principal);
      const granted = principal.apiKey?.scopes;
      if (granted && !scopes.every((scope) => granted.includes(scope))) {
        const spec = options.catalogue?.INSUFFICIENT_SCOPE;
        const error = spec ? new AuthError('INSUFFICIENT_SCOPE', spec) : coreError('FORBIDDEN');
        return refusal(error, c.req.raw, { principal, clientIp: clientIpOf(c), route: c.req.routePath });
      }
      await next();
    };

  return {
    check: (request, roles, context) => check(request, roles, undefined, context?.clientIp),
    requireScopes: (...scopes: string[]) => {
      if (scopes.length === 0 || scopes.some((s) => typeof s !== 'string' || s === '')) {
        throw new TypeError('requireScopes needs at least one non-empty scope');
      }
      return scopeGuard(scopes);
    },
    requireStepUp: () => stepUpGuard,
    middleware: () => guard(null),
    requireAuth: () => guard([]),
    requireRoles: (...roles: string[]) => {
      // An empty list would let every signed-in user through: refuse it at setup time.
      if (roles.length === 0 || roles.some((r) => typeof r !== 'string' || r === '')) {
        throw new TypeError('requireRoles needs at least one non-empty role');
      }
      return guard(roles);
    },
  };
}
