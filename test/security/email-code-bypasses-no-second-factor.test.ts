/**
 * Threat: a mailed code as a way around two-factor authentication. Whoever holds the mailbox
 * (a phished or shared inbox) but not the authenticator must not get a session of an account
 * with 2FA, by token or by cookie, and a link opened where it was requested must not skip it.
 *
 * Invariant: for a user with 2FA, a right email code only earns the pending second step
 * (`twoFactorRequired`, no token, no session cookie); finishing it with a TOTP code gives a
 * session whose `amr` is `["email", "otp"]`. Email is one factor, like a password.
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHarness, type Harness, jwtPayload } from '../fixtures/auth-harness.ts';
import {
  bindingCookieOf,
  codeMailedTo,
  requestCode,
  signInWithLink,
  verifyCode,
} from '../fixtures/email-code.ts';
import { codeAt, createTestClock, enableTwoFactor, type TestClock } from '../fixtures/two-factor.ts';

let h: Harness;
let clock: TestClock;

before(async () => {
  clock = createTestClock();
  h = await createHarness({ config: { emailCode: { enabled: true }, clock: clock.config } });
});
after(() => h.close());

describe('email code for a user with 2FA', () => {
  it('answers the second step, and only a TOTP code finishes it (amr email + otp)', async () => {
    const user = await enableTwoFactor(h, clock);
    await requestCode(h, user.email);
    const { code } = await codeMailedTo(h, user.email);
    const first = await verifyCode(h, user.email, code);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.twoFactorRequired, true);
    assert.equal(first.body.accessToken, undefined);
    assert.equal(first.headers.getSetCookie().length, 0);
    const done = await h.post('/auth/2fa/verify', {
      pendingToken: first.body.pendingToken,
      code: codeAt(clock, user.seed),
    });
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(jwtPayload(done.body.accessToken).amr, ['email', 'otp']);
  });

  it('the bound link sets no session cookie either: only the pending step', async () => {
    const user = await enableTwoFactor(h, clock);
    const requested = await requestCode(h, user.email);
    const { token } = await codeMailedTo(h, user.email);
    const link = await signInWithLink(h, { token }, bindingCookieOf(requested));
    assert.equal(link.status, 200, link.text);
    assert.equal(link.body.twoFactorRequired, true);
    assert.ok(!link.headers.getSetCookie().some((line) => line.startsWith('__Host-gh_session=')));
  });
});
