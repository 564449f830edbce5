import {
  assertSigningSecret,
  canonicalRequest,
  MIN_NONCE_BYTES,
  type SigningInput,
} from '../../crypto/canonical-request.ts';

/**
 * The signing primitives on WebCrypto (`crypto.subtle`, `crypto.getRandomValues`) and
 * `TextEncoder`: globals of browsers, Node 20+, Deno, Bun and edge runtimes. Nothing here
 * reaches for `node:` or `Buffer`, which a test over the import graph enforces.
 */

const utf8 = new TextEncoder();
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Unpadded base64url, as the scheme spells MACs and nonces. */
function toBase64Url(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let c = 0; c < chars; c++) text += BASE64URL_ALPHABET[(chunk >> (18 - 6 * c)) & 63];
  }
  return text;
}

function toHex(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += byte.toString(16).padStart(2, '0');
  return text;
}

/** A copy on a plain ArrayBuffer: what `crypto.subtle` takes whatever the caller's view shares. */
function ownBytes(data: Uint8Array | string): Uint8Array<ArrayBuffer> {
  return typeof data === 'string' ? utf8.encode(data) : new Uint8Array(data);
}

/** A fresh nonce: {@link MIN_NONCE_BYTES} bytes from `crypto.getRandomValues`, base64url. */
export function generateNonce(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(MIN_NONCE_BYTES)));
}

/** Lower-case hex SHA-256 of `body` (a string is hashed as UTF-8). */
export async function sha256Hex(body: Uint8Array | string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', ownBytes(body))));
}

/**
 * Signs a request: HMAC-SHA-256 of `canonicalRequest(input)` under `secret`, unpadded base64url.
 * The same string as the Node signer's (`gatehouse/client/node`) and the server's, byte for byte.
 *
 * @throws {TypeError} for a secret shorter than 32 bytes or an input `canonicalRequest` refuses.
 */
export async function signRequest(secret: Uint8Array, input: SigningInput): Promise<string> {
  assertSigningSecret(secret);
  const canonical = canonicalRequest(input);
  const key = await crypto.subtle.importKey(
    'raw',
    ownBytes(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return toBase64Url(new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8.encode(canonical))));
}
