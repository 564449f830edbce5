import { coreError } from '../../core/index.ts';
import type { Authenticator } from '../../http/index.ts';
import type { CookieSessions, PresentedCookie } from './cookie-sessions.ts';
import type { TokenService } from './token-service.ts';

/** RFC 7235: the scheme name is case-insensitive; the token is RFC 6750's b64token. */
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i;

/**
 * Access tokens in `Authorization: Bearer` (a JWT, or an opaque token when so configured). It
 * claims every `Authorization` header the authenticators before it left: a header it cannot
 * read is a 401 `INVALID_TOKEN`, never a fall-through to the session cookie. So it follows the
 * authenticators of more specific headers (API keys) and comes before the cookie.
 */
export function bearerAuthenticator(tokens: Pick<TokenService, 'verifyAccessToken'>): Authenticator<string> {
  return {
    id: 'bearer',
    read: (request) => request.headers.get('authorization'),
    async authenticate(header) {
      const match = BEARER.exec(header);
      if (!match?.[1]) throw coreError('INVALID_TOKEN');
      return tokens.verifyAccessToken(match[1]);
    },
  };
}

/**
 * The session cookie of a browser sign-in, with its CSRF checks on unsafe methods. It reads a
 * cookie of our name (twice is a planted copy: 401) only when no `Authorization` header is
 * present: a presented header decides, wherever this authenticator sits in the chain, so a
 * broken token is never rescued by an ambient cookie.
 */
export function cookieAuthenticator(
  cookies: Pick<CookieSessions, 'presented' | 'authenticate'>,
): Authenticator<PresentedCookie> {
  return {
    id: 'cookie',
    read: (request) => (request.headers.has('authorization') ? null : cookies.presented(request)),
    authenticate: (cookie, request) => cookies.authenticate(request, cookie),
  };
}
