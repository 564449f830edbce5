/**
 * Construction-time checks of a provider's configuration and of our redirect URI. A bad value
 * is a deployment mistake, so it throws a `TypeError` when the client is created rather than
 * failing the first sign-in.
 */
import { isAllowedProviderUrl, isLoopbackHost } from './transport.ts';

/** Our callback URL: `https:`, or `http:` on a loopback host; no fragment or userinfo. */
export function checkRedirectUri(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError('redirectUri must be an absolute URL');
  }
  const httpOnLoopback = url.protocol === 'http:' && isLoopbackHost(url.hostname);
  if (
    (url.protocol !== 'https:' && !httpOnLoopback) ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw new TypeError(
      'redirectUri must be https (http only on a loopback host), without fragment or userinfo',
    );
  }
  return url.href;
}

/** A configured provider URL (issuer, endpoint) that the transport will agree to call. */
export function checkProviderUrl(value: string, field: string, allowInsecureLoopback: boolean): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`${field} must be an absolute URL`);
  }
  if (!isAllowedProviderUrl(url, allowInsecureLoopback) || url.hash !== '') {
    throw new TypeError(
      `${field} must be https (http only on a loopback host with allowInsecureLoopback), without userinfo or fragment`,
    );
  }
  return url;
}

export function checkNonEmpty(value: string, field: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new TypeError(`${field} must be a non-empty string`);
  return value;
}

/** RFC 6749 scope-token: printable ASCII without space, `"` or `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** The `scope` parameter: the configured tokens, de-duplicated, with `require` first when given. */
export function scopeString(scopes: readonly string[], options: { readonly require?: string }): string {
  if (
    !Array.isArray(scopes) ||
    !scopes.every((scope) => typeof scope === 'string' && SCOPE_TOKEN.test(scope))
  ) {
    throw new TypeError('scopes must be an array of scope tokens');
  }
  const unique = new Set(options.require === undefined ? scopes : [options.require, ...scopes]);
  return [...unique].join(' ');
}
