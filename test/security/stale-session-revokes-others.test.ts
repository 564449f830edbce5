/**
 * Threat: an old session in the wrong hands (a cookie copied days ago, a refresh token from a
 * lost phone) signs its owner out everywhere else — `POST /users/me/sessions/revoke-others`
 * or `DELETE /users/me/sessions/{id}` — and keeps the account to itself.
 *
 * Invariant: ending other sessions needs a fresh authentication: a session that signed in within
 * `twoFactor.stepUpWindowSeconds` (300 s), or for a 2FA user a second factor verified within it
 * (`POST /auth/2fa/step-up`) or a valid code in `X-2FA-Code`. An older session gets 403
 * `STEP_UP_REQUIRED` and nothing is revoked; a wrong or replayed code is 400 (two requests
 * with one code: one winner). Ending the caller's own session is a logout and never refused.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertInvalidToken,
  assertProblem,
  createHarness,
  type Harness,
  type SignedInUser,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';
import { cookieHeaders, OWN_PAGE, signInWithCookie } from '../fixtures/cookie-session.ts';
import {
  codeAt,
  createTestClock,
  enableTwoFactor,
  pendingToken,
  TOTP_STEP_MS,
  type TwoFactorUser,
  verify,
  wrongCode,
} from '../fixtures/two-factor.ts';

/** Past the default step-up window (300 s). */
const STALE_MS = 301_000;
const STEP_UP_HEADER = 'X-2FA-Code';

const clock = createTestClock();

/** The session id of a bearer session (the refresh token is `<sessionId>.<secret>`). */
const sessionIdOf = (session: SignedInUser) => session.refreshToken.split('.')[0] as string;

/** A bearer session of a 2FA user signed in with the current code; the clock then moves a step. */
async function twoFactorSignIn(h: Harness, user: TwoFactorUser): Promise<SignedInUser> {
  const verified = await verify(h, await pendingToken(h, user), codeAt(clock, user.seed));
  assert.equal(verified.status, 200, verified.text);
  clock.advance(TOTP_STEP_MS);
  return {
    ...user,
    password: '',
    accessToken: verified.body.accessToken,
    refreshToken: verified.body.refreshToken,
  };
}

/** Whether a bearer session still authenticates. */
async function alive(h: Harness, session: SignedInUser): Promise<boolean> {
  return (await h.get('/users/me', { token: session.accessToken })).status === 200;
}

for (const backend of backends())
  describe(`a stale session cannot end the others (${backend.name})`, () => {
    let h: Harness;
    before(async () => {
      h = await createHarness({ config: { ...(await backend.config()), clock: clock.config } });
    });
    after(async () => {
      await h?.close();
      await backend.stop();
    });

    it('no 2FA - a session signed in within the window should revoke the others (204)', async () => {
      const email = uniqueEmail('fresh');
      await h.auth.api.users.create({
        email,
        password: 'correct horse battery staple 42',
        emailVerified: true,
      });
      const other = await h.login(email);
      const caller = await h.login(email);
      const revoked = await h.post('/users/me/sessions/revoke-others', undefined, {
        token: caller.accessToken,
      });
      assert.equal(revoked.status, 204, revoked.text);
      assertInvalidToken(await h.get('/users/me', { token: other.accessToken }));
    });

    it('no 2FA - an old session should get 403 STEP_UP_REQUIRED on revoke-others and DELETE, revoke nothing, and pass after signing in again', async () => {
      const email = uniqueEmail('stale');
      await h.auth.api.users.create({
        email,
        password: 'correct horse battery staple 42',
        emailVerified: true,
      });
      const owner = await h.login(email);
      const stale = await h.login(email);
      clock.advance(STALE_MS);
      // The access tokens are still valid (15 minutes); only freshness is missing.
      assertProblem(
        await h.post('/users/me/sessions/revoke-others', undefined, { token: stale.accessToken }),
        403,
        'STEP_UP_REQUIRED',
      );
      assertProblem(
        await h.request('DELETE', `/users/me/sessions/${sessionIdOf(owner)}`, { token: stale.accessToken }),
        403,
        'STEP_UP_REQUIRED',
      );
      assert.ok(await alive(h, owner), 'nothing was revoked');
      // A refresh is no sign-in: the session stays as old as its login.
      const refreshed = await h.post('/auth/refresh', { refreshToken: stale.refreshToken });
      assert.equal(refreshed.status, 200, refreshed.text);
      assertProblem(
        await h.post('/users/me/sessions/revoke-others', undefined, { token: refreshed.body.accessToken }),
        403,
        'STEP_UP_REQUIRED',
      );
      // Ending its own session is a logout: never refused.
      const own = await h.request('DELETE', `/users/me/sessions/${sessionIdOf(stale)}`, {
        token: refreshed.body.accessToken,
      });
      assert.equal(own.status, 204, own.text);
      // Signing in again is the fresh password.
      const again = await h.login(email);
      const revoked = await h.request('DELETE', `/users/me/sessions/${sessionIdOf(owner)}`, {
        token: again.accessToken,
      });
      assert.equal(revoked.status, 204, revoked.text);
      assert.equal(await alive(h, owner), false);
    });

    it('cookie - an old cookie session should get 403 STEP_UP_REQUIRED on revoke-others', async () => {
      const email = uniqueEmail('cookie');
      await h.auth.api.users.create({
        email,
        password: 'correct horse battery staple 42',
        emailVerified: true,
      });
      const other = await h.login(email);
      const session = await signInWithCookie(h, email);
      clock.advance(STALE_MS);
      assertProblem(
        await h.post('/users/me/sessions/revoke-others', undefined, {
          headers: cookieHeaders(session, OWN_PAGE),
        }),
        403,
        'STEP_UP_REQUIRED',
      );
      assert.ok(await alive(h, other));
    });

    it('2FA - an old session should pass with X-2FA-Code or after POST /auth/2fa/step-up; a wrong code is 400', async () => {
      const user = await enableTwoFactor(h, clock, { emailLabel: 'stepup' });
      const victim = await twoFactorSignIn(h, user);
      const stale = await twoFactorSignIn(h, user);
      clock.advance(STALE_MS);
      assertProblem(
        await h.post('/users/me/sessions/revoke-others', undefined, { token: stale.accessToken }),
        403,
        'STEP_UP_REQUIRED',
      );
      assertProblem(
        await h.request('DELETE', `/users/me/sessions/${sessionIdOf(victim)}`, {
          token: stale.accessToken,
          headers: { [STEP_UP_HEADER]: wrongCode(clock, user.seed) },
        }),
        400,
        'TWO_FACTOR_CODE_INVALID',
      );
      assert.ok(await alive(h, victim), 'nothing was revoked');
      const withCode = await h.request('DELETE', `/users/me/sessions/${sessionIdOf(victim)}`, {
        token: stale.accessToken,
        headers: { [STEP_UP_HEADER]: codeAt(clock, user.seed) },
      });
      assert.equal(withCode.status, 204, withCode.text);
      assert.equal(await alive(h, victim), false);
      clock.advance(TOTP_STEP_MS);

      // Later again: the step-up route reopens the window for this session.
      const other = await twoFactorSignIn(h, user);
      clock.advance(STALE_MS);
      assertProblem(
        await h.post('/users/me/sessions/revoke-others', undefined, { token: stale.accessToken }),
        403,
        'STEP_UP_REQUIRED',
      );
      const steppedUp = await h.post(
        '/auth/2fa/step-up',
        { code: codeAt(clock, user.seed) },
        { token: stale.accessToken },
      );
      assert.equal(steppedUp.status, 204, steppedUp.text);
      const revoked = await h.post('/users/me/sessions/revoke-others', undefined, {
        token: stale.accessToken,
      });
      assert.equal(revoked.status, 204, revoked.text);
      assert.equal(await alive(h, other), false);
    });

    it('2FA - one code sent with two revoke-others at once should let exactly one through', async () => {
      const user = await enableTwoFactor(h, clock, { emailLabel: 'race' });
      const first = await twoFactorSignIn(h, user);
      const second = await twoFactorSignIn(h, user);
      clock.advance(STALE_MS);
      const code = codeAt(clock, user.seed);
      const replies = await Promise.all(
        [first, second].map((session) =>
          h.post('/users/me/sessions/revoke-others', undefined, {
            token: session.accessToken,
            headers: { [STEP_UP_HEADER]: code },
          }),
        ),
      );
      const statuses = replies.map((r) => r.status).sort();
      assert.deepEqual(statuses, [204, 400], replies.map((r) => r.text).join(' | '));
      const loser = replies.find((r) => r.status === 400);
      assert.equal(loser?.body.code, 'TWO_FACTOR_CODE_INVALID');
    });
  });
