/**
 * Threat: the data export (`GET /users/me/export`, GDPR articles 15 and 20) — a file people
 * download, forward and keep — carries a secret: the password hash, the TOTP seed, recovery
 * codes, an API key or its signing secret, a refresh or access token, a keyed digest, the
 * security stamp, or another user's data.
 *
 * Invariant: for a user with a password, 2FA and recovery codes, a plain and a signing API
 * key, and several sessions, the export names the user's data (sessions, keys by prefix, the
 * 2FA state, their audit events) and holds none of those secrets, no string shaped like a
 * stored digest (`k1.…`), envelope (`v1.…`) or argon2 hash, no address digest, and nothing of
 * another user; the admin's view of the same user holds none either.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signedInAdmin, signedInWithRoles } from '../fixtures/admin.ts';
import { createApiKey } from '../fixtures/api-keys.ts';
import { createHarness, GOOD_PASSWORD, type Harness } from '../fixtures/auth-harness.ts';
import { codeAt, createTestClock, enableTwoFactor } from '../fixtures/two-factor.ts';

describe('the data export leaks no secret', () => {
  const clock = createTestClock();
  let h: Harness;

  before(async () => {
    h = await createHarness({ config: { clock: clock.config } });
  });
  after(async () => {
    await h?.close();
  });

  it('holds the user’s data and none of their secrets', async () => {
    const user = await enableTwoFactor(h, clock, { emailLabel: 'exporter' });
    const other = await signedInWithRoles(h, []);
    const login = await h.post('/auth/login', { email: user.email, password: GOOD_PASSWORD });
    const signedIn = await h.post('/auth/2fa/verify', {
      pendingToken: login.body.pendingToken,
      code: codeAt(clock, user.seed),
    });
    assert.equal(signedIn.status, 200, signedIn.text);
    const token = signedIn.body.accessToken as string;
    const plain = await createApiKey(h, token, { name: 'plain' });
    const signing = await createApiKey(h, token, { name: 'signing', signing: true });

    const exported = await h.get('/users/me/export', { token });
    assert.equal(exported.status, 200, exported.text);
    const text = exported.text;
    assert.equal(exported.body.apiKeys.length, 2);
    assert.equal(exported.body.twoFactor.enabled, true);
    assert.ok(exported.body.twoFactor.recoveryCodesLeft > 0);
    assert.ok(exported.body.auditEvents.length > 3);

    const secrets = [
      GOOD_PASSWORD,
      user.secret,
      ...user.recoveryCodes,
      plain.apiKey,
      plain.apiKey.split('.')[1] as string,
      signing.apiKey.split('.')[1] as string,
      token,
      signedIn.body.refreshToken as string,
      (signedIn.body.refreshToken as string).split('.')[1] as string,
      other.userId,
      other.email,
    ];
    for (const secret of secrets)
      assert.ok(!text.includes(secret), `the export holds ${secret.slice(0, 6)}…`);
    assert.doesNotMatch(
      text,
      /\$argon2|"k1\.|\bv1\.[A-Za-z0-9_-]+\.|securityStamp|passwordHash|totpSecret|ipHash|secret_digest/i,
    );

    const admin = await signedInAdmin(h);
    const adminView = await h.get(`/admin/users/${user.userId}`, { token: admin.accessToken });
    assert.equal(adminView.status, 200);
    for (const secret of secrets.slice(0, -2)) assert.ok(!adminView.text.includes(secret));
    assert.doesNotMatch(
      adminView.text,
      /\$argon2|"k1\.|\bv1\.[A-Za-z0-9_-]+\.|securityStamp|passwordHash|totpSecret/i,
    );
  });
});
