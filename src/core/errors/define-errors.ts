import { AuthError, type AuthErrorOf, type AuthErrorOptions } from './auth-error.ts';
import { defineErrorCodes, type ErrorCodeSpec, type UpperSnakeCodes } from './catalogue.ts';

/** A family of error codes (core's, or one feature's) and the one way to build and test its errors. */
export interface ErrorFamily<T extends Readonly<Record<string, ErrorCodeSpec>>> {
  /** The frozen code map: merged into the catalogue, documented in docs/ERRORS.md, served. */
  readonly codes: T;
  /** Builds the error of `code` with the map's status and fixed title. */
  error<K extends keyof T & string>(code: K, options?: AuthErrorOptions): AuthError<K>;
  /** Whether `value` is an `AuthError` of this family (of `code`, when given). */
  is(value: unknown): value is AuthErrorOf<keyof T & string>;
  is<K extends keyof T & string>(value: unknown, code: K): value is AuthError<K>;
}

/**
 * Declares a family of error codes. Keys must be UPPER_SNAKE (see `defineErrorCodes`); `error`
 * accepts only the family's codes, so a typo fails to compile. `error` and `is` use no `this`,
 * so they can be exported on their own (`export const accountsError = ACCOUNTS_ERRORS.error`).
 *
 * @example
 * export const WIDGET_ERRORS = defineErrors({ WIDGET_JAMMED: { status: 409, title: 'The widget is jammed.' } });
 * throw WIDGET_ERRORS.error('WIDGET_JAMMED');   // AuthError<'WIDGET_JAMMED'>, status 409
 */
export function defineErrors<const T extends Record<string, ErrorCodeSpec>>(
  codeMap: UpperSnakeCodes<T>,
): ErrorFamily<T> {
  const codes = defineErrorCodes<T>(codeMap);
  // `code` is a key of the map by its type; the index type alone cannot tell.
  const error = <K extends keyof T & string>(code: K, options?: AuthErrorOptions): AuthError<K> =>
    new AuthError(code, codes[code]!, options);
  function is(value: unknown): value is AuthErrorOf<keyof T & string>;
  function is<K extends keyof T & string>(value: unknown, code: K): value is AuthError<K>;
  function is(value: unknown, code?: string): boolean {
    return (
      value instanceof AuthError &&
      Object.hasOwn(codes, value.code) &&
      (code === undefined || value.code === code)
    );
  }
  return Object.freeze({ codes, error, is });
}
