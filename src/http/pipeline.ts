import type { Logger } from 'pino';
import { coreError } from '../core/errors/index.ts';
import type { Principal } from '../core/principal.ts';
import { type AccessDenial, type AccessDeniedHook, reportIfDenied } from './access-denial.ts';
import { type Authenticator, createAuthenticatorChain } from './authenticator.ts';
import { needsPrincipal } from './openapi.ts';
import type { RouteDefinition, StepUpHook } from './route.ts';

/**
 * What a route or a guard asks of the caller. Gatehouse's routes derive it from their
 * declaration ({@link accessRuleOf}); the guards applications use state it directly.
 */
export interface AccessRule {
  /**
   * `none`: credentials are not looked at, so a stale token cannot break a public route;
   * `optional`: a presented credential must be valid, anonymous callers pass;
   * `required`: 401 `UNAUTHENTICATED` without a credential.
   */
  readonly authentication: 'none' | 'optional' | 'required';
  /** Every one is required: 403 `INSUFFICIENT_ROLES` otherwise. */
  readonly roles?: readonly string[];
  /** No API key: 403 `PASSWORD_SESSION_REQUIRED`. */
  readonly sessionOnly?: boolean;
  /** Only the session cookie: 403 `FORBIDDEN`. */
  readonly cookieOnly?: boolean;
  /** Scopes a scoped credential (an API key) must hold; people are not limited by scopes. */
  readonly scopes?: readonly string[];
  /** A recent second factor (or a fresh code), checked last, after the request was counted. */
  readonly stepUp?: boolean;
}

/** Refuses a principal whose credential lacks one of `scopes` (throws the 403). */
export type ScopeCheck = (principal: Principal, scopes: readonly string[]) => void;

export interface AccessPipelineOptions {
  /** The credentials accepted, in the order they are tried. @default none: every credential is refused */
  readonly authenticators?: readonly Authenticator[];
  /** Checks `stepUp` rules; without it they answer 403 `FORBIDDEN` (fail closed). */
  readonly stepUp?: StepUpHook;
  /** Checks `scopes` rules. @default an API key lacking a scope gets 403 `FORBIDDEN` */
  readonly checkScopes?: ScopeCheck;
  /** Told of every 403 a route or a guard answers, whatever refused it (the audit's `access.denied`). */
  readonly onAccessDenied?: AccessDeniedHook;
}

/**
 * The access checks of every request, built once and run by Gatehouse's own routes and by the
 * guards applications put on theirs, in this order:
 *
 * 1. {@link AccessPipeline.authenticate}: the authenticator chain (first match decides; a
 *    refused credential may be counted and turned into a 429);
 * 2. {@link AccessPipeline.authorize}: a principal when required (401), roles, session-only,
 *    cookie-only, scopes (403) — before anything is counted against the caller's budgets;
 * 3. (routes only: body and query validation, the route's rate limit);
 * 4. {@link AccessPipeline.stepUp}: a recent second factor on sensitive rules (403);
 * 5. {@link AccessPipeline.reportDenial}: any 403 of the steps above, or of the handler, is
 *    reported once.
 */
export interface AccessPipeline {
  authenticate(request: Request, rule: AccessRule, clientIp?: string): Promise<Principal | null>;
  authorize(principal: Principal | null, rule: AccessRule): void;
  stepUp(
    principal: Principal | null,
    rule: AccessRule,
    request: Request,
    context: { readonly requestId: string; readonly clientIp: string },
  ): Promise<void>;
  /** Reports `error` when the response built from it is a 403 (never throws). */
  reportDenial(
    error: unknown,
    response: Response,
    context: Omit<AccessDenial, 'code'>,
    logger: Logger,
  ): Promise<void>;
  /** For the OpenAPI document: refused credentials may be answered 429. */
  readonly countsRefusedCredentials: boolean;
  /** For the OpenAPI document: a step-up check exists (else `stepUp` rules answer `FORBIDDEN`). */
  readonly checksStepUp: boolean;
}

/** The access rule a route declares: routes that need no principal never read credentials. */
export function accessRuleOf(route: RouteDefinition): AccessRule {
  return Object.freeze({
    authentication: needsPrincipal(route) ? 'required' : 'none',
    ...(route.roles?.length ? { roles: route.roles } : {}),
    ...(route.sessionOnly ? { sessionOnly: true } : {}),
    ...(route.cookieOnly ? { cookieOnly: true } : {}),
    ...(route.stepUp ? { stepUp: true } : {}),
  });
}

/** Scopes limit keys, not people: only a principal authenticated by an API key can lack one. */
const refuseMissingScopes: ScopeCheck = (principal, scopes) => {
  const granted = principal.apiKey?.scopes;
  if (granted && !scopes.every((scope) => granted.includes(scope))) throw coreError('FORBIDDEN');
};

/**
 * The most common refusal, built once: it never leaves the app and the guards (both answer it
 * as a response), and capturing a new Error's stack on every anonymous request costs more than
 * the rest of the check.
 */
const UNAUTHENTICATED = coreError('UNAUTHENTICATED');

/** @throws {TypeError} when two authenticators share an id. */
export function createAccessPipeline(options: AccessPipelineOptions = {}): AccessPipeline {
  const chain = createAuthenticatorChain(options.authenticators ?? []);
  const checkScopes = options.checkScopes ?? refuseMissingScopes;
  const stepUpHook = options.stepUp;
  return {
    countsRefusedCredentials: chain.countsRefusals,
    checksStepUp: stepUpHook !== undefined,

    async authenticate(request, rule, clientIp) {
      if (rule.authentication === 'none') return null;
      return chain.authenticate(request, clientIp);
    },

    authorize(principal, rule) {
      if (rule.authentication === 'required' && !principal) throw UNAUTHENTICATED;
      if (principal === null) return;
      const roles = rule.roles;
      if (roles && !roles.every((role) => principal.roles.includes(role)))
        throw coreError('INSUFFICIENT_ROLES');
      if (rule.sessionOnly && principal.apiKey) throw coreError('PASSWORD_SESSION_REQUIRED');
      if (rule.cookieOnly && principal.transport !== 'cookie') {
        throw coreError('FORBIDDEN', { detail: 'Only a browser session (the session cookie) can do this.' });
      }
      if (rule.scopes) checkScopes(principal, rule.scopes);
    },

    async stepUp(principal, rule, request, context) {
      if (!rule.stepUp || !principal) return;
      if (!stepUpHook) throw coreError('FORBIDDEN');
      await stepUpHook(principal, request, context);
    },

    reportDenial: (error, response, context, logger) =>
      reportIfDenied(options.onAccessDenied, error, response, context, logger),
  };
}
