/**
 * The flow cookie: everything one OAuth authorization request must remember between
 * `/authorize` and `/callback` (state, nonce, PKCE verifier, where to go afterwards), kept in
 * the browser instead of a store, encrypted and authenticated so the client can neither read
 * the verifier nor forge, edit or replay the flow for another provider.
 *
 * - Short-lived: `Max-Age` of at most ten minutes, and an expiry inside the sealed value that is
 *   checked on every read (a browser that ignores `Max-Age` gains nothing).
 * - Scoped to the provider twice: by its name (`__Host-gh_oauth_<provider>`) and by the
 *   associated data it is sealed under (`gatehouse:oauth-flow:<provider>`), so a cookie issued
 *   for one provider and renamed for another fails authentication.
 * - `HttpOnly; Secure; SameSite=Lax; Path=/`: `Lax` because the callback is a top-level
 *   cross-site GET navigation from the provider (query response mode), which `Strict` would
 *   strip; `__Host-` so no sibling subdomain can plant one.
 * - Read strictly: absent, duplicated (cookie tossing), garbled, tampered, expired or
 *   malformed all give `null`, never an exception.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.7 (CSRF protection with state / PKCE)
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-4.1.1 (cookie syntax)
 */

import { MAX_REDIRECT_TARGET_LENGTH } from '../../core/redirect-target.ts';
import { readCookie, serializeCookie } from '../../http/index.ts';

/** One authorization request in flight. */
export interface OAuthFlow {
  /** Sent to the provider and compared with the one it sends back to the callback. */
  readonly state: string;
  /** OIDC `nonce`, compared with the ID token's. */
  readonly nonce: string;
  /** PKCE code verifier (RFC 7636), sent with the code at the token endpoint. */
  readonly codeVerifier: string;
  /** Where to send the browser afterwards, as `checkRedirectTarget` returned it. */
  readonly redirectTo: string;
  /** `login` signs in or registers; `link` attaches the provider account to `userId`. */
  readonly mode: 'login' | 'link';
  /** The signed-in user who started a `link` flow (required for `link`). */
  readonly userId?: string;
  /**
   * The session that started a `link` flow (required for `link`): the callback links only
   * while that very session is still live, so ending it (logout, a password change) ends the
   * flow too.
   */
  readonly sessionId?: string;
  /**
   * The PKCE-style challenge an SPA or mobile client sent to `/authorize`, which its exchange
   * code will be bound to (required for the `exchange` transport).
   */
  readonly clientCodeChallenge?: string;
  /** `cookie`: finish with a cookie session; `exchange`: with a one-time exchange code. */
  readonly transport: 'cookie' | 'exchange';
  /** Milliseconds since the epoch, on the same clock as `now`, after which the flow is refused. */
  readonly expiresAt: number;
}

export interface FlowCookieOptions {
  /** Encrypts and authenticates `plaintext` under `aad` into a cookie-safe string. */
  seal(plaintext: string, aad: string): string;
  /** Reverses {@link FlowCookieOptions.seal} for the same `aad`; throws when it cannot. */
  open(envelope: string, aad: string): string;
  /** HTTPS deployment: `__Host-` name and the `Secure` attribute. */
  readonly secure: boolean;
  /** Clock in milliseconds. @default Date.now */
  readonly now?: () => number;
}

export interface FlowCookies {
  /** The cookie's name for `provider`: `__Host-gh_oauth_<provider>` (or `gh_oauth_<provider>`). */
  name(provider: string): string;
  /**
   * A `Set-Cookie` value holding `flow` sealed for `provider`. The sealed expiry is the earlier
   * of `flow.expiresAt` and now + `ttlSeconds`. Throws a `TypeError` for a malformed flow
   * (including `link` without `userId` or `sessionId`, and `exchange` without
   * `clientCodeChallenge`) and a
   * `RangeError` for a `ttlSeconds` outside 1–600, a flow already expired, or a cookie too
   * large for browsers to keep.
   */
  issue(provider: string, flow: OAuthFlow, options: { readonly ttlSeconds: number }): string;
  /** The flow for `provider` carried by `request`, or `null` when there is no valid one. */
  read(request: Request, provider: string): OAuthFlow | null;
  /** A `Set-Cookie` value that deletes the cookie (after the callback, whatever its outcome). */
  clear(provider: string): string;
}

/** Ten minutes: long enough to sign in at a provider, short enough to bound a stolen cookie. */
export const MAX_FLOW_TTL_SECONDS = 600;
/** Browsers drop cookies whose name and value exceed 4096 bytes; refuse to issue one. */
const MAX_COOKIE_BYTES = 4096;
/** Provider ids go into the cookie name and the associated data: token characters only. */
const PROVIDER_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** RFC 6265 `cookie-octet`: no controls, whitespace, `"`, `,`, `;` or `\`. */
const COOKIE_OCTETS = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+$/;
/** Generous bounds for state, nonce, verifier (43–128 chars), challenge and user id. */
const MAX_TOKEN_LENGTH = 512;
const FLOW_KEYS: ReadonlySet<string> = new Set([
  'state',
  'nonce',
  'codeVerifier',
  'redirectTo',
  'mode',
  'userId',
  'sessionId',
  'clientCodeChallenge',
  'transport',
  'expiresAt',
]);

/**
 * Builds the flow-cookie codec over an AEAD (`seal`/`open`), typically the keyring's
 * secret-encryption AEAD.
 *
 * @example
 * const flows = createFlowCookies({
 *   seal: (text, aad) => aead.encrypt(text, aad),
 *   open: (envelope, aad) => aead.decrypt(envelope, aad).toString('utf8'),
 *   secure: true,
 * });
 * headers.append('Set-Cookie', flows.issue('google', flow, { ttlSeconds: 600 }));
 * const flowAgain = flows.read(callbackRequest, 'google'); // null when absent, forged or expired
 */
export function createFlowCookies(options: FlowCookieOptions): FlowCookies {
  const { seal, open, secure } = options;
  const now = options.now ?? Date.now;
  if (typeof seal !== 'function' || typeof open !== 'function') {
    throw new TypeError('flow cookies need seal and open functions');
  }

  function name(provider: string): string {
    checkProvider(provider);
    return secure ? `__Host-gh_oauth_${provider}` : `gh_oauth_${provider}`;
  }

  return Object.freeze({
    name,

    issue(provider: string, flow: OAuthFlow, { ttlSeconds }: { readonly ttlSeconds: number }): string {
      const cookieName = name(provider);
      if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_FLOW_TTL_SECONDS) {
        throw new RangeError(`flow cookie ttlSeconds must be an integer from 1 to ${MAX_FLOW_TTL_SECONDS}`);
      }
      if (!isOAuthFlow(flow)) throw new TypeError('not a well-formed OAuth flow');
      const issuedAt = now();
      const expiresAt = Math.floor(Math.min(flow.expiresAt, issuedAt + ttlSeconds * 1000));
      if (expiresAt <= issuedAt) throw new RangeError('the OAuth flow has already expired');
      const sealed = seal(JSON.stringify(copyFlow({ ...flow, expiresAt })), associatedData(provider));
      if (typeof sealed !== 'string' || !COOKIE_OCTETS.test(sealed)) {
        throw new TypeError('seal must return a non-empty cookie-safe string');
      }
      if (Buffer.byteLength(`${cookieName}=${sealed}`) > MAX_COOKIE_BYTES) {
        throw new RangeError('the flow cookie would exceed what browsers keep');
      }
      return serializeCookie(cookieName, sealed, { secure, sameSite: 'lax', maxAgeSeconds: ttlSeconds });
    },

    read(request: Request, provider: string): OAuthFlow | null {
      const lookup = readCookie(request.headers.get('cookie'), name(provider));
      // A second cookie of our name is a plant (cookie tossing): no copy can be trusted.
      if (lookup.status !== 'present') return null;
      const envelope = lookup.value;
      if (envelope.length > MAX_COOKIE_BYTES || !COOKIE_OCTETS.test(envelope)) return null;
      let flow: unknown;
      try {
        flow = JSON.parse(open(envelope, associatedData(provider)));
      } catch {
        // Tampered, sealed for another provider or key, or not ours at all: all the same here.
        return null;
      }
      if (!isOAuthFlow(flow) || flow.expiresAt <= now()) return null;
      return Object.freeze(copyFlow(flow));
    },

    clear(provider: string): string {
      return serializeCookie(name(provider), '', { secure, sameSite: 'lax', maxAgeSeconds: 0 });
    },
  });
}

function checkProvider(provider: string): void {
  if (typeof provider !== 'string' || !PROVIDER_PATTERN.test(provider)) {
    throw new TypeError('provider ids are 1–64 characters of A–Z a–z 0–9 _ -');
  }
}

function associatedData(provider: string): string {
  return `gatehouse:oauth-flow:${provider}`;
}

/** Only the known fields, in a fixed order: nothing else a caller's object carries is sealed. */
function copyFlow(flow: OAuthFlow): OAuthFlow {
  return {
    state: flow.state,
    nonce: flow.nonce,
    codeVerifier: flow.codeVerifier,
    redirectTo: flow.redirectTo,
    mode: flow.mode,
    ...(flow.userId === undefined ? {} : { userId: flow.userId }),
    ...(flow.sessionId === undefined ? {} : { sessionId: flow.sessionId }),
    ...(flow.clientCodeChallenge === undefined ? {} : { clientCodeChallenge: flow.clientCodeChallenge }),
    transport: flow.transport,
    expiresAt: flow.expiresAt,
  };
}

function isToken(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TOKEN_LENGTH;
}

/** Exactly the shape of an {@link OAuthFlow}, with the fields each mode and transport needs. */
function isOAuthFlow(value: unknown): value is OAuthFlow {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const flow = value as Record<string, unknown>;
  for (const key of Object.keys(flow)) {
    if (!FLOW_KEYS.has(key) && flow[key] !== undefined) return false;
  }
  if (!isToken(flow.state) || !isToken(flow.nonce) || !isToken(flow.codeVerifier)) return false;
  if (typeof flow.redirectTo !== 'string' || flow.redirectTo.length === 0) return false;
  if (flow.redirectTo.length > MAX_REDIRECT_TARGET_LENGTH) return false;
  if (flow.mode !== 'login' && flow.mode !== 'link') return false;
  if (flow.transport !== 'cookie' && flow.transport !== 'exchange') return false;
  if (flow.userId !== undefined && !isToken(flow.userId)) return false;
  if (flow.sessionId !== undefined && !isToken(flow.sessionId)) return false;
  if (flow.clientCodeChallenge !== undefined && !isToken(flow.clientCodeChallenge)) return false;
  if (flow.mode === 'link' && (flow.userId === undefined || flow.sessionId === undefined)) return false;
  if (flow.transport === 'exchange' && flow.clientCodeChallenge === undefined) return false;
  return typeof flow.expiresAt === 'number' && Number.isSafeInteger(flow.expiresAt) && flow.expiresAt > 0;
}
