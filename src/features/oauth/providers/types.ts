/**
 * The shapes shared by the provider client and its per-kind implementations: the public
 * contract (`ProviderClient`, the identity it returns, the values a flow passes in), re-exported
 * by `client.ts`, and the internal {@link ClientContext}. Types only, in a file of
 * their own so the OIDC and GitHub modules need not import the factory that imports them.
 */

import type { ProviderConfig } from './config.ts';
import type { Transport } from './transport.ts';

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

/** What the factory hands each per-kind client: checked options and the shared transport. Internal. */
export interface ClientContext {
  readonly name: string;
  readonly redirectUri: string;
  readonly transport: Transport;
  readonly allowInsecureLoopback: boolean;
}
