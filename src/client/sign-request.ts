import {
  EMPTY_BODY_SHA256_HEX,
  formatSignatureHeader,
  generateNonce,
  sha256Hex,
  signRequest,
} from '../crypto/request-signing.ts';

/**
 * Reference client for `GH1-HMAC-SHA256` signed requests: builds the `fetch` arguments for an
 * API key created with `signing: true`. It signs `host`, `content-type` (when there is one) and
 * any extra header names asked for, over a fresh timestamp and a 128-bit random nonce.
 *
 * @example
 * const init = signedFetchInit({ keyId, secret, method: 'POST', url, body: JSON.stringify(order) });
 * const response = await fetch(url, init);
 */

/** Options of {@link signedFetchInit}. */
export interface SignedFetchInitOptions {
  /** The key id (the part of the API key between `gh_<env>_` and the dot). */
  readonly keyId: string;
  /** The key's signing secret, at least 32 bytes. */
  readonly secret: Uint8Array;
  readonly method: string;
  readonly url: string | URL;
  /** Extra request headers; an `Authorization` header is refused, since the signature goes there. */
  readonly headers?: ConstructorParameters<typeof Headers>[0];
  /** The exact body bytes to send (a string is sent and hashed as UTF-8). Not with GET or HEAD. */
  readonly body?: string | Uint8Array;
  /**
   * The signing time in milliseconds since the epoch, like `Date.now()` (the header carries whole
   * seconds). The server refuses signatures more than 300 s away from its clock.
   * @default Date.now()
   */
  readonly now?: number;
  /**
   * The nonce, canonical base64url of at least 16 random bytes. Only for reproducible examples:
   * a nonce must never be reused, and the default draws a fresh one.
   * @default a fresh 16-byte nonce
   */
  readonly nonce?: string;
  /**
   * Header names to sign besides `host` and `content-type` (compared case-insensitively), in
   * this order. Each must be present in `headers`.
   * @default []
   */
  readonly signedHeaders?: readonly string[];
}

/** What {@link signedFetchInit} returns: pass it to `fetch(url, init)` as it is. */
export interface SignedFetchInit {
  /** Upper-cased, as signed. */
  readonly method: string;
  /**
   * The caller's headers plus `Authorization`, `Host` (the URL's authority, which is what
   * `fetch` sends anyway) and, with a body, `Content-Type` (`application/json` unless given).
   */
  readonly headers: Headers;
  readonly body: string | Uint8Array | undefined;
}

/** Options of {@link signedRequest}: those of {@link signedFetchInit} that the request does not carry. */
export type SignedRequestOptions = Pick<
  SignedFetchInitOptions,
  'keyId' | 'secret' | 'now' | 'nonce' | 'signedHeaders'
>;

const DEFAULT_CONTENT_TYPE = 'application/json';

/**
 * Signs one request and returns the `fetch` init that carries it: method, headers with the
 * `Authorization: GH1-HMAC-SHA256 …` header, and the body unchanged.
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
  const { keyId, secret, method, body } = options;
  const url = new URL(options.url);
  const upperMethod = typeof method === 'string' ? method.toUpperCase() : method;
  const hasBody = body !== undefined;
  if (hasBody && (upperMethod === 'GET' || upperMethod === 'HEAD'))
    throw new TypeError('GET and HEAD requests cannot carry a body');
  if (hasBody && typeof body !== 'string' && !(body instanceof Uint8Array))
    throw new TypeError('body must be a string or a Uint8Array');

  const headers = new Headers(options.headers);
  if (headers.has('authorization')) throw new TypeError('headers already hold an Authorization header');
  // fetch sends the URL's authority as Host whatever the headers say, so that is what we sign.
  const host = headers.get('host');
  if (host !== null && host !== url.host) throw new TypeError('a Host header must match the URL');
  headers.set('host', url.host);
  if (hasBody && !headers.has('content-type')) headers.set('content-type', DEFAULT_CONTENT_TYPE);

  const signedHeaders = ['host'];
  if (headers.has('content-type')) signedHeaders.push('content-type');
  for (const name of options.signedHeaders ?? []) {
    const lower = typeof name === 'string' ? name.toLowerCase() : name;
    if (!signedHeaders.includes(lower)) signedHeaders.push(lower);
  }

  const timestamp = Math.floor((options.now ?? Date.now()) / 1000);
  const nonce = options.nonce ?? generateNonce();
  const signature = signRequest(secret, {
    method: upperMethod,
    url,
    headers,
    signedHeaders,
    timestamp,
    nonce,
    bodySha256Hex: hasBody ? sha256Hex(body) : EMPTY_BODY_SHA256_HEX,
  });
  headers.set('authorization', formatSignatureHeader({ keyId, timestamp, nonce, signedHeaders, signature }));
  return { method: upperMethod, headers, body };
}

/**
 * Signs a `Request`: reads its body (so it can be hashed) and returns a new `Request` with the
 * same URL, options and body, plus the signature headers {@link signedFetchInit} adds. The
 * original request's body is consumed.
 *
 * @throws {TypeError} as {@link signedFetchInit} does, or when the body was already used.
 */
export async function signedRequest(request: Request, options: SignedRequestOptions): Promise<Request> {
  if (request.bodyUsed) throw new TypeError('the request body was already read');
  const body = request.body === null ? undefined : new Uint8Array(await request.arrayBuffer());
  const init = signedFetchInit({
    ...options,
    method: request.method,
    url: request.url,
    headers: request.headers,
    body,
  });
  return new Request(request, init);
}
