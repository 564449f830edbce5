import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  assertSigningSecret,
  canonicalRequest,
  EMPTY_BODY_SHA256_HEX,
  MIN_NONCE_BYTES,
  SIGNATURE_PATTERN,
  type SigningInput,
} from './canonical-request.ts';

/**
 * HMAC request signing for API keys created with `signing: true` (scheme `GH1-HMAC-SHA256`), on
 * node:crypto: signing, verifying in constant time, nonces, and hashing a body while it streams.
 * The canonical string and the header syntax are in canonical-request.ts (pure, shared with the
 * WebCrypto signer of `gatehouse/client/signing`) and re-exported here. Freshness of `ts`
 * (±300 s), nonce replay and key lookup belong to the caller.
 */
export {
  assertSigningSecret,
  canonicalRequest,
  EMPTY_BODY_SHA256_HEX,
  formatSignatureHeader,
  MAX_NONCE_BYTES,
  MAX_SIGNATURE_HEADER_LENGTH,
  MAX_SIGNED_HEADERS,
  MIN_NONCE_BYTES,
  MIN_SIGNING_SECRET_BYTES,
  parseSignatureHeader,
  SIGNATURE_PATTERN,
  SIGNING_SCHEME,
  type SignatureHeader,
  type SigningInput,
} from './canonical-request.ts';

/**
 * Signs a request: HMAC-SHA-256 of {@link canonicalRequest} under `secret`, unpadded base64url.
 *
 * @throws {TypeError} for a secret shorter than {@link MIN_SIGNING_SECRET_BYTES} or an input
 *   {@link canonicalRequest} refuses.
 */
export function signRequest(secret: Uint8Array, input: SigningInput): string {
  assertSigningSecret(secret);
  return hmac(secret, canonicalRequest(input)).toString('base64url');
}

/**
 * Whether `presented` is the signature of `input` under `secret`. The MACs are compared in
 * constant time. Any input the signer would refuse (a missing signed header, `host` not signed,
 * a dot segment…) answers `false`, so request data can be passed straight in.
 *
 * @throws {TypeError} only for a secret shorter than {@link MIN_SIGNING_SECRET_BYTES}: that is the
 *   server's configuration, not the client's request.
 */
export function verifySignature(secret: Uint8Array, input: SigningInput, presented: string): boolean {
  assertSigningSecret(secret);
  if (typeof presented !== 'string' || !SIGNATURE_PATTERN.test(presented)) return false;
  let expected: Buffer;
  try {
    expected = hmac(secret, canonicalRequest(input));
  } catch {
    return false;
  }
  // The pattern admits only canonical encodings of exactly 32 bytes, so both sides are 32 bytes.
  return timingSafeEqual(expected, Buffer.from(presented, 'base64url'));
}

/** A fresh nonce: {@link MIN_NONCE_BYTES} bytes from the operating system's CSPRNG, base64url. */
export function generateNonce(): string {
  return randomBytes(MIN_NONCE_BYTES).toString('base64url');
}

/** Lower-case hex SHA-256 of `body` (a string is hashed as UTF-8). */
export function sha256Hex(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Hashing the body while it streams in
// ---------------------------------------------------------------------------------------------

/** Why a body could not be hashed: over the cap (answer 413), or the stream failed (400). */
export type RequestBodyErrorReason = 'too_large' | 'unreadable';

const BODY_MESSAGES: Readonly<Record<RequestBodyErrorReason, string>> = Object.freeze({
  too_large: 'request body exceeds the size limit',
  unreadable: 'request body could not be read completely',
});

/** A request body was refused while it was being hashed; `reason` says why. */
export class RequestBodyError extends Error {
  override readonly name = 'RequestBodyError';
  readonly reason: RequestBodyErrorReason;

  constructor(reason: RequestBodyErrorReason, options?: { cause?: unknown }) {
    super(BODY_MESSAGES[reason], options);
    this.reason = reason;
  }
}

/** Whether `value` is a {@link RequestBodyError} (also across module copies). */
export function isRequestBodyError(value: unknown): value is RequestBodyError {
  return (
    value instanceof RequestBodyError ||
    (value instanceof Error && value.name === 'RequestBodyError' && 'reason' in value)
  );
}

/** A body read in full: its hash for the signature, and its bytes for the route to parse. */
export interface HashedBody {
  /** Lower-case hex SHA-256 ({@link EMPTY_BODY_SHA256_HEX} for an absent or empty body). */
  readonly sha256Hex: string;
  readonly bytes: Uint8Array;
}

/** Reads and hashes request bodies up to a size cap. */
export interface BodyHasher {
  readonly limitBytes: number;
  /**
   * Reads `body` to its end, hashing each chunk as it arrives. A `Request` whose
   * `Content-Length` already exceeds the cap is refused before anything is read; otherwise the
   * read stops at the first chunk that crosses it, whatever the headers promised.
   *
   * @throws {RequestBodyError} `too_large` past the cap; `unreadable` when the stream fails or
   *   yields something other than bytes.
   * @throws {TypeError} for a `Request` whose body was already used.
   */
  hash(body: Request | ReadableStream<Uint8Array> | null): Promise<HashedBody>;
}

/**
 * A body hasher with a cap of `limitBytes`. The body is hashed while it streams, so an
 * oversized one is refused after reading at most one chunk past the cap, and never held whole.
 *
 * @throws {TypeError} unless `limitBytes` is a non-negative safe integer.
 */
export function createBodyHasher(limitBytes: number): BodyHasher {
  if (!Number.isSafeInteger(limitBytes) || limitBytes < 0)
    throw new TypeError('limitBytes must be a non-negative whole number');
  return Object.freeze({
    limitBytes,
    async hash(body: Request | ReadableStream<Uint8Array> | null): Promise<HashedBody> {
      let stream: ReadableStream<Uint8Array> | null;
      if (body instanceof Request) {
        if (body.bodyUsed) throw new TypeError('the request body was already read');
        if (declaredLengthExceeds(body.headers, limitBytes)) throw new RequestBodyError('too_large');
        stream = body.body;
      } else {
        stream = body;
      }
      if (stream === null) return { sha256Hex: EMPTY_BODY_SHA256_HEX, bytes: new Uint8Array(0) };
      return readAndHash(stream, limitBytes);
    },
  });
}

async function readAndHash(stream: ReadableStream<Uint8Array>, limitBytes: number): Promise<HashedBody> {
  const reader = stream.getReader();
  const hash = createHash('sha256');
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const result = await reader.read().catch((cause: unknown) => {
        throw new RequestBodyError('unreadable', { cause });
      });
      if (result.done) break;
      const chunk: unknown = result.value;
      if (!(chunk instanceof Uint8Array)) throw new RequestBodyError('unreadable');
      size += chunk.byteLength;
      // Stop without cancelling: on a server, cancelling destroys the socket before the 413 can
      // be written; the HTTP adapter drains or closes the connection after the response.
      if (size > limitBytes) throw new RequestBodyError('too_large');
      hash.update(chunk);
      chunks.push(chunk);
    }
  } finally {
    reader.releaseLock();
  }
  return { sha256Hex: hash.digest('hex'), bytes: concatenate(chunks, size) };
}

function concatenate(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function declaredLengthExceeds(headers: Headers, limitBytes: number): boolean {
  const declared = headers.get('content-length');
  if (declared === null || !/^\s*\d+\s*$/.test(declared)) return false;
  return Number(declared) > limitBytes;
}

function hmac(secret: Uint8Array, canonical: string): Buffer {
  return createHmac('sha256', secret).update(canonical, 'utf8').digest();
}
