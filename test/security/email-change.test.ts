/**
 * Invariant: an account's email changes only when the new address confirms it, after the
 * current password was re-checked; the route never reveals whether the new address belongs to
 * someone; a confirmation works once; a change kills verification and reset links issued for
 * the old address; and an address taken meanwhile is refused with 409, nothing changed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  type SignedInUser,
  tokenFromMail,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';

let h: Harness;

async function mailTo(address: string, subject: RegExp): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const message = h.mail.findLast((m) => m.to === address && subject.test(m.subject));
    if (message) return tokenFromMail(message);
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`no mail matching ${subject} to the address`);
}

const askChange = (me: SignedInUser, newEmail: string, currentPassword = me.password) =>
  h.post('/users/me/change-email', { newEmail, currentPassword }, { token: me.accessToken });

/** The same cases on the embedded default and on PostgreSQL with Redis stores. */
for (const backend of backends())
  describe(`change of email (${backend.name})`, () => {
    before(async () => {
      h = await createHarness({ config: await backend.config() });
    });
    after(async () => {
      await h?.close();
      await backend.stop();
    });

    it('confirm - should move the account to the new, verified address only once the link is used', async () => {
      const me = await h.signedInUser();
      const newEmail = uniqueEmail('moved');
      assert.equal((await askChange(me, newEmail.toUpperCase())).status, 202);
      // Nothing changed yet; the old owner was told.
      assert.equal(
        ((await h.get('/users/me', { token: me.accessToken })).body as { user: { email: string } }).user
          .email,
        me.email,
      );
      assert.ok(h.mail.some((m) => m.to === me.email && /about to change/.test(m.subject)));
      const token = await mailTo(newEmail, /Confirm your new email/);
      const confirmed = await h.post('/auth/confirm-email', { token });
      assert.equal(confirmed.status, 200);
      const user = (confirmed.body as { user: { email: string; emailVerified: boolean } }).user;
      assert.equal(user.email, newEmail);
      assert.equal(user.emailVerified, true);
      assert.equal((await h.post('/auth/login', { email: newEmail, password: me.password })).status, 200);
      assert.equal((await h.post('/auth/login', { email: me.email, password: me.password })).status, 401);
      assertProblem(await h.post('/auth/confirm-email', { token }), 400, 'EMAIL_CHANGE_TOKEN_INVALID');
    });

    it('password - should be re-checked (401) before anything is sent', async () => {
      const me = await h.signedInUser();
      const before = h.mail.length;
      assertProblem(
        await askChange(me, uniqueEmail('x'), 'not-my-password-at-all'),
        401,
        'LOGIN_BAD_CREDENTIALS',
      );
      assert.equal(h.mail.length, before);
    });

    it('enumeration - should answer the same for a taken address, and refuse the confirmation with 409', async () => {
      const me = await h.signedInUser();
      const other = await h.signedInUser();
      const free = await askChange(me, uniqueEmail('free'));
      const taken = await askChange(me, other.email);
      assert.equal(free.status, 202);
      assert.equal(taken.text, free.text);
      const token = await mailTo(other.email, /Confirm your new email/);
      assertProblem(await h.post('/auth/confirm-email', { token }), 409, 'EMAIL_TAKEN');
      assert.equal((await h.auth.api.users.get(me.userId))?.email, me.email, 'nothing changed');
    });

    it('old links - verification and reset links for the old address should die with the change', async () => {
      const email = uniqueEmail('old-links');
      const { userId } = await h.register(email, { verify: false });
      const verifyToken = await h.verifyTokenFor(email);
      assert.equal((await h.post('/auth/forgot-password', { email })).status, 202);
      const resetToken = await mailTo(email, /Reset your/);
      // Verify through another route first so the account can sign in.
      await h.auth.api.users.update(userId, { emailVerified: true });
      const me = await h.login(email, GOOD_PASSWORD);
      const newEmail = uniqueEmail('new-home');
      assert.equal((await askChange(me, newEmail)).status, 202);
      assert.equal(
        (await h.post('/auth/confirm-email', { token: await mailTo(newEmail, /Confirm/) })).status,
        200,
      );
      assertProblem(await h.post('/auth/verify', { token: verifyToken }), 400, 'VERIFY_TOKEN_INVALID');
      assertProblem(
        await h.post('/auth/reset-password', { token: resetToken, password: 'saffron-Glacier-tandem-42' }),
        400,
        'RESET_TOKEN_INVALID',
      );
    });

    it('race - should apply exactly one of 10 concurrent confirmations of one token', async () => {
      const me = await h.signedInUser();
      const newEmail = uniqueEmail('race');
      await askChange(me, newEmail);
      const token = await mailTo(newEmail, /Confirm/);
      const replies = await Promise.all(
        Array.from({ length: 10 }, () => h.post('/auth/confirm-email', { token })),
      );
      assert.equal(replies.filter((r) => r.status === 200).length, 1);
    });
  });
