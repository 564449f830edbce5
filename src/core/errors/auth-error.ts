import { CORE_ERROR_CODES, type ErrorCodeSpec } from './catalogue.ts';

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
 */
export class AuthError extends Error {
  override readonly name: string = 'AuthError';
  readonly code: string;
  readonly status: number;
  readonly detail: string | undefined;
  readonly errors: AuthErrorOptions['errors'];
  readonly retryAfterSeconds: number | undefined;
  readonly extensions: AuthErrorOptions['extensions'];

  constructor(code: string, spec: ErrorCodeSpec, options: AuthErrorOptions = {}) {
    super(spec.title, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = spec.status;
    this.detail = options.detail;
    this.errors = options.errors;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.extensions = options.extensions;
  }
}

/** Builds an `AuthError` for one of the core codes. */
export function coreError(code: keyof typeof CORE_ERROR_CODES, options?: AuthErrorOptions): AuthError {
  return new AuthError(code, CORE_ERROR_CODES[code], options);
}

export function isAuthError(value: unknown): value is AuthError {
  return value instanceof AuthError;
}
