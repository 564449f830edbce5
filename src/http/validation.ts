import type { z } from 'zod';
import type { FieldProblem } from './problem.ts';

/** At most this many field problems are reported; the rest add nothing a client can act on. */
export const MAX_FIELD_PROBLEMS = 20;

/** A path segment that is not a plain field name is shown as this placeholder. */
export const REDACTED_KEY = '<key>';

const SAFE_KEY = /^[A-Za-z0-9_$-]{1,64}$/;

/**
 * Turns zod issues into `{ path, message }` pairs that are safe to send back.
 *
 * Zod's default messages can quote what was received (unknown key names, enum inputs), and
 * keys of unknown fields or records are attacker input. So messages here are fixed per issue
 * kind, built only from the schema's own constraints, and path segments that are not plain
 * field names (`[A-Za-z0-9_$-]{1,64}`) are replaced by {@link REDACTED_KEY}.
 */
export function fieldProblemsFromIssues(issues: readonly z.core.$ZodIssue[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  const push = (path: readonly PropertyKey[], message: string): void => {
    const problem = { path: formatPath(path), message };
    const key = `${problem.path}\u0000${problem.message}`;
    if (problems.length < MAX_FIELD_PROBLEMS && !seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  };
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) push([...issue.path, key], 'Unknown field');
    } else {
      push(issue.path, messageForIssue(issue));
    }
    if (problems.length >= MAX_FIELD_PROBLEMS) break;
  }
  return problems;
}

/** Dotted path; the root is the empty string. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map(formatSegment).join('.');
}

function formatSegment(segment: PropertyKey): string {
  if (typeof segment === 'number')
    return Number.isSafeInteger(segment) && segment >= 0 ? String(segment) : REDACTED_KEY;
  if (typeof segment === 'string' && SAFE_KEY.test(segment)) return segment;
  return REDACTED_KEY;
}

/** The fixed message for one issue. Exported for tests. */
export function messageForIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      // `input` is only present with `reportInput`; it is read here, never echoed.
      return 'input' in issue && issue.input === undefined
        ? 'Required'
        : `Expected ${describeExpected(issue.expected)}`;
    case 'too_small':
      return sizeMessage('at least', issue.origin, issue.minimum, issue.inclusive);
    case 'too_big':
      return sizeMessage('at most', issue.origin, issue.maximum, issue.inclusive);
    case 'invalid_format':
      return formatMessage(issue.format);
    case 'not_multiple_of':
      return `Must be a multiple of ${String(issue.divisor)}`;
    case 'unrecognized_keys':
      return 'Unknown field';
    case 'invalid_union':
      return 'Does not match any of the allowed forms';
    case 'invalid_key':
      return 'Invalid key';
    case 'invalid_element':
      return 'Invalid element';
    case 'invalid_value':
      return valuesMessage(issue.values);
    default:
      // `custom` (refinements) and anything a future zod adds: the schema author's message may
      // interpolate input, so it is not used.
      return 'Invalid value';
  }
}

const EXPECTED_NAMES: Readonly<Record<string, string>> = {
  int: 'integer',
  nan: 'NaN',
};

function describeExpected(expected: string): string {
  return EXPECTED_NAMES[expected] ?? expected;
}

function sizeMessage(
  bound: 'at least' | 'at most',
  origin: string,
  limit: number | bigint,
  inclusive?: boolean,
): string {
  const value = String(limit);
  const lower = bound === 'at least';
  const exclusive = inclusive === false;
  switch (origin) {
    case 'string':
      return exclusive
        ? `Must be ${lower ? 'more' : 'fewer'} than ${value} characters`
        : `Must be ${bound} ${value} characters`;
    case 'array':
    case 'set':
      return exclusive
        ? `Must have ${lower ? 'more' : 'fewer'} than ${value} items`
        : `Must have ${bound} ${value} items`;
    default:
      return exclusive
        ? `Must be ${lower ? 'greater' : 'less'} than ${value}`
        : `Must be ${lower ? 'greater' : 'less'} than or equal to ${value}`;
  }
}

const FORMAT_NAMES: Readonly<Record<string, string>> = {
  email: 'Must be an email address',
  url: 'Must be a URL',
  uuid: 'Must be a UUID',
  guid: 'Must be a GUID',
  datetime: 'Must be an ISO 8601 date-time',
  date: 'Must be an ISO 8601 date',
  time: 'Must be an ISO 8601 time',
  duration: 'Must be an ISO 8601 duration',
  ipv4: 'Must be an IPv4 address',
  ipv6: 'Must be an IPv6 address',
  base64: 'Must be base64',
  base64url: 'Must be base64url',
  jwt: 'Must be a JWT',
};

function formatMessage(format: string): string {
  return FORMAT_NAMES[format] ?? 'Does not have the expected format';
}

function valuesMessage(values: readonly unknown[]): string {
  const shown = values.filter(
    (value) => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean',
  );
  if (shown.length === 0 || shown.length !== values.length || shown.length > 10)
    return 'Must be one of the allowed values';
  return `Must be one of: ${shown.map((value) => JSON.stringify(value)).join(', ')}`;
}
