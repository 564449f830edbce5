/**
 * A generic OpenID Connect provider (Google, Microsoft, any compliant issuer) on `oauth4webapi`:
 * discovery (fetched once, cached, retried after a failure), the authorization URL, and on the
 * callback the code exchange with PKCE and the ID token validation: `iss`, `aud`, `exp`,
 * `nonce`, `azp`, plus the signature checked against the provider's JWKS at application level.
 * Multi-tenant issuers (an `issuerTemplate` with `{tenantid}`) hold each token to its tenant.
 */
import * as oauth from 'oauth4webapi';
import {
  assertStateMatches,
  buildAuthorizationUrl,
  checkAuthorizationRequest,
  checkCallback,
} from './authorization-parameters.ts';
import { DEFAULT_OIDC_SCOPES, type OidcProviderConfig } from './config.ts';
import { checkNonEmpty, checkProviderUrl, scopeString } from './config-checks.ts';
import { withProviderErrors } from './error-translation.ts';
import { ProviderError } from './errors.ts';
import { checkSubject, emailOf, nameOf, tokensOf } from './responses.ts';
import type {
  AuthorizationCallback,
  AuthorizationRequest,
  ClientContext,
  ProviderClient,
  ProviderIdentity,
} from './types.ts';

/**
 * oauth4webapi 3.x exports these two symbols at runtime without declaring them (they exist for
 * multi-tenant issuers such as Microsoft's): `_nodiscoverycheck` skips the discovery `issuer`
 * comparison (we compare against the template ourselves) and `_expectedIssuer`, as a property of
 * the server metadata, computes the `iss` each ID token must carry.
 */
function undeclaredSymbol(exportName: '_nodiscoverycheck' | '_expectedIssuer'): symbol {
  const value: unknown = (oauth as unknown as Record<string, unknown>)[exportName];
  if (typeof value !== 'symbol') {
    throw new Error(`this oauth4webapi version lacks ${exportName}; multi-tenant issuers need 3.8.x`);
  }
  return value;
}

const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TENANT_PLACEHOLDER = '{tenantid}';

/**
 * The client of one OpenID Connect provider. Configuration problems throw a `TypeError` here;
 * discovery is fetched on first use.
 */
export function createOidcClient(context: ClientContext, config: OidcProviderConfig): ProviderClient {
  const { name, redirectUri, transport } = context;
  const issuerUrl = checkProviderUrl(config.issuer, 'issuer', context.allowInsecureLoopback);
  const clientId = checkNonEmpty(config.clientId, 'clientId');
  const clientSecret =
    config.clientSecret === undefined ? undefined : checkNonEmpty(config.clientSecret, 'clientSecret');
  const scopes = scopeString(config.scopes ?? DEFAULT_OIDC_SCOPES, { require: 'openid' });
  const template = config.issuerTemplate;
  if (template !== undefined && (typeof template !== 'string' || !template.includes(TENANT_PLACEHOLDER))) {
    throw new TypeError(`issuerTemplate must contain ${TENANT_PLACEHOLDER}`);
  }
  const multiTenant =
    template === undefined
      ? undefined
      : {
          template,
          noDiscoveryCheck: undeclaredSymbol('_nodiscoverycheck'),
          expectedIssuer: undeclaredSymbol('_expectedIssuer'),
        };
  const trustEmailVerified = config.trustEmailVerified !== false;
  const client: oauth.Client = { client_id: clientId };
  const http = transport.oauthOptions;

  let discovery: Promise<oauth.AuthorizationServer> | undefined;
  const metadata = (): Promise<oauth.AuthorizationServer> => {
    discovery ??= discover().catch((error: unknown) => {
      discovery = undefined; // a failure is not cached: the next sign-in tries again
      throw error;
    });
    return discovery;
  };

  async function discover(): Promise<oauth.AuthorizationServer> {
    const response = await oauth.discoveryRequest(issuerUrl, { ...http, algorithm: 'oidc' });
    let as: oauth.AuthorizationServer;
    if (multiTenant === undefined) {
      as = await oauth.processDiscoveryResponse(issuerUrl, response);
    } else {
      const unchecked = await oauth.processDiscoveryResponse(
        multiTenant.noDiscoveryCheck as unknown as URL,
        response,
      );
      if (unchecked.issuer !== multiTenant.template) {
        throw new ProviderError('invalid_response', name, { check: 'discovery_issuer' });
      }
      const { template } = multiTenant;
      // A token without a valid `tid` is held to the bare template, which no real `iss` equals.
      const expected = (result: { claims: oauth.IDToken }) =>
        issuerForTenant(template, result.claims) ?? template;
      as = { ...unchecked, [multiTenant.expectedIssuer]: expected };
    }
    for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
      const value = as[endpoint];
      if (typeof value !== 'string') {
        throw new ProviderError('invalid_response', name, { check: 'discovery' });
      }
      transport.assertAllowed(value);
    }
    if (as.userinfo_endpoint !== undefined) transport.assertAllowed(as.userinfo_endpoint);
    return Object.freeze(as);
  }

  function clientAuth(as: oauth.AuthorizationServer): oauth.ClientAuth {
    if (clientSecret === undefined) return oauth.None();
    const methods = as.token_endpoint_auth_methods_supported;
    // Basic is the default of the spec; use the body only for providers that take nothing else.
    if (methods?.includes('client_secret_post') && !methods.includes('client_secret_basic')) {
      return oauth.ClientSecretPost(clientSecret);
    }
    return oauth.ClientSecretBasic(clientSecret);
  }

  return Object.freeze({
    name,
    kind: 'oidc' as const,
    async authorizationUrl(request: AuthorizationRequest): Promise<URL> {
      checkAuthorizationRequest(request, { nonce: true });
      const as = await withProviderErrors(name, metadata);
      return buildAuthorizationUrl(as.authorization_endpoint!, {
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: scopes,
        state: request.state,
        nonce: request.nonce,
        code_challenge: request.codeChallenge,
        code_challenge_method: 'S256',
      });
    },
    async finish(callback: AuthorizationCallback): Promise<ProviderIdentity> {
      checkCallback(callback, { nonce: true });
      assertStateMatches(name, callback);
      return withProviderErrors(name, async () => {
        const as = await metadata();
        const parameters = oauth.validateAuthResponse(as, client, callback.callbackUrl, callback.state);
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          client,
          clientAuth(as),
          parameters,
          redirectUri,
          callback.codeVerifier,
          http,
        );
        const result = await oauth.processAuthorizationCodeResponse(as, client, response, {
          expectedNonce: callback.nonce,
          requireIdToken: true,
        });
        // oauth4webapi checks the claims but, trusting TLS, not the signature of an ID token
        // from the token endpoint. Check it against the provider's JWKS too: then only the
        // provider's keys can assert an identity, whatever answered at the token endpoint.
        await oauth.validateApplicationLevelSignature(as, response, http);
        const claims = oauth.getValidatedIdTokenClaims(result);
        if (claims === undefined) throw new ProviderError('invalid_response', name, { check: 'id_token' });
        // Belt and braces for the undeclared hook above: the tenant's issuer, or no sign-in.
        if (multiTenant !== undefined && claims.iss !== issuerForTenant(multiTenant.template, claims)) {
          throw new ProviderError('invalid_response', name, { check: 'iss' });
        }
        const subject = checkSubject(name, claims.sub);
        let profile: ProfileClaims = claims;
        if (typeof claims.email !== 'string' && as.userinfo_endpoint !== undefined) {
          const userInfo = await oauth.userInfoRequest(as, client, result.access_token, http);
          profile = await oauth.processUserInfoResponse(as, client, subject, userInfo);
        }
        const email = emailOf(profile.email);
        return Object.freeze({
          subject,
          email,
          emailVerified: trustEmailVerified && email !== null && profile.email_verified === true,
          name: nameOf(profile.name) ?? nameOf(claims.name),
          tokens: tokensOf(result),
        });
      });
    },
  });
}

/** The issuer of `claims`' tenant under `template`, or `null` when `tid` is not a tenant id. */
function issuerForTenant(template: string, claims: oauth.IDToken): string | null {
  const tid = claims.tid;
  return typeof tid === 'string' && TENANT_ID.test(tid) ? template.replace(TENANT_PLACEHOLDER, tid) : null;
}

/** The claims an identity is read from: the ID token's, or the userinfo response's. */
type ProfileClaims = { readonly [claim: string]: unknown };
