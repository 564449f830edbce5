import { ConfigError, type ConfigProblem } from '../index.ts';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Options the server fills from a JSON (or key-list) variable, whose problems `createAuth`
 * finds: the configuration path prefix, and the variable (and member) to name instead.
 */
const SOURCES: readonly { prefix: string; variables: readonly string[]; as: (variable: string) => string }[] =
  [
    { prefix: 'rateLimits', variables: ['GATEHOUSE_RATE_LIMITS'], as: (v) => v },
    { prefix: 'lockout', variables: ['GATEHOUSE_RATE_LIMITS'], as: (v) => `${v}.lockout` },
    {
      prefix: 'tokens.signingKeys',
      variables: ['GATEHOUSE_SIGNING_KEYS', 'GATEHOUSE_SIGNING_KEYS_FILE'],
      as: (v) => v,
    },
  ];

function attributed(path: string, env: Env): string {
  for (const source of SOURCES) {
    if (path !== source.prefix && !path.startsWith(`${source.prefix}.`)) continue;
    const variable = source.variables.find((name) => env[name]);
    if (variable === undefined) return path;
    const rest = path.slice(source.prefix.length);
    if (source.prefix === 'tokens.signingKeys') {
      // `tokens.signingKeys.1.key` is the second key of the variable: `…[1]`.
      const position = /^\.(\d+)/.exec(rest);
      return position ? `${source.as(variable)}[${position[1]}]` : source.as(variable);
    }
    return `${source.as(variable)}${rest}`;
  }
  return path;
}

/**
 * The same error with each problem that came from a JSON variable named after it
 * (`rateLimits.slots.login.limit` → `GATEHOUSE_RATE_LIMITS.slots.login.limit`), so an operator
 * sees which variable to fix. An error with no such problem is returned as it is.
 */
export function attributeToEnv(error: ConfigError, env: Env): ConfigError {
  const problems: ConfigProblem[] = error.problems.map((p) => ({ ...p, path: attributed(p.path, env) }));
  if (problems.every((p, index) => p.path === error.problems[index]?.path)) return error;
  const heading = error.message.slice(0, error.message.indexOf(':\n'));
  return new ConfigError(problems, heading || undefined);
}
