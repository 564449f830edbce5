/**
 * The error catalogue: every code a Gatehouse response can carry, declared once with its
 * HTTP status and a fixed title. Titles never interpolate input, so nothing a client sent (and
 * nothing secret) can leak through an error body or a log line.
 *
 * Codes are part of the public contract: clients branch on them. A code that is retired stays
 * reserved in `RETIRED_CODES` and is never reused for another meaning.
 */

export interface ErrorCodeSpec {
  readonly status: number;
  readonly title: string;
}

type UpperSnake<S extends string> = S extends Uppercase<S> ? S : never;

/** A code map whose keys are all UPPER_SNAKE: any other key's spec becomes `never`. */
export type UpperSnakeCodes<T> = {
  [K in keyof T]: K extends string ? (K extends UpperSnake<K> ? T[K] : never) : never;
};

/**
 * Declares a family of error codes. The type only accepts UPPER_SNAKE keys, so a typo in a
 * feature's code map fails to compile instead of shipping a new public code.
 */
export function defineErrorCodes<const T extends Record<string, ErrorCodeSpec>>(
  codes: UpperSnakeCodes<T>,
): T {
  return Object.freeze(codes) as T;
}

/** Codes every route may return (see API.md, "Error codes that every route may return"). */
export const CORE_ERROR_CODES = defineErrorCodes({
  MALFORMED_BODY: { status: 400, title: 'The request body is not valid JSON.' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication is required.' },
  INVALID_TOKEN: { status: 401, title: 'The credential is invalid, expired or revoked.' },
  FORBIDDEN: { status: 403, title: 'This action is not allowed.' },
  INSUFFICIENT_ROLES: { status: 403, title: 'A role this action requires is missing.' },
  CSRF_FAILED: { status: 403, title: 'The request failed the cross-site request forgery check.' },
  PASSWORD_SESSION_REQUIRED: {
    status: 403,
    title: 'API keys cannot do this: sign in with a password session.',
  },
  NOT_FOUND: { status: 404, title: 'No such resource.' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'This method is not allowed on this resource.' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be application/json.' },
  VALIDATION_FAILED: { status: 422, title: 'The request does not match the expected schema.' },
  RATE_LIMITED: { status: 429, title: 'Too many requests; retry later.' },
  INTERNAL: { status: 500, title: 'An internal error occurred.' },
  SERVICE_UNAVAILABLE: {
    status: 503,
    title: 'A store needed to complete this request safely is unavailable; nothing was changed.',
  },
});

export type CoreErrorCode = keyof typeof CORE_ERROR_CODES;

/** Codes that once existed and must never be given a new meaning. */
export const RETIRED_CODES: readonly string[] = Object.freeze([]);

export type ErrorCatalogue = Readonly<Record<string, ErrorCodeSpec>>;

type Intersection<U> = (U extends unknown ? (part: U) => void : never) extends (part: infer I) => void
  ? I
  : never;

/** The type of merged code maps: every part's codes, each with its literal status and title. */
export type MergedCatalogue<P extends readonly ErrorCatalogue[]> = Readonly<Intersection<P[number]>>;

/**
 * Merges feature code maps into one catalogue. A code declared twice with different specs is a
 * programming error caught at startup, not a silent override.
 */
export function mergeCatalogues<const P extends readonly ErrorCatalogue[]>(...parts: P): MergedCatalogue<P> {
  const merged: Record<string, ErrorCodeSpec> = {};
  for (const part of parts) {
    for (const [code, spec] of Object.entries(part)) {
      const existing = merged[code];
      if (existing && (existing.status !== spec.status || existing.title !== spec.title)) {
        throw new TypeError(`Error code ${code} is declared twice with different meanings`);
      }
      if (RETIRED_CODES.includes(code)) throw new TypeError(`Error code ${code} is retired`);
      merged[code] = spec;
    }
  }
  return Object.freeze(merged) as MergedCatalogue<P>;
}
