import { randomBytes } from 'node:crypto';

/** A fresh CSP nonce for one response (128 bits, base64). */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * The Content-Security-Policy of a page: nothing loads or runs unless listed. Scripts and
 * inline styles only with this response's nonce; the stylesheet from our own origin; images
 * from our origin (and the logo's); forms post only to our origin and the sign-in providers'
 * (a provider's sign-in may follow a form); no framing, no `<base>`, no plugins.
 */
export function contentSecurityPolicy(
  nonce: string,
  sources: { readonly imageOrigins: readonly string[]; readonly formOrigins: readonly string[] },
): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'self' 'nonce-${nonce}'`,
    ['img-src', "'self'", 'data:', ...sources.imageOrigins].join(' '),
    "connect-src 'self'",
    ['form-action', "'self'", ...sources.formOrigins].join(' '),
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
}

/**
 * Headers of every page response. Every page is `no-store`: each one carries a form token, and
 * several carry a secret (a mail-link token, a pending sign-in), so none may sit in a cache or
 * in the back/forward history of a shared computer.
 */
export function pageHeaders(csp: string): Record<string, string> {
  return {
    'Content-Security-Policy': csp,
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  };
}
