import type { AuthConfigInput, ConfigProblem } from '../index.ts';

/**
 * `GATEHOUSE_RATE_LIMITS`: a JSON object of the library's `rateLimits` option (`enabled`,
 * `ipv6PrefixLength`, `slots` with a rule, `{ "group" }` or `false` per slot, `groups`), plus a
 * `lockout` member holding the `lockout` option (failures, window, escalating lock times).
 * Only JSON is checked here: `createAuth` validates both with the configuration schema, and
 * the CLI names this variable in its problems (see `attributeToEnv`).
 */
export function rateLimitsFromEnv(
  raw: string,
  problems: ConfigProblem[],
): Pick<AuthConfigInput, 'rateLimits' | 'lockout'> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push({ path: 'GATEHOUSE_RATE_LIMITS', message: 'must be a JSON object' });
    return {};
  }
  const { lockout, ...rateLimits } = parsed as Record<string, unknown>;
  return {
    ...(Object.keys(rateLimits).length > 0
      ? { rateLimits: rateLimits as AuthConfigInput['rateLimits'] }
      : {}),
    ...(lockout === undefined ? {} : { lockout: lockout as AuthConfigInput['lockout'] }),
  };
}
