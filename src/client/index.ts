/**
 * `gatehouse/client`: what an API client needs to talk to a Gatehouse server, browser-safe:
 * `createAuthClient`, the typed client with its session store (docs/CLIENT.md), and the
 * reference signer for signing keys (GH1-HMAC-SHA256, docs/API-KEYS.md).
 *
 * @module
 */
// The typed client (docs/CLIENT.md): one method per route, the session store, its storages.
export {
  type AuthClient,
  type AuthClientOptions,
  type CallInit,
  createAuthClient,
  type OAuthClient,
  type OAuthCompleteResult,
  type OperationData,
  type OperationErrorCode,
  type OperationMethod,
  type OperationResult,
  type RawRequestInit,
  type RouteMethods,
  type StepUpRequest,
} from './auth-client.ts';
export type { OperationId, Operations } from './generated/routes.ts';
export {
  type AlwaysPossibleCode,
  type ApiResult,
  type ClientError,
  type ClientErrorCode,
  type Problem,
  retryAfterSeconds,
} from './result.ts';
export type {
  SessionState,
  SessionStore,
  SessionUser,
  SignedOutReason,
} from './session-store.ts';
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
export {
  type ClientStorage,
  localStorageAdapter,
  memoryStorage,
  type WebStorageLike,
  webStorage,
} from './storage.ts';
