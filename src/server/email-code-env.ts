import type { AuthConfigInput, ConfigProblem } from '../index.ts';

/**
 * `GATEHOUSE_EMAIL_CODE`: `true` turns email sign-in codes on with their defaults, `false` keeps
 * them off, or JSON of the library's `emailCode` option (`{"enabled":true,"codeLength":8}`).
 * Only the shape is checked here; `createAuth` validates the option.
 */
export function emailCodeFromEnv(raw: string, problems: ConfigProblem[]): Pick<AuthConfigInput, 'emailCode'> {
  const value = raw.trim();
  if (value === 'true' || value === 'false') return { emailCode: { enabled: value === 'true' } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push({ path: 'GATEHOUSE_EMAIL_CODE', message: 'must be true, false or a JSON object' });
    return {};
  }
  return { emailCode: parsed as AuthConfigInput['emailCode'] };
}
