import { z } from 'zod';
import { coreError, type TokenResponse, toUserView } from '../../core/index.ts';
import {
  defineRoute,
  isAllowedOrigin,
  type RouteContext,
  type RouteDefinition,
  readCookie,
  requestMeta,
  serializeCookie,
} from '../../http/index.ts';
import type { EmailCodeService } from './service.ts';

export interface EmailCodeRoutesOptions {
  readonly service: EmailCodeService;
  /** Turns typed input into the stored form, or `null` when it is not an address. */
  readonly normalizeEmail: (input: string) => string | null;
  readonly tokenBody: (tokens: TokenResponse) => object;
  readonly tokenSchema: z.ZodType;
  readonly userSchema: z.ZodType;
  readonly challengeSchema: z.ZodType;
  /** Origins a cookie sign-in may come from (login CSRF). */
  readonly allowedOrigins: ReadonlySet<string>;
  /** Counts a request against a second slot (per client IP); answers a 429's Retry-After. */
  readonly countIp: (slot: string, clientIp: string) => Promise<number | null>;
  readonly cookie: {
    readonly name: string;
    readonly secure: boolean;
    readonly sameSite: 'lax' | 'strict' | 'none';
    readonly maxAgeSeconds: number;
  };
}

const emailField = z.string().min(3).max(320).meta({ format: 'email' });
/** Digits (6 to 8); anything else is a wrong code and costs an attempt like one. */
const codeField = z.string().min(1).max(32);
const accepted = z.strictObject({ status: z.literal('accepted') });

/** The email sign-in routes (docs/EMAIL-CODES.md). */
export function emailCodeRoutes(options: EmailCodeRoutesOptions): RouteDefinition[] {
  const { service } = options;
  const identifierOf = ({ body }: { body: { email: string } }) => options.normalizeEmail(body.email);

  async function perIp(slot: string, ctx: Pick<RouteContext, 'clientIp'>): Promise<void> {
    const retryAfterSeconds = await options.countIp(slot, ctx.clientIp);
    if (retryAfterSeconds !== null) throw coreError('RATE_LIMITED', { retryAfterSeconds });
  }
  /** A typed address that is not one matches no code: the same answer as a wrong code. */
  function addressOf(input: string): string {
    const email = options.normalizeEmail(input);
    if (email === null)
      throw coreError('VALIDATION_FAILED', {
        errors: [{ path: 'email', message: 'must be an email address' }],
      });
    return email;
  }
  function loginCsrf(request: Request): void {
    // Login CSRF: a foreign page must not sign the browser into someone else's account.
    if (!isAllowedOrigin(request, options.allowedOrigins)) throw coreError('CSRF_FAILED');
  }
  const clearBinding = serializeCookie(options.cookie.name, '', { ...options.cookie, maxAgeSeconds: 0 });
  const cookieAnswer = z.union([
    z.strictObject({ user: options.userSchema, csrfToken: z.string() }),
    options.challengeSchema,
  ]);

  return [
    defineRoute({
      method: 'POST',
      path: '/auth/email-code/request',
      operationId: 'requestEmailCode',
      rateLimit: { slot: 'emailCodeRequest', identifier: identifierOf },
      summary: 'Mail a sign-in code and link (always 202, same body and work, whatever the address)',
      description:
        'Sets an HttpOnly cookie that binds the mailed link to this browser: the link signs in ' +
        'without the code only where the cookie is.',
      tags: ['email-code'],
      body: z.strictObject({ email: emailField }),
      responses: { 202: { description: 'Accepted', schema: accepted } },
      async handler(ctx) {
        await perIp('emailCodeRequestIp', ctx);
        const email = options.normalizeEmail(ctx.body.email);
        // Not an address: no account can have it; the answer is the same 202.
        const { binding } = email ? await service.request(email, requestMeta(ctx)) : { binding: '' };
        return {
          status: 202,
          body: { status: 'accepted' },
          headers: { 'Set-Cookie': serializeCookie(options.cookie.name, binding, options.cookie) },
        };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/email-code/verify',
      operationId: 'verifyEmailCode',
      rateLimit: { slot: 'emailCodeVerify', identifier: identifierOf },
      summary: 'Sign in with a mailed code; answers like POST /auth/login (a token pair or the 2FA step)',
      tags: ['email-code'],
      body: z.strictObject({ email: emailField, code: codeField }),
      responses: {
        200: {
          description: 'Signed in, or the second step of a user with 2FA',
          schema: z.union([
            z.object({ user: options.userSchema }).and(options.tokenSchema),
            options.challengeSchema,
          ]),
        },
      },
      errorCodes: ['EMAIL_CODE_INVALID'],
      async handler(ctx) {
        await perIp('emailCodeVerifyIp', ctx);
        const proof = { email: addressOf(ctx.body.email), code: ctx.body.code };
        const result = await service.signIn(proof, requestMeta(ctx));
        if ('challenge' in result) return { status: 200, body: result.challenge };
        return { status: 200, body: { ...options.tokenBody(result.session), user: toUserView(result.user) } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/email-code/session',
      operationId: 'createEmailCodeSession',
      rateLimit: { slot: 'emailCodeVerify', identifier: identifierOf },
      summary: 'Sign in with a mailed code; starts a cookie session like POST /auth/session (browsers)',
      tags: ['email-code'],
      body: z.strictObject({ email: emailField, code: codeField, rememberMe: z.boolean().optional() }),
      responses: {
        200: { description: 'Signed in; the cookie is set (or the 2FA step)', schema: cookieAnswer },
      },
      errorCodes: ['EMAIL_CODE_INVALID', 'CSRF_FAILED'],
      async handler(ctx) {
        loginCsrf(ctx.request);
        await perIp('emailCodeVerifyIp', ctx);
        const proof = { email: addressOf(ctx.body.email), code: ctx.body.code };
        const result = await service.signInWithCookie(proof, requestMeta(ctx), ctx.body.rememberMe === true);
        if ('challenge' in result) return { status: 200, body: result.challenge };
        return {
          status: 200,
          body: { user: toUserView(result.user), csrfToken: result.session.csrfToken },
          headers: { 'Set-Cookie': result.session.setCookie },
        };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/email-code/link',
      operationId: 'signInWithEmailLink',
      rateLimit: { slot: 'emailCodeVerifyIp' },
      summary: 'Sign in with the token of a mailed link; starts a cookie session (browsers)',
      description:
        'Without the code, only in the browser that asked for it (its binding cookie); elsewhere ' +
        'the code from the same mail goes along (400 `EMAIL_CODE_LINK_UNBOUND` asks for it).',
      tags: ['email-code'],
      body: z.strictObject({
        token: z.string().min(1).max(64),
        code: codeField.optional(),
        rememberMe: z.boolean().optional(),
      }),
      responses: {
        200: { description: 'Signed in; the cookie is set (or the 2FA step)', schema: cookieAnswer },
      },
      errorCodes: ['EMAIL_CODE_INVALID', 'EMAIL_CODE_LINK_UNBOUND', 'CSRF_FAILED'],
      async handler(ctx) {
        loginCsrf(ctx.request);
        const lookup = readCookie(ctx.request.headers.get('cookie'), options.cookie.name);
        // A second cookie of our name is a plant (cookie tossing): no copy is trusted.
        const binding = lookup.status === 'present' && lookup.value !== '' ? lookup.value : null;
        const proof = { token: ctx.body.token, binding, code: ctx.body.code };
        const result = await service.signInWithCookie(proof, requestMeta(ctx), ctx.body.rememberMe === true);
        if ('challenge' in result)
          return { status: 200, body: result.challenge, headers: { 'Set-Cookie': clearBinding } };
        return {
          status: 200,
          body: { user: toUserView(result.user), csrfToken: result.session.csrfToken },
          headers: [
            ['Set-Cookie', result.session.setCookie],
            ['Set-Cookie', clearBinding],
          ],
        };
      },
    }),
  ];
}
