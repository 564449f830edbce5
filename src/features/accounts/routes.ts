import { z } from 'zod';
import { coreError, type Principal, toUserView, type UserView } from '../../core/index.ts';
import {
  CSRF_HEADER,
  defineRoute,
  isAllowedOrigin,
  type RouteDefinition,
  requestMeta,
} from '../../http/index.ts';
import { normalizeEmail } from './email.ts';
import type { AccountsService } from './service.ts';

/** Passwords are length-checked by the policy (422 PASSWORD_POLICY); this only bounds the input. */
const password = z.string().min(1).max(4096);
/** Documented as `format: email`; internationalised addresses (RFC 6531) are accepted too. */
const email = z.string().min(3).max(320).meta({ format: 'email' });
const name = z.string().trim().min(1).max(200);

export const userView = z.strictObject({
  id: z.string(),
  email: z.string().meta({ format: 'email' }),
  emailVerified: z.boolean(),
  name: z.string().nullable(),
  roles: z.array(z.string()),
  twoFactorEnabled: z.boolean(),
  createdAt: z.string(),
});

/** The login answer of a user with a second factor: finish at POST /auth/2fa/verify. */
export const twoFactorChallenge = z.strictObject({
  twoFactorRequired: z.literal(true),
  pendingToken: z.string(),
  methods: z.array(z.string()),
});

export interface AccountsRoutesOptions {
  readonly accounts: AccountsService;
  /** Turns the session's token pair into the login response body. */
  readonly tokenBody: (tokens: {
    accessToken: string;
    tokenType: 'Bearer';
    expiresIn: number;
    refreshToken: string;
  }) => unknown;
  readonly tokenSchema: z.ZodType;
  /** Origins a cookie login may come from (login CSRF): our own and the configured ones. */
  readonly allowedOrigins: ReadonlySet<string>;
  /** The signed-in user's view (cached while their version holds); 401 for an inactive user. */
  readonly currentUser: (principal: Principal) => Promise<UserView>;
}

const principalOf = (principal: Principal | null): Principal => principal!;

/** Registration, login and the /users/me routes (API.md, Accounts). */
export function accountsRoutes(options: AccountsRoutesOptions): RouteDefinition[] {
  const { accounts } = options;
  return [
    defineRoute({
      method: 'POST',
      path: '/auth/register',
      operationId: 'register',
      rateLimit: { slot: 'register' },
      summary: 'Create an account (enumeration-safe: 202 whether or not the email is taken)',
      tags: ['accounts'],
      body: z.strictObject({ email, password, name: name.optional() }),
      responses: {
        201: { description: 'Created (open mode)', schema: z.strictObject({ user: userView }) },
        202: {
          description: 'Accepted (enumeration-safe mode)',
          schema: z.strictObject({ status: z.literal('accepted') }),
        },
      },
      errorCodes: ['PASSWORD_POLICY', 'USER_ALREADY_EXISTS'],
      async handler(ctx) {
        const result = await accounts.register(ctx.body, requestMeta(ctx));
        return result.mode === 'open'
          ? { status: 201, body: { user: toUserView(result.user) } }
          : { status: 202, body: { status: 'accepted' } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/login',
      operationId: 'login',
      // Case and whitespace variants of an address share one counter.
      rateLimit: { slot: 'login', identifier: ({ body }) => normalizeEmail(body.email) },
      summary: 'Sign in with email and password; returns an access token and a refresh token',
      tags: ['accounts'],
      body: z.strictObject({ email, password }),
      responses: {
        200: {
          description: 'Signed in',
          schema: z.union([z.object({ user: userView }).and(options.tokenSchema), twoFactorChallenge]),
        },
      },
      errorCodes: ['LOGIN_BAD_CREDENTIALS'],
      async handler(ctx) {
        const result = await accounts.login(ctx.body, requestMeta(ctx));
        if ('challenge' in result) return { status: 200, body: result.challenge };
        return {
          status: 200,
          body: { ...(options.tokenBody(result.tokens) as object), user: toUserView(result.user) },
        };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/session',
      operationId: 'createSession',
      rateLimit: { slot: 'session', identifier: ({ body }) => normalizeEmail(body.email) },
      summary: 'Sign in with email and password; starts a cookie session (browsers)',
      description:
        'Sets the HttpOnly session cookie and answers the CSRF token that unsafe cookie-authenticated ' +
        'requests must send in `X-CSRF-Token`. The request must come from an allowed origin.',
      tags: ['accounts'],
      body: z.strictObject({ email, password, rememberMe: z.boolean().optional() }),
      responses: {
        200: {
          description: 'Signed in; the cookie is set',
          schema: z.union([z.strictObject({ user: userView, csrfToken: z.string() }), twoFactorChallenge]),
        },
      },
      errorCodes: ['LOGIN_BAD_CREDENTIALS', 'CSRF_FAILED'],
      async handler(ctx) {
        // Login CSRF: a foreign page must not sign the browser into the attacker's account.
        if (!isAllowedOrigin(ctx.request, options.allowedOrigins)) throw coreError('CSRF_FAILED');
        const result = await accounts.loginWithCookie(ctx.body, requestMeta(ctx));
        // With a second factor: no cookie yet; POST /auth/2fa/verify sets it.
        if ('challenge' in result) return { status: 200, body: result.challenge };
        return {
          status: 200,
          body: { user: toUserView(result.user), csrfToken: result.session.csrfToken },
          headers: { 'Set-Cookie': result.session.setCookie },
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/users/me',
      operationId: 'getMe',
      summary: 'The signed-in user',
      tags: ['accounts'],
      auth: 'required',
      responses: { 200: { description: 'The user', schema: z.strictObject({ user: userView }) } },
      async handler(ctx) {
        return { status: 200, body: { user: await options.currentUser(principalOf(ctx.principal)) } };
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/users/me',
      operationId: 'updateMe',
      summary: 'Update profile fields (privileged or unknown fields are refused)',
      tags: ['accounts'],
      auth: 'required',
      body: z.strictObject({ name: name.nullable().optional() }),
      responses: { 200: { description: 'The updated user', schema: z.strictObject({ user: userView }) } },
      async handler(ctx) {
        const user = await accounts.updateProfile(principalOf(ctx.principal).userId, ctx.body);
        return { status: 200, body: { user: toUserView(user) } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/users/me/change-password',
      operationId: 'changePassword',
      sessionOnly: true,
      rateLimit: { slot: 'changePassword', identifier: ({ principal }) => principal?.userId ?? null },
      summary: 'Change the password; every other session is revoked',
      tags: ['accounts'],
      auth: 'required',
      body: z.strictObject({ currentPassword: password, newPassword: password }),
      responses: { 204: { description: 'Changed' } },
      errorCodes: ['LOGIN_BAD_CREDENTIALS', 'PASSWORD_POLICY'],
      async handler(ctx) {
        const principal = principalOf(ctx.principal);
        const meta = requestMeta(ctx);
        await accounts.changePassword(principal.userId, principal.sessionId, ctx.body, meta);
        // A privilege change: a cookie session moves to a new id, so a cookie copied before the
        // change is worth nothing after it. The new CSRF token travels in the response header.
        const renewed = await accounts.renewSession(principal, meta);
        return renewed
          ? { status: 204, headers: { 'Set-Cookie': renewed.setCookie, [CSRF_HEADER]: renewed.csrfToken } }
          : { status: 204 };
      },
    }),
  ];
}
