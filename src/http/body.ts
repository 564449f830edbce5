import { coreError } from '../core/errors/index.ts';

/** Default request body limit. @default 16384 */
export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;

/**
 * Deepest array/object nesting accepted in a JSON body. Auth payloads are flat; deep nesting
 * only serves to exhaust recursion in whatever walks the value later (serialisers, loggers).
 */
export const MAX_JSON_DEPTH = 32;

/** Whether a `Content-Type` value is JSON we accept: `application/json`, optionally `charset=utf-8`. */
export function isJsonContentType(value: string): boolean {
  const [mediaType = '', ...parameters] = value.split(';');
  if (mediaType.trim().toLowerCase() !== 'application/json') return false;
  for (const parameter of parameters) {
    const separator = parameter.indexOf('=');
    const name = parameter
      .slice(0, separator === -1 ? undefined : separator)
      .trim()
      .toLowerCase();
    if (name !== 'charset') continue;
    const charset = parameter
      .slice(separator + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    // JSON is UTF-8 (RFC 8259 section 8.1); a body that claims another charset would be decoded wrongly.
    if (separator === -1 || (charset !== 'utf-8' && charset !== 'utf8')) return false;
  }
  return true;
}

/**
 * `true` when the declared `Content-Length` already exceeds the limit (so the body need not be
 * read). A missing or unparsable header answers `false`; the streaming read still enforces it.
 */
export function declaredLengthExceeds(headers: Headers, limitBytes: number): boolean {
  const declared = headers.get('content-length');
  if (declared === null || !/^\s*\d+\s*$/.test(declared)) return false;
  return Number(declared) > limitBytes;
}

/** Whether the request headers announce a body (a non-zero length or a transfer coding). */
export function declaresBody(headers: Headers): boolean {
  if (headers.has('transfer-encoding')) return true;
  const declared = headers.get('content-length');
  return declared !== null && declared.trim() !== '0';
}

/**
 * Reads the whole body, stopping as soon as it grows past `limitBytes`, whatever the headers
 * claim: a chunked body has no length, and a length header is only a promise.
 *
 * @throws {AuthError} `PAYLOAD_TOO_LARGE` past the limit; `MALFORMED_BODY` when the stream
 *   fails (the client aborted or sent less than it announced).
 */
export async function readBodyWithLimit(request: Request, limitBytes: number): Promise<Uint8Array> {
  const stream = request.body;
  if (stream === null) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const result = await reader.read().catch((cause: unknown) => {
        throw coreError('MALFORMED_BODY', {
          detail: 'The request body could not be read completely.',
          cause,
        });
      });
      if (result.done) break;
      size += result.value.byteLength;
      // Stop here without cancelling: cancelling would destroy the socket before the 413 is
      // written. The adapter drains or closes the connection after the response.
      if (size > limitBytes) throw coreError('PAYLOAD_TOO_LARGE');
      chunks.push(result.value);
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0] ?? new Uint8Array(0);
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes and parses a JSON body.
 *
 * @throws {AuthError} `MALFORMED_BODY` for invalid UTF-8, invalid JSON or nesting deeper than
 *   {@link MAX_JSON_DEPTH}. The detail is fixed; the parser's message (which quotes input) is
 *   never used.
 */
export function parseJsonBody(bytes: Uint8Array): unknown {
  let text: string;
  try {
    // A leading byte order mark is dropped (RFC 8259 section 8.1 lets parsers ignore it).
    text = utf8.decode(bytes);
  } catch {
    throw coreError('MALFORMED_BODY', { detail: 'The request body is not valid UTF-8.' });
  }
  if (exceedsDepth(text, MAX_JSON_DEPTH)) {
    throw coreError('MALFORMED_BODY', {
      detail: `JSON nesting deeper than ${MAX_JSON_DEPTH} levels is not accepted.`,
    });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw coreError('MALFORMED_BODY');
  }
}

/** Counts bracket nesting outside strings in one pass; the text may be invalid JSON. */
function exceedsDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c /* \ */) index += 1;
      else if (char === 0x22 /* " */) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x5b /* [ */ || char === 0x7b /* { */) {
      depth += 1;
      if (depth > maxDepth) return true;
    } else if (char === 0x5d /* ] */ || char === 0x7d /* } */) {
      depth -= 1;
    }
  }
  return false;
}
