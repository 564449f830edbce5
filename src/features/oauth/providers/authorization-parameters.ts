/**
 * The per-flow values of an authorization request, shared by every provider kind: checks of the
 * `state`, `nonce` and PKCE values callers pass in (a `TypeError` on misuse: they are ours, not
 * the provider's), the authorization URL built from them, and the callback's `state` check.
 */
import { constantTimeEqual } from '../../../crypto/index.ts';
import { ProviderError } from './errors.ts';
import type { AuthorizationCallback, AuthorizationRequest } from './types.ts';

/** 128 bits or more of base64url: what `newAuthorizationSecrets` makes, with room for callers' own. */
const RANDOM_VALUE = /^[A-Za-z0-9_-]{22,512}$/;
const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 7636 section 4.1. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** Throws a `TypeError` unless `request` carries well-formed `state`, `nonce` (when needed) and challenge. */
export function checkAuthorizationRequest(
  request: AuthorizationRequest,
  needs: { readonly nonce: boolean },
): void {
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

/** Throws a `TypeError` unless `callback` carries a URL and well-formed values read back from the flow. */
export function checkCallback(callback: AuthorizationCallback, needs: { readonly nonce: boolean }): void {
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

/** `state_mismatch` unless the callback carries exactly one `state`, equal to the one this flow sent. */
export function assertStateMatches(name: string, callback: AuthorizationCallback): void {
  const received = callback.callbackUrl.searchParams.getAll('state');
  if (received.length !== 1 || !constantTimeEqual(received[0]!, callback.state)) {
    throw new ProviderError('state_mismatch', name);
  }
}

/** `endpoint` with `parameters` set on its query. */
export function buildAuthorizationUrl(endpoint: string, parameters: Record<string, string>): URL {
  const url = new URL(endpoint);
  // `set`, not `append`: a parameter the endpoint URL already carries is replaced, never doubled.
  for (const [key, value] of Object.entries(parameters)) url.searchParams.set(key, value);
  return url;
}
