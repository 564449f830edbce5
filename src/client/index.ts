/**
 * `gatehouse/client`: what an API client needs to talk to a Gatehouse server. Today the
 * reference signer for signing keys (GH1-HMAC-SHA256); see docs/API-KEYS.md.
 *
 * @module
 */
export {
  canonicalRequest,
  EMPTY_BODY_SHA256_HEX,
  generateNonce,
  SIGNING_SCHEME,
  sha256Hex,
  signRequest,
} from '../crypto/request-signing.ts';
export { signedFetchInit, signedRequest } from './sign-request.ts';
