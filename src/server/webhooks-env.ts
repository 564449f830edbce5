import type { AuthConfigInput, ConfigProblem } from '../index.ts';

/**
 * `GATEHOUSE_WEBHOOKS`: JSON of the library's `webhooks` option (`{"endpoints":[{"url",
 * "secret","events"}],"maxAttempts":…}`), or just its endpoints as a JSON array. Only JSON is
 * checked here (never echoed: it holds signing secrets); `createAuth` validates the option.
 */
export function webhooksFromEnv(raw: string, problems: ConfigProblem[]): Pick<AuthConfigInput, 'webhooks'> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed)) return { webhooks: { endpoints: parsed } as AuthConfigInput['webhooks'] };
  if (typeof parsed !== 'object' || parsed === null) {
    problems.push({ path: 'GATEHOUSE_WEBHOOKS', message: 'must be a JSON object or array' });
    return {};
  }
  return { webhooks: parsed as AuthConfigInput['webhooks'] };
}
