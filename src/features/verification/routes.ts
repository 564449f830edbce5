import { z } from 'zod';
import { toUserView } from '../../core/index.ts';
import { defineRoute, type RouteDefinition, requestMeta } from '../../http/index.ts';
import type { PasswordReset } from './password-reset.ts';
import type { VerificationService } from './service.ts';

const accepted = z.strictObject({ status: z.literal('accepted') });

export interface VerificationRoutesOptions {
  readonly verification: VerificationService;
  readonly passwordReset: PasswordReset;
  /** Turns typed input into the stored form, or `null` when it is not an address. */
  readonly normalizeEmail: (input: string) => string | null;
}

/** POST /auth/request-verify and POST /auth/verify (API.md, "Email verification"). */
export function verificationRoutes(options: VerificationRoutesOptions): RouteDefinition[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/auth/request-verify',
      operationId: 'requestVerify',
      rateLimit: { slot: 'requestVerify', identifier: ({ body }) => options.normalizeEmail(body.email) },
      summary: 'Send a new verification link (always 202, whatever the address)',
      tags: ['verification'],
      body: z.strictObject({ email: z.string().min(3).max(320) }),
      responses: { 202: { description: 'Accepted', schema: accepted } },
      async handler(ctx) {
        const email = options.normalizeEmail(ctx.body.email);
        if (email) await options.verification.requestVerification(email, requestMeta(ctx));
        return { status: 202, body: { status: 'accepted' } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/verify',
      operationId: 'verifyEmail',
      rateLimit: { slot: 'verify' },
      summary: 'Mark the email verified with the token from the verification link',
      tags: ['verification'],
      body: z.strictObject({ token: z.string().min(1).max(4096) }),
      responses: { 200: { description: 'Verified', schema: z.strictObject({ user: z.unknown() }) } },
      errorCodes: ['VERIFY_TOKEN_INVALID'],
      async handler(ctx) {
        const user = await options.verification.verify(ctx.body.token, requestMeta(ctx));
        return { status: 200, body: { user: toUserView(user) } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/forgot-password',
      operationId: 'forgotPassword',
      rateLimit: { slot: 'forgotPassword', identifier: ({ body }) => options.normalizeEmail(body.email) },
      summary: 'Mail a password reset link (always 202, same body and work, whatever the address)',
      tags: ['verification'],
      body: z.strictObject({ email: z.string().min(3).max(320) }),
      responses: { 202: { description: 'Accepted', schema: accepted } },
      async handler(ctx) {
        const email = options.normalizeEmail(ctx.body.email);
        if (email) await options.passwordReset.requestReset(email, requestMeta(ctx));
        return { status: 202, body: { status: 'accepted' } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/reset-password',
      operationId: 'resetPassword',
      rateLimit: { slot: 'resetPassword' },
      summary: 'Set a new password with the token from the reset link; every session is revoked',
      tags: ['verification'],
      // Tokens over 2 KiB are refused unread (422) before any work.
      body: z.strictObject({ token: z.string().min(1).max(2048), password: z.string().min(1).max(4096) }),
      responses: { 204: { description: 'The password was changed; sign in again' } },
      errorCodes: ['RESET_TOKEN_INVALID', 'PASSWORD_POLICY'],
      async handler(ctx) {
        await options.passwordReset.reset(ctx.body.token, ctx.body.password, requestMeta(ctx));
        return { status: 204 };
      },
    }),
  ];
}
