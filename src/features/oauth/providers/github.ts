/**
 * GitHub, which speaks plain OAuth 2 rather than OpenID Connect: fixed endpoints instead of
 * discovery, the code exchange with PKCE, then the identity from its REST API (`/user` for the
 * id and name, `/user/emails` for the primary address and whether GitHub verified it).
 */
import * as oauth from 'oauth4webapi';
import {
  assertStateMatches,
  buildAuthorizationUrl,
  checkAuthorizationRequest,
  checkCallback,
} from './authorization-parameters.ts';
import {
  DEFAULT_GITHUB_SCOPES,
  GITHUB_ENDPOINTS,
  type GitHubEndpoints,
  type GitHubProviderConfig,
} from './config.ts';
import { checkNonEmpty, checkProviderUrl, scopeString } from './config-checks.ts';
import { withProviderErrors } from './error-translation.ts';
import { ProviderError } from './errors.ts';
import { emailOf, isRecord, nameOf, tokensOf } from './responses.ts';
import type {
  AuthorizationCallback,
  AuthorizationRequest,
  ClientContext,
  ProviderClient,
  ProviderIdentity,
} from './types.ts';

const GITHUB_API_HEADERS = Object.freeze({
  accept: 'application/vnd.github+json',
  'x-github-api-version': '2022-11-28',
  // GitHub refuses API requests without a User-Agent.
  'user-agent': 'gatehouse',
});

/** The client of GitHub (or a GitHub Enterprise Server, through `endpoints`). No request is made here. */
export function createGitHubClient(context: ClientContext, config: GitHubProviderConfig): ProviderClient {
  const { name, redirectUri, transport } = context;
  const clientId = checkNonEmpty(config.clientId, 'clientId');
  const clientSecret = checkNonEmpty(config.clientSecret, 'clientSecret');
  const scopes = scopeString(config.scopes ?? DEFAULT_GITHUB_SCOPES, {});
  const endpoints: GitHubEndpoints = { ...GITHUB_ENDPOINTS, ...config.endpoints };
  const urls = {
    authorization: checkProviderUrl(
      endpoints.authorization,
      'endpoints.authorization',
      context.allowInsecureLoopback,
    ),
    token: checkProviderUrl(endpoints.token, 'endpoints.token', context.allowInsecureLoopback),
    user: checkProviderUrl(endpoints.user, 'endpoints.user', context.allowInsecureLoopback),
    emails: checkProviderUrl(endpoints.emails, 'endpoints.emails', context.allowInsecureLoopback),
  };
  // Plain OAuth 2 has no discovery: these are the only metadata oauth4webapi needs.
  const as: oauth.AuthorizationServer = Object.freeze({
    issuer: urls.authorization.origin,
    authorization_endpoint: urls.authorization.href,
    token_endpoint: urls.token.href,
  });
  const client: oauth.Client = { client_id: clientId };
  const http = transport.oauthOptions;

  async function getJson(url: URL, accessToken: string): Promise<{ status: number; body: unknown }> {
    const response = await transport.fetch(url.href, {
      method: 'GET',
      headers: { ...GITHUB_API_HEADERS, authorization: `Bearer ${accessToken}` },
      redirect: 'manual',
    });
    if (response.status !== 200) return { status: response.status, body: undefined };
    try {
      return { status: 200, body: await response.json() };
    } catch {
      throw new ProviderError('invalid_response', name, { check: 'body' });
    }
  }

  async function readUser(accessToken: string): Promise<{ subject: string; name: string | null }> {
    const { status, body } = await getJson(urls.user, accessToken);
    if (status !== 200 || !isRecord(body))
      throw new ProviderError('invalid_response', name, { check: 'user' });
    const id = body.id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
      throw new ProviderError('invalid_response', name, { check: 'user' });
    }
    return { subject: String(id), name: nameOf(body.name) ?? nameOf(body.login) };
  }

  async function readEmail(accessToken: string): Promise<{ email: string | null; emailVerified: boolean }> {
    const { status, body } = await getJson(urls.emails, accessToken);
    // 401/403/404: the token may not list addresses (scope not granted, GitHub App without the
    // email permission). Not the same as "no verified address": say so.
    if (status === 401 || status === 403 || status === 404)
      throw new ProviderError('email_unavailable', name);
    if (status !== 200 || !Array.isArray(body))
      throw new ProviderError('invalid_response', name, { check: 'emails' });
    const entries = body.filter(isRecord);
    const primary = entries.find((entry) => entry.primary === true && emailOf(entry.email) !== null);
    if (primary === undefined) return { email: null, emailVerified: false };
    // Only the primary address counts, and only once GitHub has verified it.
    return { email: emailOf(primary.email), emailVerified: primary.verified === true };
  }

  return Object.freeze({
    name,
    kind: 'github' as const,
    async authorizationUrl(request: AuthorizationRequest): Promise<URL> {
      checkAuthorizationRequest(request, { nonce: false });
      return buildAuthorizationUrl(as.authorization_endpoint!, {
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: scopes,
        state: request.state,
        code_challenge: request.codeChallenge,
        code_challenge_method: 'S256',
      });
    },
    async finish(callback: AuthorizationCallback): Promise<ProviderIdentity> {
      checkCallback(callback, { nonce: false });
      assertStateMatches(name, callback);
      return withProviderErrors(name, async () => {
        const parameters = oauth.validateAuthResponse(as, client, callback.callbackUrl, callback.state);
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          client,
          oauth.ClientSecretPost(clientSecret),
          parameters,
          redirectUri,
          callback.codeVerifier,
          http,
        );
        const result = await oauth.processAuthorizationCodeResponse(as, client, response);
        const user = await readUser(result.access_token);
        const address = await readEmail(result.access_token);
        return Object.freeze({ ...user, ...address, tokens: tokensOf(result) });
      });
    },
  });
}
