import { type ConfigProblem, type OAuthProviderConfig, oauthProviders } from '../index.ts';

/**
 * `GATEHOUSE_OAUTH_PROVIDERS`: a JSON object of provider name to either a preset
 * (`{ "preset": "google" | "microsoft" | "github", "clientId", "clientSecret", "tenant"?, "displayName"? }`) or a
 * provider object as the library takes it (`{ "kind": "oidc", "issuer", "clientId", … }`).
 * Shapes are checked by `createAuth`; here only what JSON and the presets need. Problems never
 * quote the value: it holds client secrets.
 */
export function oauthProvidersFromEnv(
  raw: string,
  problems: ConfigProblem[],
): Record<string, OAuthProviderConfig | Record<string, unknown>> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problems.push({ path: 'GATEHOUSE_OAUTH_PROVIDERS', message: 'must be a JSON object' });
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push({ path: 'GATEHOUSE_OAUTH_PROVIDERS', message: 'must be a JSON object' });
    return undefined;
  }
  const providers: Record<string, OAuthProviderConfig | Record<string, unknown>> = {};
  for (const [name, entry] of Object.entries(parsed as Record<string, unknown>)) {
    const path = `GATEHOUSE_OAUTH_PROVIDERS.${/^[a-z0-9_-]{1,32}$/.test(name) ? name : '?'}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push({ path, message: 'must be an object' });
      continue;
    }
    const { preset, ...rest } = entry as Record<string, unknown>;
    if (preset === undefined) {
      providers[name] = rest;
      continue;
    }
    const clientId = typeof rest.clientId === 'string' ? rest.clientId : '';
    const clientSecret = typeof rest.clientSecret === 'string' ? rest.clientSecret : '';
    // A name given with a preset replaces the preset's; a malformed one is the schema's to refuse.
    const credentials = {
      clientId,
      clientSecret,
      ...(rest.displayName === undefined ? {} : { displayName: rest.displayName as string }),
    };
    if (!clientId || !clientSecret) {
      problems.push({ path, message: 'a preset needs clientId and clientSecret strings' });
      continue;
    }
    if (preset === 'google') providers[name] = oauthProviders.google(credentials);
    else if (preset === 'github') providers[name] = oauthProviders.github(credentials);
    else if (preset === 'microsoft') {
      const tenant = typeof rest.tenant === 'string' ? rest.tenant : undefined;
      providers[name] = oauthProviders.microsoft({ ...credentials, ...(tenant ? { tenant } : {}) });
    } else problems.push({ path, message: 'preset must be google, microsoft or github' });
  }
  return providers;
}
