/**
 * Threat: unbounded sessions — a stolen password (or a script) piles up live sessions that the
 * owner cannot see the end of, or the session cap revokes the wrong ones: another user's, the
 * newest instead of the oldest, or lazily (the revoked credential still works from the lookup
 * cache or until its access token expires).
 * Invariant: with `sessions.maxPerUser: 3`, each login past the cap (cookie or bearer) revokes
 * that user's oldest live sessions at once: a revoked cookie answers 401 even while cached, a
 * revoked bearer session's access token answers 401 and its refresh token is refused. The
 * newest three stay; other users' sessions are untouched; sessions that already expired do not
 * count; a refresh rotates within its session and revokes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem, createHarness, type Harness, jwtPayload } from '../fixtures/auth-harness.ts';
import { cookieHeaders, createVerifiedUser, signInWithCookie } from '../fixtures/cookie-session.ts';

const CAP = 3;
const HOUR = 3600 * 1000;

/** One login, whichever transport: enough to use it and to find it in the session list. */
interface Login {
  readonly kind: 'cookie' | 'bearer';
  readonly sessionId: string;
  /** Headers of a GET /users/me on this session. */
  readonly headers: Record<string, string>;
  readonly refreshToken?: string;
}

/** Starts at real time (the credential cache's TTLs are real time); each login moves it on. */
let t = Date.now();
let h: Harness;
before(async () => {
  h = await createHarness({ config: { sessions: { maxPerUser: CAP }, clock: { now: () => t } } });
});
after(() => h.close());

/** A login one second after the previous one, so "oldest" is never a tie. */
async function login(email: string, kind: Login['kind']): Promise<Login> {
  t += 1000;
  return loginAtCurrentTime(email, kind);
}

async function loginAtCurrentTime(email: string, kind: Login['kind']): Promise<Login> {
  if (kind === 'bearer') {
    const signedIn = await h.login(email);
    return {
      kind,
      sessionId: jwtPayload(signedIn.accessToken).sid as string,
      headers: { Authorization: `Bearer ${signedIn.accessToken}` },
      refreshToken: signedIn.refreshToken,
    };
  }
  const session = await signInWithCookie(h, email);
  return { kind, sessionId: session.sessionId, headers: cookieHeaders(session) };
}

async function assertWorks(session: Login, label: string): Promise<void> {
  const response = await h.get('/users/me', { headers: session.headers });
  assert.equal(response.status, 200, `${label} (${session.kind}) still works: ${response.text}`);
}

async function assertRevoked(session: Login): Promise<void> {
  assertProblem(await h.get('/users/me', { headers: session.headers }), 401, 'INVALID_TOKEN');
  if (session.refreshToken) {
    const refreshed = await h.post('/auth/refresh', { refreshToken: session.refreshToken });
    assertProblem(refreshed, 401, 'REFRESH_TOKEN_INVALID');
  }
}

/** Ids of the live sessions as the user sees them (newest first). */
async function listedIds(session: Login): Promise<string[]> {
  const listed = await h.get('/users/me/sessions', { headers: session.headers });
  assert.equal(listed.status, 200, listed.text);
  return listed.body.sessions.map((s: { id: string }) => s.id);
}

async function revokedReason(sessionId: string): Promise<string | null> {
  const row = await h.auth.database.db
    .selectFrom('sessions')
    .select('revoked_reason')
    .where('id', '=', sessionId)
    .executeTakeFirstOrThrow();
  return row.revoked_reason;
}

describe('session cap', () => {
  it('session pile-up - should revoke the oldest (a cookie session) at the fourth login, at once', async () => {
    const { email } = await createVerifiedUser(h, 'cap');
    const first = await login(email, 'cookie');
    const second = await login(email, 'bearer');
    const third = await login(email, 'cookie');
    for (const [i, s] of [first, second, third].entries()) await assertWorks(s, `login ${i + 1}`);
    // The oldest cookie sits in the lookup cache now: the revocation must beat it.
    assert.notEqual(await h.auth.stores.keyValue.get(`sc:${first.sessionId}`), null);

    const fourth = await login(email, 'bearer');
    await assertRevoked(first);
    for (const [i, s] of [second, third, fourth].entries()) await assertWorks(s, `login ${i + 2}`);
    assert.deepEqual(await listedIds(fourth), [fourth.sessionId, third.sessionId, second.sessionId]);
    assert.equal(await revokedReason(first.sessionId), 'session_limit');
  });

  it('session pile-up - should revoke the oldest (a bearer session) at the fourth login: access and refresh token die', async () => {
    const { email } = await createVerifiedUser(h, 'cap');
    const first = await login(email, 'bearer');
    const second = await login(email, 'cookie');
    const third = await login(email, 'cookie');
    await assertWorks(first, 'login 1');

    const fourth = await login(email, 'cookie');
    await assertRevoked(first);
    for (const [i, s] of [second, third, fourth].entries()) await assertWorks(s, `login ${i + 2}`);
    assert.deepEqual(await listedIds(second), [fourth.sessionId, third.sessionId, second.sessionId]);
  });

  it('session pile-up - should keep only the newest three through many logins of mixed kinds', async () => {
    const { email } = await createVerifiedUser(h, 'cap');
    const logins: Login[] = [];
    const kinds: Login['kind'][] = ['cookie', 'bearer', 'bearer', 'cookie', 'cookie', 'bearer', 'cookie'];
    for (const kind of kinds) {
      logins.push(await login(email, kind));
      const newest = logins.slice(-CAP);
      assert.deepEqual(
        await listedIds(logins.at(-1) as Login),
        newest.map((s) => s.sessionId).reverse(),
        `after login ${logins.length}`,
      );
    }
    for (const s of logins.slice(0, -CAP)) await assertRevoked(s);
    for (const s of logins.slice(-CAP)) await assertWorks(s, 'one of the newest three');
  });

  it("session pile-up - should leave another user's sessions untouched", async () => {
    const { email: bystanderEmail } = await createVerifiedUser(h, 'cap');
    const bystander = [
      await login(bystanderEmail, 'cookie'),
      await login(bystanderEmail, 'bearer'),
      await login(bystanderEmail, 'cookie'),
    ];
    const { email } = await createVerifiedUser(h, 'cap');
    for (const kind of ['cookie', 'bearer', 'cookie', 'bearer', 'cookie'] as const) await login(email, kind);
    for (const s of bystander) await assertWorks(s, "the bystander's session");
    assert.deepEqual(await listedIds(bystander[0] as Login), bystander.map((s) => s.sessionId).reverse());
  });

  it('session pile-up - should hold the cap when logins arrive concurrently', async () => {
    const { email } = await createVerifiedUser(h, 'cap');
    const kinds: Login['kind'][] = ['cookie', 'bearer', 'cookie', 'bearer', 'cookie', 'bearer'];
    // One clock reading for all of them: the oldest is decided by the id order alone.
    t += 1000;
    const logins = await Promise.all(kinds.map((kind) => loginAtCurrentTime(email, kind)));
    const results = await Promise.all(logins.map((s) => h.get('/users/me', { headers: s.headers })));
    const alive = logins.filter((_, i) => results[i]?.status === 200);
    assert.equal(alive.length, CAP, `exactly ${CAP} sessions survive, got ${alive.length}`);
    for (const response of results) {
      if (response.status !== 200) assertProblem(response, 401, 'INVALID_TOKEN');
    }
    assert.deepEqual([...(await listedIds(alive[0] as Login))].sort(), alive.map((s) => s.sessionId).sort());
  });

  it('session pile-up - should not count expired sessions against the cap', async () => {
    const { email } = await createVerifiedUser(h, 'cap');
    const idle = await login(email, 'cookie');
    // The first cookie session passes its 12 h idle timeout unused.
    t += 13 * HOUR;
    const a = await login(email, 'cookie');
    const b = await login(email, 'cookie');
    const c = await login(email, 'cookie');
    for (const s of [a, b, c]) await assertWorks(s, 'a live session');
    assert.deepEqual(await listedIds(c), [c.sessionId, b.sessionId, a.sessionId]);
    assertProblem(await h.get('/users/me', { headers: idle.headers }), 401, 'INVALID_TOKEN');
  });

  it('session pile-up - should revoke nothing when a bearer session refreshes at the cap', async () => {
    const { email } = await createVerifiedUser(h, 'cap');
    const bearer = await login(email, 'bearer');
    const cookies = [await login(email, 'cookie'), await login(email, 'cookie')];
    t += 1000;
    const refreshed = await h.post('/auth/refresh', { refreshToken: bearer.refreshToken });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.equal(jwtPayload(refreshed.body.accessToken).sid, bearer.sessionId, 'the same session');
    for (const s of cookies) await assertWorks(s, 'a cookie session');
    assert.deepEqual(await listedIds(cookies[1] as Login), [
      (cookies[1] as Login).sessionId,
      (cookies[0] as Login).sessionId,
      bearer.sessionId,
    ]);
  });
});
