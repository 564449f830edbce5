import { z } from 'zod';
import { coreError, type Principal, type TokenResponse, toUserView } from '../../core/index.ts';
import { defineRoute, type RouteDefinition, requestMeta } from '../../http/index.ts';
import type { OAuthService } from './service.ts';

export interface OAuthRoutesOptions {
  readonly oauth: OAuthService;
  readonly tokenBody: (tokens: TokenResponse) => object;
  readonly tokenSchema: z.ZodType;
  readonly userSchema: z.ZodType;
  readonly challengeSchema: z.ZodType;
}

const principalOf = (principal: Principal | null): Principal => principal!;
/** A PKCE S256 challenge: base64url of 32 bytes. */
const codeChallenge = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url S256 code challenge');
const linkedAccount = z.strictObject({
  id: z.string(),
  provider: z.string(),
  email: z.string().nullable(),
  createdAt: z.string(),
});

/** A redirect that also sets cookies (every header value kept: several Set-Cookie lines). */
function redirect(location: string, setCookies: readonly string[]): Response {
  const headers = new Headers({ Location: location });
  for (const cookie of setCookies) headers.append('Set-Cookie', cookie);
  return new Response(null, { status: 302, headers });
}

/** The OAuth rows of API.md: authorize, callback, exchange, link, and the linked accounts. */
export function oauthRoutes(options: OAuthRoutesOptions): RouteDefinition[] {
  const { oauth } = options;
  const knownProvider = (name: string) => {
    if (!oauth.knows(name)) throw coreError('NOT_FOUND');
    return name;
  };
  return [
    defineRoute({
      method: 'GET',
      path: '/auth/oauth/:provider/authorize',
      operationId: 'oauthAuthorize',
      rateLimit: { slot: 'oauthAuthorize' },
      summary: 'Start signing in with a provider: 302 to it, the flow kept in an encrypted cookie',
      description:
        'Scopes and every other protocol parameter come from the server configuration; any query ' +
        'parameter besides `redirectTo` and `codeChallenge` is refused (422). With `codeChallenge` ' +
        '(an S256 PKCE challenge of the client), the callback answers a one-time code for ' +
        'POST /auth/oauth/exchange instead of a cookie session.',
      tags: ['oauth'],
      query: z.strictObject({
        redirectTo: z.string().max(2048).optional(),
        codeChallenge: codeChallenge.optional(),
      }),
      responses: { 302: { description: 'To the provider' } },
      // NOT_FOUND: a provider that is not configured.
      errorCodes: ['NOT_FOUND', 'REDIRECT_NOT_ALLOWED', 'OAUTH_PROVIDER_UNAVAILABLE'],
      async handler(ctx) {
        const started = await oauth.start(knownProvider(ctx.params.provider), ctx.query);
        return redirect(started.location, [started.setCookie]);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/auth/oauth/:provider/callback',
      operationId: 'oauthCallback',
      rateLimit: { slot: 'oauthCallback' },
      summary: 'Where the provider sends the browser back; signs in, links, or hands out an exchange code',
      tags: ['oauth'],
      responses: {
        302: {
          description: "To the flow's redirectTo (with `code` for the exchange, or `#pendingToken` for 2FA)",
        },
      },
      errorCodes: [
        'NOT_FOUND',
        'OAUTH_STATE_INVALID',
        'OAUTH_PROVIDER_ERROR',
        'OAUTH_PROVIDER_UNAVAILABLE',
        'OAUTH_EMAIL_NOT_VERIFIED',
        'OAUTH_EMAIL_IN_USE',
        'OAUTH_ACCOUNT_ALREADY_LINKED',
        'OAUTH_LINK_SESSION_ENDED',
      ],
      async handler(ctx) {
        const provider = knownProvider(ctx.params.provider);
        // Whatever happens, the flow is over: its cookie goes, on failures too.
        ctx.responseHeaders.append('Set-Cookie', oauth.clearFlowCookie(provider));
        const outcome = await oauth.callback(provider, ctx.request, requestMeta(ctx));
        return redirect(outcome.location, outcome.setCookies);
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/oauth/exchange',
      operationId: 'oauthExchange',
      rateLimit: { slot: 'oauthExchange' },
      summary: 'Trade a one-time exchange code (60 s) and the PKCE verifier for a token pair',
      tags: ['oauth'],
      body: z.strictObject({ code: z.string().min(1).max(256), codeVerifier: z.string().min(43).max(128) }),
      responses: {
        200: {
          description: 'Signed in (or the 2FA step)',
          schema: z.union([
            z.object({ user: options.userSchema }).and(options.tokenSchema),
            options.challengeSchema,
          ]),
        },
      },
      errorCodes: ['OAUTH_EXCHANGE_CODE_INVALID'],
      async handler(ctx) {
        const result = await oauth.exchange(ctx.body, requestMeta(ctx));
        if ('challenge' in result) return { status: 200, body: result.challenge };
        return { status: 200, body: { ...options.tokenBody(result.tokens), user: toUserView(result.user) } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/oauth/:provider/link',
      operationId: 'oauthLink',
      sessionOnly: true,
      summary: 'Start linking a provider to the signed-in user; answers where to send the browser',
      description:
        'Needs the cookie session (with CSRF) and step-up. A fetch cannot follow a cross-origin ' +
        'redirect usefully, so the answer is the authorization URL; the flow cookie is set.',
      tags: ['oauth'],
      auth: 'required',
      cookieOnly: true,
      stepUp: true,
      body: z.strictObject({ redirectTo: z.string().max(2048).optional() }).optional(),
      responses: {
        200: {
          description: 'Navigate to authorizationUrl',
          schema: z.strictObject({ authorizationUrl: z.string() }),
        },
      },
      errorCodes: [
        'NOT_FOUND',
        'REDIRECT_NOT_ALLOWED',
        'OAUTH_PROVIDER_UNAVAILABLE',
        'STEP_UP_REQUIRED',
        'TWO_FACTOR_CODE_INVALID',
      ],
      async handler(ctx) {
        // A browser session only (`cookieOnly`): bearer callers got 403 before this runs.
        const principal = principalOf(ctx.principal);
        const started = await oauth.start(knownProvider(ctx.params.provider), {
          redirectTo: ctx.body?.redirectTo,
          link: { userId: principal.userId, sessionId: principal.sessionId },
        });
        return {
          status: 200,
          body: { authorizationUrl: started.location },
          headers: { 'Set-Cookie': started.setCookie },
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/users/me/oauth-accounts',
      operationId: 'listOAuthAccounts',
      sessionOnly: true,
      summary: 'The provider accounts linked to me',
      tags: ['oauth'],
      auth: 'required',
      responses: {
        200: { description: 'Linked accounts', schema: z.strictObject({ accounts: z.array(linkedAccount) }) },
      },
      async handler(ctx) {
        const accounts = await oauth.list(principalOf(ctx.principal).userId);
        return {
          status: 200,
          body: {
            accounts: accounts.map((a) => ({
              id: a.id,
              provider: a.provider,
              email: a.email,
              createdAt: new Date(a.createdAt).toISOString(),
            })),
          },
        };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/users/me/oauth-accounts/:id',
      operationId: 'unlinkOAuthAccount',
      sessionOnly: true,
      summary: 'Unlink a provider account (refused when it is the last way to sign in)',
      tags: ['oauth'],
      auth: 'required',
      responses: { 204: { description: 'Unlinked' } },
      errorCodes: ['OAUTH_ACCOUNT_NOT_FOUND', 'LAST_SIGN_IN_METHOD'],
      async handler(ctx) {
        await oauth.unlink(principalOf(ctx.principal).userId, ctx.params.id, requestMeta(ctx));
        return { status: 204 };
      },
    }),
  ];
}
