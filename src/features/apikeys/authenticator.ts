import { isAuthError, type Principal } from '../../core/index.ts';
import type { Authenticator, ScopeCheck } from '../../http/index.ts';
import { API_KEY_INVALID_TOKEN_CODES, apiKeyError } from './error-codes.ts';
import { type ApiKeyService, isApiKeyAuthorization } from './service.ts';

export interface ApiKeyAuthenticatorOptions {
  /**
   * Counts one refused key from `clientIp` (the `apiKeyAuthFailure` slot): the seconds to wait
   * once the address has used its budget, else `null`. `null` when rate limits are off.
   */
  readonly countRefusal: ((clientIp: string) => Promise<number | null>) | null;
}

/**
 * API keys: `Authorization: Bearer gh_…`, or a request signed with `GH1-HMAC-SHA256`. Placed
 * before the bearer access-token authenticator, which would otherwise claim the header. Every
 * refused key is counted per address, so guessing keys meets a 429.
 */
export function apiKeyAuthenticator(
  apiKeys: Pick<ApiKeyService, 'authenticate'>,
  options: ApiKeyAuthenticatorOptions,
): Authenticator<string> {
  const refused = API_KEY_INVALID_TOKEN_CODES as readonly string[];
  return {
    id: 'apiKey',
    read(request) {
      const header = request.headers.get('authorization');
      return header !== null && isApiKeyAuthorization(header) ? header : null;
    },
    authenticate: (header, request) => apiKeys.authenticate(request, header),
    async onRefused(error, clientIp) {
      // A store failure or an unreadable body is no refused key.
      if (!options.countRefusal || !isAuthError(error) || !refused.includes(error.code)) return null;
      return options.countRefusal(clientIp);
    },
  };
}

/**
 * Scopes limit keys, not people: a principal authenticated by an API key needs every scope
 * named among its key's effective scopes (403 `INSUFFICIENT_SCOPE`); a session passes.
 */
export const checkApiKeyScopes: ScopeCheck = (principal: Principal, scopes) => {
  const granted = principal.apiKey?.scopes;
  if (granted && !scopes.every((scope) => granted.includes(scope))) throw apiKeyError('INSUFFICIENT_SCOPE');
};
