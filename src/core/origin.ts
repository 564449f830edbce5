/**
 * Web origins (RFC 6454) as Gatehouse compares them: `scheme://host[:port]`, lower-cased, the
 * default port dropped. Used for the configured allow-lists and for the `Origin` of requests.
 */

/**
 * The serialised origin of `value`, or `null` when `value` is not exactly an http(s) origin:
 * wildcards, paths, queries, fragments and userinfo are refused rather than trimmed, so an
 * allow-list entry always means what it says.
 */
export function parseOrigin(value: string): string | null {
  if (value.includes('*') || value.includes('\\')) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return null;
  if (url.pathname !== '/' || /^https?:\/\/[^/]+\/./i.test(value)) return null;
  return url.origin;
}
