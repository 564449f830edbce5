/**
 * `gatehouse/client/node`: the synchronous `GH1-HMAC-SHA256` signer on `node:crypto`, for Node
 * programs that sign without awaiting (scripts, CI jobs, servers calling servers). A thin wrapper:
 * the request is prepared and finished by the same code as the WebCrypto signer of
 * `gatehouse/client/signing`, over the same canonical string, so both give the same signature.
 *
 * @example
 * import { signedFetchInit } from 'gatehouse/client/node';
 * const init = signedFetchInit({ keyId, secret, method: 'POST', url, body: JSON.stringify(order) });
 * const response = await fetch(url, init);
 *
 * @module
 */
import {
  EMPTY_BODY_SHA256_HEX,
  generateNonce,
  sha256Hex,
  signRequest,
} from '../../crypto/request-signing.ts';
import {
  finishSignedFetch,
  prepareSignedFetch,
  readRequestBody,
  type SignedFetchInit,
  type SignedFetchInitOptions,
  type SignedRequestOptions,
} from './fetch-init.ts';

export {
  canonicalRequest,
  EMPTY_BODY_SHA256_HEX,
  generateNonce,
  SIGNING_SCHEME,
  type SigningInput,
  sha256Hex,
  signRequest,
} from '../../crypto/request-signing.ts';
export type { SignedFetchInit, SignedFetchInitOptions, SignedRequestOptions } from './fetch-init.ts';

/**
 * Signs one request and returns the `fetch` init that carries it: method, headers with the
 * `Authorization: GH1-HMAC-SHA256 …` header, and the body unchanged. It signs `host`,
 * `content-type` (when there is one) and any extra header names asked for, over a fresh
 * timestamp and a 128-bit random nonce.
 *
 * @throws {TypeError} for a body with GET or HEAD, a caller `Authorization` header, a caller
 *   `Host` header that differs from the URL's, an extra signed header that is absent, or any
 *   input the signer refuses (short secret, bad key id or nonce, dot segments in the path).
 * @example
 * const init = signedFetchInit({
 *   keyId: 'AbCdEfGhIjKlMnOpQrStUv',
 *   secret,
 *   method: 'GET',
 *   url: 'https://api.example.com/v1/orders?status=open',
 * });
 * await fetch('https://api.example.com/v1/orders?status=open', init);
 */
export function signedFetchInit(options: SignedFetchInitOptions): SignedFetchInit {
  const prepared = prepareSignedFetch(options, generateNonce);
  const bodySha256Hex = prepared.body === undefined ? EMPTY_BODY_SHA256_HEX : sha256Hex(prepared.body);
  return finishSignedFetch(prepared, signRequest(options.secret, { ...prepared.input, bodySha256Hex }));
}

/**
 * Signs a `Request`: reads its body (so it can be hashed) and returns a new `Request` with the
 * same URL, options and body, plus the signature headers {@link signedFetchInit} adds. The
 * original request's body is consumed.
 *
 * @throws {TypeError} as {@link signedFetchInit} does, or when the body was already used.
 */
export async function signedRequest(request: Request, options: SignedRequestOptions): Promise<Request> {
  const body = await readRequestBody(request);
  const init = signedFetchInit({
    ...options,
    method: request.method,
    url: request.url,
    headers: request.headers,
    body,
  });
  return new Request(request, init);
}
