import { TokenError } from './token-error.ts';

/**
 * A class of tokens: access, email verification, password reset, 2FA-pending, OAuth flow…
 * Each has its own `typ` and audience (and, in the caller, its own derived key), so a token of
 * one class is never accepted as another.
 */
export interface TokenClass {
  /** Header `typ`, e.g. `at+jwt` (RFC 9068) or `gh-verify+jwt`. */
  readonly typ: string;
  /** `aud` claim written and required. */
  readonly audience: string;
  /** `exp − iat` of new tokens; a token claiming a longer life than its class is refused. */
  readonly lifetimeSeconds: number;
}

/** The claims of a verified token. Frozen; the same object may be returned for repeated verifications. */
export interface VerifiedClaims {
  readonly iss: string;
  readonly aud: string;
  readonly sub: string;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  readonly nbf?: number;
  readonly sid?: string;
  readonly amr?: readonly string[];
  readonly [extra: string]: unknown;
}

/** Claims the codec writes itself; callers may not set them as extras. */
export const CODEC_CLAIMS: ReadonlySet<string> = new Set(['iss', 'aud', 'iat', 'exp', 'nbf']);

const TYP_PATTERN = /^[A-Za-z0-9!#$&^_.+-]{1,64}$/;
/** Longest `sub`, `jti` and `sid` accepted. */
const MAX_ID_CLAIM_LENGTH = 256;
/** Longest lifetime a class may declare (one year). */
const MAX_LIFETIME_SECONDS = 365 * 24 * 3600;

const checkedClasses = new WeakMap<TokenClass, string>();

/**
 * Validates a token class once (TypeError) and returns its `typ` in comparison form. Classes
 * are long-lived objects, so the check is remembered per object.
 */
export function comparableTypOf(cls: TokenClass): string {
  const known = checkedClasses.get(cls);
  if (known !== undefined) return known;
  if (typeof cls !== 'object' || cls === null) throw new TypeError('a token class is required');
  const { typ, audience, lifetimeSeconds } = cls;
  if (typeof typ !== 'string' || !TYP_PATTERN.test(typ))
    throw new TypeError('a token class needs a media-type typ');
  if (typeof audience !== 'string' || audience.length === 0 || audience.length > 512) {
    throw new TypeError('a token class needs an audience of 1–512 characters');
  }
  if (
    !Number.isSafeInteger(lifetimeSeconds) ||
    lifetimeSeconds < 1 ||
    lifetimeSeconds > MAX_LIFETIME_SECONDS
  ) {
    throw new TypeError('a token class lifetime must be a whole number of seconds up to one year');
  }
  const comparable = comparableTyp(typ);
  checkedClasses.set(cls, comparable);
  return comparable;
}

/**
 * `typ` in comparison form. Media types compare case-insensitively, and RFC 7515 section 4.1.9
 * lets the `application/` prefix be left out (RFC 9068 accepts both `at+jwt` and
 * `application/at+jwt`), so both spellings of the same type match. Nothing else is loosened:
 * `jwt` never matches `at+jwt`.
 */
export function comparableTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

export interface ClaimCheck {
  readonly issuer: string;
  readonly audience: string;
  readonly lifetimeSeconds: number;
  readonly leewaySeconds: number;
  /** Current time in milliseconds. */
  readonly now: number;
}

/**
 * Checks the registered claims of a signature-verified payload (throws {@link TokenError}):
 * `iss` and `aud` exactly (a single string audience; no arrays), `sub` `jti` `iat` `exp`
 * present and well typed, optional `sid` `amr` `nbf` well typed, `exp` after `iat` and within
 * the class lifetime, and time with at most `leewaySeconds` of clock skew either way.
 */
export function checkClaims(payload: Record<string, unknown>, check: ClaimCheck): VerifiedClaims {
  if (payload.iss !== check.issuer) throw new TokenError('issuer');
  if (payload.aud !== check.audience) throw new TokenError('audience');
  const { sub, jti, iat, exp, nbf, sid, amr } = payload;
  if (
    !isIdClaim(sub) ||
    !isIdClaim(jti) ||
    !isNumericDate(iat) ||
    !isNumericDate(exp) ||
    (nbf !== undefined && !isNumericDate(nbf)) ||
    (sid !== undefined && !isIdClaim(sid)) ||
    (amr !== undefined && !isStringArray(amr)) ||
    exp <= iat ||
    exp - iat > check.lifetimeSeconds
  ) {
    throw new TokenError('claims');
  }
  const nowSeconds = check.now / 1000;
  if (exp + check.leewaySeconds <= nowSeconds) throw new TokenError('expired');
  if (iat > nowSeconds + check.leewaySeconds) throw new TokenError('not_yet_valid');
  if (nbf !== undefined && (nbf as number) > nowSeconds + check.leewaySeconds)
    throw new TokenError('not_yet_valid');
  return payload as unknown as VerifiedClaims;
}

/** A `sub`, `jti` or `sid`: a non-empty string of at most 256 characters. */
export function isIdClaim(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_CLAIM_LENGTH;
}

/** Whole seconds since the epoch (Gatehouse never writes fractions). */
function isNumericDate(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** An `amr`: at most 32 strings of at most 64 characters. */
export function isStringArray(value: unknown): value is readonly string[] {
  return (
    Array.isArray(value) &&
    value.length <= 32 &&
    value.every((item) => typeof item === 'string' && item.length <= 64)
  );
}

/** Freezes a parsed JSON value all the way down, so a cached result cannot be changed by one caller. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
