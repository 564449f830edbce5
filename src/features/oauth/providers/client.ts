/**
 * The relying-party half of one sign-in provider, built on `oauth4webapi`: it builds the
 * authorization URL and, on the callback, checks `state`, redeems the code with the PKCE
 * verifier, validates the ID token (signature against the provider's JWKS, `iss`, `aud`, `exp`,
 * `nonce`, `azp`) and returns who signed in. It holds no state of its own beyond the cached
 * discovery document: the caller keeps `state`, `nonce` and the verifier (in the flow cookie).
 *
 * This file is the entry point: the factory that picks the implementation for a provider kind
 * (`oidc.ts`, `github.ts`), the per-flow secrets, and the re-exported public
 * shapes and error. Every failure the provider or the network can cause is a
 * {@link ProviderError} with a stable `reason` (see `errors.ts`).
 */
import { createHash } from 'node:crypto';
import { randomBase64Url } from '../../../crypto/index.ts';
import type { ProviderConfig } from './config.ts';
import { checkRedirectUri } from './config-checks.ts';
import { createGitHubClient } from './github.ts';
import { createOidcClient } from './oidc.ts';
import { createTransport } from './transport.ts';
import type { AuthorizationSecrets, ClientContext, ProviderClient, ProviderClientOptions } from './types.ts';

export {
  isProviderError,
  ProviderError,
  type ProviderErrorDetails,
  type ProviderErrorReason,
} from './errors.ts';
export type {
  AuthorizationCallback,
  AuthorizationRequest,
  AuthorizationSecrets,
  ProviderClient,
  ProviderClientOptions,
  ProviderIdentity,
  ProviderTokens,
} from './types.ts';

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
