import { createHash, randomBytes } from 'node:crypto';
import type {
  AuditLog,
  RequestMeta,
  SecondFactorGate,
  SessionIssuer,
  SignInMethods,
  TokenResponse,
  TwoFactorChallenge,
} from '../../core/index.ts';
import { checkRedirectTarget } from '../../core/redirect-target.ts';
import { newId } from '../../crypto/ids.ts';
import type { KeyValueStore, OnceStore } from '../../stores/contract.ts';
import type {
  OAuthAccount,
  OAuthAccountRepository,
  User,
  UserRepository,
} from '../../stores/repositories.ts';
import { oauthError } from './error-codes.ts';
import type { FlowCookies, OAuthFlow } from './flow-cookie.ts';
import { isProviderError, type ProviderIdentity } from './providers/client.ts';

/** What the service needs of a provider: the two halves of the authorization code flow. */
export interface ProviderFlow {
  authorizationUrl(input: { state: string; nonce: string; codeChallenge: string }): Promise<URL>;
  finish(input: {
    callbackUrl: URL;
    state: string;
    nonce: string;
    codeVerifier: string;
  }): Promise<ProviderIdentity>;
}

export interface OAuthServiceOptions {
  readonly providers: ReadonlyMap<string, ProviderFlow>;
  /** Every feature's ways in: an unlink never leaves none. */
  readonly signInMethods: SignInMethods;
  readonly flows: FlowCookies;
  readonly users: UserRepository;
  readonly accounts: OAuthAccountRepository;
  readonly once: OnceStore;
  readonly keyValue: KeyValueStore;
  readonly sessions: SessionIssuer;
  readonly secondFactor: SecondFactorGate;
  readonly audit: AuditLog;
  /** Where `redirectTo` may point: relative paths on `baseUrl`, or these exact origins. */
  readonly redirects: { readonly baseUrl: string; readonly allowedOrigins: readonly string[] };
  readonly normalizeEmail: (email: string) => string | null;
  readonly linkByVerifiedEmail: boolean;
  readonly allowUnverifiedEmail: boolean;
  /** Seals provider tokens for storage, or `null` to keep none. */
  readonly sealProviderToken:
    | ((accountId: string, column: 'access_token' | 'refresh_token', token: string) => string)
    | null;
  /** A registration gate (the `beforeRegister` hook); `false` refuses a new account. */
  readonly mayRegister: (email: string, name: string | null) => Promise<boolean>;
  readonly flowTtlSeconds: number;
  readonly exchangeTtlMs: number;
  readonly now?: () => number;
}

/** The outcome of a callback: where to send the browser, and what to set on the way. */
export type CallbackOutcome =
  | { readonly kind: 'signed_in'; readonly location: string; readonly setCookies: readonly string[] }
  | { readonly kind: 'redirect'; readonly location: string; readonly setCookies: readonly string[] };

export interface OAuthService {
  knows(provider: string): boolean;
  start(
    provider: string,
    input: {
      redirectTo?: string | undefined;
      codeChallenge?: string | undefined;
      /** Starts a `link` flow for this signed-in user and session (bound to that session). */
      link?: { readonly userId: string; readonly sessionId: string };
    },
  ): Promise<{ location: string; setCookie: string }>;
  callback(provider: string, request: Request, meta: RequestMeta): Promise<CallbackOutcome>;
  exchange(
    input: { code: string; codeVerifier: string },
    meta: RequestMeta,
  ): Promise<{ user: User; tokens: TokenResponse } | { user: User; challenge: TwoFactorChallenge }>;
  list(userId: string): Promise<OAuthAccount[]>;
  /** A `Set-Cookie` that deletes the provider's flow cookie (every callback ends the flow). */
  clearFlowCookie(provider: string): string;
  unlink(userId: string, accountId: string, meta: RequestMeta): Promise<void>;
}

const random = () => randomBytes(32).toString('base64url');
const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
const exchangeKey = (code: string) =>
  `oauth:exchange:${createHash('sha256').update(code).digest('base64url')}`;
const stateKey = (state: string) => `oauth:state:${state}`;

/** Adds query or fragment parameters to a redirect target (absolute, or a path). */
function withParameters(
  target: string,
  parameters: Record<string, string>,
  where: 'query' | 'fragment',
): string {
  const url = new URL(target, 'http://placeholder.invalid');
  const encoded = new URLSearchParams(parameters).toString();
  if (where === 'query')
    for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value);
  else url.hash = encoded;
  return target.startsWith('/') ? `${url.pathname}${url.search}${url.hash}` : url.toString();
}

/**
 * Sign-in and linking with OAuth 2 / OpenID Connect providers (authorization code + PKCE).
 *
 * The flow's secrets (state, nonce, PKCE verifier, where to go next) travel in an encrypted,
 * provider-bound cookie; the callback takes the state once (across workers), so a replayed
 * callback fails even with the cookie. Account resolution never links to an unverified local
 * account, and by email only when the operator allows it.
 */
export function createOAuthService(options: OAuthServiceOptions): OAuthService {
  const now = options.now ?? Date.now;

  function providerOf(name: string): ProviderFlow {
    const provider = options.providers.get(name);
    if (!provider) throw oauthError('OAUTH_STATE_INVALID');
    return provider;
  }

  async function finishProvider(
    provider: ProviderFlow,
    request: Request,
    flow: OAuthFlow,
  ): Promise<ProviderIdentity> {
    try {
      return await provider.finish({
        callbackUrl: new URL(request.url),
        state: flow.state,
        nonce: flow.nonce,
        codeVerifier: flow.codeVerifier,
      });
    } catch (error) {
      if (!isProviderError(error)) throw error;
      if (error.reason === 'unreachable')
        throw oauthError('OAUTH_PROVIDER_UNAVAILABLE', { retryAfterSeconds: 5 });
      if (error.reason === 'state_mismatch') throw oauthError('OAUTH_STATE_INVALID');
      if (error.reason === 'email_unavailable') throw oauthError('OAUTH_EMAIL_NOT_VERIFIED');
      throw oauthError('OAUTH_PROVIDER_ERROR');
    }
  }

  async function link(
    providerName: string,
    userId: string,
    identity: ProviderIdentity,
  ): Promise<OAuthAccount> {
    const id = newId();
    const seal = options.sealProviderToken;
    const created = await options.accounts.create({
      id,
      userId,
      provider: providerName,
      subject: identity.subject,
      email: identity.email,
      ...(seal
        ? {
            accessToken: seal(id, 'access_token', identity.tokens.accessToken),
            refreshToken: identity.tokens.refreshToken
              ? seal(id, 'refresh_token', identity.tokens.refreshToken)
              : null,
          }
        : {}),
      now: now(),
    });
    if (created) return created;
    const existing = await options.accounts.findByProviderSubject(providerName, identity.subject);
    if (existing?.userId === userId) return existing;
    throw oauthError('OAUTH_ACCOUNT_ALREADY_LINKED');
  }

  /** The local user this provider identity signs in as (linking or creating when allowed). */
  async function resolve(providerName: string, identity: ProviderIdentity, meta: RequestMeta): Promise<User> {
    const linked = await options.accounts.findByProviderSubject(providerName, identity.subject);
    if (linked) {
      const user = await options.users.findById(linked.userId);
      if (!user?.isActive) throw oauthError('OAUTH_PROVIDER_ERROR');
      return user;
    }
    const email = identity.email ? options.normalizeEmail(identity.email) : null;
    if (!email || (!identity.emailVerified && !options.allowUnverifiedEmail)) {
      throw oauthError('OAUTH_EMAIL_NOT_VERIFIED');
    }
    const local = await options.users.findByEmail(email);
    if (local) {
      // Pre-account takeover: whoever registered an address they do not own must never be
      // handed the provider account's owner; and matching by email at all is opt-in.
      const mayLink =
        options.linkByVerifiedEmail &&
        identity.emailVerified &&
        local.emailVerifiedAt !== null &&
        local.isActive;
      if (!mayLink) throw oauthError('OAUTH_EMAIL_IN_USE');
      await link(providerName, local.id, identity);
      await options.audit.record('oauth.linked', meta, {
        userId: local.id,
        data: { provider: providerName, by: 'email' },
      });
      return local;
    }
    if (!(await options.mayRegister(email, identity.name))) throw oauthError('OAUTH_PROVIDER_ERROR');
    const at = now();
    const user = await options.users.create({
      id: newId(),
      email,
      passwordHash: null,
      name: identity.name,
      emailVerifiedAt: identity.emailVerified ? at : null,
      securityStamp: random(),
      now: at,
    });
    if (!user) throw oauthError('OAUTH_EMAIL_IN_USE');
    await link(providerName, user.id, identity);
    await options.audit.record('user.registered', meta, {
      userId: user.id,
      data: { provider: providerName },
    });
    return user;
  }

  return {
    knows: (provider) => options.providers.has(provider),

    async start(providerName, input) {
      const provider = providerOf(providerName);
      const redirectTo = checkRedirectTarget(input.redirectTo ?? '/', options.redirects);
      if (redirectTo === null) throw oauthError('REDIRECT_NOT_ALLOWED');
      const codeVerifier = random();
      const flow: OAuthFlow = {
        state: random(),
        nonce: random(),
        codeVerifier,
        redirectTo,
        mode: input.link ? 'link' : 'login',
        ...(input.link ? { userId: input.link.userId, sessionId: input.link.sessionId } : {}),
        ...(input.codeChallenge ? { clientCodeChallenge: input.codeChallenge } : {}),
        transport: input.codeChallenge ? 'exchange' : 'cookie',
        expiresAt: now() + options.flowTtlSeconds * 1000,
      };
      const location = await provider
        .authorizationUrl({ state: flow.state, nonce: flow.nonce, codeChallenge: s256(codeVerifier) })
        .catch((error: unknown) => {
          if (isProviderError(error))
            throw oauthError('OAUTH_PROVIDER_UNAVAILABLE', { retryAfterSeconds: 5 });
          throw error;
        });
      return {
        location: location.toString(),
        setCookie: options.flows.issue(providerName, flow, { ttlSeconds: options.flowTtlSeconds }),
      };
    },

    async callback(providerName, request, meta) {
      const provider = providerOf(providerName);
      const flow = options.flows.read(request, providerName);
      const presentedState = new URL(request.url).searchParams.get('state');
      if (!flow || presentedState !== flow.state) throw oauthError('OAUTH_STATE_INVALID');
      // Once, across workers: a replayed callback (even with the cookie) is refused.
      if (!(await options.once.consumeOnce(stateKey(flow.state), options.flowTtlSeconds * 1000 + 60_000))) {
        throw oauthError('OAUTH_STATE_INVALID');
      }
      const identity = await finishProvider(provider, request, flow);

      if (flow.mode === 'link') {
        const user = flow.userId ? await options.users.findById(flow.userId) : null;
        if (!user?.isActive) throw oauthError('OAUTH_STATE_INVALID');
        // Bound to the session that started it, checked as late as possible: once that session
        // is over (logout, a password change, revoked elsewhere) whoever finishes the round trip
        // must not attach a sign-in method to the account.
        const sessionLive =
          flow.sessionId !== undefined && (await options.sessions.isSessionLive(user.id, flow.sessionId));
        if (!sessionLive) {
          await options.audit.record('oauth.link_refused', meta, {
            userId: user.id,
            sessionId: flow.sessionId ?? null,
            data: { provider: providerName, reason: 'session_ended' },
          });
          throw oauthError('OAUTH_LINK_SESSION_ENDED');
        }
        await link(providerName, user.id, identity);
        await options.audit.record('oauth.linked', meta, {
          userId: user.id,
          data: { provider: providerName },
        });
        return {
          kind: 'redirect',
          location: withParameters(flow.redirectTo, { linked: providerName }, 'query'),
          setCookies: [],
        };
      }

      const user = await resolve(providerName, identity, meta);
      if (flow.transport === 'exchange') {
        const code = random();
        await options.keyValue.set(
          exchangeKey(code),
          JSON.stringify({ userId: user.id, challenge: flow.clientCodeChallenge, provider: providerName }),
          options.exchangeTtlMs,
        );
        return {
          kind: 'redirect',
          location: withParameters(flow.redirectTo, { code }, 'query'),
          setCookies: [],
        };
      }
      const challenge = await options.secondFactor.challenge(user, meta, {
        transport: 'cookie',
        rememberMe: false,
        firstFactor: 'oauth',
      });
      if (challenge) {
        // The fragment never reaches a server: the page finishes at POST /auth/2fa/verify.
        const location = withParameters(
          flow.redirectTo,
          { twoFactorRequired: 'true', pendingToken: challenge.pendingToken },
          'fragment',
        );
        return { kind: 'redirect', location, setCookies: [] };
      }
      const session = await options.sessions.startCookieSession(user, meta, {
        authMethods: ['oauth'],
        rememberMe: false,
      });
      await options.audit.record('login.success', meta, {
        userId: user.id,
        sessionId: session.sessionId,
        data: { methods: ['oauth'], provider: providerName },
      });
      return { kind: 'signed_in', location: flow.redirectTo, setCookies: [session.setCookie] };
    },

    async exchange(input, meta) {
      const raw = await options.keyValue.getAndDelete(exchangeKey(input.code));
      if (raw === null) throw oauthError('OAUTH_EXCHANGE_CODE_INVALID');
      const entry = JSON.parse(raw) as { userId: string; challenge?: string; provider: string };
      // Bound to the client that started the flow: only the holder of the verifier may trade it.
      const presented = Buffer.from(s256(input.codeVerifier));
      const expected = Buffer.from(entry.challenge ?? '');
      if (presented.length !== expected.length || !presented.equals(expected)) {
        throw oauthError('OAUTH_EXCHANGE_CODE_INVALID');
      }
      const user = await options.users.findById(entry.userId);
      if (!user?.isActive) throw oauthError('OAUTH_EXCHANGE_CODE_INVALID');
      const challenge = await options.secondFactor.challenge(user, meta, {
        transport: 'bearer',
        rememberMe: false,
        firstFactor: 'oauth',
      });
      if (challenge) return { user, challenge };
      const tokens = await options.sessions.issue(user, meta, { authMethods: ['oauth'] });
      await options.audit.record('login.success', meta, {
        userId: user.id,
        sessionId: tokens.sessionId,
        data: { methods: ['oauth'], provider: entry.provider },
      });
      return { user, tokens };
    },

    list: (userId) => options.accounts.listForUser(userId),
    clearFlowCookie: (provider) => options.flows.clear(provider),

    async unlink(userId, accountId, meta) {
      const outcome = await options.accounts.unlink(userId, accountId, options.signInMethods);
      if (outcome === 'not_found') throw oauthError('OAUTH_ACCOUNT_NOT_FOUND');
      if (outcome === 'last_sign_in_method') throw oauthError('LAST_SIGN_IN_METHOD');
      await options.audit.record('oauth.unlinked', meta, { userId, data: { accountId } });
    },
  };
}
