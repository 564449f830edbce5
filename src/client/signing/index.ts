/**
 * `gatehouse/client/signing`: the `GH1-HMAC-SHA256` request signer for API keys created with
 * `signing: true`, on WebCrypto — the same code in browsers, Node 22+, Deno and edge runtimes
 * (no `node:` import anywhere below this file). Everything that hashes or signs is async, as
 * `crypto.subtle` is; `gatehouse/client/node` keeps the synchronous Node signer. See
 * docs/API-KEYS.md.
 *
 * @example
 * import { signedFetchInit } from 'gatehouse/client/signing';
 * const init = await signedFetchInit({ keyId, secret, method: 'POST', url, body: JSON.stringify(order) });
 * const response = await fetch(url, init);
 *
 * @module
 */
import { EMPTY_BODY_SHA256_HEX } from '../../crypto/canonical-request.ts';
import {
  finishSignedFetch,
  prepareSignedFetch,
  readRequestBody,
  type SignedFetchInit,
  type SignedFetchInitOptions,
  type SignedRequestOptions,
} from './fetch-init.ts';
import { generateNonce, sha256Hex, signRequest } from './webcrypto.ts';

export {
  canonicalRequest,
  EMPTY_BODY_SHA256_HEX,
  SIGNING_SCHEME,
  type SigningInput,
} from '../../crypto/canonical-request.ts';
export type { SignedFetchInit, SignedFetchInitOptions, SignedRequestOptions } from './fetch-init.ts';
export { generateNonce, sha256Hex, signRequest } from './webcrypto.ts';

/**
 * Signs one request and returns the `fetch` init that carries it: method, headers with the
 * `Authorization: GH1-HMAC-SHA256 …` header, and the body unchanged. It signs `host`,
 * `content-type` (when there is one) and any extra header names asked for, over a fresh
 * timestamp and a 128-bit random nonce.
 *
 * @throws {TypeError} (as a rejection) for a body with GET or HEAD, a caller `Authorization`
 *   header, a caller `Host` header that differs from the URL's, an extra signed header that is
 *   absent, or any input the signer refuses (short secret, bad key id or nonce, dot segments).
 * @example
 * const init = await signedFetchInit({ keyId, secret, method: 'GET', url: 'https://api.example.com/v1/orders?status=open' });
 * await fetch('https://api.example.com/v1/orders?status=open', init);
 */
export async function signedFetchInit(options: SignedFetchInitOptions): Promise<SignedFetchInit> {
  const prepared = prepareSignedFetch(options, generateNonce);
  const bodySha256Hex = prepared.body === undefined ? EMPTY_BODY_SHA256_HEX : await sha256Hex(prepared.body);
  const signature = await signRequest(options.secret, { ...prepared.input, bodySha256Hex });
  return finishSignedFetch(prepared, signature);
}

/**
 * Signs a `Request`: reads its body (so it can be hashed) and returns a new `Request` with the
 * same URL, options and body, plus the signature headers {@link signedFetchInit} adds. The
 * original request's body is consumed.
 *
 * @throws {TypeError} (as a rejection) as {@link signedFetchInit} does, or when the body was already used.
 */
export async function signedRequest(request: Request, options: SignedRequestOptions): Promise<Request> {
  const body = await readRequestBody(request);
  const init = await signedFetchInit({
    ...options,
    method: request.method,
    url: request.url,
    headers: request.headers,
    body,
  });
  return new Request(request, init);
}
