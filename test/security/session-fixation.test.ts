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
  HARNESS_BASE_URL,
  type Harness,
  type JsonResponse,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';

const OWN_ORIGIN = HARNESS_BASE_URL;
const COOKIE_NAME = '__Host-gh_session';
const NEW_PASSWORD = 'a different horse battery staple 77';

/** A browser's cookie session as the page holds it. */
interface CookieSession {
  readonly userId: string;
  /** `<sessionId>.<secret>` */
  readonly value: string;
  readonly sessionId: string;
  readonly csrfToken: string;
}

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(() => h.close());

async function newAccount(): Promise<{ userId: string; email: string }> {
  const email = uniqueEmail('fixation');
  const user = await h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
  return { userId: user.id, email };
}

/** The value of the one session cookie a response sets. */
function setCookieValue(response: JsonResponse): string {
  const all = response.headers.getSetCookie();
  assert.equal(all.length, 1, `exactly one Set-Cookie, got ${all.length}`);
  const match = new RegExp(`^${COOKIE_NAME}=([^;]+);`).exec(all[0] as string);
  assert.ok(match?.[1], 'the Set-Cookie names the session cookie');
  return match[1];
}

/** POST /auth/session from the app's own origin, optionally carrying a cookie already. */
async function cookieLogin(
  email: string,
  options: { password?: string; planted?: string } = {},
): Promise<CookieSession> {
  const response = await h.post(
    '/auth/session',
    { email, password: options.password ?? GOOD_PASSWORD },
    {
      headers: {
        Origin: OWN_ORIGIN,
        ...(options.planted === undefined ? {} : { Cookie: `${COOKIE_NAME}=${options.planted}` }),
      },
    },
  );
  assert.equal(response.status, 200, `cookie login answered ${response.status}: ${response.text}`);
  const value = setCookieValue(response);
  return {
    userId: response.body.user.id,
    value,
    sessionId: value.split('.')[0] as string,
    csrfToken: response.body.csrfToken,
  };
}

/** Headers of a legitimate same-origin page request on `session`. */
function pageHeaders(session: { value: string; csrfToken: string }): Record<string, string> {
  return { Cookie: `${COOKIE_NAME}=${session.value}`, Origin: OWN_ORIGIN, 'X-CSRF-Token': session.csrfToken };
}

function whoAmI(value: string): Promise<JsonResponse> {
  return h.get('/users/me', { headers: { Cookie: `${COOKIE_NAME}=${value}` } });
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
    const attacker = await newAccount();
    const victim = await newAccount();
    const planted = await cookieLogin(attacker.email);

    const signedIn = await cookieLogin(victim.email, { planted: planted.value });
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
    const victim = await newAccount();
    const forgedId = randomUUID();
    const forged = `${forgedId}.${randomBytes(32).toString('base64url')}`;

    const signedIn = await cookieLogin(victim.email, { planted: forged });
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
    const user = await newAccount();
    const first = await cookieLogin(user.email);
    const second = await cookieLogin(user.email, { planted: first.value });
    assert.notEqual(second.sessionId, first.sessionId);
    assert.deepEqual(await sessionIdsOf(user.userId), [first.sessionId, second.sessionId].sort());
  });
});

describe('session renewal on password change', () => {
  it('stale cookie after privilege change - should move the session to a new id and revoke every other session', async () => {
    const user = await newAccount();
    const current = await cookieLogin(user.email);
    const otherCookie = await cookieLogin(user.email);
    const bearer = await h.login(user.email);
    // Used once before the change, so each credential sits in the lookup cache.
    assert.equal((await whoAmI(otherCookie.value)).status, 200);
    assert.equal((await h.get('/users/me', { token: bearer.accessToken })).status, 200);

    const changed = await h.post(
      '/users/me/change-password',
      { currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD },
      { headers: pageHeaders(current) },
    );
    assert.equal(changed.status, 204, changed.text);
    const renewedValue = setCookieValue(changed);
    const renewedCsrf = changed.headers.get('X-CSRF-Token');
    assert.ok(renewedCsrf, 'the new CSRF token travels in the response header');
    const renewed = {
      value: renewedValue,
      sessionId: renewedValue.split('.')[0] as string,
      csrfToken: renewedCsrf,
    };
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
    const listed = await h.get('/users/me/sessions', {
      headers: { Cookie: `${COOKIE_NAME}=${renewed.value}` },
    });
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(
      listed.body.sessions.map((s: { id: string; current: boolean }) => [s.id, s.current]),
      [[renewed.sessionId, true]],
    );
    const patched = await h.request('PATCH', '/users/me', {
      body: { name: 'Renewed' },
      headers: pageHeaders(renewed),
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.user.name, 'Renewed');
  });

  it('stale cookie after privilege change - should refuse the old CSRF token with the new cookie', async () => {
    const user = await newAccount();
    const current = await cookieLogin(user.email);
    const changed = await h.post(
      '/users/me/change-password',
      { currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD },
      { headers: pageHeaders(current) },
    );
    assert.equal(changed.status, 204, changed.text);
    const renewedValue = setCookieValue(changed);
    const stale = await h.request('PATCH', '/users/me', {
      body: { name: 'Stale' },
      headers: pageHeaders({ value: renewedValue, csrfToken: current.csrfToken }),
    });
    assertProblem(stale, 403, 'CSRF_FAILED');
    const me = await whoAmI(renewedValue);
    assert.equal(me.status, 200);
    assert.equal(me.body.user.name, null);
  });

  it('stale cookie after privilege change - should sign in with the new password only', async () => {
    const user = await newAccount();
    const current = await cookieLogin(user.email);
    const changed = await h.post(
      '/users/me/change-password',
      { currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD },
      { headers: pageHeaders(current) },
    );
    assert.equal(changed.status, 204, changed.text);
    const withOld = await h.post(
      '/auth/session',
      { email: user.email, password: GOOD_PASSWORD },
      { headers: { Origin: OWN_ORIGIN } },
    );
    assertProblem(withOld, 401, 'LOGIN_BAD_CREDENTIALS');
    assert.equal(withOld.headers.getSetCookie().length, 0);
    const withNew = await cookieLogin(user.email, { password: NEW_PASSWORD });
    assert.equal(withNew.userId, user.userId);
  });

  it('stale cookie after privilege change - should leave the session as it was when the password change fails', async () => {
    const user = await newAccount();
    const current = await cookieLogin(user.email);
    const refused = await h.post(
      '/users/me/change-password',
      { currentPassword: 'not the password at all 1234', newPassword: NEW_PASSWORD },
      { headers: pageHeaders(current) },
    );
    assertProblem(refused, 401, 'LOGIN_BAD_CREDENTIALS');
    assert.equal(refused.headers.getSetCookie().length, 0, 'no new cookie for a refused change');
    assert.equal(refused.headers.get('X-CSRF-Token'), null);
    assert.equal((await whoAmI(current.value)).status, 200);
  });
});
