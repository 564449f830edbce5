import { formatSignatureHeader, type SigningInput } from '../../crypto/canonical-request.ts';

/**
 * What signing a `fetch` call takes and gives, shared by the WebCrypto signer (index.ts) and the
 * synchronous Node one (node.ts): both prepare the request here, hash and MAC it with their own
 * primitives, and finish it here, so the two cannot disagree on what is signed.
 */

/** Options of `signedFetchInit`. */
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

/** What `signedFetchInit` returns: pass it to `fetch(url, init)` as it is. */
export interface SignedFetchInit {
  /** Upper-cased, as signed. */
  readonly method: string;
  /**
   * The caller's headers plus `Authorization`, `Host` (the URL's authority, which is what
   * `fetch` sends anyway) and, with a body, `Content-Type` (`application/json` unless given).
   */
  readonly headers: Headers;
  /** The body as given; bytes on a plain `ArrayBuffer` (copied if need be), which `fetch` takes in every runtime's types. */
  readonly body: string | Uint8Array<ArrayBuffer> | undefined;
}

/** Options of `signedRequest`: those of `signedFetchInit` that the request does not carry. */
export type SignedRequestOptions = Pick<
  SignedFetchInitOptions,
  'keyId' | 'secret' | 'now' | 'nonce' | 'signedHeaders'
>;

/** A request ready to be hashed and signed: everything of the signing input but the body hash. */
export interface PreparedFetch {
  readonly keyId: string;
  readonly input: Omit<SigningInput, 'bodySha256Hex'>;
  readonly body: string | Uint8Array | undefined;
}

const DEFAULT_CONTENT_TYPE = 'application/json';

/**
 * Checks the options and works out what is signed: the upper-cased method, the headers with
 * `Host` (and `Content-Type` with a body), the signed header names, the timestamp and the nonce
 * (`drawNonce()` unless one is given).
 *
 * @throws {TypeError} for a body with GET or HEAD, a body that is neither a string nor bytes, a
 *   caller `Authorization` header, or a caller `Host` header that differs from the URL's.
 */
export function prepareSignedFetch(options: SignedFetchInitOptions, drawNonce: () => string): PreparedFetch {
  const { keyId, method, body } = options;
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
  const nonce = options.nonce ?? drawNonce();
  return { keyId, input: { method: upperMethod, url, headers, signedHeaders, timestamp, nonce }, body };
}

/**
 * The `fetch` init for a prepared request and its signature: the `Authorization` header added.
 *
 * @throws {TypeError} for a key id, nonce or signature the server could never parse.
 */
export function finishSignedFetch(prepared: PreparedFetch, signature: string): SignedFetchInit {
  const { keyId, input, body } = prepared;
  const { headers, timestamp, nonce, signedHeaders, method } = input;
  headers.set('authorization', formatSignatureHeader({ keyId, timestamp, nonce, signedHeaders, signature }));
  return {
    method,
    headers,
    body: typeof body === 'string' || body === undefined ? body : onArrayBuffer(body),
  };
}

/** `bytes` itself when a plain `ArrayBuffer` backs it, else a copy on one (same bytes). */
function onArrayBuffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

/** The body of a `Request`, read so it can be hashed (`undefined` when it has none). */
export async function readRequestBody(request: Request): Promise<Uint8Array | undefined> {
  if (request.bodyUsed) throw new TypeError('the request body was already read');
  return request.body === null ? undefined : new Uint8Array(await request.arrayBuffer());
}
