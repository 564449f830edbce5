/**
 * Threat: session fixation — an attacker plants a session id in the victim's browser (their
 * own valid session, or an id they made up) and waits for the victim to sign in with it, then
 * rides the victim's session; or a cookie copied before a privilege change (a password
 * change) keeps working after it.
 * Invariant: POST /auth/session never adopts a presented cookie: it always starts a new
 * session with a new id and secret, and the planted session stays what it was (the
 * attacker's, or nothing). A password change over a cookie session moves it to a new id (new
 * Set-Cookie, new X-CSRF-Token); the old cookie and token answer 401/403 at once, and every
 * other session of the user is revoked.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  type JsonResponse,
} from '../fixtures/auth-harness.ts';
import {
  cookieHeaders,
  createVerifiedUser,
  OWN_ORIGIN,
  OWN_PAGE,
  sessionCookieFrom,
  signInWithCookie,
} from '../fixtures/cookie-session.ts';

const NEW_PASSWORD = 'a different horse battery staple 77';

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(() => h.close());

function whoAmI(value: string): Promise<JsonResponse> {
  return h.get('/users/me', { headers: cookieHeaders({ value }) });
}

async function sessionIdsOf(userId: string): Promise<string[]> {
  const rows = await h.auth.database.db
    .selectFrom('sessions')
    .select('id')
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
  return rows.map((r) => r.id).sort();
}

describe('session fixation at sign-in', () => {
  it("session fixation - should start a new session when the browser carries the attacker's valid cookie", async () => {
    const attacker = await createVerifiedUser(h, 'fixation');
    const victim = await createVerifiedUser(h, 'fixation');
    const planted = await signInWithCookie(h, attacker.email);

    const signedIn = await signInWithCookie(h, victim.email, { headers: cookieHeaders(planted) });
    assert.notEqual(signedIn.value, planted.value);
    assert.notEqual(signedIn.sessionId, planted.sessionId);
    assert.notEqual(signedIn.csrfToken, planted.csrfToken);
    assert.equal(signedIn.userId, victim.userId);

    // The planted cookie is still the attacker's: signing in did not move the victim into it.
    const asPlanted = await whoAmI(planted.value);
    assert.equal(asPlanted.status, 200, asPlanted.text);
    assert.equal(asPlanted.body.user.id, attacker.userId);
    const asVictim = await whoAmI(signedIn.value);
    assert.equal(asVictim.body.user.id, victim.userId);
    assert.deepEqual(await sessionIdsOf(attacker.userId), [planted.sessionId]);
    assert.deepEqual(await sessionIdsOf(victim.userId), [signedIn.sessionId]);
  });

  it('session fixation - should not adopt a forged cookie id (nor create a session under it)', async () => {
    const victim = await createVerifiedUser(h, 'fixation');
    const forgedId = randomUUID();
    const forged = `${forgedId}.${randomBytes(32).toString('base64url')}`;

    const signedIn = await signInWithCookie(h, victim.email, { headers: cookieHeaders({ value: forged }) });
    assert.notEqual(signedIn.value, forged);
    assert.notEqual(signedIn.sessionId, forgedId);
    const row = await h.auth.database.db
      .selectFrom('sessions')
      .select('id')
      .where('id', '=', forgedId)
      .executeTakeFirst();
    assert.equal(row, undefined, 'no session exists under the forged id');
    assertProblem(await whoAmI(forged), 401, 'INVALID_TOKEN');
  });

  it('session fixation - should start a new session when the same user signs in again over a live cookie', async () => {
    const user = await createVerifiedUser(h, 'fixation');
    const first = await signInWithCookie(h, user.email);
    const second = await signInWithCookie(h, user.email, { headers: cookieHeaders(first) });
    assert.notEqual(second.sessionId, first.sessionId);
    assert.deepEqual(await sessionIdsOf(user.userId), [first.sessionId, second.sessionId].sort());
  });
});

describe('session renewal on password change', () => {
  it('stale cookie after privilege change - should move the session to a new id and revoke every other session', async () => {
    const user = await createVerifiedUser(h, 'fixation');
    const current = await signInWithCookie(h, user.email);
    const otherCookie = await signInWithCookie(h, user.email);
    const bearer = await h.login(user.email);
    // Used once before the change, so each credential sits in the lookup cache.
    assert.equal((await whoAmI(otherCookie.value)).status, 200);
    assert.equal((await h.get('/users/me', { token: bearer.accessToken })).status, 200);

    const changed = await h.post(
      '/users/me/change-password',
      { currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD },
      { headers: cookieHeaders(current, OWN_PAGE) },
    );
    assert.equal(changed.status, 204, changed.text);
    const renewedCookie = sessionCookieFrom(changed);
    const renewedCsrf = changed.headers.get('X-CSRF-Token');
    assert.ok(renewedCsrf, 'the new CSRF token travels in the response header');
    const renewed = { ...renewedCookie, csrfToken: renewedCsrf };
    assert.notEqual(renewed.value, current.value);
    assert.notEqual(renewed.sessionId, current.sessionId);
    assert.notEqual(renewed.csrfToken, current.csrfToken);
    assert.match(
      changed.headers.getSetCookie()[0] as string,
      /^__Host-gh_session=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );

    // The cookie copied before the change is dead, at once.
    assertProblem(await whoAmI(current.value), 401, 'INVALID_TOKEN');
    // So are the user's other sessions, cookie and bearer alike.
    assertProblem(await whoAmI(otherCookie.value), 401, 'INVALID_TOKEN');
    assertProblem(await h.get('/users/me', { token: bearer.accessToken }), 401, 'INVALID_TOKEN');
    const refreshed = await h.post('/auth/refresh', { refreshToken: bearer.refreshToken });
    assertProblem(refreshed, 401, 'REFRESH_TOKEN_INVALID');

    // The renewed session is the only live one, and it works with its own token.
    assert.deepEqual(await sessionIdsOf(user.userId), [renewed.sessionId]);
    const listed = await h.get('/users/me/sessions', { headers: cookieHeaders(renewed) });
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(
      listed.body.sessions.map((s: { id: string; current: boolean }) => [s.id, s.current]),
      [[renewed.sessionId, true]],
    );
    const patched = await h.request('PATCH', '/users/me', {
      body: { name: 'Renewed' },
      headers: cookieHeaders(renewed, OWN_PAGE),
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.user.name, 'Renewed');
  });

  it('stale cookie after privilege change - should refuse the old CSRF token with the new cookie', async () => {
    const user = await createVerifiedUser(h, 'fixation');
    const current = await signInWithCookie(h, user.email);
    const changed = await h.post(
      '/users/me/change-password',
      { currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD },
      { headers: cookieHeaders(current, OWN_PAGE) },
    );
    assert.equal(changed.status, 204, changed.text);
    const renewedValue = sessionCookieFrom(changed).value;
    const stale = await h.request('PATCH', '/users/me', {
      body: { name: 'Stale' },
      headers: cookieHeaders({ value: renewedValue, csrfToken: current.csrfToken }, OWN_PAGE),
    });
    assertProblem(stale, 403, 'CSRF_FAILED');
    const me = await whoAmI(renewedValue);
    assert.equal(me.status, 200);
    assert.equal(me.body.user.name, null);
  });

  it('stale cookie after privilege change - should sign in with the new password only', async () => {
    const user = await createVerifiedUser(h, 'fixation');
    const current = await signInWithCookie(h, user.email);
    const changed = await h.post(
      '/users/me/change-password',
      { currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD },
      { headers: cookieHeaders(current, OWN_PAGE) },
    );
    assert.equal(changed.status, 204, changed.text);
    const withOld = await h.post(
      '/auth/session',
      { email: user.email, password: GOOD_PASSWORD },
      { headers: { Origin: OWN_ORIGIN } },
    );
    assertProblem(withOld, 401, 'LOGIN_BAD_CREDENTIALS');
    assert.equal(withOld.headers.getSetCookie().length, 0);
    const withNew = await signInWithCookie(h, user.email, { password: NEW_PASSWORD });
    assert.equal(withNew.userId, user.userId);
  });

  it('stale cookie after privilege change - should leave the session as it was when the password change fails', async () => {
    const user = await createVerifiedUser(h, 'fixation');
    const current = await signInWithCookie(h, user.email);
    const refused = await h.post(
      '/users/me/change-password',
      { currentPassword: 'not the password at all 1234', newPassword: NEW_PASSWORD },
      { headers: cookieHeaders(current, OWN_PAGE) },
    );
    assertProblem(refused, 401, 'LOGIN_BAD_CREDENTIALS');
    assert.equal(refused.headers.getSetCookie().length, 0, 'no new cookie for a refused change');
    assert.equal(refused.headers.get('X-CSRF-Token'), null);
    assert.equal((await whoAmI(current.value)).status, 200);
  });
});
