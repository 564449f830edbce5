/**
 * Argument checks for the SQL layer. A bad argument is a programming or configuration error, so
 * it throws a `TypeError` with a Node-style `code`; messages never echo the value (a database
 * URL can hold a password).
 */

import { invalidArgument } from '../arguments.ts';

export { invalidArgument };

/**
 * Returns `value`, or `fallback` when it is `undefined`; throws unless the result is an integer
 * within `[min, max]`.
 */
export function integerOption(
  name: string,
  value: unknown,
  options: { fallback: number; min: number; max?: number },
): number {
  if (value === undefined) return options.fallback;
  if (typeof value !== 'number') throw invalidArgument(`${name} must be a number`, 'ERR_INVALID_ARG_TYPE');
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(value) || value < options.min || value > max) {
    throw invalidArgument(
      `${name} must be an integer from ${options.min} to ${max}`,
      'ERR_INVALID_ARG_VALUE',
    );
  }
  return value;
}
