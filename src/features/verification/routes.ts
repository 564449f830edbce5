import { z } from 'zod';
import { coreError, toUserView } from '../../core/index.ts';
import { defineRoute, type RouteDefinition, requestMeta } from '../../http/index.ts';
import type { EmailChange } from './email-change.ts';
import type { PasswordReset } from './password-reset.ts';
import type { VerificationService } from './service.ts';

const accepted = z.strictObject({ status: z.literal('accepted') });
/** Documented as `format: email`; the service normalises it (internationalised addresses too). */
const emailField = z.string().min(3).max(320).meta({ format: 'email' });

export interface VerificationRoutesOptions {
  readonly verification: VerificationService;
  readonly passwordReset: PasswordReset;
  readonly emailChange: EmailChange;
  /** Turns typed input into the stored form, or `null` when it is not an address. */
  readonly normalizeEmail: (input: string) => string | null;
  /** The public user view (the accounts feature's), documented as the answer's `user`. */
  readonly userSchema: z.ZodType;
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
      body: z.strictObject({ email: emailField }),
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
      responses: {
        200: { description: 'Verified', schema: z.strictObject({ user: options.userSchema }) },
      },
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
      body: z.strictObject({ email: emailField }),
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
      body: z.strictObject({ token: z.string().min(1).max(8192), password: z.string().min(1).max(4096) }),
      responses: { 204: { description: 'The password was changed; sign in again' } },
      errorCodes: ['RESET_TOKEN_INVALID', 'PASSWORD_POLICY'],
      async handler(ctx) {
        await options.passwordReset.reset(ctx.body.token, ctx.body.password, requestMeta(ctx));
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/users/me/change-email',
      operationId: 'changeEmail',
      sessionOnly: true,
      auth: 'required',
      // Sensitive: whoever controls the address controls password resets.
      stepUp: true,
      rateLimit: { slot: 'changeEmail', identifier: ({ principal }) => principal?.userId ?? null },
      summary:
        'Ask to change the email: a confirmation link goes to the new address, a notice to the old one',
      tags: ['verification'],
      body: z.strictObject({
        newEmail: emailField,
        currentPassword: z.string().min(1).max(4096),
      }),
      responses: {
        202: { description: 'Accepted; nothing changes until the link is confirmed', schema: accepted },
      },
      errorCodes: ['LOGIN_BAD_CREDENTIALS', 'STEP_UP_REQUIRED', 'TWO_FACTOR_CODE_INVALID'],
      async handler(ctx) {
        const newEmail = options.normalizeEmail(ctx.body.newEmail);
        if (!newEmail) {
          throw coreError('VALIDATION_FAILED', {
            errors: [{ path: 'newEmail', message: 'must be an email address' }],
          });
        }
        await options.emailChange.request(
          ctx.principal!.userId,
          { newEmail, currentPassword: ctx.body.currentPassword },
          requestMeta(ctx),
        );
        return { status: 202, body: { status: 'accepted' } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/confirm-email',
      operationId: 'confirmEmail',
      rateLimit: { slot: 'verify' },
      summary: 'Apply an email change with the token from the confirmation link',
      tags: ['verification'],
      body: z.strictObject({ token: z.string().min(1).max(4096) }),
      responses: {
        200: {
          description: 'The email changed and is verified',
          schema: z.strictObject({ user: options.userSchema }),
        },
      },
      errorCodes: ['EMAIL_CHANGE_TOKEN_INVALID', 'EMAIL_TAKEN'],
      async handler(ctx) {
        const user = await options.emailChange.confirm(ctx.body.token, requestMeta(ctx));
        return { status: 200, body: { user: toUserView(user) } };
      },
    }),
  ];
}
