/**
 * Strict reading of a compact JWS (RFC 7515 section 7.1): exactly three base64url segments in
 * canonical form (no padding, no `+` or `/`, no stray bits), UTF-8 JSON objects with bounded
 * size. Anything else is refused before a key is looked up or a byte is verified.
 */

/** Longest token read at all (8 KiB); longer ones are refused without looking inside. */
export const MAX_TOKEN_LENGTH = 8192;
/** Longest header segment: a Gatehouse header holds `alg`, `typ` and a short `kid`. */
export const MAX_HEADER_SEGMENT_LENGTH = 512;

export interface CompactParts {
  readonly headerSegment: string;
  readonly payloadSegment: string;
  readonly signatureSegment: string;
  /** `<header>.<payload>`: the bytes the signature covers. */
  readonly signingInput: string;
}

/** Splits `token` into its three segments, or `null` for any other shape. */
export function splitCompact(token: string): CompactParts | null {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
  const first = token.indexOf('.');
  if (first <= 0 || first > MAX_HEADER_SEGMENT_LENGTH) return null;
  const second = token.indexOf('.', first + 1);
  if (second === -1 || token.indexOf('.', second + 1) !== -1) return null;
  return {
    headerSegment: token.slice(0, first),
    payloadSegment: token.slice(first + 1, second),
    signatureSegment: token.slice(second + 1),
    signingInput: token.slice(0, second),
  };
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUE_OF = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE_OF[ALPHABET.charCodeAt(i)] = i;

/**
 * Decodes unpadded base64url, or `null` unless `segment` is the one canonical encoding of its
 * bytes (Node's decoder would otherwise skip invalid characters and ignore trailing bits, so
 * two different strings could carry the same signature).
 */
export function decodeBase64Url(segment: string): Buffer | null {
  if (!BASE64URL.test(segment)) return null;
  const remainder = segment.length % 4;
  if (remainder === 1) return null;
  if (remainder !== 0) {
    const last = VALUE_OF[segment.charCodeAt(segment.length - 1)]!;
    if ((last & (remainder === 2 ? 0x0f : 0x03)) !== 0) return null;
  }
  return Buffer.from(segment, 'base64url');
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A JSON object decoded from a base64url segment, or `null` (bad base64url, UTF-8, JSON or not an object). */
export function decodeJsonObject(segment: string): Record<string, unknown> | null {
  const bytes = decodeBase64Url(segment);
  return bytes ? parseJsonObject(bytes) : null;
}

/** A JSON object from UTF-8 bytes, or `null` (bad UTF-8, a byte order mark, bad JSON, not an object). */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(UTF8.decode(bytes));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
