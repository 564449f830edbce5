/**
 * `createAuthClient`: one typed method per Gatehouse route (docs/CLIENT.md), over the cookie
 * or the bearer transport, with the session store, CSRF, refresh, 2FA, OAuth and step-up
 * handled here so the app only calls methods. Browser-safe: Web APIs only (fetch, WebCrypto).
 */
import {
  type OperationId,
  type Operations,
  ROUTES,
  type RouteEntry,
  type RouteTree,
} from './generated/routes.ts';
import { createPkcePair } from './pkce.ts';
import { type ApiResult, type ClientError, clientError, errorFromResponse } from './result.ts';
import {
  createSessionStore,
  type SessionState,
  type SessionStore,
  type SessionUser,
  type SignedOutReason,
} from './session-store.ts';
import { type ClientStorage, memoryStorage, sessionStorageOrMemory } from './storage.ts';

/** Per-call options. */
export interface CallInit {
  /** Extra request headers (e.g. `X-Request-Id`). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/** What a step-up callback is told: which call needs a fresh second factor. */
export interface StepUpRequest {
  readonly operation: string;
}

export interface AuthClientOptions {
  /** Origin (and any path before the mount) of the server: `https://api.example.com`, or `''` for same-origin relative URLs in a browser. */
  readonly baseUrl: string;
  /** `cookie` for browsers on a cookie session (recommended there); `bearer` for tokens. */
  readonly transport: 'cookie' | 'bearer';
  /** Where Gatehouse's routes are mounted under `baseUrl` (`/api`). @default '' */
  readonly basePath?: string;
  /** Where the bearer transport keeps its tokens. @default memoryStorage() */
  readonly storage?: ClientStorage;
  /** Where an OAuth sign-in keeps its PKCE verifier across the redirect. @default sessionStorage, else memory */
  readonly oauthStorage?: ClientStorage;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /**
   * Called when a route answers `STEP_UP_REQUIRED`: answer a current second-factor code (the
   * client posts it to POST /auth/2fa/step-up and retries the call once), or `null` to give up.
   */
  readonly onStepUp?: (request: StepUpRequest) => string | null | Promise<string | null>;
  /** How `oauth.signIn` leaves the page. @default location.assign */
  readonly navigate?: (url: string) => void;
  /** Refresh this many seconds before the access token expires. @default 30 */
  readonly refreshSkewSeconds?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

type Input = Record<string, unknown>;

/** Inputs the client completes itself: the pending 2FA token, the stored refresh token. */
interface FilledInputs {
  verifyTwoFactor: [input: { code: string; pendingToken?: string }];
  refresh: [input?: { refreshToken?: string }];
}
type ArgsOf<K extends OperationId> = K extends keyof FilledInputs ? FilledInputs[K] : Operations[K]['args'];

/** The success data of an operation. */
export type OperationData<K extends OperationId> = Operations[K]['data'];
/** The error codes an operation may answer (besides the client's own). */
export type OperationErrorCode<K extends OperationId> = Operations[K]['errorCode'];
/** The result of an operation's method. */
export type OperationResult<K extends OperationId> = ApiResult<OperationData<K>, OperationErrorCode<K>>;
/** A client method: the operation's input (when it has one), then per-call options. */
export type OperationMethod<K extends OperationId> = (
  ...args: [...ArgsOf<K>, init?: CallInit]
) => Promise<OperationResult<K>>;
/** Every operation's method, by operationId. */
export type RouteMethods = { readonly [K in OperationId]: OperationMethod<K> };

/** Options of the untyped escape hatch `client.request`. */
export interface RawRequestInit extends CallInit {
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly query?: Readonly<Record<string, string>>;
  /** Whether to send the credential (bearer token / CSRF token). @default true */
  readonly auth?: boolean;
}

/** What `oauth.complete` may answer. */
export type OAuthCompleteResult =
  | ApiResult<OperationData<'oauthExchange'>, OperationErrorCode<'oauthExchange'> | 'OAUTH_VERIFIER_MISSING'>
  | OperationResult<'getMe'>;

export interface OAuthClient {
  /**
   * Starts an OAuth sign-in: navigates to the authorize route (the bearer transport adds a PKCE
   * challenge, keeping the verifier in `oauthStorage`). Answers the URL it navigated to.
   */
  signIn(provider: string, options?: { readonly redirectTo?: string }): Promise<string>;
  /**
   * Finishes it on the page the provider's callback redirected to (`redirectTo`): exchanges the
   * `code` with the stored verifier, or enters `two-factor-required` from `#pendingToken`, or
   * (cookie transport) reads the new session.
   */
  complete(url?: string): Promise<OAuthCompleteResult>;
}

/** A passkey ceremony the browser did not finish (cancelled, timed out, no authenticator, not supported). */
export interface PasskeyCeremonyError extends ClientError<'PASSKEY_CEREMONY_FAILED'> {
  /** The DOMException's name (`NotAllowedError`, `InvalidStateError`…), when there was one. */
  readonly name: string | null;
}

/** Passkeys through `navigator.credentials` (`@simplewebauthn/browser`, loaded on first use). */
export interface PasskeysClient {
  /**
   * Registers a passkey for the signed-in user: creation options, the browser's ceremony, then
   * `POST /users/me/passkeys`. Needs a fresh second factor on a 2FA account (see `onStepUp`).
   */
  register(
    input?: { readonly name?: string },
    init?: CallInit,
  ): Promise<OperationResult<'registerPasskey'> | ApiResult<never, 'PASSKEY_CEREMONY_FAILED'>>;
  /**
   * Signs in with a passkey on the transport's route (`/auth/passkey/session` or `/login`).
   * Without `email` the browser offers every passkey of this site; `conditional` runs the
   * autofill (conditional UI) ceremony, for an input with `autocomplete="username webauthn"`.
   */
  signIn(
    input?: { readonly email?: string; readonly rememberMe?: boolean; readonly conditional?: boolean },
    init?: CallInit,
  ): Promise<
    | OperationResult<'passkeySession'>
    | OperationResult<'passkeyLogin'>
    | ApiResult<never, 'PASSKEY_CEREMONY_FAILED'>
  >;
}

/** The client: the route tree, the session store, and the flows built on them. */
export type AuthClient = RouteTree<RouteMethods> & {
  readonly transport: 'cookie' | 'bearer';
  readonly session: SessionStore;
  readonly oauth: OAuthClient;
  readonly passkeys: PasskeysClient;
  /** Email and password sign-in on the transport's route (POST /auth/session or /auth/login). */
  signIn(
    input: { email: string; password: string; rememberMe?: boolean },
    init?: CallInit,
  ): Promise<OperationResult<'createSession'> | OperationResult<'login'>>;
  /** Signs out on the transport's route (DELETE /auth/session or POST /auth/logout); local state is cleared even if the server is unreachable. */
  signOut(init?: CallInit): Promise<OperationResult<'deleteSession'> | OperationResult<'logout'>>;
  /** Any route, typed loosely: for an application's own features, which the generated table does not know. */
  request<T = unknown>(method: string, path: string, init?: RawRequestInit): Promise<ApiResult<T, string>>;
};

const TOKENS_KEY = 'gatehouse.tokens';
const PKCE_KEY = 'gatehouse.pkce';
const REFRESH_LOCK = 'gatehouse.refresh';
const CSRF_HEADER = 'X-CSRF-Token';
const BODY = 1;
const AUTH = 2;
const QUERY = 4;
/** Operations whose success answer names the signed-in user. */
const SIGNED_IN_BY = new Set([
  'login',
  'createSession',
  'verifyTwoFactor',
  'oauthExchange',
  'verifyEmailCode',
  'createEmailCodeSession',
  'signInWithEmailLink',
  'passkeyLogin',
  'passkeySession',
  'getMe',
  'updateMe',
]);
const SIGNED_OUT_BY = new Set(['logout', 'deleteSession']);

interface Tokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

interface Prepared {
  readonly id: string;
  readonly method: string;
  readonly path: string;
  readonly flags: number;
  readonly query?: Readonly<Record<string, unknown>> | undefined;
  readonly body?: unknown;
  readonly init?: CallInit | undefined;
}

interface Attempts {
  auth?: true;
  csrf?: true;
  stepUp?: true;
}

type AnyResult = ApiResult<unknown, string>;

/** Creates a client; nothing is fetched until a method is called or the session store is subscribed to. */
export function createAuthClient(options: AuthClientOptions): AuthClient {
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const storage = options.storage ?? memoryStorage();
  const oauthStorage = options.oauthStorage ?? sessionStorageOrMemory();
  const now = options.now ?? Date.now;
  const skewMs = (options.refreshSkewSeconds ?? 30) * 1000;
  const bearer = options.transport === 'bearer';
  const prefix = `${options.baseUrl.replace(/\/+$/, '')}${(options.basePath ?? '').replace(/\/+$/, '')}`;
  let csrfToken: string | null = null;
  let pendingToken: string | null = null;
  let refreshing: Promise<boolean> | null = null;
  let fetchingCsrf: Promise<void> | null = null;

  const store = createSessionStore(loadSession);

  async function loadTokens(): Promise<Tokens | null> {
    const text = await storage.get(TOKENS_KEY);
    if (text === null) return null;
    try {
      return JSON.parse(text) as Tokens;
    } catch {
      return null;
    }
  }

  async function saveTokens(body: { accessToken: string; refreshToken: string; expiresIn: number }) {
    const tokens: Tokens = {
      accessToken: body.accessToken,
      refreshToken: body.refreshToken,
      expiresAt: now() + body.expiresIn * 1000,
    };
    await storage.set(TOKENS_KEY, JSON.stringify(tokens));
  }

  async function signedOut(reason: SignedOutReason) {
    csrfToken = null;
    pendingToken = null;
    if (bearer) await storage.delete(TOKENS_KEY);
    store.set({ status: 'signed-out', reason });
  }

  async function loadSession(): Promise<SessionState> {
    if (bearer && (await loadTokens()) === null) {
      if (store.get().status !== 'two-factor-required')
        store.set({ status: 'signed-out', reason: 'no-session' });
      return store.get();
    }
    const result = await (methods.getMe as () => Promise<AnyResult>)();
    if (result.error !== null && store.get().status === 'loading') {
      // The server could not be asked: not signed in as far as this page can tell.
      store.set({ status: 'signed-out', reason: 'no-session' });
    }
    return store.get();
  }

  /**
   * One POST /auth/refresh for every caller waiting on it (single flight). Tabs sharing a
   * storage take turns under a Web Lock, and a tab that finds the refresh token already rotated
   * by another uses the new pair: presenting the old token again would be reuse to the server,
   * which then ends the session.
   */
  function refreshTokens(): Promise<boolean> {
    refreshing ??= (async () => {
      try {
        const seen = await loadTokens();
        if (seen === null) return false;
        return await oneAtATime(async () => {
          const tokens = await loadTokens();
          if (tokens === null) return false;
          if (tokens.refreshToken !== seen.refreshToken) return true;
          const result = await exchange({
            id: 'refresh',
            method: 'POST',
            path: '/auth/refresh',
            flags: BODY,
            body: { refreshToken: tokens.refreshToken },
          });
          return result.error === null;
        });
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  function ensureCsrf(): Promise<void> {
    fetchingCsrf ??= (async () => {
      try {
        const result = await exchange({ id: 'getCsrfToken', method: 'GET', path: '/auth/csrf', flags: AUTH });
        if (result.error === null) csrfToken = (result.data as { csrfToken: string }).csrfToken;
      } finally {
        fetchingCsrf = null;
      }
    })();
    return fetchingCsrf;
  }

  /** One HTTP exchange and what its answer means for the client's state; no retries. */
  async function exchange(req: Prepared): Promise<AnyResult & { usedToken?: string | null }> {
    const headers: Record<string, string> = { Accept: 'application/json', ...req.init?.headers };
    let usedToken: string | null = null;
    const unsafe = req.method !== 'GET' && req.method !== 'HEAD';
    if (req.flags & AUTH) {
      if (bearer) {
        let tokens = await loadTokens();
        if (tokens !== null && tokens.expiresAt - skewMs <= now() && req.id !== 'refresh') {
          await refreshTokens();
          tokens = await loadTokens();
        }
        if (tokens !== null) {
          usedToken = tokens.accessToken;
          headers.Authorization = `Bearer ${tokens.accessToken}`;
        }
      } else if (unsafe) {
        if (csrfToken === null && store.get().status !== 'signed-out') await ensureCsrf();
        if (csrfToken !== null) headers[CSRF_HEADER] = csrfToken;
      }
    }
    let url = `${prefix}${req.path}`;
    if (req.query !== undefined) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(req.query))
        if (value !== undefined) params.set(key, String(value));
      const search = params.toString();
      if (search !== '') url += `?${search}`;
    }
    let body: string | undefined;
    if (req.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(req.body);
    }
    let response: Response;
    try {
      response = await doFetch(url, {
        method: req.method,
        headers,
        body,
        credentials: bearer ? 'same-origin' : 'include',
        signal: req.init?.signal,
      });
    } catch {
      return {
        data: null,
        error: clientError(req.init?.signal?.aborted ? 'ABORTED' : 'NETWORK_ERROR'),
        usedToken,
      };
    }
    // A renewed cookie session sends its new CSRF token along (step-up, 2FA changes).
    const renewedCsrf = response.headers.get(CSRF_HEADER);
    if (renewedCsrf) csrfToken = renewedCsrf;
    if (!response.ok) {
      const error = await errorFromResponse(response);
      await afterError(req, error);
      return { data: null, error, usedToken };
    }
    let data: unknown = null;
    if (response.status !== 204 && response.status < 300) {
      const text = await response.text();
      if (text !== '') {
        try {
          data = JSON.parse(text);
        } catch {
          return { data: null, error: clientError('INVALID_RESPONSE', response.status), usedToken };
        }
      }
    }
    await afterSuccess(req.id, data);
    return { data, error: null, usedToken };
  }

  async function afterSuccess(id: string, data: unknown) {
    if (SIGNED_OUT_BY.has(id)) return signedOut('signed-out');
    if (typeof data !== 'object' || data === null) return;
    const body = data as Record<string, unknown>;
    if (bearer && typeof body.accessToken === 'string' && typeof body.refreshToken === 'string') {
      await saveTokens(body as never);
    }
    if (typeof body.csrfToken === 'string') csrfToken = body.csrfToken;
    if (body.twoFactorRequired === true && typeof body.pendingToken === 'string') {
      pendingToken = body.pendingToken;
      store.set({ status: 'two-factor-required', methods: (body.methods as string[] | undefined) ?? [] });
      return;
    }
    if (SIGNED_IN_BY.has(id) && typeof body.user === 'object' && body.user !== null) {
      pendingToken = null;
      store.set({ status: 'signed-in', user: body.user as SessionUser });
    }
  }

  async function afterError(req: Prepared, error: ClientError) {
    if (req.id === 'refresh' && error.code === 'REFRESH_TOKEN_INVALID') await signedOut('refresh-failed');
  }

  /** A final 401 on an authenticated call: the server holds no session for this client (any more). */
  async function refused() {
    const state = store.get();
    if (state.status === 'signed-out' || state.status === 'two-factor-required') return;
    const hadCredential = bearer ? (await loadTokens()) !== null : state.status === 'signed-in';
    await signedOut(hadCredential ? 'session-ended' : 'no-session');
  }

  /** An exchange with the client's retries: refresh + once more on 401, CSRF refetch, step-up. */
  async function send(req: Prepared, attempts: Attempts = {}): Promise<AnyResult> {
    const result = await exchange(req);
    const { error } = result;
    if (error === null) return { data: result.data, error: null };
    if (bearer && req.flags & AUTH && error.status === 401 && !attempts.auth && result.usedToken) {
      // Another call may have refreshed meanwhile; refresh only when the token used is the stored one.
      const current = await loadTokens();
      const retry =
        current !== null && current.accessToken !== result.usedToken ? true : await refreshTokens();
      if (retry) return send(req, { ...attempts, auth: true });
    }
    if (req.flags & AUTH && error.status === 401) await refused();
    if (!bearer && error.code === 'CSRF_FAILED' && !attempts.csrf) {
      csrfToken = null;
      await ensureCsrf();
      if (csrfToken !== null) return send(req, { ...attempts, csrf: true });
    }
    if (error.code === 'STEP_UP_REQUIRED' && options.onStepUp && !attempts.stepUp) {
      const code = await options.onStepUp({ operation: req.id });
      if (code === null || code === '') return { data: null, error };
      const stepUp = await send(
        { id: 'stepUp', method: 'POST', path: '/auth/2fa/step-up', flags: BODY | AUTH, body: { code } },
        { stepUp: true },
      );
      if (stepUp.error !== null) return { data: null, error: { ...error, cause: stepUp.error } };
      return send(req, { ...attempts, stepUp: true });
    }
    return { data: null, error };
  }

  /** Splits a method's input into path parameters, the query (GET) and the JSON body. */
  async function call(entry: RouteEntry, input: Input | undefined, init: CallInit | undefined) {
    const [id, method, template, , flags] = entry;
    const rest: Input = { ...input };
    if (id === 'verifyTwoFactor' && rest.pendingToken === undefined && pendingToken !== null) {
      rest.pendingToken = pendingToken;
    }
    if (id === 'refresh' && rest.refreshToken === undefined && bearer) {
      const tokens = await loadTokens();
      if (tokens !== null) rest.refreshToken = tokens.refreshToken;
    }
    const path = template.replace(/:([A-Za-z][A-Za-z0-9_]*)/g, (_, name: string) => {
      const value = rest[name];
      delete rest[name];
      return encodeURIComponent(String(value));
    });
    const hasRest = Object.keys(rest).length > 0;
    // A route reads a query or a body, never both (the generator checks), and GET never a body.
    const inQuery = method === 'GET' || (flags & QUERY) !== 0;
    return send({
      id,
      method,
      path,
      flags,
      init,
      query: inQuery && hasRest ? rest : undefined,
      body: !inQuery && (hasRest || (flags & BODY && input !== undefined)) ? rest : undefined,
    });
  }

  const methods = {} as Record<string, (...args: unknown[]) => Promise<AnyResult>>;
  const tree: Record<string, unknown> = {};
  for (const entry of ROUTES) {
    const method = (...args: unknown[]) => {
      // Methods without input take only the per-call options.
      const takesInput = entry[2].includes(':') || (entry[4] & (BODY | QUERY)) !== 0;
      const [input, init] = takesInput ? args : [undefined, args[0]];
      return call(entry, input as Input | undefined, init as CallInit | undefined);
    };
    methods[entry[0]] = method;
    placeMethod(tree, entry[3].split('.'), method);
  }

  const oauth: OAuthClient = {
    async signIn(provider, signInOptions = {}) {
      const params = new URLSearchParams();
      if (signInOptions.redirectTo !== undefined) params.set('redirectTo', signInOptions.redirectTo);
      if (bearer) {
        const pair = await createPkcePair();
        await oauthStorage.set(PKCE_KEY, pair.verifier);
        params.set('codeChallenge', pair.challenge);
      }
      const search = params.toString();
      const url = `${prefix}/auth/oauth/${encodeURIComponent(provider)}/authorize${search ? `?${search}` : ''}`;
      const navigate =
        options.navigate ??
        ((target: string) =>
          (globalThis as unknown as { location: { assign(u: string): void } }).location.assign(target));
      navigate(url);
      return url;
    },
    async complete(url) {
      const href = url ?? (globalThis as unknown as { location: { href: string } }).location.href;
      const parsed = new URL(href, 'http://localhost');
      const fragment = new URLSearchParams(parsed.hash.slice(1));
      const pending = fragment.get('pendingToken');
      if (pending) {
        pendingToken = pending;
        store.set({ status: 'two-factor-required', methods: [] });
        return {
          data: { twoFactorRequired: true, pendingToken: pending, methods: [] },
          error: null,
        } as OAuthCompleteResult;
      }
      const code = parsed.searchParams.get('code');
      if (code !== null) {
        const verifier = await oauthStorage.get(PKCE_KEY);
        await oauthStorage.delete(PKCE_KEY);
        if (verifier === null) {
          const error = {
            ...clientError('INVALID_RESPONSE'),
            code: 'OAUTH_VERIFIER_MISSING' as const,
            message: 'No OAuth sign-in was started in this tab.',
          };
          return { data: null, error };
        }
        return (await methods.oauthExchange?.({ code, codeVerifier: verifier })) as OAuthCompleteResult;
      }
      return (await methods.getMe?.()) as OAuthCompleteResult;
    },
  };

  /** The browser half of a ceremony; its failure is a result, never a throw. */
  async function ceremony<T>(
    run: (browser: typeof import('@simplewebauthn/browser')) => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; failed: ApiResult<never, 'PASSKEY_CEREMONY_FAILED'> }> {
    try {
      return { ok: true, value: await run(await import('@simplewebauthn/browser')) };
    } catch (error) {
      const name = error instanceof Error ? error.name : null;
      const failed: PasskeyCeremonyError = {
        code: 'PASSKEY_CEREMONY_FAILED',
        status: 0,
        message: 'The browser did not finish the passkey ceremony (cancelled, timed out or not supported).',
        problem: null,
        retryAfter: null,
        name,
      };
      return { ok: false, failed: { data: null, error: failed } };
    }
  }

  const passkeys: PasskeysClient = {
    async register(input = {}, init) {
      const creation = await methods.passkeyRegistrationOptions?.(init);
      if (!creation || creation.error !== null) return creation as never;
      const made = await ceremony((browser) =>
        browser.startRegistration({ optionsJSON: creation.data as never }),
      );
      if (!made.ok) return made.failed;
      const body = { response: made.value, ...(input.name === undefined ? {} : { name: input.name }) };
      return (await methods.registerPasskey?.(body as never, init)) as never;
    },
    async signIn(input = {}, init) {
      const started = await methods.passkeySignInOptions?.(
        (input.email === undefined ? {} : { email: input.email }) as never,
        init,
      );
      if (!started || started.error !== null) return started as never;
      const { flowId, options: optionsJSON } = started.data as { flowId: string; options: never };
      const used = await ceremony((browser) =>
        browser.startAuthentication({ optionsJSON, useBrowserAutofill: input.conditional === true }),
      );
      if (!used.ok) return used.failed;
      const body = { flowId, response: used.value };
      return (await (bearer
        ? methods.passkeyLogin?.(body as never, init)
        : methods.passkeySession?.(
            { ...body, ...(input.rememberMe === undefined ? {} : { rememberMe: input.rememberMe }) } as never,
            init,
          ))) as never;
    },
  };

  const client = Object.assign(tree, {
    transport: options.transport,
    session: { get: store.get, subscribe: store.subscribe, refresh: store.refresh },
    oauth,
    passkeys,
    signIn(input: Input, init?: CallInit) {
      return bearer ? methods.login?.(input, init) : methods.createSession?.(input, init);
    },
    async signOut(init?: CallInit) {
      const result = await (bearer ? methods.logout?.(init) : methods.deleteSession?.(init));
      if (store.get().status !== 'signed-out') await signedOut('signed-out');
      return result;
    },
    request(method: string, path: string, init: RawRequestInit = {}) {
      const upper = method.toUpperCase();
      return send({
        id: 'request',
        method: upper,
        path,
        flags: (init.body === undefined ? 0 : BODY) | (init.auth === false ? 0 : AUTH),
        query: init.query,
        body: init.body,
        init,
      });
    },
  });
  return client as unknown as AuthClient;
}

interface LockManager {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/** Runs `task` holding the origin-wide refresh lock where the runtime has Web Locks (browsers, Node 24). */
function oneAtATime<T>(task: () => Promise<T>): Promise<T> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  return locks === undefined ? task() : locks.request(REFRESH_LOCK, task);
}

/** Puts `method` at `path` in the tree; a node that is both a method and a namespace is a function with properties. */
function placeMethod(tree: Record<string, unknown>, path: readonly string[], method: object) {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  const last = path.at(-1) as string;
  node[last] = Object.assign(method, node[last]);
}
