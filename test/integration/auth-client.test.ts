/**
 * `gatehouse/client` in Node against a real HTTP server (the harness on a test clock, served on
 * loopback; see test/fixtures/client-server.ts): the bearer transport's tokens, single-flight
 * refresh counted by the server, the retry on 401, refresh-token reuse ending in a signed-out
 * state, the cookie transport's CSRF handling (with a cookie jar standing in for the browser's),
 * the 2FA pending step with a real TOTP code, the step-up callback, OAuth sign-in with PKCE
 * against a real OpenID Connect provider, and Retry-After on 429.
 *
 * @see issue #14
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type AuthClientOptions,
  createAuthClient,
  memoryStorage,
  type SessionState,
} from '../../src/client/index.ts';
import { GOOD_PASSWORD, uniqueEmail } from '../fixtures/auth-harness.ts';
import { browserLikeFetch, type ServedHarness, serveHarness } from '../fixtures/client-server.ts';
import { actAs, flowCookieName, newProviderUser, oidcProviderEntry } from '../fixtures/oauth-flow.ts';
import { followAuthorization, type OidcServer, startOidcServer } from '../fixtures/oidc-server.ts';
import { codeAt, enableTwoFactor } from '../fixtures/two-factor.ts';

const ACCESS_TTL_MS = 15 * 60 * 1000;

let served: ServedHarness;

before(async () => {
  served = await serveHarness();
});
after(async () => {
  await served?.close();
});

function bearerClient(options: Partial<AuthClientOptions> = {}) {
  return createAuthClient({ baseUrl: served.url, transport: 'bearer', now: served.clock.now, ...options });
}

async function verifiedUser(): Promise<{ email: string; password: string }> {
  const email = uniqueEmail('client');
  await served.h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
  return { email, password: GOOD_PASSWORD };
}

/** Every state the store reports, in order. */
function recordStates(client: ReturnType<typeof bearerClient>): SessionState[] {
  const states: SessionState[] = [];
  client.session.subscribe(() => states.push(client.session.get()));
  return states;
}

describe('gatehouse/client, bearer transport', () => {
  it('signs in, calls typed routes, signs out - the session store follows each step', async () => {
    const client = bearerClient();
    assert.equal(client.session.get().status, 'loading');
    const user = await verifiedUser();
    const first = await client.session.refresh();
    assert.deepEqual(
      first,
      { status: 'signed-out', reason: 'no-session' },
      'no tokens: signed out without a request',
    );
    assert.equal(served.count('GET', '/users/me'), 0);

    const signedIn = await client.signIn(user);
    assert.equal(signedIn.error, null);
    const state = client.session.get();
    assert.equal(state.status, 'signed-in');
    assert.equal(state.status === 'signed-in' && state.user.email, user.email);
    assert.equal(client.session.get(), state, 'the snapshot is the same object until something changes');

    const me = await client.users.me.get();
    assert.equal(me.error, null);
    assert.equal(me.data?.user.email, user.email);
    const sessions = await client.users.me.sessions.list();
    assert.equal(sessions.data?.sessions.length, 1);
    assert.equal(sessions.data?.sessions[0]?.current, true);

    const out = await client.signOut();
    assert.equal(out.error, null);
    assert.deepEqual(client.session.get(), { status: 'signed-out', reason: 'signed-out' });
    const after = await client.users.me.get();
    assert.equal(after.error?.code, 'UNAUTHENTICATED');
    assert.equal(after.error?.status, 401);
  });

  it('20 parallel calls after the access token expired - exactly one POST /auth/refresh reaches the server', async () => {
    const client = bearerClient();
    assert.equal((await client.signIn(await verifiedUser())).error, null);
    served.clock.advance(ACCESS_TTL_MS + 1000);
    const refreshesBefore = served.count('POST', '/auth/refresh');
    const results = await Promise.all(Array.from({ length: 20 }, () => client.users.me.get()));
    for (const result of results) assert.equal(result.error, null, JSON.stringify(result.error));
    assert.equal(served.count('POST', '/auth/refresh') - refreshesBefore, 1);
  });

  it('two tabs sharing one token storage, both finding the token expired - one refresh, neither signed out', async () => {
    const shared = memoryStorage(); // as localStorageAdapter() is for two tabs of one origin
    const first = bearerClient({ storage: shared });
    assert.equal((await first.signIn(await verifiedUser())).error, null);
    const second = bearerClient({ storage: shared });
    served.clock.advance(ACCESS_TTL_MS + 1000);
    const refreshesBefore = served.count('POST', '/auth/refresh');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? first : second).users.me.get()),
    );
    for (const result of results) assert.equal(result.error, null, JSON.stringify(result.error));
    assert.equal(served.count('POST', '/auth/refresh') - refreshesBefore, 1);
    assert.equal(first.session.get().status, 'signed-in');
    assert.equal(second.session.get().status, 'signed-in');
  });

  it('an access token the server refuses - refreshed once and the call retried once', async () => {
    const storage = memoryStorage();
    const client = bearerClient({ storage });
    assert.equal((await client.signIn(await verifiedUser())).error, null);
    // The stored access token stops being valid (as a revoked or tampered one would); the refresh token still is.
    const tokens = JSON.parse(String(await storage.get('gatehouse.tokens')));
    await storage.set(
      'gatehouse.tokens',
      JSON.stringify({ ...tokens, accessToken: `${tokens.accessToken}x` }),
    );
    const refreshes = served.count('POST', '/auth/refresh');
    const gets = served.count('GET', '/users/me/sessions');
    const result = await client.users.me.sessions.list();
    assert.equal(result.error, null, JSON.stringify(result.error));
    assert.equal(served.count('POST', '/auth/refresh') - refreshes, 1);
    assert.equal(served.count('GET', '/users/me/sessions') - gets, 2, 'the refused call and its one retry');
  });

  it('refresh-token reuse (the old token used by another client) - the first client ends signed out with the reason', async () => {
    const storage = memoryStorage();
    const victim = bearerClient({ storage });
    assert.equal((await victim.signIn(await verifiedUser())).error, null);
    const states = recordStates(victim);
    const stolen = JSON.parse(String(await storage.get('gatehouse.tokens'))).refreshToken as string;

    const thief = bearerClient();
    const used = await thief.auth.refresh({ refreshToken: stolen });
    assert.equal(used.error, null, 'the first use of a refresh token succeeds');

    served.clock.advance(ACCESS_TTL_MS + 1000);
    const result = await victim.users.me.get();
    assert.ok(result.error !== null);
    assert.deepEqual(victim.session.get(), { status: 'signed-out', reason: 'refresh-failed' });
    assert.deepEqual(
      states.at(-1),
      { status: 'signed-out', reason: 'refresh-failed' },
      'subscribers were told',
    );
    assert.equal(await storage.get('gatehouse.tokens'), null, 'the dead tokens are gone');

    // Reuse revokes the whole family: the thief's fresh pair is dead too.
    const thiefCall = await thief.users.me.get();
    assert.ok(thiefCall.error !== null);
    assert.equal(thief.session.get().status, 'signed-out');
  });

  it('a 2FA user - login enters two-factor-required, verify({ code }) with a real TOTP signs in', async () => {
    const user = await enableTwoFactor(served.h, served.clock);
    const client = bearerClient();
    const login = await client.signIn({ email: user.email, password: GOOD_PASSWORD });
    assert.equal(login.error, null);
    assert.equal(login.data && 'twoFactorRequired' in login.data && login.data.twoFactorRequired, true);
    assert.equal(client.session.get().status, 'two-factor-required');

    const wrong = await client.auth.twoFactor.verify({ code: '000000' });
    assert.equal(wrong.error?.code, 'TWO_FACTOR_CODE_INVALID');
    assert.equal(client.session.get().status, 'two-factor-required', 'a wrong code keeps the step open');

    const verified = await client.auth.twoFactor.verify({ code: codeAt(served.clock, user.seed) });
    assert.equal(verified.error, null, JSON.stringify(verified.error));
    assert.equal(client.session.get().status, 'signed-in');
    assert.equal((await client.users.me.get()).data?.user.twoFactorEnabled, true);
  });

  it('STEP_UP_REQUIRED - onStepUp gives a code, the client steps up and retries the call once', async () => {
    const user = await enableTwoFactor(served.h, served.clock);
    const asked: string[] = [];
    const client = bearerClient({
      onStepUp: ({ operation }) => {
        asked.push(operation);
        return codeAt(served.clock, user.seed);
      },
    });
    await client.signIn({ email: user.email, password: GOOD_PASSWORD });
    served.clock.advance(2 * 30_000);
    assert.equal((await client.auth.twoFactor.verify({ code: codeAt(served.clock, user.seed) })).error, null);
    served.clock.advance(10 * 60 * 1000); // past the step-up window, within the access token's life
    const creates = served.count('POST', '/users/me/api-keys');
    const created = await client.users.me.apiKeys.create({ name: 'ci' });
    assert.equal(created.error, null, JSON.stringify(created.error));
    assert.equal(created.data?.key.name, 'ci');
    assert.deepEqual(asked, ['createApiKey']);
    assert.equal(served.count('POST', '/users/me/api-keys') - creates, 2);

    served.clock.advance(10 * 60 * 1000);
    const declining = bearerClient({ onStepUp: () => null });
    await declining.signIn({ email: user.email, password: GOOD_PASSWORD });
    served.clock.advance(2 * 30_000);
    await declining.auth.twoFactor.verify({ code: codeAt(served.clock, user.seed) });
    served.clock.advance(10 * 60 * 1000);
    const refused = await declining.users.me.apiKeys.create({ name: 'ci-2' });
    assert.equal(refused.error?.code, 'STEP_UP_REQUIRED');
    assert.equal(refused.error?.status, 403);

    const mistyped = bearerClient({ onStepUp: () => '000000' });
    await mistyped.signIn({ email: user.email, password: GOOD_PASSWORD });
    served.clock.advance(2 * 30_000);
    await mistyped.auth.twoFactor.verify({ code: codeAt(served.clock, user.seed) });
    served.clock.advance(10 * 60 * 1000);
    const wrongCode = await mistyped.users.me.apiKeys.create({ name: 'ci-3' });
    assert.equal(wrongCode.error?.code, 'STEP_UP_REQUIRED', 'the original refusal, retried no further');
    assert.equal(wrongCode.error?.cause?.code, 'TWO_FACTOR_CODE_INVALID', 'with why the step-up failed');
  });
});

describe('gatehouse/client, cookie transport (a cookie jar stands in for the browser)', () => {
  it('signs in on POST /auth/session and sends the CSRF token on unsafe calls; a new tab fetches it first', async () => {
    const jar = new Map<string, string>();
    const tab = createAuthClient({ baseUrl: served.url, transport: 'cookie', fetch: browserLikeFetch(jar) });
    const user = await verifiedUser();
    const signedIn = await tab.signIn(user);
    assert.equal(signedIn.error, null, JSON.stringify(signedIn.error));
    assert.equal(tab.session.get().status, 'signed-in');
    const csrfFetches = served.count('GET', '/auth/csrf');
    const renamed = await tab.users.me.update({ name: 'Robin' });
    assert.equal(renamed.error, null, JSON.stringify(renamed.error));
    assert.equal(served.count('GET', '/auth/csrf'), csrfFetches, 'the token came with the sign-in');

    const reloaded = createAuthClient({
      baseUrl: served.url,
      transport: 'cookie',
      fetch: browserLikeFetch(jar),
    });
    const state = await reloaded.session.refresh();
    assert.equal(state.status, 'signed-in');
    const again = await reloaded.users.me.update({ name: 'Robin B' });
    assert.equal(again.error, null, JSON.stringify(again.error));
    assert.equal(served.count('GET', '/auth/csrf') - csrfFetches, 1, 'the new tab fetched the token once');
  });

  it('a CSRF refusal (another tab signed in again, so the token is stale) - refetched and retried once', async () => {
    const jar = new Map<string, string>();
    const user = await verifiedUser();
    const first = createAuthClient({
      baseUrl: served.url,
      transport: 'cookie',
      fetch: browserLikeFetch(jar),
    });
    await first.signIn(user);
    const second = createAuthClient({
      baseUrl: served.url,
      transport: 'cookie',
      fetch: browserLikeFetch(jar),
    });
    await second.signIn(user);
    const patches = served.count('PATCH', '/users/me');
    const result = await first.users.me.update({ name: 'Stale Tab' });
    assert.equal(result.error, null, JSON.stringify(result.error));
    assert.equal(served.count('PATCH', '/users/me') - patches, 2, 'refused once, then retried');
  });

  it('without a session - a call answers UNAUTHENTICATED and the store says signed out', async () => {
    const client = createAuthClient({ baseUrl: served.url, transport: 'cookie', fetch: browserLikeFetch() });
    const state = await client.session.refresh();
    assert.deepEqual(state, { status: 'signed-out', reason: 'no-session' });
    const result = await client.users.me.get();
    assert.equal(result.error?.code, 'UNAUTHENTICATED');
  });
});

describe('gatehouse/client, OAuth sign-in with PKCE (bearer transport)', () => {
  let oidc: OidcServer;
  let withOAuth: ServedHarness;

  before(async () => {
    oidc = await startOidcServer();
    withOAuth = await serveHarness({
      config: { oauth: { providers: { mock: oidcProviderEntry(oidc.issuer) }, allowInsecureLoopback: true } },
    });
  });
  after(async () => {
    await withOAuth?.close();
    await oidc?.stop();
  });

  it('signIn navigates with a S256 challenge; complete() exchanges the code with the kept verifier, once', async () => {
    const oauthStorage = memoryStorage();
    let navigatedTo = '';
    const client = createAuthClient({
      baseUrl: withOAuth.url,
      transport: 'bearer',
      oauthStorage,
      navigate: (url) => {
        navigatedTo = url;
      },
    });
    const returned = await client.oauth.signIn('mock', { redirectTo: '/oauth/done' });
    assert.equal(returned, navigatedTo);
    const authorizeUrl = new URL(navigatedTo);
    assert.equal(authorizeUrl.pathname, '/auth/oauth/mock/authorize');
    assert.match(authorizeUrl.searchParams.get('codeChallenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.match(String(await oauthStorage.get('gatehouse.pkce')), /^[A-Za-z0-9_-]{43}$/);

    // The browser's part: our authorize route, the provider, our callback with the flow cookie.
    const started = await fetch(authorizeUrl, { redirect: 'manual' });
    assert.equal(started.status, 302);
    const flowCookie = started.headers
      .getSetCookie()
      .map((line) => line.split(';')[0] ?? '')
      .find((pair) => pair.startsWith(`${flowCookieName('mock')}=`));
    assert.ok(flowCookie, 'the authorize route sets the flow cookie');
    const providerCallback = await followAuthorization(new URL(String(started.headers.get('location'))));
    const user = newProviderUser('client-oauth');
    actAs(oidc, user);
    const back = await fetch(`${withOAuth.url}${providerCallback.pathname}${providerCallback.search}`, {
      headers: { Cookie: flowCookie },
      redirect: 'manual',
    });
    assert.equal(back.status, 302, await back.text());
    const landing = new URL(String(back.headers.get('location')), 'https://app.example.test');
    assert.equal(landing.pathname, '/oauth/done');

    const exchanges = withOAuth.count('POST', '/auth/oauth/exchange');
    const completed = await client.oauth.complete(landing.href);
    assert.equal(completed.error, null, JSON.stringify(completed.error));
    assert.equal(withOAuth.count('POST', '/auth/oauth/exchange') - exchanges, 1);
    const state = client.session.get();
    assert.equal(state.status === 'signed-in' && state.user.email, user.email);
    assert.equal((await client.users.me.get()).data?.user.email, user.email);

    const replay = await client.oauth.complete(landing.href);
    assert.equal(replay.error?.code, 'OAUTH_VERIFIER_MISSING', 'the verifier is used once');
  });

  it('a callback carrying #pendingToken - complete() enters two-factor-required without a request', async () => {
    const client = createAuthClient({ baseUrl: withOAuth.url, transport: 'bearer', navigate: () => {} });
    const result = await client.oauth.complete(
      'https://app.example.test/oauth/done#twoFactorRequired=true&pendingToken=p1',
    );
    assert.equal(result.error, null);
    assert.equal(client.session.get().status, 'two-factor-required');
  });
});

describe('gatehouse/client, errors', () => {
  it('429 - error.code RATE_LIMITED and error.retryAfter in seconds, from Retry-After', async () => {
    const limited = await serveHarness({
      config: {
        rateLimits: {
          enabled: true,
          slots: { forgotPassword: { limit: 1, windowSeconds: 60, scope: 'ip' } },
        },
      },
    });
    try {
      const client = createAuthClient({ baseUrl: limited.url, transport: 'bearer' });
      const email = uniqueEmail('limited');
      assert.equal((await client.auth.forgotPassword({ email })).error, null);
      const refused = await client.auth.forgotPassword({ email });
      assert.equal(refused.error?.code, 'RATE_LIMITED');
      assert.equal(refused.error?.status, 429);
      assert.ok(typeof refused.error?.retryAfter === 'number' && refused.error.retryAfter >= 1);
      assert.equal(refused.error?.problem?.code, 'RATE_LIMITED');
    } finally {
      await limited.close();
    }
  });

  it('no server - NETWORK_ERROR with status 0, and a message without the URL', async () => {
    const client = createAuthClient({ baseUrl: 'http://127.0.0.1:9', transport: 'bearer' });
    const result = await client.auth.login({ email: 'someone@example.test', password: 'secret-password-1' });
    assert.equal(result.error?.code, 'NETWORK_ERROR');
    assert.equal(result.error?.status, 0);
    assert.doesNotMatch(result.error?.message ?? '', /127\.0\.0\.1|secret/);
  });
});
