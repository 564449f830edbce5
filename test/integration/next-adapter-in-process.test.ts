/**
 * gatehouse/next in process, on a real instance: the route handlers apply the mount-path rule
 * (mount read from the catch-all's params; equal to http.basePath → once; different → 500
 * logged once), stream bodies through, and answer a lazy value's 503; nextAuth reads the caller
 * from the headers Next's `headers()` gives (cookie session as a read, bearer), answers a typed
 * refusal for Route Handlers, and signInRedirect looks only at the presence of a credential.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signedFetchInit } from '../../src/client/signing/index.ts';
import {
  NextAuthError,
  nextAuth,
  signInRedirect,
  toNextHandlers,
} from '../../src/http/adapters/next/index.ts';
import { createAuth, lazyAuth } from '../../src/index.ts';
import { createApiKey, createKeyOwner, signingKeyOf } from '../fixtures/api-keys.ts';
import { createHarness, GOOD_PASSWORD, HARNESS_BASE_URL, type Harness } from '../fixtures/auth-harness.ts';
import { cookieHeaders, OWN_ORIGIN, signInWithCookie } from '../fixtures/cookie-session.ts';

/** The context Next passes `app/api/[...gatehouse]/route.ts` for `path` under `/api`. */
function catchAll(segments: string[]) {
  return { params: Promise.resolve({ gatehouse: segments }) };
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', origin: OWN_ORIGIN },
  body: JSON.stringify(body),
});

describe('gatehouse/next route handlers', () => {
  let plain: Harness;
  let prefixed: Harness;
  before(async () => {
    plain = await createHarness();
    prefixed = await createHarness({ config: { http: { basePath: '/api' } } });
  });
  after(async () => {
    await plain?.close();
    await prefixed?.close();
  });

  for (const [label, harness] of [
    ['no http.basePath: the folder is the prefix', () => plain],
    ['http.basePath equal to the folder: the prefix is applied once', () => prefixed],
  ] as const) {
    it(label, async () => {
      const h = harness();
      const email = `next-${label.length}@example.com`;
      const { id: userId } = await h.auth.api.users.create({
        email,
        password: GOOD_PASSWORD,
        emailVerified: true,
      });
      const { POST, GET } = toNextHandlers(h.auth);
      const login = await POST(
        new Request(`${HARNESS_BASE_URL}/api/auth/login`, json({ email, password: GOOD_PASSWORD })),
        catchAll(['auth', 'login']),
      );
      assert.equal(login.status, 200, await login.clone().text());
      const { accessToken } = (await login.json()) as { accessToken: string };
      const me = await GET(
        new Request(`${HARNESS_BASE_URL}/api/users/me`, {
          headers: { authorization: `Bearer ${accessToken}` },
        }),
        catchAll(['users', 'me']),
      );
      assert.equal(me.status, 200);
      assert.equal(((await me.json()) as { user: { id: string } }).user.id, userId);
      // The doubled prefix is not a route: the prefix was applied exactly once.
      const doubled = await GET(
        new Request(`${HARNESS_BASE_URL}/api/api/users/me`, {
          headers: { authorization: `Bearer ${accessToken}` },
        }),
        catchAll(['api', 'users', 'me']),
      );
      assert.equal(doubled.status, 404);
    });
  }

  it('a signed request under the folder verifies with http.basePath empty (Gatehouse checks the URL the client sent)', async () => {
    const owner = await createKeyOwner(plain);
    const key = signingKeyOf(
      await createApiKey(plain, owner.token, { name: 'next signing key', signing: true }),
    );
    const { GET } = toNextHandlers(plain.auth);
    const signedOver = async (signedPath: string) => {
      const init = await signedFetchInit({
        keyId: key.keyId,
        secret: key.secret,
        method: 'GET',
        url: `${HARNESS_BASE_URL}${signedPath}`,
      });
      return GET(new Request(`${HARNESS_BASE_URL}/api/users/me`, init), catchAll(['users', 'me']));
    };
    const honest = await signedOver('/api/users/me');
    assert.equal(honest.status, 200, await honest.clone().text());
    assert.equal(((await honest.json()) as { user: { id: string } }).user.id, owner.userId);
    const prefixLess = await signedOver('/users/me');
    assert.equal(prefixLess.status, 401, 'a signature over another path than the one sent is refused');
  });

  it('reads the mount from the catch-all under a deeper folder, or takes it as an option', async () => {
    const { GET } = toNextHandlers(plain.auth);
    const health = await GET(new Request(`${HARNESS_BASE_URL}/v1/auth-server/health`), catchAll(['health']));
    assert.equal(health.status, 200);
    const explicit = toNextHandlers(plain.auth, { mountPath: '/v1' });
    assert.equal((await explicit.GET(new Request(`${HARNESS_BASE_URL}/v1/health`))).status, 200);
  });

  it('answers 500 problem+json (logged once, no path in it) when the folder differs from http.basePath', async () => {
    const errors: string[] = [];
    const target = {
      ...prefixed.auth,
      fetch: prefixed.auth.fetch,
      config: prefixed.auth.config,
      guards: prefixed.auth.guards,
      logger: { error: (_object: object, message: string) => errors.push(message) },
    };
    const { GET } = toNextHandlers(target);
    for (let i = 0; i < 3; i += 1) {
      const response = await GET(new Request(`${HARNESS_BASE_URL}/auth-api/health`), catchAll(['health']));
      assert.equal(response.status, 500);
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
      const text = await response.text();
      assert.equal((JSON.parse(text) as { code: string }).code, 'INTERNAL');
      assert.ok(!text.includes('/auth-api') && !text.includes('"/api"'));
    }
    assert.equal(errors.length, 1);
  });

  it('hands a lazy value that cannot start its 503, and serves once it can', async () => {
    let attempts = 0;
    const lazy = lazyAuth(
      async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('database unreachable');
        return plain.auth;
      },
      { retryAfterMs: 0, logger: { error: () => undefined } },
    );
    const { GET } = toNextHandlers(lazy);
    const refused = await GET(new Request(`${HARNESS_BASE_URL}/api/health`), catchAll(['health']));
    assert.equal(refused.status, 503);
    assert.ok(refused.headers.get('retry-after'));
    assert.equal(((await refused.json()) as { code: string }).code, 'SERVICE_UNAVAILABLE');
    const served = await GET(new Request(`${HARNESS_BASE_URL}/api/health`), catchAll(['health']));
    assert.equal(served.status, 200);
  });

  it('streams a body through unread: a malformed one gets Gatehouse’s own 400', async () => {
    const { POST } = toNextHandlers(plain.auth);
    const response = await POST(
      new Request(`${HARNESS_BASE_URL}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: OWN_ORIGIN },
        body: '{"email":',
      }),
      catchAll(['auth', 'login']),
    );
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { code: string }).code, 'MALFORMED_BODY');
  });
});

describe('gatehouse/next nextAuth', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(async () => h?.close());

  /** nextAuth over the headers a page request would carry. */
  const withHeaders = (headers: Record<string, string>) =>
    nextAuth(h.auth, { headers: async () => new Headers(headers) });

  it('getAuth reads a cookie session from the page headers (a read: no CSRF token needed)', async () => {
    const { email, userId } = await (async () => {
      const user = await h.register('next-page@example.com');
      return { email: 'next-page@example.com', userId: user.userId };
    })();
    const session = await signInWithCookie(h, email);
    const principal = await withHeaders(cookieHeaders(session)).getAuth();
    assert.equal(principal?.userId, userId);
    assert.equal(await withHeaders({}).getAuth(), null, 'anonymous');
    assert.equal(
      await withHeaders(cookieHeaders({ value: `${session.sessionId}.forged` })).getAuth(),
      null,
      'bad cookie',
    );
    assert.equal(
      await withHeaders(cookieHeaders(session)).getAuth({ roles: ['admin'] }),
      null,
      'lacks the role',
    );
  });

  it('authorize on a Route Handler request: 401/403 problem+json, CSRF on a cookie write, a principal otherwise', async () => {
    await h.register('next-route@example.com');
    const session = await signInWithCookie(h, 'next-route@example.com');
    const { authorize } = withHeaders({});
    const anonymous = await authorize({ request: new Request(`${HARNESS_BASE_URL}/api/me`) });
    assert.ok(anonymous instanceof Response);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('content-type'), 'application/problem+json');
    const notAdmin = await authorize({
      roles: ['admin'],
      request: new Request(`${HARNESS_BASE_URL}/api/admin`, { headers: cookieHeaders(session) }),
    });
    assert.ok(notAdmin instanceof Response);
    assert.equal(notAdmin.status, 403);
    const write = (headers: Record<string, string>) =>
      authorize({ request: new Request(`${HARNESS_BASE_URL}/api/me`, { method: 'POST', headers }) });
    const noToken = await write(cookieHeaders(session, { origin: OWN_ORIGIN }));
    assert.ok(noToken instanceof Response);
    assert.equal(((await noToken.json()) as { code: string }).code, 'CSRF_FAILED');
    const withToken = await write(cookieHeaders(session, { origin: OWN_ORIGIN, csrf: true }));
    assert.ok(!(withToken instanceof Response));
    assert.equal(withToken.userId, session.userId);
  });

  it('requireAuth: the principal, otherwise(refusal), or a thrown NextAuthError with status and code', async () => {
    const user = await h.signedInUser();
    const bearer = withHeaders({ authorization: `Bearer ${user.accessToken}` });
    assert.equal((await bearer.requireAuth()).userId, user.userId);
    const anonymous = withHeaders({});
    await assert.rejects(anonymous.requireAuth(), (error: unknown) => {
      assert.ok(error instanceof NextAuthError);
      assert.equal(error.status, 401);
      assert.equal(error.code, 'UNAUTHENTICATED');
      return true;
    });
    const sentTo: string[] = [];
    await assert.rejects(
      anonymous.requireAuth({
        otherwise: (refusal) => {
          sentTo.push(refusal.code);
          throw new Error('NEXT_REDIRECT');
        },
      }),
      /NEXT_REDIRECT/,
    );
    assert.deepEqual(sentTo, ['UNAUTHENTICATED']);
    assert.throws(() => nextAuth(h.auth, {} as never), TypeError);
    await assert.rejects(bearer.getAuth({ roles: [] }), TypeError);
  });

  it('getAuth throws when Gatehouse cannot answer (a lazy value that cannot start), rather than reading as signed out', async () => {
    const lazy = lazyAuth(() => createAuth({ dataDir: '/dev/null/gatehouse' }), {
      logger: { error: () => undefined },
    });
    const { getAuth } = nextAuth(lazy, { headers: async () => new Headers() });
    await assert.rejects(
      getAuth(),
      (error: unknown) => error instanceof NextAuthError && error.status === 503,
    );
    await lazy.close();
  });
});

describe('gatehouse/next signInRedirect', () => {
  const proxy = signInRedirect({ signInPath: '/login' });

  it('redirects a request without any credential to the sign-in page with ?next=', async () => {
    const response = await proxy(new Request('http://app.test/account/settings?tab=2'));
    assert.equal(response?.status, 307);
    const location = new URL(response?.headers.get('location') ?? '');
    assert.equal(location.pathname, '/login');
    assert.equal(location.searchParams.get('next'), '/account/settings?tab=2');
  });

  it('lets a request with the session cookie or an Authorization header through, and never loops on the sign-in page', async () => {
    assert.equal(
      await proxy(
        new Request('http://app.test/account', { headers: { cookie: 'a=1; __Host-gh_session=x.y' } }),
      ),
      undefined,
    );
    assert.equal(
      await proxy(new Request('http://app.test/account', { headers: { authorization: 'Bearer t' } })),
      undefined,
    );
    assert.equal(await proxy(new Request('http://app.test/login')), undefined);
    assert.equal(
      (await proxy(new Request('http://app.test/account', { headers: { cookie: 'gh_session=' } })))?.status,
      307,
    );
  });

  it('refuses a sign-in target that is not a path on this site', () => {
    assert.throws(() => signInRedirect({ signInPath: 'https://evil.example' }), TypeError);
    assert.throws(() => signInRedirect({ signInPath: '//evil.example' }), TypeError);
  });
});
