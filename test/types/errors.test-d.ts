/**
 * Type-level checks of the typed errors, checked by `npm run typecheck` (tsc reads test/) and
 * never run (no `.test.ts` name). Each `@ts-expect-error` line must fail to compile, or tsc
 * reports the directive as unused, so every "this is refused" below is proven, not assumed.
 *
 * Invariants: `GatehouseErrorCode` is exactly the union of the core codes and every feature's;
 * a code outside the catalogue fails to compile in a factory call, a guard and a route's
 * `errorCodes`; `switch (error.code)` narrows the whole error, status included.
 */
import { z } from 'zod';
import { coreError, defineErrors } from '../../src/core/errors/index.ts';
import { type AccountsErrorCode, accountsError } from '../../src/features/accounts/error-codes.ts';
import type { AdminErrorCode } from '../../src/features/admin/error-codes.ts';
import type { ApiKeyErrorCode } from '../../src/features/apikeys/error-codes.ts';
import type { EmailCodeErrorCode } from '../../src/features/email-code/error-codes.ts';
import { OAUTH_ERRORS, type OAuthErrorCode } from '../../src/features/oauth/error-codes.ts';
import type { PasskeyErrorCode } from '../../src/features/passkeys/error-codes.ts';
import type { SessionsErrorCode } from '../../src/features/sessions/error-codes.ts';
import type { TwoFactorErrorCode } from '../../src/features/two-factor/error-codes.ts';
import type { VerificationErrorCode } from '../../src/features/verification/error-codes.ts';
import { defineRoute } from '../../src/http/route.ts';
import {
  type AnyAuthError,
  AuthError,
  type CoreErrorCode,
  type ERROR_CATALOGUE,
  type GatehouseErrorCode,
  type GatehouseErrorStatus,
  isAuthError,
} from '../../src/index.ts';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<_T extends true>(): void {}

// --- The union: core + every feature, nothing else -------------------------------------------

assertType<
  Equal<
    GatehouseErrorCode,
    | CoreErrorCode
    | AccountsErrorCode
    | SessionsErrorCode
    | VerificationErrorCode
    | TwoFactorErrorCode
    | OAuthErrorCode
    | PasskeyErrorCode
    | EmailCodeErrorCode
    | ApiKeyErrorCode
    | AdminErrorCode
  >
>();
export const known: readonly GatehouseErrorCode[] = [
  'LOGIN_BAD_CREDENTIALS',
  'API_KEY_INVALID',
  'OAUTH_STATE_INVALID',
  'RATE_LIMITED',
  'REFRESH_TOKEN_INVALID',
  'VERIFY_TOKEN_INVALID',
  'STEP_UP_REQUIRED',
];
// @ts-expect-error a misspelt code is no GatehouseErrorCode
export const misspelt: GatehouseErrorCode = 'LOGIN_BAD_CREDENTIAL';

// --- Code → status, as types -----------------------------------------------------------------

assertType<Equal<GatehouseErrorStatus['RATE_LIMITED'], 429>>();
assertType<Equal<GatehouseErrorStatus['LOGIN_BAD_CREDENTIALS'], 401>>();
assertType<Equal<GatehouseErrorStatus['OAUTH_PROVIDER_UNAVAILABLE'], 502>>();
assertType<Equal<(typeof ERROR_CATALOGUE)['API_KEY_LIMIT_REACHED']['status'], 409>>();

// --- Factories accept only their own codes and return the narrow error ------------------------

const taken = accountsError('USER_ALREADY_EXISTS');
assertType<Equal<typeof taken, AuthError<'USER_ALREADY_EXISTS'>>>();
assertType<Equal<typeof taken.status, 409>>();
export const asAny: AnyAuthError = taken;
export const asDefault: AuthError = taken;
// @ts-expect-error a misspelt code
accountsError('USER_ALREADY_EXIST');
// @ts-expect-error another feature's code
accountsError('API_KEY_INVALID');
// @ts-expect-error a feature's code is not a core code
coreError('LOGIN_BAD_CREDENTIALS');
// @ts-expect-error a misspelt code
OAUTH_ERRORS.error('OAUTH_STATE_INVALD');

// Keys must be UPPER_SNAKE, so a stray key cannot become a public code.
export const WIDGET_ERRORS = defineErrors({ WIDGET_JAMMED: { status: 409, title: 'Jammed.' } });
assertType<Equal<ReturnType<typeof WIDGET_ERRORS.error<'WIDGET_JAMMED'>>, AuthError<'WIDGET_JAMMED'>>>();
// @ts-expect-error a key that is not UPPER_SNAKE
defineErrors({ widgetJammed: { status: 409, title: 'Jammed.' } });

// --- Guards narrow -----------------------------------------------------------------------------

export function messageFor(error: unknown): string {
  if (!isAuthError(error)) return 'unexpected';
  switch (error.code) {
    case 'RATE_LIMITED':
      assertType<Equal<typeof error, AuthError<'RATE_LIMITED'>>>();
      assertType<Equal<typeof error.status, 429>>();
      return `retry in ${error.retryAfterSeconds}s`;
    case 'LOGIN_BAD_CREDENTIALS':
      assertType<Equal<typeof error.status, 401>>();
      return 'wrong email or password';
    // @ts-expect-error a code outside the catalogue cannot be a case
    case 'LOGIN_FAILED':
      return 'never';
    default: {
      const rest: Exclude<GatehouseErrorCode, 'RATE_LIMITED' | 'LOGIN_BAD_CREDENTIALS'> = error.code;
      return rest;
    }
  }
}

export function isLockedOut(error: unknown): boolean {
  if (isAuthError(error, 'API_KEY_REVOKED')) {
    assertType<Equal<typeof error, AuthError<'API_KEY_REVOKED'>>>();
    return true;
  }
  // @ts-expect-error a misspelt code
  return isAuthError(error, 'API_KEY_REVOKD');
}

export function oauthOnly(error: unknown): OAuthErrorCode | null {
  if (OAUTH_ERRORS.is(error)) return error.code;
  // @ts-expect-error another family's code
  if (OAUTH_ERRORS.is(error, 'RATE_LIMITED')) return null;
  return null;
}

// --- Routes list catalogue codes only -----------------------------------------------------------

export const typedRoute = defineRoute({
  method: 'POST',
  path: '/widgets',
  operationId: 'createWidget',
  summary: 'Create a widget',
  body: z.strictObject({ name: z.string() }),
  responses: { 201: { description: 'Created' } },
  errorCodes: ['USER_ALREADY_EXISTS', 'RATE_LIMITED'],
  handler: async () => ({ status: 201 }),
});

export const misspeltRoute = defineRoute({
  method: 'GET',
  path: '/widgets',
  operationId: 'listWidgets',
  summary: 'List widgets',
  responses: { 200: { description: 'Listed' } },
  errorCodes: [
    // @ts-expect-error a misspelt code in a route fails to compile
    'SESSION_NOT_FOUNDD',
  ],
  handler: async () => ({ status: 200 }),
});

// An error of any family (even one outside the catalogue) still renders: AuthError<string>.
export const outside: AuthError<string> = new AuthError('WIDGET_JAMMED', { status: 409, title: 'Jammed.' });
