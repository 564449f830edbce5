import { z } from 'zod';
import {
  type CookieSessionStart,
  coreError,
  type Principal,
  type RequestMeta,
  type SessionIssuer,
  type TokenResponse,
  toUserView,
} from '../../core/index.ts';
import {
  CSRF_HEADER,
  defineRoute,
  isAllowedOrigin,
  type RouteDefinition,
  type RouteResult,
  requestMeta,
} from '../../http/index.ts';
import type { User } from '../../stores/repositories.ts';
import type { TwoFactor } from './service.ts';

export interface TwoFactorRoutesOptions {
  readonly twoFactor: TwoFactor;
  readonly sessions: SessionIssuer;
  /** Turns a token pair into the login body (the sessions feature's wire form). */
  readonly tokenBody: (tokens: TokenResponse) => object;
  readonly tokenSchema: z.ZodType;
  readonly userSchema: z.ZodType;
  /** Origins a cookie login may come from (login CSRF). */
  readonly allowedOrigins: ReadonlySet<string>;
  /** After a completed sign-in: audit, the new sign-in notice. */
  readonly signedIn: (
    user: User,
    sessionId: string,
    meta: RequestMeta,
    authMethods: readonly string[],
  ) => Promise<void>;
  readonly now?: () => number;
}

/** TOTP codes are digits; recovery codes are longer: one bound for both. */
const code = z.string().min(1).max(64);
const recoveryCodes = z.strictObject({ recoveryCodes: z.array(z.string()) });
const principalOf = (principal: Principal | null): Principal => principal!;

/** A renewed cookie session travels back as a new cookie and CSRF token. */
function renewedHeaders(renewed: CookieSessionStart | null): Record<string, string> {
  return renewed ? { 'Set-Cookie': renewed.setCookie, [CSRF_HEADER]: renewed.csrfToken } : {};
}

/** The Two-factor rows of API.md: enrollment, the login step, recovery codes, step-up. */
export function twoFactorRoutes(options: TwoFactorRoutesOptions): RouteDefinition[] {
  const { twoFactor } = options;
  const now = options.now ?? Date.now;
  const perUser = ({ principal }: { principal: Principal | null }) => principal?.userId ?? null;
  return [
    defineRoute({
      method: 'POST',
      path: '/auth/2fa/enable',
      operationId: 'enableTwoFactor',
      sessionOnly: true,
      rateLimit: { slot: 'totpEnable', identifier: perUser },
      summary:
        'Start TOTP enrollment: a new secret, its otpauth URI and an enrollment token (nothing stored yet)',
      tags: ['two-factor'],
      auth: 'required',
      body: z.strictObject({ currentPassword: z.string().min(1).max(4096) }),
      responses: {
        200: {
          description: 'Show the secret (or the URI as a QR code), then confirm with a code',
          schema: z.strictObject({ secret: z.string(), otpauthUri: z.string(), enrollmentToken: z.string() }),
        },
      },
      errorCodes: ['LOGIN_BAD_CREDENTIALS', 'TWO_FACTOR_ALREADY_ENABLED'],
      async handler(ctx) {
        const started = await twoFactor.enable(
          principalOf(ctx.principal),
          ctx.body.currentPassword,
          requestMeta(ctx),
        );
        return { status: 200, body: started };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/2fa/enable/confirm',
      operationId: 'confirmTwoFactor',
      sessionOnly: true,
      rateLimit: { slot: 'totpConfirm', identifier: perUser },
      summary: 'Finish TOTP enrollment with a code from the app; answers the recovery codes, once',
      tags: ['two-factor'],
      auth: 'required',
      body: z.strictObject({ enrollmentToken: z.string().min(1).max(256), code }),
      responses: { 200: { description: 'On; keep the recovery codes safe', schema: recoveryCodes } },
      errorCodes: ['ENROLLMENT_TOKEN_INVALID', 'TWO_FACTOR_CODE_INVALID', 'TWO_FACTOR_ALREADY_ENABLED'],
      async handler(ctx) {
        const result = await twoFactor.confirm(principalOf(ctx.principal), ctx.body, requestMeta(ctx));
        return {
          status: 200,
          body: { recoveryCodes: result.recoveryCodes },
          headers: renewedHeaders(result.renewed),
        };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/2fa/verify',
      operationId: 'verifyTwoFactor',
      // Per pending token here; per user through the 2FA lockout, which survives a new login.
      rateLimit: { slot: 'totpVerify', identifier: ({ body }) => body.pendingToken },
      summary: 'Finish a login that answered twoFactorRequired, in the transport it started in',
      tags: ['two-factor'],
      body: z.strictObject({ pendingToken: z.string().min(1).max(2048), code }),
      responses: {
        200: {
          description: 'Signed in: a token pair (POST /auth/login) or a cookie session (POST /auth/session)',
          schema: z.union([
            z.object({ user: options.userSchema }).and(options.tokenSchema),
            z.strictObject({ user: options.userSchema, csrfToken: z.string() }),
          ]),
        },
      },
      errorCodes: ['PENDING_TOKEN_INVALID', 'TWO_FACTOR_CODE_INVALID', 'CSRF_FAILED'],
      async handler(ctx): Promise<RouteResult> {
        const meta = requestMeta(ctx);
        const login = await twoFactor.completeLogin(ctx.body, meta, {
          // Login CSRF, as at POST /auth/session: the cookie goes only to our own pages. Checked
          // before the code, so a refused request spends neither the code nor the pending login.
          beforeCode: (transport) => {
            if (transport === 'cookie' && !isAllowedOrigin(ctx.request, options.allowedOrigins)) {
              throw coreError('CSRF_FAILED');
            }
          },
        });
        const secondFactorAt = now();
        const authMethods = [login.firstFactor, 'otp'];
        if (login.transport === 'cookie') {
          const session = await options.sessions.startCookieSession(login.user, meta, {
            authMethods,
            rememberMe: login.rememberMe,
            secondFactorAt,
          });
          await options.signedIn(login.user, session.sessionId, meta, authMethods);
          return {
            status: 200,
            body: { user: toUserView(login.user), csrfToken: session.csrfToken },
            headers: { 'Set-Cookie': session.setCookie },
          };
        }
        const tokens = await options.sessions.issue(login.user, meta, { authMethods, secondFactorAt });
        await options.signedIn(login.user, tokens.sessionId, meta, authMethods);
        return { status: 200, body: { ...options.tokenBody(tokens), user: toUserView(login.user) } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/2fa/disable',
      operationId: 'disableTwoFactor',
      sessionOnly: true,
      rateLimit: { slot: 'totpDisable', identifier: perUser },
      summary: 'Turn 2FA off with a current code (TOTP or recovery); clears the seed and every recovery code',
      description: 'The code in the body is the fresh second factor this sensitive action needs.',
      tags: ['two-factor'],
      auth: 'required',
      body: z.strictObject({ code }),
      responses: { 204: { description: 'Off' } },
      errorCodes: ['TWO_FACTOR_CODE_INVALID', 'TWO_FACTOR_NOT_ENABLED', 'STEP_UP_REQUIRED'],
      async handler(ctx) {
        await twoFactor.disable(principalOf(ctx.principal), ctx.body.code, requestMeta(ctx));
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/2fa/recovery-codes',
      operationId: 'regenerateRecoveryCodes',
      sessionOnly: true,
      rateLimit: { slot: 'totpRecoveryCodes', identifier: perUser },
      summary: 'Replace the recovery codes (the old ones die), with a current code',
      tags: ['two-factor'],
      auth: 'required',
      body: z.strictObject({ code }),
      responses: { 200: { description: 'The new codes, shown once', schema: recoveryCodes } },
      errorCodes: ['TWO_FACTOR_CODE_INVALID', 'TWO_FACTOR_NOT_ENABLED', 'STEP_UP_REQUIRED'],
      async handler(ctx) {
        const codes = await twoFactor.regenerateRecoveryCodes(
          principalOf(ctx.principal),
          ctx.body.code,
          requestMeta(ctx),
        );
        return { status: 200, body: { recoveryCodes: codes } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/2fa/step-up',
      operationId: 'stepUp',
      sessionOnly: true,
      rateLimit: { slot: 'totpStepUp', identifier: perUser },
      summary: 'Verify a code for this session, opening the step-up window for sensitive routes',
      tags: ['two-factor'],
      auth: 'required',
      body: z.strictObject({ code }),
      responses: { 204: { description: 'Verified; a cookie session gets a new cookie and CSRF token' } },
      errorCodes: ['TWO_FACTOR_CODE_INVALID', 'TWO_FACTOR_NOT_ENABLED'],
      async handler(ctx) {
        const renewed = await twoFactor.stepUp(principalOf(ctx.principal), ctx.body.code, requestMeta(ctx));
        return { status: 204, headers: renewedHeaders(renewed) };
      },
    }),
  ];
}
