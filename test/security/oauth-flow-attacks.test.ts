/**
 * Threats against the OAuth sign-in flow as a whole, through the routes of a real instance and
 * a real OIDC provider on a loopback port (oauth2-mock-server):
 *
 * - login CSRF and flow mix-ups: a callback without our flow cookie, with another flow's state,
 *   with a flow cookie issued for another provider, or replayed;
 * - code interception: a replayed exchange code, or one presented without the right verifier;
 * - forged identities: ID tokens for another client, from another issuer, for another flow,
 *   expired, or not signed by the provider's key;
 * - account takeover through email: an address the provider does not vouch for, and an
 *   attacker's unverified local account pre-registered with the victim's address;
 * - open redirects and parameter injection at `/authorize`;
 * - a provider that refuses, is down, or never answers;
 * - linking: cross-site starts, a provider account already linked to someone else.
 *
 * Invariant: every one of these ends in a documented 4xx/5xx problem (never a 500, never a
 * hang), sets no session cookie, creates or links no account, and the victim's account is
 * untouched.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { assertProblem, type Harness, type JsonResponse } from '../fixtures/auth-harness.ts';
import {
  cookieHeaders,
  createVerifiedUser,
  OWN_PAGE,
  SESSION_COOKIE,
  signInWithCookie,
} from '../fixtures/cookie-session.ts';
import { findFreePort } from '../fixtures/free-port.ts';
import {
  actAs,
  authorize,
  callback,
  createOAuthHarness,
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
import {
  type OidcServer,
  resignWithForeignKey,
  startOidcServer,
  withEditedClaims,
} from '../fixtures/oidc-server.ts';

/** A second provider on the same issuer: a flow cookie of one must not serve the other. */
const OTHER_PROVIDER = 'other';
/** Its issuer is a loopback port where nothing listens. */
const DOWN_PROVIDER = 'down';
/** Its issuer accepts connections and never answers. */
const STALLED_PROVIDER = 'stalled';
/** A real provider that a test stops halfway through a flow. */
const DOOMED_PROVIDER = 'doomed';
const FETCH_TIMEOUT_MS = 1_000;
const ATTACKER_PASSWORD = 'mallory registered this first 73';

let provider: OidcServer;
let doomed: OidcServer;
let stalled: Server;
const stalledSockets = new Set<Socket>();
/** Defaults (`linkByVerifiedEmail` off), and every provider above. */
let h: Harness;
/** `linkByVerifiedEmail: true` and open registration: the most permissive account policy. */
let permissive: Harness;

before(async () => {
  provider = await startOidcServer();
  doomed = await startOidcServer();
  stalled = createServer((socket) => {
    stalledSockets.add(socket);
    socket.on('close', () => stalledSockets.delete(socket));
  });
  stalled.listen(0, '127.0.0.1');
  await once(stalled, 'listening');
  const stalledPort = (stalled.address() as { port: number }).port;
  h = await createOAuthHarness(provider, {
    providers: {
      [MOCK_PROVIDER]: provider.issuer,
      [OTHER_PROVIDER]: provider.issuer,
      [DOWN_PROVIDER]: `http://127.0.0.1:${await findFreePort()}`,
      [STALLED_PROVIDER]: `http://127.0.0.1:${stalledPort}`,
      [DOOMED_PROVIDER]: doomed.issuer,
    },
    oauth: { fetchTimeoutMs: FETCH_TIMEOUT_MS },
  });
  permissive = await createOAuthHarness(provider, {
    oauth: { linkByVerifiedEmail: true },
    config: { registration: { mode: 'open' } },
  });
});
after(async () => {
  await Promise.all([h?.close(), permissive?.close()]);
  await Promise.all([provider?.stop(), doomed?.stop()]);
  for (const socket of stalledSockets) socket.destroy();
  stalled?.close();
});

/** Asserts the answer signed nobody in: no session cookie among whatever it sets. */
function assertNoSession(response: JsonResponse): void {
  assert.equal(setCookiePair(response, SESSION_COOKIE), null, 'no session cookie');
}

/** Asserts no account exists for the address (and so none was created by the refused flow). */
async function assertNoAccount(harness: Harness, email: string): Promise<void> {
  assert.equal(await harness.auth.api.users.findByEmail(email), null, 'no account was created');
}

/** Asserts a refused start at `/authorize`: no redirect to the provider and no flow cookie. */
function assertNothingStarted(response: JsonResponse): void {
  assert.equal(response.headers.get('location'), null, 'no redirect to the provider');
  assert.deepEqual(response.headers.getSetCookie(), [], 'no flow cookie');
}

/** A provider account that has signed in once on `harness` (so it has an account to steal). */
async function existingVictim(harness: Harness): Promise<ProviderUser & { userId: string }> {
  const victim = newProviderUser('victim');
  const { response } = await signInWithProvider(harness, provider, victim);
  assert.equal(response.status, 302, response.text);
  const user = await harness.auth.api.users.findByEmail(victim.email);
  assert.ok(user);
  return { ...victim, userId: user.id };
}

describe('login CSRF and flow mix-ups at the callback', () => {
  it('callback without the flow cookie (a callback URL planted in the victim browser) - should be 400 OAUTH_STATE_INVALID', async () => {
    const flow = await startFlow(h, MOCK_PROVIDER);
    const callbackUrl = await followToCallback(flow);
    const response = await callback(h, callbackUrl, { cookie: null });
    assertProblem(response, 400, 'OAUTH_STATE_INVALID');
    assertNoSession(response);
  });

  it('callback with the state of another flow (mismatched state) - should be 400 OAUTH_STATE_INVALID and clear the flow cookie', async () => {
    const victimFlow = await startFlow(h, MOCK_PROVIDER);
    const attackerFlow = await startFlow(h, MOCK_PROVIDER);
    const attackerCallback = await followToCallback(attackerFlow);
    const response = await callback(h, attackerCallback, { cookie: victimFlow.flowCookie });
    assertProblem(response, 400, 'OAUTH_STATE_INVALID');
    assertNoSession(response);
    // Issue 8: "missing or mismatched → 400 OAUTH_STATE_INVALID, and the cookie is cleared".
    assert.equal(
      setCookieValue(response, flowCookieName(MOCK_PROVIDER)),
      '',
      'a mismatched callback should delete the flow cookie',
    );
  });

  it('callback with the state sent twice (parameter pollution) - should be 400 OAUTH_STATE_INVALID', async () => {
    const flow = await startFlow(h, MOCK_PROVIDER);
    const callbackUrl = await followToCallback(flow);
    callbackUrl.searchParams.append(
      'state',
      (await startFlow(h, MOCK_PROVIDER)).authorizationUrl.searchParams.get('state') as string,
    );
    const response = await callback(h, callbackUrl, { cookie: flow.flowCookie });
    assertProblem(response, 400, 'OAUTH_STATE_INVALID');
    assertNoSession(response);
  });

  it('flow cookie issued for another provider and renamed for this one - should be 400 OAUTH_STATE_INVALID', async () => {
    const flow = await startFlow(h, MOCK_PROVIDER);
    const callbackUrl = await followToCallback(flow);
    const sealed = flow.flowCookie.slice(flow.flowCookie.indexOf('=') + 1);
    const otherCallback = new URL(
      callbackUrl.href.replace(`/oauth/${MOCK_PROVIDER}/`, `/oauth/${OTHER_PROVIDER}/`),
    );
    const renamed = await callback(h, otherCallback, {
      cookie: `${flowCookieName(OTHER_PROVIDER)}=${sealed}`,
    });
    assertProblem(renamed, 400, 'OAUTH_STATE_INVALID');
    assertNoSession(renamed);
    // Under its own name it is simply not this provider's cookie.
    const asIs = await callback(h, otherCallback, { cookie: flow.flowCookie });
    assertProblem(asIs, 400, 'OAUTH_STATE_INVALID');
    // The flow was not spent by those attempts: the genuine callback still works (control).
    actAs(provider, newProviderUser('control'));
    assert.equal((await callback(h, callbackUrl, { cookie: flow.flowCookie })).status, 302);
  });

  it('flow cookie with a tampered byte - should be 400 OAUTH_STATE_INVALID', async () => {
    const flow = await startFlow(h, MOCK_PROVIDER);
    const callbackUrl = await followToCallback(flow);
    const last = flow.flowCookie.at(-1) === 'A' ? 'B' : 'A';
    const response = await callback(h, callbackUrl, { cookie: `${flow.flowCookie.slice(0, -1)}${last}` });
    assertProblem(response, 400, 'OAUTH_STATE_INVALID');
    assertNoSession(response);
  });

  it('replayed callback (same URL and cookie twice) - should sign in once, then be 400 OAUTH_STATE_INVALID', async () => {
    const user = newProviderUser('replay');
    const { callbackUrl, flow, response } = await signInWithProvider(h, provider, user);
    assert.equal(response.status, 302, response.text);
    assert.ok(setCookiePair(response, SESSION_COOKIE));
    const replayed = await callback(h, callbackUrl, { cookie: flow.flowCookie });
    assertProblem(replayed, 400, 'OAUTH_STATE_INVALID');
    assertNoSession(replayed);
  });
});

describe('exchange code interception', () => {
  /** An exchange flow that reached the redirect: the one-time code and the client's verifier. */
  async function exchangeCode(): Promise<{ code: string; codeVerifier: string }> {
    const { codeVerifier, codeChallenge } = pkcePair();
    const { response } = await signInWithProvider(h, provider, newProviderUser('spa'), {
      query: { codeChallenge, redirectTo: '/spa' },
    });
    assert.equal(response.status, 302, response.text);
    const code = new URL(response.headers.get('location') as string).searchParams.get('code');
    assert.ok(code);
    return { code, codeVerifier };
  }

  it('replayed exchange code - should give tokens once, then 400 OAUTH_EXCHANGE_CODE_INVALID', async () => {
    const { code, codeVerifier } = await exchangeCode();
    const first = await h.post('/auth/oauth/exchange', { code, codeVerifier });
    assert.equal(first.status, 200, first.text);
    const second = await h.post('/auth/oauth/exchange', { code, codeVerifier });
    assertProblem(second, 400, 'OAUTH_EXCHANGE_CODE_INVALID');
    assert.equal(second.body.accessToken, undefined);
  });

  it('exchange code stolen from the redirect, presented with the wrong verifier - should be 400 and burn the code', async () => {
    const { code, codeVerifier } = await exchangeCode();
    const stolen = await h.post('/auth/oauth/exchange', { code, codeVerifier: pkcePair().codeVerifier });
    assertProblem(stolen, 400, 'OAUTH_EXCHANGE_CODE_INVALID');
    assert.equal(stolen.body.accessToken, undefined);
    // One guess only: the code is gone, so a verifier cannot be searched for.
    assertProblem(
      await h.post('/auth/oauth/exchange', { code, codeVerifier }),
      400,
      'OAUTH_EXCHANGE_CODE_INVALID',
    );
  });

  it('made-up exchange code - should be 400 OAUTH_EXCHANGE_CODE_INVALID', async () => {
    assertProblem(
      await h.post('/auth/oauth/exchange', { code: 'x'.repeat(43), codeVerifier: pkcePair().codeVerifier }),
      400,
      'OAUTH_EXCHANGE_CODE_INVALID',
    );
  });
});

describe('forged or misdirected ID tokens', () => {
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  /** Each edits the next ID token after `actAs` has made it speak for the attacker's target. */
  const FORGERIES: Readonly<Record<string, (victim: ProviderUser) => void>> = {
    'ID token issued to another client (wrong aud)': () =>
      provider.editNextIdToken((token) => {
        token.payload.aud = 'anotherClient';
      }),
    'ID token from another issuer (wrong iss)': () =>
      provider.editNextIdToken((token) => {
        token.payload.iss = 'https://evil.example';
      }),
    'ID token from another sign-in flow (wrong nonce)': () =>
      provider.editNextIdToken((token) => {
        token.payload.nonce = pkcePair().codeVerifier;
      }),
    'expired ID token': () =>
      provider.editNextIdToken((token) => {
        token.payload.iat = nowSeconds() - 3600;
        token.payload.nbf = nowSeconds() - 3600;
        token.payload.exp = nowSeconds() - 120;
      }),
    'ID token with a bad signature (claims edited after signing to name the victim)': (victim) =>
      provider.replaceNextIdToken((idToken) =>
        withEditedClaims(idToken, (claims) => {
          claims.sub = victim.subject;
          claims.email = victim.email;
        }),
      ),
    'ID token signed with a key the provider never published': (victim) =>
      provider.replaceNextIdToken((idToken) =>
        resignWithForeignKey(idToken, (claims) => {
          claims.sub = victim.subject;
        }),
      ),
  };

  for (const [threat, forge] of Object.entries(FORGERIES)) {
    it(`${threat} - should be 400 OAUTH_PROVIDER_ERROR with no session and no account`, async () => {
      const victim = await existingVictim(h);
      const attacker = newProviderUser('forger');
      const flow = await startFlow(h, MOCK_PROVIDER);
      const callbackUrl = await followToCallback(flow);
      actAs(provider, attacker);
      forge(victim);
      const response = await callback(h, callbackUrl, { cookie: flow.flowCookie });
      assertProblem(response, 400, 'OAUTH_PROVIDER_ERROR');
      assertNoSession(response);
      await assertNoAccount(h, attacker.email);
      // The victim still signs in as before, to the same account, through the same link.
      const again = await signInWithProvider(h, provider, victim);
      assert.equal(again.response.status, 302);
      assert.equal((await h.auth.api.users.findByEmail(victim.email))?.id, victim.userId);
    });
  }
});

describe('account takeover through email', () => {
  it('provider address not verified by the provider - should be 400 OAUTH_EMAIL_NOT_VERIFIED and create no account', async () => {
    const user = { ...newProviderUser('unverified'), emailVerified: false };
    const { response } = await signInWithProvider(h, provider, user);
    assertProblem(response, 400, 'OAUTH_EMAIL_NOT_VERIFIED');
    assertNoSession(response);
    await assertNoAccount(h, user.email);
  });

  it('provider address not verified, matching a verified local account - should be refused even with linkByVerifiedEmail', async () => {
    const local = await createVerifiedUser(permissive, 'unverified-claim');
    const user = { ...newProviderUser('unverified-claim'), email: local.email, emailVerified: false };
    const { response } = await signInWithProvider(permissive, provider, user);
    assertProblem(response, 400, 'OAUTH_EMAIL_NOT_VERIFIED');
    assertNoSession(response);
    const { accessToken } = await permissive.login(local.email);
    assert.deepEqual(
      (await permissive.get('/users/me/oauth-accounts', { token: accessToken })).body.accounts,
      [],
    );
  });

  for (const [policy, harness] of [
    ['linkByVerifiedEmail on', () => permissive],
    ['linkByVerifiedEmail off', () => h],
  ] as const) {
    it(`pre-registered unverified local account with the victim's email (${policy}) - should be 409 OAUTH_EMAIL_IN_USE and give the attacker nothing`, async () => {
      const target = harness();
      const victim = newProviderUser('preregistered');
      // The attacker registers the victim's address first, with a password of their own, and
      // never verifies it (they cannot: the mail goes to the victim).
      const registered = await target.post('/auth/register', {
        email: victim.email,
        password: ATTACKER_PASSWORD,
      });
      assert.ok(registered.status === 201 || registered.status === 202, registered.text);
      const squatted = await target.auth.api.users.findByEmail(victim.email);
      assert.ok(squatted && !squatted.emailVerified);

      for (let attempt = 0; attempt < 2; attempt++) {
        const { response } = await signInWithProvider(target, provider, victim);
        assertProblem(response, 409, 'OAUTH_EMAIL_IN_USE');
        assertNoSession(response);
      }
      // No provider link on the attacker's account, and the account is still theirs alone.
      const stored = await target.auth.api.users.findByEmail(victim.email);
      assert.equal(stored?.id, squatted.id);
      assert.equal(stored?.emailVerified, false, 'the provider did not verify the squatted address');
      const links = await target.auth.database.db
        .selectFrom('oauth_accounts')
        .select('id')
        .where('user_id', '=', squatted.id)
        .execute();
      assert.deepEqual(links, []);
      // What the attacker's password opens (if anything) shows no trace of the victim.
      const login = await target.post('/auth/login', { email: victim.email, password: ATTACKER_PASSWORD });
      if (login.status === 200) {
        const seen = await target.get('/users/me/oauth-accounts', { token: login.body.accessToken });
        assert.deepEqual(seen.body.accounts, []);
      } else {
        assertProblem(login, 401, 'LOGIN_BAD_CREDENTIALS');
      }
    });
  }

  it('provider account already linked to another user (link flow) - should be 409 OAUTH_ACCOUNT_ALREADY_LINKED and keep the first link', async () => {
    const victim = await existingVictim(h);
    const attacker = await createVerifiedUser(h, 'relinker');
    const session = await signInWithCookie(h, attacker.email);
    const started = await h.post(
      `/auth/oauth/${MOCK_PROVIDER}/link`,
      {},
      { headers: cookieHeaders(session, OWN_PAGE) },
    );
    assert.equal(started.status, 200, started.text);
    const flow = flowFrom(MOCK_PROVIDER, started);
    const callbackUrl = await followToCallback(flow);
    actAs(provider, victim);
    assertProblem(
      await callback(h, callbackUrl, { cookie: flow.flowCookie }),
      409,
      'OAUTH_ACCOUNT_ALREADY_LINKED',
    );
    assert.deepEqual(
      (await h.get('/users/me/oauth-accounts', { headers: cookieHeaders(session) })).body.accounts,
      [],
    );
    const again = await signInWithProvider(h, provider, victim);
    assert.equal(again.response.status, 302);
    assert.equal((await h.auth.api.users.findByEmail(victim.email))?.id, victim.userId);
  });
});

describe('open redirect and parameter injection at /authorize', () => {
  const PAYLOADS = [
    '//evil.example',
    'https://evil.example',
    'javascript:alert(1)',
    '/\\evil.example',
    'https:evil.example',
    '/%2F%2Fevil.example',
    '/%5Cevil.example',
    'https://auth.example.test@evil.example',
    'https://auth.example.test.evil.example/',
    ' /app',
    'data:text/html,<script>alert(1)</script>',
  ];
  for (const payload of PAYLOADS) {
    it(`open redirect payload ${JSON.stringify(payload)} - should be 400 REDIRECT_NOT_ALLOWED and start no flow`, async () => {
      const response = await authorize(h, MOCK_PROVIDER, { redirectTo: payload });
      assertProblem(response, 400, 'REDIRECT_NOT_ALLOWED');
      assertNothingStarted(response);
      assert.ok(!response.text.includes(payload), 'the payload is not echoed');
    });
  }

  it('open redirect payload through the link route - should be 400 REDIRECT_NOT_ALLOWED and set no flow cookie', async () => {
    const local = await createVerifiedUser(h, 'linkredirect');
    const session = await signInWithCookie(h, local.email);
    const response = await h.post(
      `/auth/oauth/${MOCK_PROVIDER}/link`,
      { redirectTo: '//evil.example' },
      { headers: cookieHeaders(session, OWN_PAGE) },
    );
    assertProblem(response, 400, 'REDIRECT_NOT_ALLOWED');
    assert.equal(setCookiePair(response, flowCookieName(MOCK_PROVIDER)), null);
  });

  const INJECTED = {
    scope: 'admin',
    prompt: 'none',
    redirect_uri: 'https://evil.example/callback',
    response_type: 'token',
    client_id: 'someoneElse',
    state: 'attacker-chosen-state-value',
  };
  for (const [name, value] of Object.entries(INJECTED)) {
    it(`protocol parameter injection (${name}=${value}) - should be 422 and forward nothing to the provider`, async () => {
      const response = await authorize(h, MOCK_PROVIDER, { redirectTo: '/app', extra: { [name]: value } });
      assertProblem(response, 422, 'VALIDATION_FAILED');
      assertNothingStarted(response);
      assert.deepEqual(
        response.body.errors.map((e: { path: string }) => e.path),
        [name],
      );
    });
  }

  it('parameter pollution (redirectTo twice, an allowed value and a payload) - should be 422 and start no flow', async () => {
    const response = await h.get(
      `/auth/oauth/${MOCK_PROVIDER}/authorize?redirectTo=/app&redirectTo=//evil.example`,
    );
    assertProblem(response, 422, 'VALIDATION_FAILED');
    assertNothingStarted(response);
  });

  it('authorize (control) - should send the provider only the configured scopes and our own redirect_uri', async () => {
    const flow = await startFlow(h, MOCK_PROVIDER, { redirectTo: '/app' });
    const params = flow.authorizationUrl.searchParams;
    assert.equal(params.get('scope'), 'openid email profile');
    assert.equal(
      params.get('redirect_uri'),
      `https://auth.example.test/auth/oauth/${MOCK_PROVIDER}/callback`,
    );
    assert.equal(params.get('prompt'), null);
    assert.equal(params.get('response_type'), 'code');
  });
});

describe('provider failures', () => {
  it('provider error response (error=access_denied at the callback) - should be 400 OAUTH_PROVIDER_ERROR, never 500, without echoing it', async () => {
    const flow = await startFlow(h, MOCK_PROVIDER);
    provider.editNextAuthorizationRedirect((url) => {
      url.searchParams.delete('code');
      url.searchParams.set('error', 'access_denied');
      url.searchParams.set('error_description', '<script>alert("owned")</script>');
    });
    const callbackUrl = await followToCallback(flow);
    assert.equal(callbackUrl.searchParams.get('error'), 'access_denied');
    const response = await callback(h, callbackUrl, { cookie: flow.flowCookie });
    assertProblem(response, 400, 'OAUTH_PROVIDER_ERROR');
    assertNoSession(response);
    assert.ok(!response.text.includes('<script>'), 'the provider text is not echoed');
  });

  it('provider unreachable at authorize (closed port as issuer) - should be 502 OAUTH_PROVIDER_UNAVAILABLE at once', async () => {
    const started = Date.now();
    const response = await authorize(h, DOWN_PROVIDER, { redirectTo: '/app' });
    assertProblem(response, 502, 'OAUTH_PROVIDER_UNAVAILABLE');
    // The client is told when to try again, as for a 503.
    assert.equal(response.headers.get('retry-after'), '5');
    assertNothingStarted(response);
    assert.ok(Date.now() - started < FETCH_TIMEOUT_MS, `answered in ${Date.now() - started} ms`);
  });

  it('provider that accepts the connection and never answers - should be 502 OAUTH_PROVIDER_UNAVAILABLE at the fetch timeout, not a hang', async () => {
    const started = Date.now();
    const response = await authorize(h, STALLED_PROVIDER, { redirectTo: '/app' });
    const elapsed = Date.now() - started;
    assertProblem(response, 502, 'OAUTH_PROVIDER_UNAVAILABLE');
    assertNothingStarted(response);
    assert.ok(
      elapsed >= FETCH_TIMEOUT_MS - 50 && elapsed < FETCH_TIMEOUT_MS * 3,
      `answered in ${elapsed} ms`,
    );
  });

  it('provider stopped between authorize and callback - should be 502 OAUTH_PROVIDER_UNAVAILABLE at once, with no session', async () => {
    const flow = await startFlow(h, DOOMED_PROVIDER);
    const callbackUrl = await followToCallback(flow);
    await doomed.stop();
    const started = Date.now();
    const response = await callback(h, callbackUrl, { cookie: flow.flowCookie });
    assertProblem(response, 502, 'OAUTH_PROVIDER_UNAVAILABLE');
    assertNoSession(response);
    assert.ok(Date.now() - started < FETCH_TIMEOUT_MS, `answered in ${Date.now() - started} ms`);
  });
});

describe('starting a link', () => {
  it('link started by a foreign page with the ambient cookie (CSRF) - should be 403 CSRF_FAILED and set no flow cookie', async () => {
    const local = await createVerifiedUser(h, 'csrflink');
    const session = await signInWithCookie(h, local.email);
    const response = await h.post(
      `/auth/oauth/${MOCK_PROVIDER}/link`,
      {},
      { headers: cookieHeaders(session, { origin: 'https://evil.example' }) },
    );
    assertProblem(response, 403, 'CSRF_FAILED');
    assert.equal(setCookiePair(response, flowCookieName(MOCK_PROVIDER)), null);
  });

  it('link started with a bearer token (no browser session to finish it in) - should be 403', async () => {
    const { accessToken } = await h.signedInUser();
    const response = await h.post(`/auth/oauth/${MOCK_PROVIDER}/link`, {}, { token: accessToken });
    assertProblem(response, 403, 'FORBIDDEN');
    assert.equal(setCookiePair(response, flowCookieName(MOCK_PROVIDER)), null);
  });

  it('link without any session - should be 401', async () => {
    assertProblem(await h.post(`/auth/oauth/${MOCK_PROVIDER}/link`, {}), 401, 'UNAUTHENTICATED');
  });

  it('GET /auth/oauth/{provider}/link (a link started by a plain navigation) - should be 405', async () => {
    const response = await h.get(`/auth/oauth/${MOCK_PROVIDER}/link`);
    assertProblem(response, 405, 'METHOD_NOT_ALLOWED');
    assert.equal(response.headers.get('allow'), 'POST');
  });
});

describe('unknown providers', () => {
  for (const path of [
    '/auth/oauth/nosuchprovider/authorize',
    '/auth/oauth/nosuchprovider/callback?code=abc&state=def',
  ]) {
    it(`unknown provider at ${path.split('?')[0]} - should be 404`, async () => {
      const response = await h.get(path);
      assertProblem(response, 404, 'NOT_FOUND');
      assert.deepEqual(response.headers.getSetCookie(), []);
    });
  }

  it('unknown provider at the link route - should be 404 for a signed-in page', async () => {
    const local = await createVerifiedUser(h, 'unknownlink');
    const session = await signInWithCookie(h, local.email);
    const response = await h.post(
      '/auth/oauth/nosuchprovider/link',
      {},
      { headers: cookieHeaders(session, OWN_PAGE) },
    );
    assertProblem(response, 404, 'NOT_FOUND');
  });
});
