/**
 * OAuth / OpenID Connect sign-in end to end: the routes of a real instance against a real OIDC
 * provider on a loopback port (oauth2-mock-server), driven without a browser. Covers the first
 * sign-in that creates an account, a returning user, the SPA exchange, linking and unlinking,
 * an OAuth-only user setting a first password, a 2FA user, and linking by verified email.
 * Attacks on the same flow live in test/security/oauth-flow-attacks.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { base32Decode } from '../../src/crypto/base32.ts';
import { totpCode } from '../../src/crypto/totp.ts';
import {
  assertProblem,
  GOOD_PASSWORD,
  HARNESS_BASE_URL,
  type Harness,
  type JsonResponse,
  jwtPayload,
  tokenFromMail,
} from '../fixtures/auth-harness.ts';
import {
  cookieHeaders,
  createVerifiedUser,
  OWN_ORIGIN,
  OWN_PAGE,
  SESSION_COOKIE,
  signInWithCookie,
} from '../fixtures/cookie-session.ts';
import {
  actAs,
  callback,
  createOAuthHarness,
  csrfTokenOf,
  flowCookieName,
  flowFrom,
  followToCallback,
  MOCK_PROVIDER,
  newProviderUser,
  type ProviderUser,
  pkcePair,
  setCookiePair,
  setCookieValue,
  signInWithProvider,
  startFlow,
} from '../fixtures/oauth-flow.ts';
import { type OidcServer, startOidcServer } from '../fixtures/oidc-server.ts';

const STEP_MS = 30_000;
const NEW_PASSWORD = 'a brand new passphrase for the reset 7';

let provider: OidcServer;
/** Defaults: `linkByVerifiedEmail` off. */
let h: Harness;
/** `oauth.linkByVerifiedEmail: true`. */
let linking: Harness;

before(async () => {
  provider = await startOidcServer();
  h = await createOAuthHarness(provider);
  linking = await createOAuthHarness(provider, { oauth: { linkByVerifiedEmail: true } });
});
after(async () => {
  await Promise.all([h?.close(), linking?.close()]);
  await provider?.stop();
});

/** Asserts a callback that signed in with a cookie: 302 to `location`, flow cookie cleared, session set. */
function assertSignedIn(response: JsonResponse, location: string): string {
  assert.equal(response.status, 302, `callback answered ${response.status}: ${response.text}`);
  assert.equal(response.headers.get('location'), location);
  assert.equal(setCookieValue(response, flowCookieName(MOCK_PROVIDER)), '', 'the flow cookie is deleted');
  const session = setCookiePair(response, SESSION_COOKIE);
  assert.ok(session !== null && session.length > SESSION_COOKIE.length + 1, 'a session cookie is set');
  return session;
}

/** GET a route with a session cookie (a page's read: no CSRF token needed). */
const withCookie = (harness: Harness, path: string, sessionCookie: string) =>
  harness.get(path, { headers: { Cookie: sessionCookie } });

/** Signs `user` in through the provider on `harness` and answers the new session cookie. */
async function providerSession(harness: Harness, user: ProviderUser): Promise<string> {
  const { response } = await signInWithProvider(harness, provider, user, { query: { redirectTo: '/app' } });
  return assertSignedIn(response, `${HARNESS_BASE_URL}/app`);
}

/** The value half of a `name=value` cookie pair. */
const cookieValueOf = (pair: string) => pair.slice(pair.indexOf('=') + 1);

describe('first sign-in with a provider', () => {
  it('callback - should create a user with the verified provider email and no password, and start a cookie session', async () => {
    const user = newProviderUser('first');
    const { response } = await signInWithProvider(
      h,
      provider,
      { ...user, name: 'Ada Lovelace' },
      {
        query: { redirectTo: '/app/welcome?tab=1' },
      },
    );
    const session = assertSignedIn(response, `${HARNESS_BASE_URL}/app/welcome?tab=1`);

    const me = await withCookie(h, '/users/me', session);
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.user.email, user.email);
    assert.equal(me.body.user.emailVerified, true);
    assert.equal(me.body.user.name, 'Ada Lovelace');
    assert.equal(me.body.user.twoFactorEnabled, false);

    const stored = await h.auth.repositories.users.findByEmail(user.email);
    assert.ok(stored, 'the account exists');
    assert.equal(stored.id, me.body.user.id);
    assert.equal(stored.passwordHash, null, 'an account made by a provider has no password');

    const links = await withCookie(h, '/users/me/oauth-accounts', session);
    assert.equal(links.status, 200, links.text);
    assert.equal(links.body.accounts.length, 1);
    assert.equal(links.body.accounts[0].provider, MOCK_PROVIDER);
    assert.equal(links.body.accounts[0].email, user.email);
    assert.equal(typeof links.body.accounts[0].id, 'string');
    assert.ok(!Number.isNaN(Date.parse(links.body.accounts[0].createdAt)));
  });

  it('authorize - should default redirectTo to the root of this server', async () => {
    const { response } = await signInWithProvider(h, provider, newProviderUser('root'));
    assertSignedIn(response, `${HARNESS_BASE_URL}/`);
  });

  it('callback - should sign a returning provider account into the same user, even when its address changed', async () => {
    const user = newProviderUser('again');
    const first = await providerSession(h, user);
    const firstId = (await withCookie(h, '/users/me', first)).body.user.id;

    const second = await providerSession(h, { ...user, email: `changed-${user.email}` });
    assert.notEqual(cookieValueOf(second), cookieValueOf(first), 'a new session');
    const me = await withCookie(h, '/users/me', second);
    assert.equal(me.body.user.id, firstId);
    assert.equal(me.body.user.email, user.email, 'the local address is not rewritten by the provider');
    assert.equal((await withCookie(h, '/users/me/oauth-accounts', second)).body.accounts.length, 1);
    assert.equal(await h.auth.api.users.findByEmail(`changed-${user.email}`), null, 'no second account');
  });
});

describe('SPA exchange', () => {
  it('exchange - should trade the one-time code and the verifier for a token pair and the user', async () => {
    const user = newProviderUser('spa');
    const { codeVerifier, codeChallenge } = pkcePair();
    const { response } = await signInWithProvider(h, provider, user, {
      query: { redirectTo: '/spa/done', codeChallenge },
    });
    assert.equal(response.status, 302, response.text);
    assert.equal(setCookieValue(response, flowCookieName(MOCK_PROVIDER)), '', 'the flow cookie is deleted');
    assert.equal(setCookiePair(response, SESSION_COOKIE), null, 'no cookie session for an exchange flow');
    const location = new URL(response.headers.get('location') as string);
    assert.equal(`${location.origin}${location.pathname}`, `${HARNESS_BASE_URL}/spa/done`);
    const code = location.searchParams.get('code');
    assert.ok(code && code.length >= 43, 'the redirect carries a one-time code');

    const exchanged = await h.post('/auth/oauth/exchange', { code, codeVerifier });
    assert.equal(exchanged.status, 200, exchanged.text);
    assert.equal(typeof exchanged.body.accessToken, 'string');
    assert.equal(typeof exchanged.body.refreshToken, 'string');
    assert.equal(exchanged.body.user.email, user.email);
    assert.equal(exchanged.body.user.emailVerified, true);
    assert.deepEqual(jwtPayload(exchanged.body.accessToken).amr, ['oauth']);

    const me = await h.get('/users/me', { token: exchanged.body.accessToken });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.user.id, exchanged.body.user.id);
    const refreshed = await h.post('/auth/refresh', { refreshToken: exchanged.body.refreshToken });
    assert.equal(refreshed.status, 200, refreshed.text);
  });
});

describe('linking while signed in', () => {
  it('link - should start a flow whose callback links the provider to the current user', async () => {
    const local = await createVerifiedUser(h, 'linker');
    const session = await signInWithCookie(h, local.email);
    const started = await h.post(
      `/auth/oauth/${MOCK_PROVIDER}/link`,
      { redirectTo: '/settings/accounts' },
      { headers: cookieHeaders(session, OWN_PAGE) },
    );
    assert.equal(started.status, 200, started.text);
    assert.deepEqual(Object.keys(started.body), ['authorizationUrl']);
    const flow = flowFrom(MOCK_PROVIDER, started);
    assert.equal(`${flow.authorizationUrl.origin}`, provider.issuer);

    // A different address at the provider: linking is by the signed-in user, not by email.
    const account = newProviderUser('linked');
    const callbackUrl = await followToCallback(flow);
    actAs(provider, account);
    const linked = await callback(h, callbackUrl, { cookie: flow.flowCookie });
    assert.equal(linked.status, 302, linked.text);
    assert.equal(
      linked.headers.get('location'),
      `${HARNESS_BASE_URL}/settings/accounts?linked=${MOCK_PROVIDER}`,
    );
    assert.equal(setCookieValue(linked, flowCookieName(MOCK_PROVIDER)), '');
    assert.equal(setCookiePair(linked, SESSION_COOKIE), null, 'linking keeps the session it has');

    const links = await h.get('/users/me/oauth-accounts', { headers: cookieHeaders(session) });
    assert.deepEqual(
      links.body.accounts.map((a: { provider: string; email: string }) => [a.provider, a.email]),
      [[MOCK_PROVIDER, account.email]],
    );
    assert.equal(
      await h.auth.api.users.findByEmail(account.email),
      null,
      'no account for the provider address',
    );

    // From now on the provider signs in to the local account.
    const viaProvider = await providerSession(h, account);
    assert.equal((await withCookie(h, '/users/me', viaProvider)).body.user.id, local.userId);
  });
});

describe('unlinking', () => {
  it('unlink - should remove the link of a user who has a password (204), and the provider then no longer signs in to it', async () => {
    const local = await createVerifiedUser(h, 'unlinker');
    const session = await signInWithCookie(h, local.email);
    const account = newProviderUser('tounlink');
    const flow = flowFrom(
      MOCK_PROVIDER,
      await h.post(`/auth/oauth/${MOCK_PROVIDER}/link`, {}, { headers: cookieHeaders(session, OWN_PAGE) }),
    );
    const callbackUrl = await followToCallback(flow);
    actAs(provider, account);
    assert.equal((await callback(h, callbackUrl, { cookie: flow.flowCookie })).status, 302);

    const { accessToken } = await h.login(local.email);
    const [link] = (await h.get('/users/me/oauth-accounts', { token: accessToken })).body.accounts;
    const removed = await h.request('DELETE', `/users/me/oauth-accounts/${link.id}`, { token: accessToken });
    assert.equal(removed.status, 204, removed.text);
    assert.deepEqual((await h.get('/users/me/oauth-accounts', { token: accessToken })).body.accounts, []);
    assertProblem(
      await h.request('DELETE', `/users/me/oauth-accounts/${link.id}`, { token: accessToken }),
      404,
      'OAUTH_ACCOUNT_NOT_FOUND',
    );

    // The provider account is now a stranger: it gets an account of its own, not the old one.
    const again = await providerSession(h, account);
    assert.notEqual((await withCookie(h, '/users/me', again)).body.user.id, local.userId);
  });

  it('unlink - should refuse the only link of an OAuth-only user with 409 LAST_SIGN_IN_METHOD', async () => {
    const session = await providerSession(h, newProviderUser('onlylink'));
    const csrf = await csrfTokenOf(h, session);
    const [link] = (await withCookie(h, '/users/me/oauth-accounts', session)).body.accounts;
    const refused = await h.request('DELETE', `/users/me/oauth-accounts/${link.id}`, {
      headers: cookieHeaders({ value: cookieValueOf(session), csrfToken: csrf }, OWN_PAGE),
    });
    assertProblem(refused, 409, 'LAST_SIGN_IN_METHOD');
    assert.equal((await withCookie(h, '/users/me/oauth-accounts', session)).body.accounts.length, 1);
  });

  it('reset password - should let an OAuth-only user set a first password, sign in with it, then unlink', async () => {
    const account = newProviderUser('firstpw');
    const session = await providerSession(h, account);
    const [link] = (await withCookie(h, '/users/me/oauth-accounts', session)).body.accounts;

    const asked = await h.post('/auth/forgot-password', { email: account.email });
    assert.equal(asked.status, 202, asked.text);
    const token = tokenFromMail(await h.mailTo(account.email, { subject: /^Reset your/ }));
    const reset = await h.post('/auth/reset-password', { token, password: NEW_PASSWORD });
    assert.equal(reset.status, 204, reset.text);

    const signedIn = await h.login(account.email, NEW_PASSWORD);
    const removed = await h.request('DELETE', `/users/me/oauth-accounts/${link.id}`, {
      token: signedIn.accessToken,
    });
    assert.equal(removed.status, 204, removed.text);
    assert.deepEqual(
      (await h.get('/users/me/oauth-accounts', { token: signedIn.accessToken })).body.accounts,
      [],
    );
    // The password is now the way in.
    assert.equal((await h.post('/auth/login', { email: account.email, password: NEW_PASSWORD })).status, 200);
  });
});

describe('a user with two-factor authentication', () => {
  /** The instance's clock: the middle of a time step, moved forward so each code is fresh. */
  let t = Math.floor(Date.now() / STEP_MS) * STEP_MS + STEP_MS / 2;
  let twoFactor: Harness;
  before(async () => {
    twoFactor = await createOAuthHarness(provider, { config: { clock: { now: () => t } } });
  });
  after(() => twoFactor?.close());

  /** A local user with a password, the provider account linked, then TOTP turned on. */
  async function linkedTwoFactorUser(): Promise<{ userId: string; account: ProviderUser; seed: Buffer }> {
    const local = await createVerifiedUser(twoFactor, 'oauth2fa');
    const session = await signInWithCookie(twoFactor, local.email);
    const flow = flowFrom(
      MOCK_PROVIDER,
      await twoFactor.post(
        `/auth/oauth/${MOCK_PROVIDER}/link`,
        {},
        { headers: cookieHeaders(session, OWN_PAGE) },
      ),
    );
    const account = newProviderUser('oauth2fa-provider');
    const callbackUrl = await followToCallback(flow);
    actAs(provider, account);
    assert.equal((await callback(twoFactor, callbackUrl, { cookie: flow.flowCookie })).status, 302);

    const { accessToken } = await twoFactor.login(local.email);
    const started = await twoFactor.post(
      '/auth/2fa/enable',
      { currentPassword: GOOD_PASSWORD },
      { token: accessToken },
    );
    assert.equal(started.status, 200, started.text);
    const seed = base32Decode(started.body.secret);
    const confirmed = await twoFactor.post(
      '/auth/2fa/enable/confirm',
      { enrollmentToken: started.body.enrollmentToken, code: totpCode(seed, { timeMs: t }) },
      { token: accessToken },
    );
    assert.equal(confirmed.status, 200, confirmed.text);
    t += 3 * STEP_MS;
    return { userId: local.userId, account, seed };
  }

  it('callback - should answer the pending 2FA step in the fragment, without a session, and POST /auth/2fa/verify should finish it', async () => {
    const user = await linkedTwoFactorUser();
    const { response } = await signInWithProvider(twoFactor, provider, user.account, {
      query: { redirectTo: '/app' },
    });
    assert.equal(response.status, 302, response.text);
    assert.equal(setCookiePair(response, SESSION_COOKIE), null, 'no session before the second factor');
    assert.equal(setCookieValue(response, flowCookieName(MOCK_PROVIDER)), '');
    const location = new URL(response.headers.get('location') as string);
    assert.equal(`${location.origin}${location.pathname}${location.search}`, `${HARNESS_BASE_URL}/app`);
    const fragment = new URLSearchParams(location.hash.slice(1));
    assert.equal(fragment.get('twoFactorRequired'), 'true');
    const pendingToken = fragment.get('pendingToken');
    assert.ok(pendingToken, 'the fragment carries the pending token');

    const verified = await twoFactor.post(
      '/auth/2fa/verify',
      { pendingToken, code: totpCode(user.seed, { timeMs: t }) },
      { headers: { Origin: OWN_ORIGIN } },
    );
    assert.equal(verified.status, 200, verified.text);
    assert.equal(typeof verified.body.csrfToken, 'string');
    const session = setCookiePair(verified, SESSION_COOKIE);
    assert.ok(session, 'the second factor starts the cookie session');
    const me = await withCookie(twoFactor, '/users/me', session);
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.user.id, user.userId);
    assert.equal(me.body.user.twoFactorEnabled, true);
  });

  it('exchange - should answer the 2FA challenge instead of tokens, and the finished login should say it came through the provider', async () => {
    const user = await linkedTwoFactorUser();
    const { codeVerifier, codeChallenge } = pkcePair();
    const { response } = await signInWithProvider(twoFactor, provider, user.account, {
      query: { codeChallenge },
    });
    assert.equal(response.status, 302, response.text);
    const code = new URL(response.headers.get('location') as string).searchParams.get('code');
    const exchanged = await twoFactor.post('/auth/oauth/exchange', { code, codeVerifier });
    assert.equal(exchanged.status, 200, exchanged.text);
    assert.equal(exchanged.body.twoFactorRequired, true);
    assert.equal(exchanged.body.accessToken, undefined, 'no token before the second factor');

    const verified = await twoFactor.post('/auth/2fa/verify', {
      pendingToken: exchanged.body.pendingToken,
      code: totpCode(user.seed, { timeMs: t }),
    });
    assert.equal(verified.status, 200, verified.text);
    assert.equal(verified.body.user.id, user.userId);
    // The access token's `amr` (RFC 8176) says how the user authenticated: no password was
    // typed in this login, the first factor was the provider.
    const amr = jwtPayload(verified.body.accessToken).amr as string[];
    assert.ok(amr.includes('otp'), `amr ${JSON.stringify(amr)}`);
    assert.deepEqual(
      [...amr].sort(),
      ['oauth', 'otp'],
      `a login that started at the provider must not claim a password (amr ${JSON.stringify(amr)})`,
    );
  });
});

describe('linking by verified email (oauth.linkByVerifiedEmail)', () => {
  it('callback - should link a verified local account with the provider verified address and sign it in when on', async () => {
    const local = await createVerifiedUser(linking, 'byemail');
    const account = { ...newProviderUser('byemail-provider'), email: local.email };
    const session = await providerSession(linking, account);
    const me = await withCookie(linking, '/users/me', session);
    assert.equal(me.body.user.id, local.userId);
    const links = (await withCookie(linking, '/users/me/oauth-accounts', session)).body.accounts;
    assert.deepEqual(
      links.map((a: { provider: string; email: string }) => [a.provider, a.email]),
      [[MOCK_PROVIDER, local.email]],
    );
    // The password still works: linking took nothing away.
    assert.equal((await linking.login(local.email)).userId, local.userId);
  });

  it('callback - should refuse with 409 OAUTH_EMAIL_IN_USE when off (the default), linking nothing', async () => {
    const local = await createVerifiedUser(h, 'byemail-off');
    const account = { ...newProviderUser('byemail-off-provider'), email: local.email };
    const { response } = await signInWithProvider(h, provider, account);
    assertProblem(response, 409, 'OAUTH_EMAIL_IN_USE');
    assert.equal(setCookiePair(response, SESSION_COOKIE), null);
    const { accessToken } = await h.login(local.email);
    assert.deepEqual((await h.get('/users/me/oauth-accounts', { token: accessToken })).body.accounts, []);
  });
});

describe('starting a flow', () => {
  it('authorize - should set a short-lived, HttpOnly, Secure, SameSite=Lax flow cookie scoped to the provider', async () => {
    const flow = await startFlow(h, MOCK_PROVIDER);
    const line = flow.response.headers
      .getSetCookie()
      .find((l) => l.startsWith(flowCookieName(MOCK_PROVIDER)));
    assert.ok(line);
    assert.match(line, /; HttpOnly/);
    assert.match(line, /; Secure/);
    assert.match(line, /; SameSite=Lax/);
    assert.match(line, /; Path=\//);
    const maxAge = Number(/Max-Age=(\d+)/.exec(line)?.[1]);
    assert.ok(maxAge > 0 && maxAge <= 600, `Max-Age ${maxAge}`);
    const params = flow.authorizationUrl.searchParams;
    assert.equal(params.get('redirect_uri'), `${HARNESS_BASE_URL}/auth/oauth/${MOCK_PROVIDER}/callback`);
    assert.equal(params.get('code_challenge_method'), 'S256');
    // The sealed cookie holds the verifier; neither appears in the clear anywhere.
    assert.ok(!flow.flowCookie.includes(params.get('state') as string));
    assert.ok(!flow.flowCookie.includes(params.get('nonce') as string));
  });
});
