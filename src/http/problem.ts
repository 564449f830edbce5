import type { Logger } from 'pino';
import { z } from 'zod';
import type { ErrorCatalogue } from '../core/errors/index.ts';
import { AuthError, type AuthErrorOptions, type CoreErrorCode, coreError } from '../core/errors/index.ts';
import { isStoreError } from '../stores/contract.ts';

/** Media type of every error body. @see https://www.rfc-editor.org/rfc/rfc9457 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * The `type` member of a problem body.
 *
 * RFC 9457 wants a URI that identifies the problem type. Gatehouse is embedded in other
 * people's services, so no web host can promise to resolve for every deployment; we use a
 * non-resolving URN in our own namespace instead (`urn:gatehouse:error:validation-failed`).
 * It is stable for a code forever; clients should still branch on `code`.
 */
export function problemTypeFor(code: string): string {
  return `urn:gatehouse:error:${code.toLowerCase().replaceAll('_', '-')}`;
}

/** One field-level problem: a dotted path (`a.b.0`, empty for the root) and a fixed message. */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

/** An RFC 9457 problem body with Gatehouse's `code` member. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
  readonly errors?: readonly FieldProblem[];
  readonly [extension: string]: unknown;
}

/** Schema of a problem body (documentation and tests; responses are built, not parsed). */
export const problemSchema = z
  .object({
    type: z.string().describe('Stable URI of the problem type (urn:gatehouse:error:<code>).'),
    title: z.string().describe('Fixed, human-readable summary of the code.'),
    status: z.int().describe('HTTP status code.'),
    code: z.string().describe('Stable machine-readable error code; branch on this.'),
    detail: z.string().optional().describe('Extra explanation; never contains input or secrets.'),
    errors: z
      .array(z.strictObject({ path: z.string(), message: z.string() }))
      .optional()
      .describe('Field-level problems, for VALIDATION_FAILED and policy errors.'),
  })
  .catchall(z.unknown());

/** Codes whose 401 means "a token was presented and is bad", per RFC 6750 section 3.1. */
export const DEFAULT_INVALID_TOKEN_CODES: readonly string[] = Object.freeze(['INVALID_TOKEN']);

/** Statuses that always carry `Retry-After`. */
const RETRY_STATUSES = new Set([429, 503]);
const STANDARD_MEMBERS = new Set(['type', 'title', 'status', 'code', 'detail', 'errors']);

/** How problem responses are built. */
export interface ProblemResponseOptions {
  /** Title of each code; falls back to the error's own (catalogue-derived) message. */
  readonly catalogue?: ErrorCatalogue;
  /** 401 codes answered with `WWW-Authenticate: Bearer error="invalid_token"`. @default ['INVALID_TOKEN'] */
  readonly invalidTokenCodes?: readonly string[];
}

/** Builds the problem body of an `AuthError`. Extensions never override the standard members. */
export function problemFromAuthError(
  error: AuthError<string>,
  options: ProblemResponseOptions = {},
): ProblemDetails {
  const problem: Record<string, unknown> = {
    type: problemTypeFor(error.code),
    title: options.catalogue?.[error.code]?.title ?? error.message,
    status: error.status,
    code: error.code,
  };
  if (error.detail !== undefined) problem.detail = error.detail;
  if (error.errors !== undefined) problem.errors = error.errors;
  if (error.extensions) {
    for (const [key, value] of Object.entries(error.extensions)) {
      if (!STANDARD_MEMBERS.has(key)) problem[key] = value;
    }
  }
  return problem as unknown as ProblemDetails;
}

/**
 * Turns an `AuthError` into its response: problem+json body, plus `Retry-After` on 429/503 (and
 * on other 5xx that carry one, e.g. 502 from an OAuth provider) and `WWW-Authenticate` on 401.
 */
export function authErrorResponse(error: AuthError<string>, options: ProblemResponseOptions = {}): Response {
  return new Response(JSON.stringify(problemFromAuthError(error, options)), {
    status: error.status,
    headers: new Headers(problemHeaders(error, options)),
  });
}

/** The headers of an `AuthError`'s response (see {@link authErrorResponse}), names in lower case. */
export function problemHeaders(
  error: AuthError<string>,
  options: ProblemResponseOptions = {},
): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE };
  if (RETRY_STATUSES.has(error.status)) {
    headers['retry-after'] = String(retryAfterSeconds(error.retryAfterSeconds));
  } else if (error.retryAfterSeconds !== undefined && error.status >= 500) {
    // Other server-side failures that know when to retry (a provider that did not answer) say so.
    headers['retry-after'] = String(retryAfterSeconds(error.retryAfterSeconds));
  }
  if (error.status === 401) {
    const invalidToken = (options.invalidTokenCodes ?? DEFAULT_INVALID_TOKEN_CODES).includes(error.code);
    headers['www-authenticate'] = invalidToken ? 'Bearer error="invalid_token"' : 'Bearer';
  }
  return headers;
}

/** Shorthand for the response of a core code (`NOT_FOUND`, `VALIDATION_FAILED`, …). */
export function coreProblemResponse(
  code: CoreErrorCode,
  options: AuthErrorOptions = {},
  responseOptions: ProblemResponseOptions = {},
): Response {
  return authErrorResponse(coreError(code, options), responseOptions);
}

/** Options of {@link errorResponse}. */
export interface ErrorResponseOptions extends ProblemResponseOptions {
  /** Logger bound to the request id; failures that are ours are logged here. */
  readonly logger: Logger;
}

/**
 * Maps anything a handler threw to a response, so that no failure escapes as a bare 500:
 * - `AuthError` → its own status and code (logged at warn when it is a 5xx);
 * - `StoreError` → 503 `SERVICE_UNAVAILABLE` with the store's `Retry-After` (logged at warn
 *   with the kind only: store messages and causes may hold keys);
 * - anything else → 500 `INTERNAL` with no detail, logged once at error level with the error.
 */
export function errorResponse(error: unknown, options: ErrorResponseOptions): Response {
  return authErrorResponse(toAuthError(error, options), options);
}

/**
 * The `AuthError` anything thrown is answered with (see {@link errorResponse}), logging the
 * failures that are ours. `logger` is read only then, so it may be a getter that makes it.
 */
export function toAuthError(error: unknown, options: { readonly logger: Logger }): AuthError<string> {
  if (error instanceof AuthError) {
    if (error.status >= 500)
      options.logger.warn({ code: error.code }, 'Request failed with a server-side error code');
    return error;
  }
  if (isStoreError(error)) {
    options.logger.warn(
      { storeErrorKind: error.kind },
      'A store could not complete the request; answered 503',
    );
    return coreError('SERVICE_UNAVAILABLE', { retryAfterSeconds: error.retryAfterSeconds });
  }
  options.logger.error({ err: error }, 'Request failed with an unexpected error');
  return coreError('INTERNAL');
}

function retryAfterSeconds(value: number | undefined): number {
  if (value === undefined || !Number.isFinite(value)) return 1;
  return Math.max(1, Math.ceil(value));
}
