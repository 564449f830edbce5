import { createHmac, createSecretKey, type KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';
import { base32Encode } from './base32.ts';

/**
 * Time-based one-time passwords (RFC 6238) over HOTP's dynamic truncation (RFC 4226), the codes
 * authenticator apps show. Pure functions: the caller supplies the time, keeps the secret
 * encrypted at rest, and records the step `verifyTotp` returns to refuse a replay.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6238
 * @see https://www.rfc-editor.org/rfc/rfc4226#section-5.3
 */

/** HMAC hash functions RFC 6238 allows. Authenticator apps support SHA1 best. */
export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

/** Code lengths accepted: RFC 4226 asks for at least 6 digits; 8 is what a 31-bit value fits. */
export type TotpDigits = 6 | 7 | 8;

/** What both sides of a TOTP enrolment must agree on (the app learns them from the URI). */
export interface TotpParameters {
  readonly algorithm: TotpAlgorithm;
  readonly digits: TotpDigits;
  /** Length of one time step, in whole seconds. */
  readonly periodSeconds: number;
}

/**
 * The parameters every authenticator app understands (SHA1, 6 digits, 30 s), and a window of one
 * step either side, as RFC 6238 section 5.2 recommends for clock drift and typing time.
 */
export const TOTP_DEFAULTS: Readonly<TotpParameters & { readonly window: number }> = Object.freeze({
  algorithm: 'SHA1',
  digits: 6,
  periodSeconds: 30,
  window: 1,
});

/** Shortest secret accepted: RFC 4226 section 4 (R6) requires at least 128 bits. */
export const TOTP_MIN_SECRET_BYTES = 16;

/** Widest window accepted: each step either side adds two guesses per attempt. */
export const TOTP_MAX_WINDOW = 10;

/** Options of `totpCode`: the time to compute the code for, and any non-default parameters. */
export interface TotpCodeOptions extends Partial<TotpParameters> {
  /** Milliseconds since the Unix epoch (`Date.now()`). */
  readonly timeMs: number;
}

/** Options of `verifyTotp`. */
export interface VerifyTotpOptions extends TotpCodeOptions {
  /** Steps accepted either side of the current one; `TOTP_DEFAULTS.window` when left out. */
  readonly window?: number;
  /**
   * The last step already accepted for this secret. Steps up to and including it never match,
   * so a code is refused even when it also happens to equal an earlier, used step's code.
   */
  readonly afterStep?: number;
}

/** Options of `otpauthUri`. */
export interface OtpauthUriOptions extends Partial<TotpParameters> {
  /** Who the account is with (the service name the app shows). No colon. */
  readonly issuer: string;
  /** Which account (usually the email address). No colon. */
  readonly accountName: string;
  readonly secret: Uint8Array;
}

const HMAC_NAMES: Readonly<Record<TotpAlgorithm, string>> = {
  SHA1: 'sha1',
  SHA256: 'sha256',
  SHA512: 'sha512',
};

/** Longest input `verifyTotp` looks at; a code with spaces between its digits is far shorter. */
const MAX_PRESENTED_LENGTH = 32;

/**
 * A new TOTP secret: 160 random bits from the operating system's CSPRNG, the length RFC 4226
 * recommends and the one SHA1's block suits. Encrypt it before storing it.
 */
export function newTotpSecret(): Buffer {
  return randomBytes(20);
}

/**
 * The RFC 6238 time step (the HOTP counter) holding `timeMs`: whole periods since the Unix
 * epoch, counting from T0 = 0.
 *
 * @throws {TypeError} for a negative or non-finite time or a period that is not a positive
 *   whole number of seconds.
 */
export function timeStep(timeMs: number, periodSeconds: number): number {
  checkTime(timeMs);
  checkPeriod(periodSeconds);
  // One division of two integers: the rounded quotient never crosses an integer for inputs
  // below 2^53, so the floor is exact.
  return Math.floor(timeMs / (periodSeconds * 1000));
}

/**
 * The TOTP code for `secret` at `options.timeMs`, zero-padded to `digits`.
 *
 * @throws {TypeError} for a secret shorter than 128 bits or invalid parameters.
 */
export function totpCode(secret: Uint8Array, options: TotpCodeOptions): string {
  const parameters = resolveParameters(options);
  const counter = timeStep(options.timeMs, parameters.periodSeconds);
  return hotp(secretKey(secret), counter, parameters);
}

/**
 * Checks a code typed by a user against the steps within `window` of `options.timeMs`.
 *
 * Returns the step the code belongs to, which the caller records so the same step can never be
 * used twice (pass it back as `afterStep`); `null` when no step matches. If the code matches more
 * than one step (a one-in-a-million coincidence), the latest is returned, so recording it refuses
 * them all.
 *
 * Every candidate is computed and compared in constant time, with no early exit, so the time
 * taken says nothing about which step, or whether any, matched. Input that is not exactly
 * `digits` ASCII digits once spaces are removed (empty, letters, other lengths, very long
 * strings, non-strings) gives `null` without being compared and never throws.
 *
 * @throws {TypeError} only for invalid options or secret, which are the caller's, never the user's.
 */
export function verifyTotp(secret: Uint8Array, code: string, options: VerifyTotpOptions): number | null {
  const parameters = resolveParameters(options);
  const window = options.window ?? TOTP_DEFAULTS.window;
  if (!Number.isSafeInteger(window) || window < 0 || window > TOTP_MAX_WINDOW)
    throw new TypeError(`the TOTP window must be a whole number of steps from 0 to ${TOTP_MAX_WINDOW}`);
  const afterStep = options.afterStep ?? -1;
  if (!Number.isSafeInteger(afterStep) || afterStep < -1)
    throw new TypeError('afterStep must be a whole number of steps, or -1 for none');
  const key = secretKey(secret);
  const current = timeStep(options.timeMs, parameters.periodSeconds);

  if (typeof code !== 'string' || code.length > MAX_PRESENTED_LENGTH) return null;
  const digitsOnly = code.replaceAll(' ', '');
  if (digitsOnly.length !== parameters.digits || !/^[0-9]+$/.test(digitsOnly)) return null;
  const presented = Buffer.from(digitsOnly, 'latin1');

  let matched: number | null = null;
  for (let counter = current - window; counter <= current + window; counter++) {
    // Steps before the epoch do not exist; which ones those are depends only on the clock.
    if (counter < 0) continue;
    const expected = Buffer.from(hotp(key, counter, parameters), 'latin1');
    const equal = timingSafeEqual(expected, presented);
    // No break: later candidates are computed whatever happened to earlier ones.
    if (equal && counter > afterStep) matched = counter;
  }
  return matched;
}

/**
 * The Key Uri Format URI an authenticator app reads from a QR code:
 * `otpauth://totp/<issuer>:<account>?secret=<BASE32>&issuer=<issuer>&algorithm=…&digits=…&period=…`.
 * The label and the issuer are percent-encoded (spaces as `%20`, never `+`), and every parameter
 * is written out so no app has to guess a default.
 *
 * @see https://github.com/google/google-authenticator/wiki/Key-Uri-Format
 * @throws {TypeError} for an empty issuer or account name, one holding a colon (the label's
 *   separator, which the format forbids in either), a short secret or invalid parameters.
 */
export function otpauthUri(options: OtpauthUriOptions): string {
  const { issuer, accountName, secret } = options;
  const parameters = resolveParameters(options);
  checkSecret(secret);
  const issuerText = encodeLabelPart(issuer, 'issuer');
  const accountText = encodeLabelPart(accountName, 'account name');
  const query = [
    `secret=${base32Encode(secret)}`,
    `issuer=${issuerText}`,
    `algorithm=${parameters.algorithm}`,
    `digits=${parameters.digits}`,
    `period=${parameters.periodSeconds}`,
  ].join('&');
  return `otpauth://totp/${issuerText}:${accountText}?${query}`;
}

/** RFC 4226 HOTP: HMAC of the 8-byte big-endian counter, dynamic truncation, decimal digits. */
function hotp(key: KeyObject, counter: number, parameters: TotpParameters): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(HMAC_NAMES[parameters.algorithm], key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** parameters.digits).padStart(parameters.digits, '0');
}

function resolveParameters(options: Partial<TotpParameters>): TotpParameters {
  if (typeof options !== 'object' || options === null) throw new TypeError('TOTP options are required');
  const algorithm = options.algorithm ?? TOTP_DEFAULTS.algorithm;
  const digits = options.digits ?? TOTP_DEFAULTS.digits;
  const periodSeconds = options.periodSeconds ?? TOTP_DEFAULTS.periodSeconds;
  if (!Object.hasOwn(HMAC_NAMES, algorithm))
    throw new TypeError('the TOTP algorithm must be SHA1, SHA256 or SHA512');
  if (digits !== 6 && digits !== 7 && digits !== 8)
    throw new TypeError('TOTP codes must have 6, 7 or 8 digits');
  checkPeriod(periodSeconds);
  return { algorithm, digits, periodSeconds };
}

function secretKey(secret: Uint8Array): KeyObject {
  checkSecret(secret);
  return createSecretKey(secret);
}

function checkSecret(secret: Uint8Array): void {
  if (!(secret instanceof Uint8Array) || secret.length < TOTP_MIN_SECRET_BYTES)
    throw new TypeError(`a TOTP secret must be a Uint8Array of at least ${TOTP_MIN_SECRET_BYTES} bytes`);
}

function checkTime(timeMs: number): void {
  if (
    typeof timeMs !== 'number' ||
    !Number.isFinite(timeMs) ||
    timeMs < 0 ||
    timeMs > Number.MAX_SAFE_INTEGER
  )
    throw new TypeError('the TOTP time must be a non-negative number of milliseconds since the epoch');
}

function checkPeriod(periodSeconds: number): void {
  if (!Number.isSafeInteger(periodSeconds) || periodSeconds <= 0)
    throw new TypeError('the TOTP period must be a positive whole number of seconds');
}

function encodeLabelPart(value: string, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes(':'))
    throw new TypeError(`the otpauth ${what} must be a non-empty string without a colon`);
  try {
    return encodeURIComponent(value);
  } catch {
    // encodeURIComponent throws a URIError on lone surrogates; report it as bad input.
    throw new TypeError(`the otpauth ${what} must be well-formed Unicode`);
  }
}
