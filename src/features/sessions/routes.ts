import { z } from 'zod';
import type { Principal, RequestMeta } from '../../core/index.ts';
import { defineRoute, type RouteDefinition, requestMeta } from '../../http/index.ts';
import type { SessionRepository } from '../../stores/repositories.ts';
import type { CookieSessions } from './cookie-sessions.ts';
import { sessionsError } from './error-codes.ts';
import type { TokenService } from './token-service.ts';

export const tokenResponseSchema = z.strictObject({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.int(),
  refreshToken: z.string(),
});

const sessionView = z.strictObject({
  id: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string(),
  userAgent: z.string().nullable(),
  current: z.boolean(),
});

/** The wire form of a token pair (the session id travels inside the tokens). */
export function tokenBody(tokens: {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
}) {
  return {
    accessToken: tokens.accessToken,
    tokenType: tokens.tokenType,
    expiresIn: tokens.expiresIn,
    refreshToken: tokens.refreshToken,
  };
}

export interface SessionsRoutesOptions {
  readonly tokens: TokenService;
  readonly cookies: CookieSessions;
  readonly sessions: SessionRepository;
  /**
   * Ending other sessions needs a recent sign-in or second factor (step-up), so a stolen, old
   * session cannot sign its owner out everywhere else; throws `STEP_UP_REQUIRED`.
   */
  readonly requireRecentAuthentication: (
    principal: Principal,
    request: Request,
    meta: RequestMeta,
  ) => Promise<void>;
  readonly now?: () => number;
}

/**
 * Cookie logout asks the browser to drop what the site stored (W3C Clear Site Data): cookies
 * (ours and any the app set) and storage (localStorage, IndexedDB, service workers), so what a
 * page kept for the signed-in user does not outlive the session on a shared computer.
 */
const CLEAR_SITE_DATA = '"cookies", "storage"';

const principalOf = (principal: Principal | null): Principal => principal!;

/** POST /auth/refresh, POST /auth/logout and the /users/me/sessions routes (API.md, Accounts). */
export function sessionsRoutes(options: SessionsRoutesOptions): RouteDefinition[] {
  const now = options.now ?? Date.now;
  return [
    defineRoute({
      method: 'POST',
      path: '/auth/refresh',
      operationId: 'refresh',
      rateLimit: { slot: 'refresh' },
      summary: 'Exchange a refresh token for a new token pair (the old refresh token dies)',
      tags: ['sessions'],
      body: z.strictObject({ refreshToken: z.string().min(1).max(512) }),
      responses: { 200: { description: 'A new token pair', schema: tokenResponseSchema } },
      errorCodes: ['REFRESH_TOKEN_INVALID'],
      async handler(ctx) {
        const tokens = await options.tokens.refresh(ctx.body.refreshToken, requestMeta(ctx));
        return { status: 200, body: tokenBody(tokens) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/logout',
      operationId: 'logout',
      summary: 'Revoke the current access token, its session and refresh token on every worker',
      tags: ['sessions'],
      auth: 'required',
      responses: { 204: { description: 'Revoked' } },
      async handler(ctx) {
        await options.tokens.logout(principalOf(ctx.principal), requestMeta(ctx));
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/auth/session',
      operationId: 'deleteSession',
      summary: 'Sign out of the cookie session: revoke it on every worker and clear the cookie',
      description: 'Cookie-authenticated, so it needs the `X-CSRF-Token` header and an allowed origin.',
      tags: ['sessions'],
      auth: 'required',
      responses: {
        204: {
          description: 'Signed out; the cookie is cleared and `Clear-Site-Data: "cookies", "storage"` sent',
        },
      },
      async handler(ctx) {
        await options.tokens.logout(principalOf(ctx.principal), requestMeta(ctx));
        return {
          status: 204,
          headers: { 'Set-Cookie': options.cookies.clearCookie(), 'Clear-Site-Data': CLEAR_SITE_DATA },
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/auth/csrf',
      operationId: 'getCsrfToken',
      summary: 'The CSRF token of the current cookie session',
      tags: ['sessions'],
      auth: 'required',
      // Bearer callers need no CSRF token; handing one out would only confuse them (403).
      cookieOnly: true,
      responses: {
        200: {
          description: 'The token to send in X-CSRF-Token',
          schema: z.strictObject({ csrfToken: z.string() }),
        },
      },
      async handler(ctx) {
        const principal = principalOf(ctx.principal);
        return { status: 200, body: { csrfToken: options.cookies.csrfTokenFor(principal.sessionId) } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/users/me/sessions',
      operationId: 'listSessions',
      sessionOnly: true,
      summary: 'List my live sessions',
      tags: ['sessions'],
      auth: 'required',
      responses: {
        200: { description: 'Live sessions', schema: z.strictObject({ sessions: z.array(sessionView) }) },
      },
      async handler(ctx) {
        const principal = principalOf(ctx.principal);
        const sessions = await options.sessions.listActive(principal.userId, now());
        return {
          status: 200,
          body: {
            sessions: sessions.map((s) => ({
              id: s.id,
              createdAt: new Date(s.createdAt).toISOString(),
              lastUsedAt: new Date(s.lastUsedAt).toISOString(),
              userAgent: s.userAgent,
              current: s.id === principal.sessionId,
            })),
          },
        };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/users/me/sessions/:id',
      operationId: 'revokeSession',
      sessionOnly: true,
      summary: 'Revoke one of my sessions; its tokens die at once',
      description:
        'Another session needs a recent sign-in or second factor (403 STEP_UP_REQUIRED otherwise: ' +
        'step up, send a code in X-2FA-Code, or sign in again); ending the current one never does.',
      tags: ['sessions'],
      auth: 'required',
      responses: { 204: { description: 'Revoked' } },
      errorCodes: ['SESSION_NOT_FOUND', 'STEP_UP_REQUIRED', 'TWO_FACTOR_CODE_INVALID'],
      async handler(ctx) {
        const principal = principalOf(ctx.principal);
        const meta = requestMeta(ctx);
        // Ending one's own session is a logout, which nothing may refuse.
        if (ctx.params.id !== principal.sessionId) {
          await options.requireRecentAuthentication(principal, ctx.request, meta);
        }
        const revoked = await options.tokens.revokeSession(principal.userId, ctx.params.id, meta);
        // Unknown and someone else's look the same: ids of other users' sessions stay private.
        if (!revoked) throw sessionsError('SESSION_NOT_FOUND');
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/users/me/sessions/revoke-others',
      operationId: 'revokeOtherSessions',
      sessionOnly: true,
      summary: 'Revoke every session of mine except this one',
      description:
        'Needs a recent sign-in or second factor (403 STEP_UP_REQUIRED otherwise: step up, send a ' +
        'code in X-2FA-Code, or sign in again).',
      tags: ['sessions'],
      auth: 'required',
      responses: { 204: { description: 'Revoked' } },
      errorCodes: ['STEP_UP_REQUIRED', 'TWO_FACTOR_CODE_INVALID'],
      async handler(ctx) {
        const principal = principalOf(ctx.principal);
        const meta = requestMeta(ctx);
        await options.requireRecentAuthentication(principal, ctx.request, meta);
        await options.tokens.revokeOthers(principal, meta);
        return { status: 204 };
      },
    }),
  ];
}
