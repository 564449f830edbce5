/**
 * Threat: cookie tossing — a sibling subdomain (or a path-scoped or insecure-origin write)
 * plants a second session cookie next to the victim's, so the server may pick the attacker's
 * session and the victim's actions land in the attacker's account; look-alike names
 * (`gh_session`, wrong case, suffixes) that a lax parser folds into ours; and transport
 * confusion, where a presented-but-invalid bearer token falls through to the cookie or the
 * cookie overrides an explicit Authorization header.
 * Invariant: two cookies of our exact name in one request are 401 INVALID_TOKEN, whatever
 * their order, and change nothing; any other name is ignored (alone: 401 UNAUTHENTICATED;
 * next to the real cookie: the real cookie decides). The Authorization header, when present,
 * decides alone: a valid bearer wins over a cookie, an invalid one is 401 with no fall-through.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  type JsonResponse,
  type SignedInUser,
  send,
} from '../fixtures/auth-harness.ts';
import {
  createVerifiedUser,
  OWN_ORIGIN,
  SESSION_COOKIE,
  signInWithCookie,
} from '../fixtures/cookie-session.ts';

interface Account {
  readonly userId: string;
  readonly email: string;
  /** The cookie session's value, `<sessionId>.<secret>`. */
  readonly cookie: string;
  readonly csrfToken: string;
  readonly bearer: SignedInUser;
}

let h: Harness;
let victim: Account;
let attacker: Account;

before(async () => {
  h = await createHarness();
  victim = await newAccount('victim');
  attacker = await newAccount('attacker');
});
after(() => h.close());

/** A verified account signed in twice: once by cookie, once by bearer. */
async function newAccount(label: string): Promise<Account> {
  const { email } = await createVerifiedUser(h, label);
  const session = await signInWithCookie(h, email);
  const bearer = await h.login(email);
  return { userId: session.userId, email, cookie: session.value, csrfToken: session.csrfToken, bearer };
}

function withCookieHeader(cookieHeader: string, extra: Record<string, string> = {}): Record<string, string> {
  return { Cookie: cookieHeader, ...extra };
}

function whoAmI(headers: Record<string, string>): Promise<JsonResponse> {
  return h.get('/users/me', { headers });
}

async function nameOf(account: Account): Promise<string | null> {
  const stored = await h.auth.api.users.get(account.userId);
  assert.ok(stored);
  return stored.name;
}

/** Both accounts' cookie sessions still work on their own and nobody's name changed. */
async function assertUntouched(): Promise<void> {
  for (const account of [victim, attacker]) {
    const me = await whoAmI(withCookieHeader(`${SESSION_COOKIE}=${account.cookie}`));
    assert.equal(me.status, 200, `${account.email.split('-')[0]}'s cookie still works alone`);
    assert.equal(me.body.user.id, account.userId);
    assert.equal(await nameOf(account), null);
  }
}

describe('duplicate session cookies', () => {
  const orders = [
    {
      label: 'victim first',
      header: () => `${SESSION_COOKIE}=${victim.cookie}; ${SESSION_COOKIE}=${attacker.cookie}`,
    },
    {
      label: 'planted first',
      header: () => `${SESSION_COOKIE}=${attacker.cookie}; ${SESSION_COOKIE}=${victim.cookie}`,
    },
    {
      label: 'planted first, among other cookies',
      header: () =>
        `theme=dark; ${SESSION_COOKIE}=${attacker.cookie};${SESSION_COOKIE}=${victim.cookie}; lang=en`,
    },
  ];

  for (const order of orders) {
    it(`cookie tossing - should answer 401 INVALID_TOKEN to two session cookies (${order.label})`, async () => {
      const response = await whoAmI(withCookieHeader(order.header()));
      assertProblem(response, 401, 'INVALID_TOKEN');
      assert.equal(response.body.user, undefined, 'nobody is answered');
    });

    it(`cookie tossing - should change nothing on an unsafe request with two session cookies (${order.label})`, async () => {
      // Every other defence passes: the victim's own page, origin and CSRF token.
      const headers = withCookieHeader(order.header(), {
        Origin: OWN_ORIGIN,
        'X-CSRF-Token': victim.csrfToken,
      });
      assertProblem(
        await h.request('PATCH', '/users/me', { body: { name: 'Tossed' }, headers }),
        401,
        'INVALID_TOKEN',
      );
      const signOut = await h.request('DELETE', '/auth/session', { headers });
      assertProblem(signOut, 401, 'INVALID_TOKEN');
      assert.equal(signOut.headers.getSetCookie().length, 0, 'the refusal clears no cookie');
      await assertUntouched();
    });
  }

  it('cookie tossing - should refuse a planted forged value next to the real cookie', async () => {
    const forged = `${victim.cookie.split('.')[0]}.${'A'.repeat(43)}`;
    for (const header of [
      `${SESSION_COOKIE}=${forged}; ${SESSION_COOKIE}=${victim.cookie}`,
      `${SESSION_COOKIE}=${victim.cookie}; ${SESSION_COOKIE}=${forged}`,
      `${SESSION_COOKIE}=; ${SESSION_COOKIE}=${victim.cookie}`,
    ]) {
      assertProblem(await whoAmI(withCookieHeader(header)), 401, 'INVALID_TOKEN');
    }
    await assertUntouched();
  });

  it('cookie tossing - should refuse two copies of the same value (no copy can be trusted to be ours)', async () => {
    const response = await whoAmI(
      withCookieHeader(`${SESSION_COOKIE}=${victim.cookie}; ${SESSION_COOKIE}=${victim.cookie}`),
    );
    assertProblem(response, 401, 'INVALID_TOKEN');
  });

  it('cookie tossing - should refuse two session cookies sent in separate Cookie header lines', async () => {
    const headers = new Headers();
    headers.append('Cookie', `${SESSION_COOKIE}=${victim.cookie}`);
    headers.append('Cookie', `${SESSION_COOKIE}=${attacker.cookie}`);
    const response = await h.auth.fetch(new Request('http://localhost/users/me', { headers }));
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { code: string }).code, 'INVALID_TOKEN');
  });
});

describe('look-alike cookie names', () => {
  const LOOK_ALIKES = [
    'gh_session',
    '__host-gh_session',
    '__HOST-gh_session',
    '__Host-GH_SESSION',
    '__Host-gh_session2',
    '__Host-gh_sessio',
    '__Secure-gh_session',
    'x__Host-gh_session',
    '__Host-gh_session.',
  ];

  for (const name of LOOK_ALIKES) {
    it(`cookie tossing - should ignore a cookie named ${name} when it is the only one (401 UNAUTHENTICATED)`, async () => {
      // A valid session value: only the name is wrong.
      const response = await whoAmI(withCookieHeader(`${name}=${attacker.cookie}`));
      assertProblem(response, 401, 'UNAUTHENTICATED');
    });

    it(`cookie tossing - should let the real cookie decide next to a cookie named ${name}`, async () => {
      for (const header of [
        `${name}=${attacker.cookie}; ${SESSION_COOKIE}=${victim.cookie}`,
        `${SESSION_COOKIE}=${victim.cookie}; ${name}=${attacker.cookie}`,
      ]) {
        const response = await whoAmI(withCookieHeader(header));
        assert.equal(response.status, 200, `${header.slice(0, 30)}…: ${response.text}`);
        assert.equal(response.body.user.id, victim.userId, 'the victim, never the planted session');
      }
    });
  }

  it('cookie tossing - should apply an unsafe request to the real session, not the look-alike one', async () => {
    const headers = withCookieHeader(`gh_session=${attacker.cookie}; ${SESSION_COOKIE}=${victim.cookie}`, {
      Origin: OWN_ORIGIN,
      'X-CSRF-Token': victim.csrfToken,
    });
    const response = await h.request('PATCH', '/users/me', { body: { name: 'Victim' }, headers });
    assert.equal(response.status, 200, response.text);
    assert.equal(await nameOf(victim), 'Victim');
    assert.equal(await nameOf(attacker), null);
    const reset = await h.request('PATCH', '/users/me', {
      body: { name: null },
      token: victim.bearer.accessToken,
    });
    assert.equal(reset.status, 200);
  });
});

describe('transport precedence', () => {
  it('transport confusion - should let a valid bearer token win over a cookie of another user', async () => {
    const response = await h.get('/users/me', {
      token: attacker.bearer.accessToken,
      headers: { Cookie: `${SESSION_COOKIE}=${victim.cookie}` },
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.user.id, attacker.userId);
    const listed = await h.get('/users/me/sessions', {
      token: attacker.bearer.accessToken,
      headers: { Cookie: `${SESSION_COOKIE}=${victim.cookie}` },
    });
    assert.ok(
      listed.body.sessions.every((s: { id: string }) => s.id !== victim.cookie.split('.')[0]),
      "the victim's sessions are not listed",
    );
  });

  it('transport confusion - should apply an unsafe bearer request to the bearer user only', async () => {
    const response = await h.request('PATCH', '/users/me', {
      body: { name: 'Bearer wins' },
      token: attacker.bearer.accessToken,
      headers: { Cookie: `${SESSION_COOKIE}=${victim.cookie}` },
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(await nameOf(attacker), 'Bearer wins');
    assert.equal(await nameOf(victim), null);
    const reset = await h.request('PATCH', '/users/me', {
      body: { name: null },
      token: attacker.bearer.accessToken,
    });
    assert.equal(reset.status, 200);
  });

  it('transport confusion - should answer 401 to an invalid Authorization header instead of falling through to a valid cookie', async () => {
    const revoked = await newAccount('revoked');
    const logout = await h.post('/auth/logout', undefined, { token: revoked.bearer.accessToken });
    assert.equal(logout.status, 204, logout.text);
    const invalid: readonly { label: string; authorization: string }[] = [
      { label: 'garbage bearer', authorization: 'Bearer not-a-token' },
      { label: 'revoked bearer', authorization: `Bearer ${revoked.bearer.accessToken}` },
      { label: 'tampered bearer', authorization: `Bearer ${victim.bearer.accessToken.slice(0, -2)}xx` },
      { label: 'the cookie value as a bearer', authorization: `Bearer ${victim.cookie}` },
      {
        label: 'Basic scheme',
        authorization: `Basic ${Buffer.from(`${victim.email}:${GOOD_PASSWORD}`).toString('base64')}`,
      },
      { label: 'empty header', authorization: '' },
    ];
    for (const { label, authorization } of invalid) {
      const response = await whoAmI({
        Authorization: authorization,
        Cookie: `${SESSION_COOKIE}=${victim.cookie}`,
      });
      assert.equal(response.status, 401, `${label}: ${response.status} ${response.text}`);
      assert.equal(response.body.code, 'INVALID_TOKEN', label);
      const patched = await h.request('PATCH', '/users/me', {
        body: { name: 'Fell through' },
        headers: {
          Authorization: authorization,
          Cookie: `${SESSION_COOKIE}=${victim.cookie}`,
          Origin: OWN_ORIGIN,
          'X-CSRF-Token': victim.csrfToken,
        },
      });
      assert.equal(patched.status, 401, `${label} (PATCH): ${patched.text}`);
    }
    await assertUntouched();
  });

  it('transport confusion - should refuse a refresh token planted as the session cookie', async () => {
    // Same <id>.<secret> shape, other session kind and other digest key.
    const response = await whoAmI({ Cookie: `${SESSION_COOKIE}=${attacker.bearer.refreshToken}` });
    assertProblem(response, 401, 'INVALID_TOKEN');
    const refreshed = await h.post('/auth/refresh', { refreshToken: attacker.bearer.refreshToken });
    assert.equal(refreshed.status, 200, 'the refresh token itself was not spent or revoked');
  });

  it('transport confusion - should not exchange a session cookie for a token pair at POST /auth/refresh', async () => {
    const response = await h.post('/auth/refresh', { refreshToken: victim.cookie });
    assertProblem(response, 401, 'REFRESH_TOKEN_INVALID');
    assert.equal(response.body.accessToken, undefined);
    await assertUntouched();
  });

  it('transport confusion - should not accept a cookie session id or CSRF token as a bearer token', async () => {
    // Checked without any cookie: a cookie credential is no bearer credential.
    const request = await send(h.auth, 'GET', '/users/me', { token: victim.cookie });
    assertProblem(request, 401, 'INVALID_TOKEN');
    const csrf = await send(h.auth, 'GET', '/users/me', { token: victim.csrfToken });
    assertProblem(csrf, 401, 'INVALID_TOKEN');
  });
});
