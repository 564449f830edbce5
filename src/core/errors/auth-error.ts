import type { ErrorCodeSpec } from './catalogue.ts';
import type { ErrorStatusOf, GatehouseErrorCode } from './registry.ts';

export interface AuthErrorOptions {
  /** Extra, non-secret, non-echoing explanation for the problem body's `detail`. */
  readonly detail?: string;
  /** Field-level problems, for `VALIDATION_FAILED` and policy errors. */
  readonly errors?: readonly { readonly path: string; readonly message: string }[];
  /** Seconds, sent as `Retry-After` on 429 and 503. */
  readonly retryAfterSeconds?: number;
  /** Extra members of the problem body (machine-readable, never user input). */
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/**
 * A runtime failure a client can act on: it carries a stable `code` from the catalogue and the
 * HTTP status that goes with it. The message is the catalogue's fixed title, so it never holds
 * input or secrets.
 *
 * `C` is the code (or union of codes) the error may carry, so `AuthError<'RATE_LIMITED'>` has
 * `status: 429`. Build one with a family's `error()` (see `defineErrors`), which takes the
 * status and title from the family's code map.
 */
export class AuthError<C extends string = GatehouseErrorCode> extends Error {
  override readonly name: string = 'AuthError';
  readonly code: C;
  readonly status: ErrorStatusOf<C>;
  readonly detail: string | undefined;
  readonly errors: AuthErrorOptions['errors'];
  readonly retryAfterSeconds: number | undefined;
  readonly extensions: AuthErrorOptions['extensions'];

  constructor(code: C, spec: ErrorCodeSpec, options: AuthErrorOptions = {}) {
    super(spec.title, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    // The spec is the catalogue's entry for `code`, so its status is the one the type names.
    this.status = spec.status as ErrorStatusOf<C>;
    this.detail = options.detail;
    this.errors = options.errors;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.extensions = options.extensions;
  }
}

/**
 * One `AuthError` type per code of `C`, so `switch (error.code)` narrows the whole error
 * (status included), not only the code.
 */
export type AuthErrorOf<C extends string> = C extends string ? AuthError<C> : never;

/** Any error Gatehouse answers with: a union over every code of the catalogue. */
export type AnyAuthError = AuthErrorOf<GatehouseErrorCode>;

/**
 * Whether `value` is an `AuthError` (of `code`, when given).
 *
 * @example
 * if (isAuthError(error)) switch (error.code) { case 'RATE_LIMITED': retryIn(error.retryAfterSeconds); }
 * if (isAuthError(error, 'LOGIN_BAD_CREDENTIALS')) showLoginForm();
 */
export function isAuthError(value: unknown): value is AnyAuthError;
export function isAuthError<C extends GatehouseErrorCode>(value: unknown, code: C): value is AuthError<C>;
export function isAuthError(value: unknown, code?: string): boolean {
  return value instanceof AuthError && (code === undefined || value.code === code);
}
