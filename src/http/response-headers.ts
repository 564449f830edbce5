import { REQUEST_ID_HEADER } from './request-id.ts';
import type { RouteResult } from './route.ts';

const COMMON_HEADERS: readonly (readonly [string, string])[] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'no-referrer'],
];

/** The headers every response carries, set on a response built elsewhere (404s, failures, redirects). */
export function setCommonHeaders(headers: Headers, requestId: string): void {
  headers.set(REQUEST_ID_HEADER, requestId);
  // Auth answers hold tokens and personal data: never cached unless a route opts in
  // explicitly (e.g. a public key set) by setting its own Cache-Control.
  if (!headers.has('Cache-Control')) headers.set('Cache-Control', 'no-store');
  for (const [name, value] of COMMON_HEADERS) headers.set(name, value);
}

/** What `Headers` refuses in a value; a header record is checked here instead. */
const FORBIDDEN_VALUE = /[\0\r\n]/;

/** What a route's answer carries besides the result's own headers. */
export interface AnswerHeaders {
  readonly requestId: string;
  /** The rate-limit headers (set). */
  readonly limitHeaders?: Readonly<Record<string, string>> | undefined;
  /** What the handler put in `responseHeaders` (`Set-Cookie` appends, the others are set). */
  readonly handlerHeaders?: Headers | undefined;
  /** The CORS headers, names in lower case (`vary` appends, the others are set). */
  readonly crossOrigin?: Readonly<Record<string, string>> | undefined;
}

/**
 * The response to a route's JSON result with every header it will carry, given at
 * construction: the result's own, the rate-limit headers, what the handler put in
 * `responseHeaders`, the CORS headers, then the common ones (as `setCommonHeaders`).
 *
 * Built from a plain header record, not changed afterwards: `@hono/node-server` writes such a
 * response straight to the socket, while one whose headers are read or changed after
 * construction first becomes a `Headers` copy that is validated, sorted and copied again —
 * about a quarter of what a cheap request cost. Names are lower case, as `Headers` sends them;
 * values are not trimmed (ours have no surrounding spaces).
 *
 * @throws {TypeError} for a header value `Headers` would refuse (a CR, LF or NUL).
 */
export function routeResponse(result: RouteResult, answer: AnswerHeaders): Response {
  const { limitHeaders, handlerHeaders, crossOrigin } = answer;
  // An ordinary object (a prototype-less one is slower to build and to read): names come from
  // our own routes, never from a request.
  const record: Record<string, string> = {};
  let cookies: string[] | undefined;
  if (result.headers !== undefined) {
    for (const [name, value] of headerPairs(result.headers)) {
      checkValue(name, value);
      const key = name.toLowerCase();
      if (key === 'set-cookie') cookies = [...(cookies ?? []), value];
      else record[key] = Object.hasOwn(record, key) ? `${record[key]}, ${value}` : value;
    }
  }
  if (result.body !== undefined) record['content-type'] ??= 'application/json';
  if (limitHeaders) {
    for (const name in limitHeaders) {
      const value = limitHeaders[name] as string;
      checkValue(name, value);
      record[name.toLowerCase()] = value;
    }
  }
  // Already checked by `Headers`.
  if (handlerHeaders) {
    for (const [name, value] of handlerHeaders) {
      if (name === 'set-cookie') cookies = [...(cookies ?? []), value];
      else record[name] = value;
    }
  }
  if (crossOrigin) {
    for (const name in crossOrigin) {
      const value = crossOrigin[name] as string;
      record[name] = name === 'vary' && Object.hasOwn(record, 'vary') ? `${record.vary}, ${value}` : value;
    }
  }
  // A sane request id or a UUID (see requestIdFrom).
  record['x-request-id'] = answer.requestId;
  record['cache-control'] ??= 'no-store';
  record['x-content-type-options'] = 'nosniff';
  record['referrer-policy'] = 'no-referrer';
  const body = result.body === undefined ? null : JSON.stringify(result.body);
  if (cookies === undefined) return new Response(body, { status: result.status, headers: record });
  // Several `Set-Cookie` lines cannot share a record: `Headers` keeps them apart.
  const headers = new Headers(record);
  for (const cookie of cookies) headers.append('Set-Cookie', cookie);
  return new Response(body, { status: result.status, headers });
}

function checkValue(name: string, value: string): void {
  if (FORBIDDEN_VALUE.test(value)) throw new TypeError(`Invalid value of header ${name}`);
}

/** The name and value pairs of any `HeadersInit`, in order (a plain record without a copy). */
function headerPairs(init: NonNullable<RouteResult['headers']>): Iterable<readonly [string, string]> {
  const prototype: unknown = Object.getPrototypeOf(init);
  if (prototype === Object.prototype || prototype === null) {
    return Object.entries(init as Record<string, string>);
  }
  return new Headers(init);
}

/** Adds the rate-limit headers to a response (they go on refusals and successes alike). */
export function withHeaders(
  response: Response,
  headers: Readonly<Record<string, string>> | undefined,
): Response {
  if (headers) for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

/** Adds what a handler put in `ctx.responseHeaders` (several `Set-Cookie` lines included). */
export function appendHeaders(response: Response, headers: Headers | undefined): Response {
  if (headers === undefined) return response;
  for (const cookie of headers.getSetCookie()) response.headers.append('Set-Cookie', cookie);
  for (const [name, value] of headers) if (name !== 'set-cookie') response.headers.set(name, value);
  return response;
}
