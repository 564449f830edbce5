/**
 * The one cookie Gatehouse reads, read strictly. Only the exact configured name counts (no
 * case folding, no prefix stripping), and a name present twice is reported as such: a second
 * copy is what cookie tossing from a sibling subdomain (or a path-scoped plant) looks like,
 * and no copy can be trusted to be ours.
 */

export type CookieLookup =
  | { readonly status: 'absent' }
  | { readonly status: 'present'; readonly value: string }
  | { readonly status: 'duplicate' };

/** Finds `name` in a `Cookie` header (RFC 6265 §5.4: pairs joined by `; `). */
export function readCookie(header: string | null, name: string): CookieLookup {
  if (header === null) return { status: 'absent' };
  let found: string | undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    if (pair.slice(0, eq).trim() !== name) continue;
    if (found !== undefined) return { status: 'duplicate' };
    found = pair.slice(eq + 1).trim();
  }
  return found === undefined ? { status: 'absent' } : { status: 'present', value: found };
}

export interface CookieAttributes {
  readonly secure: boolean;
  readonly sameSite: 'lax' | 'strict' | 'none';
  /** Seconds until the browser drops it; `0` deletes it; absent makes a browser-session cookie. */
  readonly maxAgeSeconds?: number;
}

const SAME_SITE = { lax: 'Lax', strict: 'Strict', none: 'None' } as const;

/** A `Set-Cookie` value: always `Path=/` and `HttpOnly`, never `Domain` (host-only). */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly'];
  if (attributes.secure) parts.push('Secure');
  parts.push(`SameSite=${SAME_SITE[attributes.sameSite]}`);
  if (attributes.maxAgeSeconds !== undefined) {
    parts.push(`Max-Age=${Math.max(0, Math.floor(attributes.maxAgeSeconds))}`);
    if (attributes.maxAgeSeconds <= 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  }
  return parts.join('; ');
}

/**
 * The cookie name in force: with `Secure`, the `__Host-` prefix, which browsers only accept
 * from a secure origin, without `Domain` and with `Path=/`, so no sibling subdomain can set it.
 */
export function sessionCookieName(name: string, options: { readonly secure: boolean }): string {
  return options.secure ? `__Host-${name}` : name;
}
