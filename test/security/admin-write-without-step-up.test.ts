/**
 * Threat: a stolen or long-idle admin session (a token lifted from a log, a laptop left open)
 * changes accounts without proving the admin is still there.
 *
 * Invariant: every admin write answers 403 `STEP_UP_REQUIRED` and changes nothing unless the
 * admin proved a factor within the step-up window — whether or not the admin has 2FA. An admin
 * without 2FA passes only with a session that signed in with the password within the window
 * (after it: sign in again); an admin with 2FA passes with a second factor verified within the
 * window or a fresh code in `X-2FA-Code`. Reads stay open to an admin's older session. The
 * self-service deletion asks for the password and, with 2FA, a fresh factor.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signedInAdmin, signedInWithRoles } from '../fixtures/admin.ts';
import {
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  type SignedInUser,
} from '../fixtures/auth-harness.ts';
import { codeAt, createTestClock, enableTwoFactor } from '../fixtures/two-factor.ts';

const STEP_UP_WINDOW_SECONDS = 300;

describe('admin writes need a fresh factor', () => {
  const clock = createTestClock();
  let h: Harness;
  let target: SignedInUser;

  before(async () => {
    h = await createHarness({
      config: { clock: clock.config, twoFactor: { stepUpWindowSeconds: STEP_UP_WINDOW_SECONDS } },
    });
    target = await signedInWithRoles(h, ['reader']);
  });
  after(async () => {
    await h?.close();
  });

  /** Every admin write, against the target (none of them may pass without a fresh factor). */
  const writes = (id: string) => [
    { method: 'POST', path: '/admin/users', body: { email: 'stale-admin@example.test' } },
    { method: 'PATCH', path: `/admin/users/${id}`, body: { roles: ['admin'] } },
    { method: 'DELETE', path: `/admin/users/${id}` },
    { method: 'DELETE', path: `/admin/users/${id}?hard=true` },
    { method: 'POST', path: `/admin/users/${id}/revoke-sessions` },
    { method: 'POST', path: `/admin/users/${id}/reset-two-factor` },
    { method: 'POST', path: `/admin/users/${id}/send-password-reset` },
    { method: 'POST', path: `/admin/users/${id}/unlock` },
  ];

  async function assertEveryWriteRefused(token: string, headers: Record<string, string> = {}) {
    const mailBefore = h.mail.length;
    for (const write of writes(target.userId)) {
      const answer = await h.request(write.method, write.path, {
        token,
        headers,
        ...(write.body ? { body: write.body } : {}),
      });
      assertProblem(answer, 403, 'STEP_UP_REQUIRED');
    }
    const user = await h.auth.api.users.get(target.userId);
    assert.deepEqual(user?.roles, ['reader'], 'nothing changed');
    assert.equal(await h.auth.api.users.findByEmail('stale-admin@example.test'), null);
    assert.equal((await h.get('/users/me', { token: target.accessToken })).status, 200, 'sessions untouched');
    assert.equal(h.mail.length, mailBefore, 'nothing mailed');
  }

  it('an admin without 2FA whose password sign-in is older than the window: every write refused', async () => {
    const admin = await signedInAdmin(h);
    const fresh = await h.request('PATCH', `/admin/users/${target.userId}`, {
      token: admin.accessToken,
      body: { name: 'Fresh' },
    });
    assert.equal(fresh.status, 200, 'within the window a fresh password session passes');
    clock.advance((STEP_UP_WINDOW_SECONDS + 1) * 1000);
    // The token itself is still valid (access tokens live 15 minutes): reads work.
    assert.equal((await h.get('/admin/users', { token: admin.accessToken })).status, 200);
    await assertEveryWriteRefused(admin.accessToken);
    const again = await h.login(admin.email);
    const after = await h.request('PATCH', `/admin/users/${target.userId}`, {
      token: again.accessToken,
      body: { name: 'Signed in again' },
    });
    assert.equal(after.status, 200, after.text);
  });

  it('an admin with 2FA: refused without a recent factor, accepted with a fresh code', async () => {
    const admin = await enableTwoFactor(h, clock, { emailLabel: 'admin2fa' });
    await h.auth.api.users.update(admin.userId, { roles: ['admin'] });
    const login = await h.post('/auth/login', { email: admin.email, password: GOOD_PASSWORD });
    const signedIn = await h.post('/auth/2fa/verify', {
      pendingToken: login.body.pendingToken,
      code: codeAt(clock, admin.seed),
    });
    assert.equal(signedIn.status, 200, signedIn.text);
    const token = signedIn.body.accessToken as string;
    clock.advance((STEP_UP_WINDOW_SECONDS + 31) * 1000);
    await assertEveryWriteRefused(token);
    const wrong = codeAt(clock, admin.seed) === '000000' ? '111111' : '000000';
    const guessed = await h.request('PATCH', `/admin/users/${target.userId}`, {
      token,
      headers: { 'X-2FA-Code': wrong },
      body: { roles: ['admin'] },
    });
    assertProblem(guessed, 400, 'TWO_FACTOR_CODE_INVALID');
    assert.deepEqual((await h.auth.api.users.get(target.userId))?.roles, ['reader']);
    const withCode = await h.request('PATCH', `/admin/users/${target.userId}`, {
      token,
      headers: { 'X-2FA-Code': codeAt(clock, admin.seed) },
      body: { name: 'With a code' },
    });
    assert.equal(withCode.status, 200, withCode.text);
  });

  it("deleting one's own account needs the password, and with 2FA a fresh factor", async () => {
    const user = await enableTwoFactor(h, clock, { emailLabel: 'self-delete' });
    const login = await h.post('/auth/login', { email: user.email, password: GOOD_PASSWORD });
    const signedIn = await h.post('/auth/2fa/verify', {
      pendingToken: login.body.pendingToken,
      code: codeAt(clock, user.seed),
    });
    const token = signedIn.body.accessToken as string;
    assertProblem(
      await h.request('DELETE', '/users/me', { token, body: { currentPassword: 'not my password 1' } }),
      401,
      'LOGIN_BAD_CREDENTIALS',
    );
    clock.advance((STEP_UP_WINDOW_SECONDS + 31) * 1000);
    assertProblem(
      await h.request('DELETE', '/users/me', { token, body: { currentPassword: GOOD_PASSWORD } }),
      403,
      'STEP_UP_REQUIRED',
    );
    assert.equal(
      (await h.get('/users/me', { token })).status,
      200,
      'the account and its session are still there',
    );
  });
});
