/**
 * Invariant: a password-reset token changes the password at most once, only while it is the
 * newest one issued for the user, only for the password it was issued against, and never
 * after its lifetime; a weak new password does not burn it; a reset revokes every session
 * and access token of the user and lifts a login lock; forgot-password answers the same for
 * every address and mails only the stored address of an active account.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createJwtCodec, deriveJwtKey } from '../../src/crypto/jwt/index.ts';
import {
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  HARNESS_BASE_URL,
  type Harness,
  jwtPayload,
  tokenFromMail,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';

const NEW_PASSWORD = 'saffron-Glacier-tandem-42';

let h: Harness;

/** Waits for the background reset mail to the address and returns its token. */
async function resetTokenFor(email: string): Promise<string> {
  const before = h.mail.length;
  assert.equal((await h.post('/auth/forgot-password', { email })).status, 202);
  for (let i = 0; i < 50 && h.mail.length === before; i++) await new Promise((r) => setTimeout(r, 10));
  const message = h.mail
    .slice(before)
    .find((m) => m.to === email.trim().toLowerCase() && /Reset/.test(m.subject));
  assert.ok(message, 'a reset mail was sent');
  return tokenFromMail(message);
}

/** The same cases on the embedded default and on PostgreSQL with Redis stores. */
for (const backend of backends())
  describe(`password reset (${backend.name})`, () => {
    before(async () => {
      h = await createHarness({ config: await backend.config() });
    });
    after(async () => {
      await h?.close();
      await backend.stop();
    });

    it('reset - should change the password, revoke every session and access token, and not sign in', async () => {
      const me = await h.signedInUser();
      const token = await resetTokenFor(me.email);
      const reset = await h.post('/auth/reset-password', { token, password: NEW_PASSWORD });
      assert.equal(reset.status, 204);
      assert.equal(reset.text, '');
      assert.equal((await h.get('/users/me', { token: me.accessToken })).status, 401);
      assertProblem(
        await h.post('/auth/refresh', { refreshToken: me.refreshToken }),
        401,
        'REFRESH_TOKEN_INVALID',
      );
      assert.equal((await h.post('/auth/login', { email: me.email, password: me.password })).status, 401);
      assert.equal((await h.post('/auth/login', { email: me.email, password: NEW_PASSWORD })).status, 200);
      const audit = await h.auth.repositories.audit.list({
        userId: me.userId,
        type: 'password.reset',
        limit: 10,
      });
      assert.equal(audit.length, 1);
    });

    it('reuse - should refuse a token used once', async () => {
      const me = await h.signedInUser();
      const token = await resetTokenFor(me.email);
      assert.equal((await h.post('/auth/reset-password', { token, password: NEW_PASSWORD })).status, 204);
      assertProblem(
        await h.post('/auth/reset-password', { token, password: 'another-Fresh-password-77' }),
        400,
        'RESET_TOKEN_INVALID',
      );
    });

    it('race - should let exactly one of 10 concurrent resets with one token succeed', async () => {
      const me = await h.signedInUser();
      const token = await resetTokenFor(me.email);
      const replies = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          h.post('/auth/reset-password', { token, password: `${NEW_PASSWORD}-${i}` }),
        ),
      );
      assert.equal(replies.filter((r) => r.status === 204).length, 1);
      assert.ok(replies.filter((r) => r.status !== 204).every((r) => r.status === 400));
    });

    it('weak password - should answer 422 and leave the token usable', async () => {
      const me = await h.signedInUser();
      const token = await resetTokenFor(me.email);
      assertProblem(
        await h.post('/auth/reset-password', { token, password: 'password' }),
        422,
        'PASSWORD_POLICY',
      );
      assert.equal((await h.post('/auth/reset-password', { token, password: NEW_PASSWORD })).status, 204);
    });

    it('issued before the last password change - should be refused', async () => {
      const me = await h.signedInUser();
      const token = await resetTokenFor(me.email);
      const changed = await h.post(
        '/users/me/change-password',
        { currentPassword: me.password, newPassword: NEW_PASSWORD },
        { token: me.accessToken },
      );
      assert.equal(changed.status, 204);
      assertProblem(
        await h.post('/auth/reset-password', { token, password: 'another-Fresh-password-77' }),
        400,
        'RESET_TOKEN_INVALID',
      );
    });

    it('expiry - should refuse a token past its lifetime (30 minutes)', async () => {
      const me = await h.signedInUser();
      const token = await resetTokenFor(me.email);
      const claims = jwtPayload(token);
      const key = h.auth.keyring.active('reset-token');
      const codec = createJwtCodec({
        algorithm: 'HS256',
        keys: [deriveJwtKey('HS256', new Uint8Array(key.key.export()), `${key.id}-hs256`)],
        issuer: HARNESS_BASE_URL,
      });
      const cls = {
        typ: 'gh-reset+jwt',
        audience: `${HARNESS_BASE_URL}#reset-password`,
        lifetimeSeconds: 1800,
      };
      const sign = (now: number) =>
        codec.sign(
          cls,
          { sub: String(claims.sub), jti: String(claims.jti), pwf: claims.pwf, stm: claims.stm },
          { now },
        );
      const expired = await sign(Date.now() - (1800 + 120) * 1000);
      assertProblem(
        await h.post('/auth/reset-password', { token: expired, password: NEW_PASSWORD }),
        400,
        'RESET_TOKEN_INVALID',
      );
      // The same claims signed now pass: only the expiry refused the first one.
      assert.equal(
        (await h.post('/auth/reset-password', { token: await sign(Date.now()), password: NEW_PASSWORD }))
          .status,
        204,
      );
    });

    it('newer request - should make the older token dead', async () => {
      const me = await h.signedInUser();
      const older = await resetTokenFor(me.email);
      const newer = await resetTokenFor(me.email);
      assertProblem(
        await h.post('/auth/reset-password', { token: older, password: NEW_PASSWORD }),
        400,
        'RESET_TOKEN_INVALID',
      );
      assert.equal(
        (await h.post('/auth/reset-password', { token: newer, password: NEW_PASSWORD })).status,
        204,
      );
    });

    it('other token classes and oversize tokens - should be refused', async () => {
      const me = await h.signedInUser();
      assertProblem(
        await h.post('/auth/reset-password', { token: me.accessToken, password: NEW_PASSWORD }),
        400,
        'RESET_TOKEN_INVALID',
      );
      // Refused unread: a 2 KiB string shaped like a token is never parsed.
      const oversize = await h.post('/auth/reset-password', {
        token: `${'a'.repeat(1000)}.${'b'.repeat(1000)}.${'c'.repeat(100)}`,
        password: NEW_PASSWORD,
      });
      assertProblem(oversize, 400, 'RESET_TOKEN_INVALID');
    });

    it('forgot-password - should answer one body for known and unknown addresses and mail only the stored one', async () => {
      const email = uniqueEmail('stored');
      await h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
      const mailBefore = h.mail.length;
      const known = await h.post('/auth/forgot-password', { email: `  ${email.toUpperCase()} ` });
      const unknown = await h.post('/auth/forgot-password', { email: uniqueEmail('nobody') });
      assert.equal(known.status, 202);
      assert.equal(known.text, unknown.text);
      await new Promise((r) => setTimeout(r, 100));
      const sent = h.mail.slice(mailBefore);
      assert.equal(sent.length, 1);
      assert.equal(sent[0]?.to, email, 'only the stored, normalised address receives mail');
    });

    it('lockout - a reset should lift a login lock', async () => {
      const locked = await createHarness({ config: { lockout: { enabled: true, maxFailures: 2 } } });
      try {
        const email = uniqueEmail('locked');
        await locked.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
        for (let i = 0; i < 2; i++)
          await locked.post('/auth/login', { email, password: 'wrong password guess' });
        assert.equal((await locked.post('/auth/login', { email, password: GOOD_PASSWORD })).status, 429);
        assert.equal((await locked.post('/auth/forgot-password', { email })).status, 202);
        for (let i = 0; i < 50 && locked.mail.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
        const token = tokenFromMail(locked.mail.at(-1)!);
        assert.equal(
          (await locked.post('/auth/reset-password', { token, password: NEW_PASSWORD })).status,
          204,
        );
        assert.equal((await locked.post('/auth/login', { email, password: NEW_PASSWORD })).status, 200);
      } finally {
        await locked.close();
      }
    });
  });
