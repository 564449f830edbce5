/**
 * `gatehouse/client`: what an API client needs to talk to a Gatehouse server. Today the
 * reference signer for signing keys (GH1-HMAC-SHA256); see docs/API-KEYS.md.
 *
 * @module
 */
// The request signer on WebCrypto (browser-safe); the synchronous Node signer is gatehouse/client/node.
export {
  canonicalRequest,
  EMPTY_BODY_SHA256_HEX,
  generateNonce,
  SIGNING_SCHEME,
  type SignedFetchInit,
  type SignedFetchInitOptions,
  type SignedRequestOptions,
  type SigningInput,
  sha256Hex,
  signedFetchInit,
  signedRequest,
  signRequest,
} from './signing/index.ts';
