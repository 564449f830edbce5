import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { Principal } from '../core/principal.ts';
import { nodeSocketAddress, resolveClientIp, UNKNOWN_CLIENT_IP } from './client-ip.ts';
import type { AccessPipeline, AccessRule } from './pipeline.ts';
import { type ErrorResponseOptions, errorResponse } from './problem.ts';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id.ts';

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
   * 401 without a valid credential; for an API key, 403 (the pipeline's scope check) unless
   * its effective scopes hold every one named. Scopes limit keys, not people: a signed-in
   * session passes (combine with `requireRoles` to limit people).
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
  /**
   * The same check for any access rule (scopes, step-up), for adapters whose guards run outside
   * Hono. `known`: the principal an earlier guard of the same request found (authenticates once).
   */
  checkRule(
    request: Request,
    rule: AccessRule,
    context?: {
      readonly clientIp?: string;
      readonly known?: Principal | null;
      readonly route?: string | null;
    },
  ): Promise<GuardOutcome>;
}

export type GuardOutcome =
  | { readonly ok: true; readonly principal: Principal | null }
  | { readonly ok: false; readonly response: Response };

export interface GuardOptions extends Omit<ErrorResponseOptions, 'logger'> {
  /**
   * The access checks of Gatehouse's own routes (authenticators, counting of refused
   * credentials, step-up, scopes, 403 reporting): the guards run the same pipeline.
   */
  readonly access: AccessPipeline;
  readonly logger: Logger;
  /** For the client address refused credentials and step-up failures are counted under (see `resolveClientIp`). @default 0 */
  readonly trustedProxyHops?: number;
}

/** Where a guard runs: what the refusal report and the counting need. */
interface GuardFacts {
  /** The principal an earlier guard put on the context (`undefined`: not authenticated yet). */
  readonly known?: Principal | null;
  /** Refused credentials are only counted when the address is known. */
  readonly clientIp?: string;
  readonly route: string | null;
}

const ANONYMOUS_ALLOWED: AccessRule = Object.freeze({ authentication: 'optional' });
const SIGNED_IN: AccessRule = Object.freeze({ authentication: 'required' });
const STEP_UP: AccessRule = Object.freeze({ authentication: 'required', stepUp: true });

/**
 * Route guards for application code mounted beside Gatehouse. They run the access pipeline of
 * Gatehouse's own routes and answer with the same problem details; a presented but invalid
 * credential is a 401 even on a route that would accept anonymous callers.
 */
export function createGuards(options: GuardOptions): Guards {
  const responseOptions: ErrorResponseOptions = options;
  const { access } = options;

  async function check(request: Request, rule: AccessRule, facts: GuardFacts): Promise<GuardOutcome> {
    let principal: Principal | null = facts.known ?? null;
    try {
      // Authenticate once per request, even when several guards run.
      if (facts.known === undefined) principal = await access.authenticate(request, rule, facts.clientIp);
      access.authorize(principal, rule);
      if (rule.stepUp) {
        await access.stepUp(principal, rule, request, {
          requestId: requestIdFrom(request.headers.get(REQUEST_ID_HEADER) ?? undefined),
          clientIp: facts.clientIp ?? UNKNOWN_CLIENT_IP,
        });
      }
      return { ok: true, principal };
    } catch (error) {
      const response = errorResponse(error, responseOptions);
      await access.reportDenial(
        error,
        response,
        {
          method: request.method,
          route: facts.route,
          principal,
          requestId: requestIdFrom(request.headers.get(REQUEST_ID_HEADER) ?? undefined),
          clientIp: facts.clientIp ?? UNKNOWN_CLIENT_IP,
          userAgent: request.headers.get('user-agent'),
        },
        options.logger,
      );
      return { ok: false, response };
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
    (rule: AccessRule): MiddlewareHandler<GuardEnv> =>
    async (c, next) => {
      const outcome = await check(c.req.raw, rule, {
        known: c.get('principal'),
        clientIp: clientIpOf(c),
        route: c.req.routePath,
      });
      if (!outcome.ok) return outcome.response;
      c.set('principal', outcome.principal);
      await next();
    };

  const stepUpGuard = guard(STEP_UP);
  return {
    check: (request, roles, context) =>
      check(request, roles === null ? ANONYMOUS_ALLOWED : { authentication: 'required', roles }, {
        ...(context?.clientIp === undefined ? {} : { clientIp: context.clientIp }),
        route: null,
      }),
    checkRule: (request, rule, context) =>
      check(request, rule, {
        ...(context?.clientIp === undefined ? {} : { clientIp: context.clientIp }),
        ...(context?.known === undefined ? {} : { known: context.known }),
        route: context?.route ?? null,
      }),
    requireScopes: (...scopes: string[]) => {
      if (scopes.length === 0 || scopes.some((s) => typeof s !== 'string' || s === '')) {
        throw new TypeError('requireScopes needs at least one non-empty scope');
      }
      return guard(Object.freeze({ authentication: 'required', scopes }));
    },
    requireStepUp: () => stepUpGuard,
    middleware: () => guard(ANONYMOUS_ALLOWED),
    requireAuth: () => guard(SIGNED_IN),
    requireRoles: (...roles: string[]) => {
      // An empty list would let every signed-in user through: refuse it at setup time.
      if (roles.length === 0 || roles.some((r) => typeof r !== 'string' || r === '')) {
        throw new TypeError('requireRoles needs at least one non-empty role');
      }
      return guard(Object.freeze({ authentication: 'required', roles }));
    },
  };
}
