/**
 * The pure half of HMAC request signing for API keys created with `signing: true` (scheme
 * `GH1-HMAC-SHA256`): the canonical string, the `Authorization` header and the shapes of their
 * parts. No `node:` import and no Node global, so the server's verifier (request-signing.ts, on
 * node:crypto) and the WebCrypto signer of `gatehouse/client/signing` build one and the same
 * string from this one copy.
 *
 * The client sends
 *
 *     Authorization: GH1-HMAC-SHA256 keyId=<id>, ts=<unix seconds>, nonce=<base64url>,
 *       headers=host;content-type, signature=<base64url HMAC-SHA-256>
 *
 * where the signature is HMAC-SHA-256, keyed with the key's signing secret, over the canonical
 * string {@link canonicalRequest} builds (UTF-8), encoded as unpadded base64url. The freshness of `ts` (±300 s), nonce replay and key lookup belong to the caller.
 *
 * The canonical string is eight or more lines joined by `\n`, with no trailing newline:
 *
 *     GH1-HMAC-SHA256
 *     <METHOD>                 upper-cased
 *     <path>                   as sent; percent-escapes upper-cased; dot segments refused
 *     <query>                  decoded, RFC 3986-encoded, sorted by name then value, `&`-joined
 *     <name>:<value>           one line per signed header, in the order of `headers=`
 *     <ts>                     decimal Unix seconds
 *     <nonce>                  as sent
 *     <sha256 hex of the body> lower-case; of the empty string when there is no body
 *
 * No line can hold a newline (URLs and header values never do, the query is encoded), and the
 * three lines after the headers are always there, so one string has exactly one reading.
 */

/** The `Authorization` scheme, and the first line of every canonical string. */
export const SIGNING_SCHEME = 'GH1-HMAC-SHA256';

/** SHA-256 of the empty string, lower-case hex: the body hash of a request without a body. */
export const EMPTY_BODY_SHA256_HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Shortest signing secret accepted: 256 bits, the HMAC-SHA-256 block's worth of strength. */
export const MIN_SIGNING_SECRET_BYTES = 32;

/** Shortest nonce accepted: 128 random bits make a collision between honest clients negligible. */
export const MIN_NONCE_BYTES = 16;

/** Longest nonce accepted, so a nonce store entry stays small. */
export const MAX_NONCE_BYTES = 64;

/** Most header names one signature may cover. */
export const MAX_SIGNED_HEADERS = 32;

/** Longest `Authorization` value {@link parseSignatureHeader} reads; longer ones are refused unread. */
export const MAX_SIGNATURE_HEADER_LENGTH = 2048;

/** What one request contributes to its signature. The same shape serves the signer and the verifier. */
export interface SigningInput {
  /** The request method; compared upper-cased. */
  readonly method: string;
  /** The URL as sent: its `pathname` and `search` are signed (the host comes from `headers`). */
  readonly url: URL;
  /** The request headers, which must hold every name in `signedHeaders`. */
  readonly headers: Headers;
  /**
   * Lower-case header names to sign, in this order. Must include `host`, and `content-type`
   * whenever the request has a body or a `Content-Type` header. Never `authorization`.
   */
  readonly signedHeaders: readonly string[];
  /** Unix time in whole seconds. */
  readonly timestamp: number;
  /** At least {@link MIN_NONCE_BYTES} random bytes, canonical unpadded base64url. */
  readonly nonce: string;
  /** Lower-case hex SHA-256 of the body bytes ({@link EMPTY_BODY_SHA256_HEX} without a body). */
  readonly bodySha256Hex: string;
}

/** The parameters of a `GH1-HMAC-SHA256` `Authorization` header. */
export interface SignatureHeader {
  readonly keyId: string;
  /** Unix time in whole seconds (`ts=`). */
  readonly timestamp: number;
  readonly nonce: string;
  /** `headers=`, split on `;`. */
  readonly signedHeaders: readonly string[];
  /** Unpadded base64url of the 32-byte HMAC. */
  readonly signature: string;
}

/** Key ids are plain labels: base64url characters only, so they need no quoting. */
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
/** Whole seconds, no sign, no leading zero, at most 11 digits (past the year 5000). */
const TIMESTAMP_PATTERN = /^[1-9][0-9]{0,10}$/;
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]+$/;
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** 32 bytes as canonical unpadded base64url: 43 characters, the last one carrying 2 zero bits. */
export const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
/** A lower-case field name: an RFC 9110 token without upper-case letters. */
const HEADER_NAME_PATTERN = /^[a-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
/** A method is an RFC 9110 token. */
const METHOD_PATTERN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,32}$/;
const SHA256_HEX_PATTERN = /^[0-9a-f]{64}$/;
/** A path after URL parsing: a leading slash, then printable ASCII (the parser escaped the rest). */
const PATH_PATTERN = /^\/[\x21-\x7e]*$/;
/** Optional whitespace in header syntax (RFC 9110 section 5.6.3): space and tab, nothing else. */
const OWS_RUN = /[ \t]+/g;

// ---------------------------------------------------------------------------------------------
// Canonical string, signing, verification
// ---------------------------------------------------------------------------------------------

/**
 * The string a request's signature covers (see the module comment for its lines).
 *
 * @throws {TypeError} when the input cannot be signed: a malformed method, nonce, timestamp or
 *   body hash; a path with a dot segment or a broken percent-escape; a query that is not valid
 *   percent-encoded UTF-8; a signed-header list that is malformed, misses `host` (or
 *   `content-type` when required), or names a header the request does not have. Messages are
 *   fixed and never quote the input.
 * @example
 * canonicalRequest({ method: 'get', url: new URL('https://api.example.com/v1/orders?b=2&a=1'),
 *   headers: new Headers({ host: 'api.example.com' }), signedHeaders: ['host'],
 *   timestamp: 1700000000, nonce: 'q3mAWvxyFDyWQyDNs1aj3g', bodySha256Hex: EMPTY_BODY_SHA256_HEX });
 * // 'GH1-HMAC-SHA256\nGET\n/v1/orders\na=1&b=2\nhost:api.example.com\n1700000000\nq3mA…\ne3b0…'
 */
export function canonicalRequest(input: SigningInput): string {
  if (typeof input !== 'object' || input === null) throw new TypeError('signing input must be an object');
  const { method, url, headers, signedHeaders, timestamp, nonce, bodySha256Hex } = input;
  if (typeof method !== 'string' || !METHOD_PATTERN.test(method))
    throw new TypeError('method must be an HTTP token');
  if (!(url instanceof URL)) throw new TypeError('url must be a URL');
  if (!(headers instanceof Headers)) throw new TypeError('headers must be a Headers object');
  if (!isTimestamp(timestamp)) throw new TypeError('timestamp must be positive whole Unix seconds');
  if (!isNonce(nonce)) throw new TypeError('nonce must be 16 to 64 bytes of canonical base64url');
  if (typeof bodySha256Hex !== 'string' || !SHA256_HEX_PATTERN.test(bodySha256Hex))
    throw new TypeError('bodySha256Hex must be 64 lower-case hex digits');
  if (!isHeaderNameList(signedHeaders))
    throw new TypeError('signedHeaders must be distinct lower-case header names, never authorization');
  if (!signedHeaders.includes('host')) throw new TypeError('the host header must be signed');
  // A body, or a declared type, is meaningless without its type: a changed Content-Type can make
  // the same bytes parse differently.
  const contentTypeRequired = bodySha256Hex !== EMPTY_BODY_SHA256_HEX || headers.has('content-type');
  if (contentTypeRequired && !signedHeaders.includes('content-type'))
    throw new TypeError('the content-type header must be signed when the request has a body or a type');

  const lines = [
    SIGNING_SCHEME,
    method.toUpperCase(),
    canonicalPath(url.pathname),
    canonicalQuery(url.search),
  ];
  for (const name of signedHeaders) {
    const value = headers.get(name);
    if (value === null) throw new TypeError('a signed header is missing from the request');
    lines.push(`${name}:${canonicalHeaderValue(value)}`);
  }
  lines.push(String(timestamp), nonce, bodySha256Hex);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// The Authorization header
// ---------------------------------------------------------------------------------------------

const HEADER_PARAMETERS = ['keyId', 'ts', 'nonce', 'headers', 'signature'] as const;
type HeaderParameter = (typeof HEADER_PARAMETERS)[number];

/**
 * Reads a `GH1-HMAC-SHA256` `Authorization` value, or `null` for anything else. Strict: the
 * scheme (any letter case, as RFC 9110 says), one or more spaces, then exactly the five
 * parameters `keyId`, `ts`, `nonce`, `headers`, `signature` in any order, each once, as
 * `name=value` (no spaces around `=`, no quoted strings), separated by commas with optional
 * spaces. Unknown, duplicate, missing or empty parameters and bad value shapes give `null`.
 * Never throws, so client input can be passed straight in.
 */
export function parseSignatureHeader(value: string): SignatureHeader | null {
  if (typeof value !== 'string' || value.length > MAX_SIGNATURE_HEADER_LENGTH) return null;
  const space = value.indexOf(' ');
  if (space === -1 || value.slice(0, space).toUpperCase() !== SIGNING_SCHEME) return null;
  const found = new Map<HeaderParameter, string>();
  for (const item of value.slice(space + 1).split(',')) {
    const parameter = item.replace(/^[ \t]+|[ \t]+$/g, '');
    const equals = parameter.indexOf('=');
    if (equals === -1) return null;
    const name = parameter.slice(0, equals);
    if (!isHeaderParameter(name) || found.has(name)) return null;
    found.set(name, parameter.slice(equals + 1));
  }
  const keyId = found.get('keyId');
  const ts = found.get('ts');
  const nonce = found.get('nonce');
  const headers = found.get('headers');
  const signature = found.get('signature');
  if (keyId === undefined || ts === undefined || nonce === undefined) return null;
  if (headers === undefined || signature === undefined) return null;
  if (!KEY_ID_PATTERN.test(keyId) || !TIMESTAMP_PATTERN.test(ts) || !isNonce(nonce)) return null;
  if (!SIGNATURE_PATTERN.test(signature)) return null;
  const signedHeaders = headers.split(';');
  if (!isHeaderNameList(signedHeaders)) return null;
  return { keyId, timestamp: Number(ts), nonce, signedHeaders, signature };
}

/**
 * The `Authorization` value for a signature: the inverse of {@link parseSignatureHeader}.
 *
 * @throws {TypeError} when a part has a shape the parser would refuse.
 * @example
 * formatSignatureHeader({ keyId, timestamp: 1700000000, nonce, signedHeaders: ['host'], signature });
 * // 'GH1-HMAC-SHA256 keyId=…, ts=1700000000, nonce=…, headers=host, signature=…'
 */
export function formatSignatureHeader(parts: SignatureHeader): string {
  const { keyId, timestamp, nonce, signedHeaders, signature } = parts;
  if (typeof keyId !== 'string' || !KEY_ID_PATTERN.test(keyId))
    throw new TypeError('keyId must be 1 to 128 base64url characters');
  if (!isTimestamp(timestamp)) throw new TypeError('timestamp must be positive whole Unix seconds');
  if (!isNonce(nonce)) throw new TypeError('nonce must be 16 to 64 bytes of canonical base64url');
  if (!isHeaderNameList(signedHeaders))
    throw new TypeError('signedHeaders must be distinct lower-case header names, never authorization');
  if (typeof signature !== 'string' || !SIGNATURE_PATTERN.test(signature))
    throw new TypeError('signature must be 32 bytes of unpadded base64url');
  return `${SIGNING_SCHEME} keyId=${keyId}, ts=${timestamp}, nonce=${nonce}, headers=${signedHeaders.join(';')}, signature=${signature}`;
}
// ---------------------------------------------------------------------------------------------
// Canonical forms
// ---------------------------------------------------------------------------------------------

/**
 * The path as sent, with every percent-escape's hex upper-cased (`%2f` → `%2F`): the only
 * rewriting proxies commonly do. Dot segments are refused rather than resolved, because a
 * server and a proxy may resolve them differently; `%2E` counts as a dot (URL parsers treat it
 * as one). A `%` not followed by two hex digits is refused too.
 */
function canonicalPath(pathname: string): string {
  if (!PATH_PATTERN.test(pathname)) throw new TypeError('path must be an absolute path of printable ASCII');
  const path = pathname.replace(/%([0-9A-Fa-f]{2})/g, (_escape, hex: string) => `%${hex.toUpperCase()}`);
  if (/%(?![0-9A-F]{2})/.test(path)) throw new TypeError('path holds a malformed percent-escape');
  for (const segment of path.split('/')) {
    const decoded = segment.replaceAll('%2E', '.');
    if (decoded === '.' || decoded === '..') throw new TypeError('path holds a dot segment');
  }
  return path;
}

/**
 * The query decoded as `application/x-www-form-urlencoded` (what `URLSearchParams` and web
 * frameworks hand to the application: `+` is a space), then each name and value encoded per
 * RFC 3986 (everything but `A–Z a–z 0–9 - . _ ~` as upper-case `%XX` of its UTF-8 bytes), the
 * pairs sorted by encoded name, then encoded value (ordinal), and joined with `&` as `name=value`.
 * Empty pieces (`a=1&&b=2`) are skipped as `URLSearchParams` does; `a` and `a=` both read as an
 * empty value. Escapes that are malformed or not UTF-8 are refused, so two different byte
 * strings can never read as the same replacement character.
 */
function canonicalQuery(search: string): string {
  const query = search.startsWith('?') ? search.slice(1) : search;
  const pairs: [string, string][] = [];
  for (const piece of query.split('&')) {
    if (piece === '') continue;
    const equals = piece.indexOf('=');
    const name = equals === -1 ? piece : piece.slice(0, equals);
    const value = equals === -1 ? '' : piece.slice(equals + 1);
    pairs.push([encodeRfc3986(decodeFormComponent(name)), encodeRfc3986(decodeFormComponent(value))]);
  }
  pairs.sort(
    ([nameA, valueA], [nameB, valueB]) => compareOrdinal(nameA, nameB) || compareOrdinal(valueA, valueB),
  );
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

function decodeFormComponent(component: string): string {
  const spaced = component.replaceAll('+', ' ');
  if (/%(?![0-9A-Fa-f]{2})/.test(spaced)) throw new TypeError('query holds a malformed percent-escape');
  try {
    // decodeURIComponent rejects invalid UTF-8 (stray continuation bytes, overlong forms,
    // encoded surrogates) instead of substituting U+FFFD.
    return decodeURIComponent(spaced);
  } catch {
    throw new TypeError('query is not percent-encoded UTF-8');
  }
}

function encodeRfc3986(text: string): string {
  // encodeURIComponent leaves `! ' ( ) *` alone; RFC 3986 reserves them.
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function compareOrdinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Trimmed, with each run of spaces and tabs inside collapsed to one space. */
function canonicalHeaderValue(value: string): string {
  return value.replace(OWS_RUN, ' ').replace(/^ | $/g, '');
}

// ---------------------------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------------------------

function isTimestamp(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && TIMESTAMP_PATTERN.test(String(value));
}

/**
 * Canonical unpadded base64url of 16 to 64 bytes: re-encoding the decoded bytes gives the same
 * text, so one nonce has one spelling and its length is exactly the entropy it claims.
 */
function isNonce(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > Math.ceil((MAX_NONCE_BYTES * 4) / 3)) return false;
  if (!BASE64URL_PATTERN.test(value)) return false;
  return base64UrlByteLength(value) >= MIN_NONCE_BYTES;
}

/**
 * The byte count `text` (base64url characters only) decodes to when it is the canonical unpadded
 * encoding of those bytes, else -1: a length of 1 mod 4 is no encoding, and the unused low bits
 * of the last character must be zero (`AB` and `AC` would otherwise both read as one byte).
 */
function base64UrlByteLength(text: string): number {
  const leftover = text.length % 4;
  if (leftover === 1) return -1;
  if (leftover !== 0) {
    const last = BASE64URL_ALPHABET.indexOf(text.charAt(text.length - 1));
    const unusedBits = leftover === 2 ? 0b1111 : 0b11;
    if ((last & unusedBits) !== 0) return -1;
  }
  return Math.floor((text.length * 3) / 4);
}

function isHeaderNameList(value: unknown): value is readonly string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_SIGNED_HEADERS) return false;
  const seen = new Set<string>();
  for (const name of value) {
    if (typeof name !== 'string' || !HEADER_NAME_PATTERN.test(name)) return false;
    // The signature travels in Authorization, so that header can never sign itself.
    if (name === 'authorization' || seen.has(name)) return false;
    seen.add(name);
  }
  return true;
}

function isHeaderParameter(name: string): name is HeaderParameter {
  return (HEADER_PARAMETERS as readonly string[]).includes(name);
}

/**
 * Refuses a signing secret shorter than {@link MIN_SIGNING_SECRET_BYTES}.
 *
 * @throws {TypeError} with a fixed message.
 */
export function assertSigningSecret(secret: Uint8Array): void {
  if (!(secret instanceof Uint8Array) || secret.byteLength < MIN_SIGNING_SECRET_BYTES)
    throw new TypeError('the signing secret must be at least 32 bytes');
}
