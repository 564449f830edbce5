/**
 * The one choke point for every request to a provider: a fetch with a deadline covering the
 * whole exchange, a response size cap, no redirects, and the scheme rule (`https:`, or `http:`
 * on a loopback host when explicitly allowed). oauth4webapi gets it as its `customFetch`, and
 * the GitHub API calls go through it too, so no provider request can bypass these limits.
 */
import * as oauth from 'oauth4webapi';
import { isProviderError, ProviderError } from './errors.ts';

/** Largest provider response read (discovery documents and JWKS are a few KiB). */
const MAX_RESPONSE_BYTES = 1024 * 1024;
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

export interface OAuthHttpOptions {
  readonly [oauth.customFetch]: (
    url: string,
    options: oauth.CustomFetchOptions<string, unknown>,
  ) => Promise<Response>;
  readonly [oauth.allowInsecureRequests]?: boolean;
}

export interface Transport {
  fetch(url: string, init: RequestInit): Promise<Response>;
  /** Throws `invalid_response` when a provider-supplied URL is not one we may call. */
  assertAllowed(url: string): void;
  /** The options every oauth4webapi call gets: our fetch, and http only when loopback is allowed. */
  readonly oauthOptions: OAuthHttpOptions;
}

/**
 * Fetch with a deadline covering the whole exchange (headers and body), no redirects, a size
 * cap, and the scheme rule. The body is read here, inside the deadline, so a server that sends
 * headers and then stalls cannot hang a sign-in. Network failures become `unreachable`.
 */
export function createTransport(
  name: string,
  settings: { readonly timeoutMs: number; readonly allowInsecureLoopback: boolean },
): Transport {
  const assertAllowed = (url: string): void => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ProviderError('invalid_response', name, { check: 'endpoint' });
    }
    if (!isAllowedProviderUrl(parsed, settings.allowInsecureLoopback)) {
      throw new ProviderError('invalid_response', name, { check: 'endpoint' });
    }
  };

  const fetchWithDeadline = async (url: string, init: RequestInit): Promise<Response> => {
    assertAllowed(url);
    const signal = AbortSignal.timeout(settings.timeoutMs);
    let response: Response;
    let body: Uint8Array | null;
    try {
      response = await fetch(url, { ...init, redirect: 'manual', signal });
      body = NULL_BODY_STATUSES.has(response.status) ? null : await readCapped(response);
    } catch (error) {
      if (isProviderError(error)) throw error;
      throw new ProviderError('unreachable', name, { check: signal.aborted ? 'timeout' : 'network' });
    }
    try {
      return new Response(body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    } catch {
      throw new ProviderError('invalid_response', name, { check: 'status' });
    }
  };

  const readCapped = async (response: Response): Promise<Uint8Array> => {
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > MAX_RESPONSE_BYTES) {
      await response.body?.cancel();
      throw new ProviderError('invalid_response', name, { check: 'size' });
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (response.body === null) return new Uint8Array(0);
    for await (const chunk of response.body) {
      total += chunk.byteLength;
      if (total > MAX_RESPONSE_BYTES) throw new ProviderError('invalid_response', name, { check: 'size' });
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, total);
  };

  const oauthOptions: OAuthHttpOptions = {
    [oauth.customFetch]: (url, options) => fetchWithDeadline(url, options as RequestInit),
    // Our fetch enforces the real rule (https, or http on loopback when allowed).
    ...(settings.allowInsecureLoopback ? { [oauth.allowInsecureRequests]: true } : {}),
  };
  return Object.freeze({ fetch: fetchWithDeadline, assertAllowed, oauthOptions });
}

/** `localhost`, `[::1]` or an address in `127.0.0.0/8` (as `URL.hostname` spells them). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/** The scheme rule: `https:`, or `http:` on a loopback host when allowed; never userinfo. */
export function isAllowedProviderUrl(url: URL, allowInsecureLoopback: boolean): boolean {
  if (url.username !== '' || url.password !== '') return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && allowInsecureLoopback && isLoopbackHost(url.hostname);
}
