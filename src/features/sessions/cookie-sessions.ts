import type { CookieSessionStart, Principal, RequestMeta } from '../../core/index.ts';
import { coreError } from '../../core/index.ts';
import { newId } from '../../crypto/ids.ts';
import { newOpaqueToken, parseOpaqueToken } from '../../crypto/opaque-token.ts';
import { createVerifiedCache } from '../../crypto/verified-cache.ts';
import {
  type CookieLookup,
  CSRF_HEADER,
  isAllowedOrigin,
  isUnsafeMethod,
  readCookie,
  serializeCookie,
} from '../../http/index.ts';
import type { Session, SessionRepository } from '../../stores/repositories.ts';
import type { CachedCredential, CredentialCache } from './credential-cache.ts';
import type { SessionRevocation } from './revocation.ts';

/** Makes keyed digests with the active key and checks them under the key they name. */
export interface KeyedDigests {
  digest(value: string): string;
  /** Constant time; `false` for a malformed digest or an unknown key id. */
  matches(value: string, digest: string): boolean;
}

export interface CookieSettings {
  /** The name in force (`__Host-` prefixed when secure). */
  readonly name: string;
  readonly secure: boolean;
  readonly sameSite: 'lax' | 'strict' | 'none';
  readonly idleTimeoutMs: number;
  readonly absoluteTimeoutMs: number;
  readonly rememberMeTimeoutMs: number;
  readonly touchIntervalMs: number;
}

/** A session cookie the request presents: once with its value, or twice (a planted copy). */
export type PresentedCookie = Exclude<CookieLookup, { readonly status: 'absent' }>;

export interface CookieSessionsOptions {
  readonly sessions: SessionRepository;
  readonly cache: CredentialCache;
  /** Keyed digests of cookie secrets (their own key, not the refresh tokens'). */
  readonly digests: KeyedDigests;
  /**
   * Synchronizer tokens: a keyed digest of the session id (naming its key, so a secret
   * rotation does not invalidate the tokens pages hold), which only this server can make.
   */
  readonly csrfTokens: KeyedDigests;
  /** Origins whose cookie-authenticated unsafe requests are accepted (our own included). */
  readonly allowedOrigins: ReadonlySet<string>;
  readonly ipDigest: (ip: string) => string;
  /** Current roles of an active user, or `null` when the user is gone or deactivated. */
  readonly rolesOf: (userId: string) => Promise<readonly string[] | null>;
  /** Ends a renewed session's old id on every worker once the database revoked it. */
  readonly revocation: Pick<SessionRevocation, 'forgetSessions' | 'userVersion'>;
  readonly cookie: CookieSettings;
  readonly now?: () => number;
}

export interface CookieSessions {
  start(
    user: { readonly id: string; readonly roles: readonly string[] },
    meta: RequestMeta,
    options: {
      readonly authMethods: readonly string[];
      readonly rememberMe: boolean;
      readonly secondFactorAt?: number;
    },
  ): Promise<CookieSessionStart>;
  /** Moves a cookie session to a new id and token after a privilege change; revokes the old. */
  renew(
    principal: { readonly userId: string; readonly sessionId: string },
    meta: RequestMeta,
    options?: { readonly addAuthMethods?: readonly string[] },
  ): Promise<CookieSessionStart | null>;
  /** The cookie of our name the request carries (once, or a planted second copy), or `null`. */
  presented(request: Request): PresentedCookie | null;
  /**
   * Checks the session cookie `presented` found; throws `INVALID_TOKEN` for a bad, expired,
   * revoked or duplicated cookie, and `CSRF_FAILED` for an unsafe request without the
   * session's CSRF token or from an origin not allowed.
   */
  authenticate(request: Request, presented: PresentedCookie): Promise<Principal>;
  csrfTokenFor(sessionId: string): string;
  /** A `Set-Cookie` value that deletes the session cookie. */
  clearCookie(): string;
}

/**
 * Cookie sessions: one row of the sessions table per browser login, the cookie holding an
 * opaque `<sessionId>.<secret>` whose keyed digest is all the database keeps.
 *
 * Lookups go through the credential cache (one store round trip); the idle expiry slides on
 * use, written at most once per `touchIntervalMs`; the absolute expiry never moves.
 */
/** Cookie values whose match is remembered per process (about 2 MB at most). */
const MATCHED_COOKIES = 10_000;

export function createCookieSessions(options: CookieSessionsOptions): CookieSessions {
  const now = options.now ?? Date.now;
  const { cookie } = options;
  // The digest each recently presented cookie matched, by the cookie's whole value: a browser
  // sends the same cookie with every request, and the keyed HMAC was about a tenth of a cookie
  // check. Only values that matched are kept, so a guess always pays the HMAC; the values stay
  // in this process's memory, as verified tokens do in the token cache.
  const matched = createVerifiedCache<string>(MATCHED_COOKIES);
  const matchesCached = (value: string, secret: string, digest: string): boolean => {
    const { key, value: known } = matched.get(value);
    if (known === digest) return true;
    if (!options.digests.matches(secret, digest)) return false;
    matched.set(key, digest);
    return true;
  };

  function started(sessionId: string, token: string, maxAgeSeconds: number | undefined): CookieSessionStart {
    return {
      sessionId,
      setCookie: serializeCookie(cookie.name, token, {
        secure: cookie.secure,
        sameSite: cookie.sameSite,
        ...(maxAgeSeconds === undefined ? {} : { maxAgeSeconds }),
      }),
      csrfToken: options.csrfTokens.digest(sessionId),
    };
  }

  async function create(
    userId: string,
    meta: RequestMeta,
    init: {
      authMethods: readonly string[];
      absoluteExpiresAt: number;
      remembered: boolean;
      at: number;
      /** The login time of the session being renewed. */
      createdAt?: number;
      secondFactorAt?: number | null;
    },
  ): Promise<CookieSessionStart> {
    const sessionId = newId();
    const token = newOpaqueToken(sessionId);
    await options.sessions.create({
      id: sessionId,
      userId,
      kind: 'cookie',
      tokenDigest: options.digests.digest(token.secret),
      now: init.at,
      ...(init.createdAt === undefined ? {} : { createdAt: init.createdAt }),
      ...(init.secondFactorAt == null ? {} : { secondFactorAt: init.secondFactorAt }),
      idleExpiresAt: Math.min(init.at + cookie.idleTimeoutMs, init.absoluteExpiresAt),
      absoluteExpiresAt: init.absoluteExpiresAt,
      ipHash: meta.clientIp === 'unknown' ? null : options.ipDigest(meta.clientIp),
      userAgent: meta.userAgent?.slice(0, 512) ?? null,
      authMethods: init.authMethods,
    });
    // Without "remember me" the cookie dies with the browser; the server-side limits hold anyway.
    const maxAge = init.remembered ? Math.floor((init.absoluteExpiresAt - init.at) / 1000) : undefined;
    return started(sessionId, token.token, maxAge);
  }

  /** The credential from the database, or `null` when it is not a live cookie session. */
  async function load(sessionId: string, secret: string, at: number) {
    const found = await options.sessions.findCredentials(sessionId);
    if (!found?.tokenDigest || !isLiveCookie(found.session, at)) return null;
    if (!options.digests.matches(secret, found.tokenDigest)) return null;
    const { userId } = found.session;
    // Read before the user is: a change landing in between gives a newer version than this
    // one, so the copy cached below is already out of date and the check after it drops it.
    const userVersion = await options.revocation.userVersion(userId);
    const roles = await options.rolesOf(userId);
    if (roles === null) return null;
    const credential: CachedCredential = {
      userId: found.session.userId,
      roles,
      authMethods: found.session.authMethods,
      digest: found.tokenDigest as string,
      expiresAt: found.session.absoluteExpiresAt,
      idleExpiresAt: found.session.idleExpiresAt,
      touchedAt: found.session.lastUsedAt,
      userVersion,
    };
    await options.cache.fill(sessionId, credential);
    // A change whose drop of the cached credentials ran before this fill: drop it now.
    if ((await options.revocation.userVersion(userId)) !== userVersion) await options.cache.drop(sessionId);
    return credential;
  }

  return {
    start(user, meta, { authMethods, rememberMe, secondFactorAt }) {
      const at = now();
      const lifetime = rememberMe ? cookie.rememberMeTimeoutMs : cookie.absoluteTimeoutMs;
      return create(user.id, meta, {
        authMethods,
        absoluteExpiresAt: at + lifetime,
        remembered: rememberMe,
        at,
        ...(secondFactorAt === undefined ? {} : { secondFactorAt }),
      });
    },

    async renew(principal, meta, renewOptions = {}) {
      const at = now();
      const found = await options.sessions.findCredentials(principal.sessionId);
      if (!found || found.session.userId !== principal.userId || !isLiveCookie(found.session, at))
        return null;
      const { session } = found;
      const next = await create(session.userId, meta, {
        authMethods: [...new Set([...session.authMethods, ...(renewOptions.addAuthMethods ?? [])])],
        secondFactorAt: session.secondFactorAt,
        // The new id inherits the old limits: a renewal never extends a session's life.
        absoluteExpiresAt: session.absoluteExpiresAt,
        // The login time carries over, so a remembered session stays remembered however often
        // it is renewed, and the list of sessions shows when the user really signed in.
        remembered: session.absoluteExpiresAt - session.createdAt > cookie.absoluteTimeoutMs,
        createdAt: session.createdAt,
        at,
      });
      await options.sessions.revoke(session.userId, session.id, 'renewed', at);
      await options.revocation.forgetSessions(session.userId, [session.id]);
      return next;
    },

    presented(request) {
      const lookup = readCookie(request.headers.get('cookie'), cookie.name);
      return lookup.status === 'absent' ? null : lookup;
    },

    async authenticate(request, lookup) {
      // Two cookies of our name: one was planted (e.g. by a sibling subdomain); trust neither.
      if (lookup.status === 'duplicate') throw coreError('INVALID_TOKEN');
      const parsed = parseOpaqueToken(lookup.value);
      if (!parsed) throw coreError('INVALID_TOKEN');
      const at = now();
      const cached = await options.cache.get(parsed.id);
      if (cached === 'revoked') throw coreError('INVALID_TOKEN');
      let credential = cached && matchesCached(lookup.value, parsed.secret, cached.digest) ? cached : null;
      credential ??= await load(parsed.id, parsed.secret, at);
      if (!credential || at >= credential.expiresAt || at >= credential.idleExpiresAt) {
        throw coreError('INVALID_TOKEN');
      }
      if (isUnsafeMethod(request.method)) {
        if (!isAllowedOrigin(request, options.allowedOrigins)) throw coreError('CSRF_FAILED');
        const token = request.headers.get(CSRF_HEADER);
        if (token === null || !options.csrfTokens.matches(parsed.id, token)) throw coreError('CSRF_FAILED');
      }
      if (at - credential.touchedAt >= cookie.touchIntervalMs) {
        // Throttled: a busy client writes once per interval. The cached entry goes, so the next
        // request reads the slid expiry (the cache never holds a copy the database contradicts).
        await options.sessions.slide(parsed.id, { now: at, idleExpiresAt: at + cookie.idleTimeoutMs });
        await options.cache.drop(parsed.id);
      }
      return {
        userId: credential.userId,
        sessionId: parsed.id,
        roles: credential.roles,
        authMethods: credential.authMethods,
        tokenId: parsed.id,
        expiresAt: Math.min(credential.expiresAt, credential.idleExpiresAt),
        transport: 'cookie',
        ...(credential.userVersion === undefined ? {} : { userVersion: credential.userVersion }),
      };
    },

    csrfTokenFor: (sessionId) => options.csrfTokens.digest(sessionId),

    clearCookie: () =>
      serializeCookie(cookie.name, '', {
        secure: cookie.secure,
        sameSite: cookie.sameSite,
        maxAgeSeconds: 0,
      }),
  };
}

function isLiveCookie(session: Session, at: number): boolean {
  return (
    session.kind === 'cookie' &&
    session.revokedAt === null &&
    at < session.idleExpiresAt &&
    at < session.absoluteExpiresAt
  );
}
