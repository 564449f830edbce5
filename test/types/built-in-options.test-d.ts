/**
 * Type tests (checked by `npm run typecheck`, never run): the API-key options moved into their
 * feature's folder, yet the public types keep their shape — `AuthConfigInput['apiKeys']`,
 * `ResolvedConfig['apiKeys']` and `DEFAULTS.apiKeyEnv` read as before, and a wrong value still
 * fails to compile.
 */
import { type AuthConfigInput, createAuth, DEFAULTS, type ResolvedConfig } from '../../src/index.ts';

export async function builtInOptionsTypeCheck(): Promise<void> {
  const apiKeys: NonNullable<AuthConfigInput['apiKeys']> = { env: 'test', scopes: ['read'], maxTtlDays: 90 };
  const auth = await createAuth({ apiKeys, cookies: { secure: true } });
  const env: string = auth.config.apiKeys.env;
  const scopes: readonly string[] = auth.config.apiKeys.scopes;
  const window: ResolvedConfig['apiKeys']['signatureWindowSeconds'] = DEFAULTS.signatureWindowSeconds;
  const defaultEnv: string = DEFAULTS.apiKeyEnv;
  void [env, scopes, window, defaultEnv];
  // @ts-expect-error: maxActivePerUser is a number
  await createAuth({ apiKeys: { maxActivePerUser: 'many' } });
  // @ts-expect-error: not an option of apiKeys
  await createAuth({ apiKeys: { colour: 'blue' } });
  // @ts-expect-error: core options keep their types next to the feature's
  await createAuth({ apiKeys: {}, appName: 42 });
}
