/**
 * The relying-party half of one sign-in provider, built on `oauth4webapi`: it builds the
 * authorization URL and, on the callback, checks `state`, redeems the code with the PKCE
 * verifier, validates the ID token (signature against the provider's JWKS, `iss`, `aud`, `exp`,
 * `nonce`, `azp`) and returns who signed in. It holds no state of its own beyond the cached
 * discovery document: the caller keeps `state`, `nonce` and the verifier (in the flow cookie).
 *
 * Every failure the provider or the network can cause is a {@link ProviderError} with a stable
 * `reason`; its message is fixed and never holds a token, a code or anything the provider sent.
 */
import { createHash } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { constantTimeEqual, randomBase64Url } from '../../crypto/index.ts';
import {
  DEFAULT_GITHUB_SCOPES,
  DEFAULT_OIDC_SCOPES,
  GITHUB_ENDPOINTS,
  type GitHubEndpoints,
  type GitHubProviderConfig,
  type OidcProviderConfig,
  type ProviderConfig,
} from './providers.ts';

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** Why a sign-in with a provider failed. */
export type ProviderErrorReason =
  /** The callback carried `error=` (the user declined, or the provider refused the request). */
  | 'provider_error'
  /** The callback's `state` is missing or is not the one this flow sent. */
  | 'state_mismatch'
  /** A provider answer was refused: token endpoint error, bad ID token, bad API response. */
  | 'invalid_response'
  /** A provider endpoint could not be reached in time (network error or timeout). */
  | 'unreachable'
  /** GitHub refused to list the user's addresses (scope or permission not granted). */
  | 'email_unavailable';

const MESSAGES: Readonly<Record<ProviderErrorReason, string>> = Object.freeze({
  provider_error: 'the provider answered the authorization request with an error',
  state_mismatch: 'the authorization response does not belong to this sign-in flow',
  invalid_response: 'the provider sent a response that was refused',
  unreachable: 'the provider could not be reached',
  email_unavailable: 'the provider did not disclose the account email addresses',
});

/** RFC 6749 error codes are short ASCII words; anything else is not kept. */
const ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

export interface ProviderErrorDetails {
  /** The provider's `error` code (`access_denied`, `invalid_grant`, ...) when it sent one. */
  readonly providerCode?: string | null;
  /** A short fixed label of the check that failed, for logs: `aud`, `signature`, `status`, ... */
  readonly check?: string | null;
}

/**
 * A sign-in with a provider failed. Callers branch on `reason`; `providerCode` and `check` are
 * for logs. No `cause` is attached: the underlying errors can hold tokens and response bodies.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly reason: ProviderErrorReason;
  /** The provider's configured name (`google`, `github`, ...). */
  readonly provider: string;
  readonly providerCode: string | null;
  readonly check: string | null;

  constructor(reason: ProviderErrorReason, provider: string, details: ProviderErrorDetails = {}) {
    super(MESSAGES[reason]);
    this.reason = reason;
    this.provider = provider;
    const code = details.providerCode;
    // The code comes from the provider (or from whoever forged the callback): keep only a
    // well-formed one, so logs never carry arbitrary text.
    this.providerCode = typeof code === 'string' && ERROR_CODE.test(code) ? code : null;
    this.check = details.check ?? null;
  }
}

/** Whether `value` is a {@link ProviderError} (also across module copies). */
export function isProviderError(value: unknown): value is ProviderError {
  return (
    value instanceof ProviderError ||
    (value instanceof Error && value.name === 'ProviderError' && 'reason' in value)
  );
}

// ---------------------------------------------------------------------------------------------
// Public shapes
// ---------------------------------------------------------------------------------------------

export interface ProviderClientOptions {
  /** Our callback URL, registered with the provider. `https:`, or `http:` on a loopback host. */
  readonly redirectUri: string;
  /** Budget for each request to the provider, body included (default 5000 ms). */
  readonly fetchTimeoutMs?: number;
  /**
   * Allow plain `http:` provider endpoints on loopback hosts (`127.0.0.0/8`, `::1`,
   * `localhost`): for tests and local development only. Other hosts stay `https:`-only.
   */
  readonly allowInsecureLoopback?: boolean;
}

export interface ProviderTokens {
  readonly accessToken: string;
  readonly refreshToken: string | null;
  /** Milliseconds since the epoch, or `null` when the provider did not say. */
  readonly expiresAt: number | null;
}

/** Who signed in, as the provider asserts it. */
export interface ProviderIdentity {
  /** The provider's stable id for the account (`sub`; GitHub's numeric user id). */
  readonly subject: string;
  readonly email: string | null;
  /** `true` only when the provider vouches for `email` (and is trusted to). */
  readonly emailVerified: boolean;
  readonly name: string | null;
  readonly tokens: ProviderTokens;
}

export interface AuthorizationRequest {
  readonly state: string;
  readonly nonce: string;
  /** `BASE64URL(SHA-256(codeVerifier))`: the method is always S256. */
  readonly codeChallenge: string;
}

export interface AuthorizationCallback {
  /** The full callback URL the browser arrived at. */
  readonly callbackUrl: URL;
  /** The values this flow sent, read back from the flow cookie. */
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

export interface ProviderClient {
  readonly name: string;
  readonly kind: ProviderConfig['kind'];
  /** Where to send the browser. Only our own parameters are set; scopes come from the config. */
  authorizationUrl(request: AuthorizationRequest): Promise<URL>;
  /** Validates the callback, redeems the code and returns the identity. */
  finish(callback: AuthorizationCallback): Promise<ProviderIdentity>;
}

/** Fresh per-flow secrets: 32 random bytes each, and the S256 challenge of the verifier. */
export interface AuthorizationSecrets {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly codeChallenge: string;
}

/** Generates the `state`, `nonce` and PKCE pair of one authorization request. */
export function newAuthorizationSecrets(): AuthorizationSecrets {
  const codeVerifier = randomBase64Url(32);
  return Object.freeze({
    state: randomBase64Url(32),
    nonce: randomBase64Url(32),
    codeVerifier,
    codeChallenge: s256(codeVerifier),
  });
}

function s256(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier, 'ascii').digest('base64url');
}

// ---------------------------------------------------------------------------------------------
// Factory
// ---------------------------------------------------------------------------------------------

const DEFAULT_FETCH_TIMEOUT_MS = 5_000;

/**
 * Creates the client of one configured provider. Configuration problems throw a `TypeError`
 * here, at construction; nothing is fetched until the first call (discovery is then fetched
 * once and cached; a failed discovery is retried on the next call).
 */
export function createProviderClient(
  name: string,
  config: ProviderConfig,
  options: ProviderClientOptions,
): ProviderClient {
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,31}$/.test(name)) {
    throw new TypeError('provider name must be 1-32 lower-case letters, digits, "-" or "_"');
  }
  const timeoutMs = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError('fetchTimeoutMs must be a positive integer');
  }
  const allowInsecureLoopback = options.allowInsecureLoopback === true;
  const redirectUri = checkRedirectUri(options.redirectUri);
  const transport = createTransport(name, { timeoutMs, allowInsecureLoopback });
  const context: ClientContext = { name, redirectUri, transport, allowInsecureLoopback };
  switch (config.kind) {
    case 'oidc':
      return createOidcClient(context, config);
    case 'github':
      return createGitHubClient(context, config);
    default:
      throw new TypeError('provider kind must be "oidc" or "github"');
  }
}

interface ClientContext {
  readonly name: string;
  readonly redirectUri: string;
  readonly transport: Transport;
  readonly allowInsecureLoopback: boolean;
}

// ---------------------------------------------------------------------------------------------
// Generic OpenID Connect
// ---------------------------------------------------------------------------------------------

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

function createOidcClient(context: ClientContext, config: OidcProviderConfig): ProviderClient {
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

// ---------------------------------------------------------------------------------------------
// GitHub (plain OAuth 2 + REST API)
// ---------------------------------------------------------------------------------------------

const GITHUB_API_HEADERS = Object.freeze({
  accept: 'application/vnd.github+json',
  'x-github-api-version': '2022-11-28',
  // GitHub refuses API requests without a User-Agent.
  'user-agent': 'gatehouse',
});

function createGitHubClient(context: ClientContext, config: GitHubProviderConfig): ProviderClient {
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

// ---------------------------------------------------------------------------------------------
// Transport: one choke point for every request to a provider
// ---------------------------------------------------------------------------------------------

/** Largest provider response read (discovery documents and JWKS are a few KiB). */
const MAX_RESPONSE_BYTES = 1024 * 1024;
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

interface OAuthHttpOptions {
  readonly [oauth.customFetch]: (
    url: string,
    options: oauth.CustomFetchOptions<string, unknown>,
  ) => Promise<Response>;
  readonly [oauth.allowInsecureRequests]?: boolean;
}

interface Transport {
  fetch(url: string, init: RequestInit): Promise<Response>;
  /** Throws `invalid_response` when a provider-supplied URL is not one we may call. */
  assertAllowed(url: string): void;
  /** The options every oauth4webapi call gets: our fetch, and http only when loopback is allowed. */
  readonly oauthOptions: OAuthHttpOptions;
}

/**
 * Fetch with a deadline covering the whole exchange (headers and body), no redirects, a size
 * cap, and the scheme rule. The body is read here, inside the deadline, so a server that sends
 * headers and then stalls cannot hang a sign-in. Network failures become `unreachable`.
 */
function createTransport(
  name: string,
  settings: { readonly timeoutMs: number; readonly allowInsecureLoopback: boolean },
): Transport {
  const assertAllowed = (url: string): void => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ProviderError('invalid_response', name, { check: 'endpoint' });
    }
    if (!isAllowedProviderUrl(parsed, settings.allowInsecureLoopback)) {
      throw new ProviderError('invalid_response', name, { check: 'endpoint' });
    }
  };

  const fetchWithDeadline = async (url: string, init: RequestInit): Promise<Response> => {
    assertAllowed(url);
    const signal = AbortSignal.timeout(settings.timeoutMs);
    let response: Response;
    let body: Uint8Array | null;
    try {
      response = await fetch(url, { ...init, redirect: 'manual', signal });
      body = NULL_BODY_STATUSES.has(response.status) ? null : await readCapped(response);
    } catch (error) {
      if (isProviderError(error)) throw error;
      throw new ProviderError('unreachable', name, { check: signal.aborted ? 'timeout' : 'network' });
    }
    try {
      return new Response(body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    } catch {
      throw new ProviderError('invalid_response', name, { check: 'status' });
    }
  };

  const readCapped = async (response: Response): Promise<Uint8Array> => {
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > MAX_RESPONSE_BYTES) {
      await response.body?.cancel();
      throw new ProviderError('invalid_response', name, { check: 'size' });
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (response.body === null) return new Uint8Array(0);
    for await (const chunk of response.body) {
      total += chunk.byteLength;
      if (total > MAX_RESPONSE_BYTES) throw new ProviderError('invalid_response', name, { check: 'size' });
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, total);
  };

  const oauthOptions: OAuthHttpOptions = {
    [oauth.customFetch]: (url, options) => fetchWithDeadline(url, options as RequestInit),
    // Our fetch enforces the real rule (https, or http on loopback when allowed).
    ...(settings.allowInsecureLoopback ? { [oauth.allowInsecureRequests]: true } : {}),
  };
  return Object.freeze({ fetch: fetchWithDeadline, assertAllowed, oauthOptions });
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

function isAllowedProviderUrl(url: URL, allowInsecureLoopback: boolean): boolean {
  if (url.username !== '' || url.password !== '') return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && allowInsecureLoopback && isLoopbackHost(url.hostname);
}

// ---------------------------------------------------------------------------------------------
// Error translation
// ---------------------------------------------------------------------------------------------

/** Runs `action`, turning every oauth4webapi failure into a {@link ProviderError}. */
async function withProviderErrors<T>(name: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw toProviderError(name, error);
  }
}

const CHECKED_CLAIMS = new Set(['aud', 'iss', 'nonce', 'azp', 'exp', 'nbf', 'iat', 'auth_time', 'sub']);

function toProviderError(name: string, error: unknown): unknown {
  if (isProviderError(error)) return error;
  if (error instanceof oauth.AuthorizationResponseError) {
    return new ProviderError('provider_error', name, { providerCode: error.error });
  }
  if (error instanceof oauth.ResponseBodyError) {
    return new ProviderError('invalid_response', name, {
      providerCode: error.error,
      check: 'error_response',
    });
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    return new ProviderError('invalid_response', name, { check: 'challenge' });
  }
  if (error instanceof oauth.UnsupportedOperationError) {
    return new ProviderError('invalid_response', name, { check: 'unsupported' });
  }
  if (error instanceof oauth.OperationProcessingError) {
    return new ProviderError('invalid_response', name, { check: checkOf(error) });
  }
  // Anything else is a bug of ours (bad arguments to oauth4webapi): let it surface as it is.
  return error;
}

/** A fixed label for what oauth4webapi refused; never a value from the response. */
function checkOf(error: oauth.OperationProcessingError): string {
  const cause: unknown = error.cause;
  const named = (key: 'claim' | 'attribute'): string | undefined => {
    const value = isRecord(cause) ? cause[key] : undefined;
    return typeof value === 'string' && CHECKED_CLAIMS.has(value) ? value : undefined;
  };
  switch (error.code) {
    case oauth.JWT_CLAIM_COMPARISON:
    case oauth.JWT_TIMESTAMP_CHECK:
      return named('claim') ?? 'claims';
    case oauth.JSON_ATTRIBUTE_COMPARISON:
      return isRecord(cause) && cause.attribute === 'issuer'
        ? 'discovery_issuer'
        : (named('attribute') ?? 'response');
    case oauth.KEY_SELECTION:
      return 'key';
    case oauth.RESPONSE_IS_NOT_CONFORM:
      return 'status';
    case oauth.RESPONSE_IS_NOT_JSON:
    case oauth.PARSE_ERROR:
      return 'body';
    default:
      if (error.message === 'JWT signature verification failed') return 'signature';
      if (error.message.includes('"alg"')) return 'alg';
      if (error.message.includes('"state"')) return 'state';
      return 'response';
  }
}

// ---------------------------------------------------------------------------------------------
// Checks and small helpers
// ---------------------------------------------------------------------------------------------

function assertStateMatches(name: string, callback: AuthorizationCallback): void {
  const received = callback.callbackUrl.searchParams.getAll('state');
  if (received.length !== 1 || !constantTimeEqual(received[0]!, callback.state)) {
    throw new ProviderError('state_mismatch', name);
  }
}

function buildAuthorizationUrl(endpoint: string, parameters: Record<string, string>): URL {
  const url = new URL(endpoint);
  // `set`, not `append`: a parameter the endpoint URL already carries is replaced, never doubled.
  for (const [key, value] of Object.entries(parameters)) url.searchParams.set(key, value);
  return url;
}

/** 128 bits or more of base64url: what `newAuthorizationSecrets` makes, with room for callers' own. */
const RANDOM_VALUE = /^[A-Za-z0-9_-]{22,512}$/;
const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 7636 section 4.1. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

function checkAuthorizationRequest(request: AuthorizationRequest, needs: { readonly nonce: boolean }): void {
  if (typeof request?.state !== 'string' || !RANDOM_VALUE.test(request.state)) {
    throw new TypeError('state must be at least 22 base64url characters');
  }
  if (needs.nonce && (typeof request.nonce !== 'string' || !RANDOM_VALUE.test(request.nonce))) {
    throw new TypeError('nonce must be at least 22 base64url characters');
  }
  if (typeof request.codeChallenge !== 'string' || !CODE_CHALLENGE.test(request.codeChallenge)) {
    throw new TypeError('codeChallenge must be an S256 challenge (43 base64url characters)');
  }
}

function checkCallback(callback: AuthorizationCallback, needs: { readonly nonce: boolean }): void {
  if (!(callback?.callbackUrl instanceof URL)) throw new TypeError('callbackUrl must be a URL');
  if (typeof callback.state !== 'string' || !RANDOM_VALUE.test(callback.state)) {
    throw new TypeError('state must be at least 22 base64url characters');
  }
  if (needs.nonce && (typeof callback.nonce !== 'string' || !RANDOM_VALUE.test(callback.nonce))) {
    throw new TypeError('nonce must be at least 22 base64url characters');
  }
  if (typeof callback.codeVerifier !== 'string' || !CODE_VERIFIER.test(callback.codeVerifier)) {
    throw new TypeError('codeVerifier must be 43-128 characters of the RFC 7636 alphabet');
  }
}

function checkRedirectUri(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError('redirectUri must be an absolute URL');
  }
  const httpOnLoopback = url.protocol === 'http:' && isLoopbackHost(url.hostname);
  if (
    (url.protocol !== 'https:' && !httpOnLoopback) ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw new TypeError(
      'redirectUri must be https (http only on a loopback host), without fragment or userinfo',
    );
  }
  return url.href;
}

function checkProviderUrl(value: string, field: string, allowInsecureLoopback: boolean): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`${field} must be an absolute URL`);
  }
  if (!isAllowedProviderUrl(url, allowInsecureLoopback) || url.hash !== '') {
    throw new TypeError(
      `${field} must be https (http only on a loopback host with allowInsecureLoopback), without userinfo or fragment`,
    );
  }
  return url;
}

function checkNonEmpty(value: string, field: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new TypeError(`${field} must be a non-empty string`);
  return value;
}

/** RFC 6749 scope-token: printable ASCII without space, `"` or `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

function scopeString(scopes: readonly string[], options: { readonly require?: string }): string {
  if (
    !Array.isArray(scopes) ||
    !scopes.every((scope) => typeof scope === 'string' && SCOPE_TOKEN.test(scope))
  ) {
    throw new TypeError('scopes must be an array of scope tokens');
  }
  const unique = new Set(options.require === undefined ? scopes : [options.require, ...scopes]);
  return [...unique].join(' ');
}

const MAX_SUBJECT_LENGTH = 255;

function checkSubject(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SUBJECT_LENGTH) {
    throw new ProviderError('invalid_response', name, { check: 'sub' });
  }
  return value;
}

/** RFC 5321 caps an address at 254 octets; anything else from a provider is treated as absent. */
function emailOf(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= 254 && value.includes('@')
    ? value
    : null;
}

function nameOf(value: unknown): string | null {
  return typeof value === 'string' && value.trim().length > 0 ? value.slice(0, 256) : null;
}

function tokensOf(result: oauth.TokenEndpointResponse): ProviderTokens {
  return Object.freeze({
    accessToken: result.access_token,
    refreshToken: result.refresh_token ?? null,
    expiresAt: typeof result.expires_in === 'number' ? Date.now() + result.expires_in * 1000 : null,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
