/**
 * Threat: someone holding a session (a stolen cookie, a phished password) weakens or takes over
 * the account's security — turns 2FA off, replaces the recovery codes, changes the password,
 * mints an API key — while the owner hears nothing, and the sessions that existed before keep
 * working: a password-only session survives 2FA being turned on for its whole refresh life, and
 * turning 2FA off leaves every other session signed in. Too many wrong codes (someone past the
 * password) go unnoticed too. (ASVS 6.3.7, 7.4.3)
 *
 * Invariants:
 * - 2FA on, 2FA off, new recovery codes, a password change, a new API key (its name, never the
 *   key; escaped in HTML) and a 2FA lock each mail the owner, and each notice is audited
 *   (`notice.mailed`); a mail transport that fails never fails the change.
 * - 2FA off and a password change end every other session (their access and refresh tokens
 *   and cookies refused); the caller's session stays.
 * - 2FA on ends the other sessions that never passed a second factor (default
 *   `twoFactor.onEnable`), and keeps the one that turned it on; with `onEnable: 'keep'` they stay.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { base32Decode } from '../../src/crypto/base32.ts';
import type { AuthConfigInput } from '../../src/index.ts';
import type { MailMessage } from '../../src/mail/contract.ts';
import {
  assertInvalidToken,
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  type SignedInUser,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';
import {
  type CookieSession,
  cookieHeaders,
  OWN_PAGE,
  sessionCookieFrom,
  signInWithCookie,
} from '../fixtures/cookie-session.ts';
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

const NEW_PASSWORD = 'a different long passphrase now 31';

const clock = createTestClock();

/** A verified account with one bearer session per label, and a cookie session. */
async function userWithSessions(h: Harness) {
  const email = uniqueEmail('notice');
  const created = await h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
  const caller = await h.login(email);
  const other = await h.login(email);
  const cookie = await signInWithCookie(h, email);
  return { userId: created.id, email, caller, other, cookie };
}

/** Turns 2FA on from `caller` (enable + confirm with the current code); answers the seed. */
async function turnOnTwoFactor(h: Harness, caller: SignedInUser): Promise<Buffer> {
  const started = await h.post(
    '/auth/2fa/enable',
    { currentPassword: GOOD_PASSWORD },
    { token: caller.accessToken },
  );
  assert.equal(started.status, 200, started.text);
  const seed = base32Decode(String(started.body.secret));
  const confirmed = await h.post(
    '/auth/2fa/enable/confirm',
    { enrollmentToken: started.body.enrollmentToken, code: codeAt(clock, seed) },
    { token: caller.accessToken },
  );
  assert.equal(confirmed.status, 200, confirmed.text);
  clock.advance(3 * TOTP_STEP_MS);
  return seed;
}

/** A bearer session of a 2FA user, signed in with a fresh code (the clock moves a step after it). */
async function twoFactorSignIn(h: Harness, user: TwoFactorUser): Promise<SignedInUser> {
  const verified = await verify(h, await pendingToken(h, user), codeAt(clock, user.seed));
  assert.equal(verified.status, 200, verified.text);
  clock.advance(TOTP_STEP_MS);
  return {
    userId: user.userId,
    email: user.email,
    password: GOOD_PASSWORD,
    accessToken: verified.body.accessToken,
    refreshToken: verified.body.refreshToken,
  };
}

/** Asserts a bearer session is dead: its access token and its refresh token both refused. */
async function assertBearerEnded(h: Harness, session: SignedInUser): Promise<void> {
  assertInvalidToken(await h.get('/users/me', { token: session.accessToken }));
  assertProblem(
    await h.post('/auth/refresh', { refreshToken: session.refreshToken }),
    401,
    'REFRESH_TOKEN_INVALID',
  );
}

/** Asserts a bearer session still works (access and refresh). */
async function assertBearerAlive(h: Harness, session: SignedInUser): Promise<void> {
  assert.equal((await h.get('/users/me', { token: session.accessToken })).status, 200);
  assert.equal((await h.post('/auth/refresh', { refreshToken: session.refreshToken })).status, 200);
}

/** The `notice.mailed` audit kinds of the user, waiting briefly for the background writes. */
async function noticeKinds(h: Harness, userId: string, expected: string): Promise<string[]> {
  const deadline = Date.now() + 2_000;
  for (;;) {
    const rows = await h.auth.database.db
      .selectFrom('audit_events')
      .select('data')
      .where('user_id', '=', userId)
      .where('type', '=', 'notice.mailed')
      .execute();
    const kinds = rows.map((row) => String(JSON.parse(String(row.data)).kind));
    if (kinds.includes(expected) || Date.now() > deadline) return kinds;
    await sleep(5);
  }
}

/** The data of the user's audit events of `type`, oldest first. */
async function auditData(h: Harness, userId: string, type: string): Promise<Record<string, unknown>[]> {
  const rows = await h.auth.database.db
    .selectFrom('audit_events')
    .select(['data', 'created_at'])
    .where('user_id', '=', userId)
    .where('type', '=', type)
    .orderBy('created_at')
    .execute();
  return rows.map((row) => JSON.parse(String(row.data)) as Record<string, unknown>);
}

for (const backend of backends())
  describe(`security changes end sessions and tell the owner (${backend.name})`, () => {
    let h: Harness;
    /** `twoFactor.onEnable: 'keep'`. */
    let keep: Harness;
    /** Lockout on: 3 wrong codes lock the second factor. */
    let locking: Harness;
    /** A mail transport that always fails. */
    let failingMail: Harness;
    /** The application's own `passwordChanged` template; its mail lands in `customMail`. */
    let custom: Harness;
    const customMail: MailMessage[] = [];

    before(async () => {
      const overrides = await backend.config();
      const make = (extra: AuthConfigInput) =>
        createHarness({ config: { ...overrides, clock: clock.config, ...extra } });
      [h, keep, locking, failingMail, custom] = await Promise.all([
        make({}),
        make({ twoFactor: { onEnable: 'keep' } }),
        make({
          lockout: { enabled: true, maxFailures: 3, baseLockSeconds: 60, maxLockSeconds: 120 },
          http: { trustedProxyHops: 1 },
        }),
        make({
          mail: {
            transport: async () => {
              throw new Error('the mail server is down');
            },
          },
        }),
        make({
          mail: {
            transport: async (message: MailMessage) => {
              customMail.push(message);
            },
            templates: {
              passwordChanged: ({ appName }) => ({
                subject: `[${appName}] your password changed`,
                text: 'Our own words.',
                html: '<p>Our own words.</p>',
              }),
            },
          },
        }),
      ]);
    });
    after(async () => {
      await Promise.all([h, keep, locking, failingMail, custom].map((harness) => harness?.close()));
      await backend.stop();
    });

    it('2FA on - should end the single-factor sessions (bearer and cookie), keep the enabling one, and mail the owner', async () => {
      const user = await userWithSessions(h);
      await turnOnTwoFactor(h, user.caller);
      await assertBearerAlive(h, user.caller);
      await assertBearerEnded(h, user.other);
      assertInvalidToken(await h.get('/users/me', { headers: cookieHeaders(user.cookie) }));
      const mail = await h.mailTo(user.email, { subject: /Two-factor authentication is on/ });
      assert.match(mail.text, /turned on/);
      assert.deepEqual(await auditData(h, user.userId, '2fa.enabled'), [{ revokedSessions: 2 }]);
      assert.ok((await noticeKinds(h, user.userId, 'twoFactorEnabled')).includes('twoFactorEnabled'));
    });

    it("2FA on with onEnable 'keep' - the other sessions should stay, and the owner is still mailed", async () => {
      const user = await userWithSessions(keep);
      await turnOnTwoFactor(keep, user.caller);
      await assertBearerAlive(keep, user.other);
      assert.equal((await keep.get('/users/me', { headers: cookieHeaders(user.cookie) })).status, 200);
      await keep.mailTo(user.email, { subject: /Two-factor authentication is on/ });
    });

    it('2FA off - should end every other session, even ones that passed 2FA, keep the caller, and mail the owner', async () => {
      const user = await enableTwoFactor(h, clock, { emailLabel: 'off' });
      const caller = await twoFactorSignIn(h, user);
      const other = await twoFactorSignIn(h, user);
      const disabled = await h.post(
        '/auth/2fa/disable',
        { code: codeAt(clock, user.seed) },
        { token: caller.accessToken },
      );
      assert.equal(disabled.status, 204, disabled.text);
      await assertBearerEnded(h, other);
      await assertBearerAlive(h, caller);
      const mail = await h.mailTo(user.email, { subject: /Two-factor authentication is off/ });
      assert.match(mail.text, /every other session was signed out/);
      assert.equal((await auditData(h, user.userId, '2fa.disabled')).length, 1, 'audited');
      assert.ok((await noticeKinds(h, user.userId, 'twoFactorDisabled')).includes('twoFactorDisabled'));
    });

    it('new recovery codes - should mail the owner', async () => {
      const user = await enableTwoFactor(h, clock, { emailLabel: 'codes' });
      const caller = await twoFactorSignIn(h, user);
      const replaced = await h.post(
        '/auth/2fa/recovery-codes',
        { code: codeAt(clock, user.seed) },
        { token: caller.accessToken },
      );
      assert.equal(replaced.status, 200, replaced.text);
      await h.mailTo(user.email, { subject: /New recovery codes/ });
      assert.equal((await auditData(h, user.userId, '2fa.recovery_codes_regenerated')).length, 1, 'audited');
      assert.ok(
        (await noticeKinds(h, user.userId, 'recoveryCodesRegenerated')).includes('recoveryCodesRegenerated'),
      );
    });

    it('password change - should end every other session (bearer and cookie), keep the caller, and mail the owner', async () => {
      const user = await userWithSessions(h);
      const changed = await h.post(
        '/users/me/change-password',
        { currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD },
        { token: user.caller.accessToken },
      );
      assert.equal(changed.status, 204, changed.text);
      await assertBearerEnded(h, user.other);
      assertInvalidToken(await h.get('/users/me', { headers: cookieHeaders(user.cookie) }));
      await assertBearerAlive(h, user.caller);
      const mail = await h.mailTo(user.email, { subject: /password was changed/ });
      assert.match(mail.text, /just changed/);
      assert.ok((await noticeKinds(h, user.userId, 'passwordChanged')).includes('passwordChanged'));
    });

    it('override - an application template for a notice (passwordChanged) should be the one sent', async () => {
      const user = await userWithSessions(custom);
      const changed = await custom.post(
        '/users/me/change-password',
        { currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD },
        { token: user.caller.accessToken },
      );
      assert.equal(changed.status, 204, changed.text);
      const deadline = Date.now() + 2_000;
      while (!customMail.some((m) => m.to === user.email) && Date.now() < deadline) await sleep(5);
      const sent = customMail.filter((m) => m.to === user.email);
      assert.equal(sent.length, 1, 'one notice');
      assert.equal(sent[0]?.subject, '[Gatehouse] your password changed');
      assert.equal(sent[0]?.text, 'Our own words.');
    });

    it('new API key - should mail the owner its name (escaped in HTML), never the key', async () => {
      const user = await userWithSessions(h);
      const name = 'deploy <b>bot</b> & co';
      const created = await h.post('/users/me/api-keys', { name }, { token: user.caller.accessToken });
      assert.equal(created.status, 201, created.text);
      const mail = await h.mailTo(user.email, { subject: /new API key/ });
      assert.ok(mail.text.includes(`"${name}"`), 'the text names the key');
      assert.ok(mail.html?.includes('deploy &lt;b&gt;bot&lt;/b&gt; &amp; co'), 'the HTML escapes the name');
      assert.ok(!mail.html?.includes('<b>bot</b>'), 'no raw markup from the name');
      const apiKey = String(created.body.apiKey);
      for (const part of [apiKey, apiKey.split('.')[1] as string]) {
        assert.ok(!mail.text.includes(part) && !mail.html?.includes(part), 'the key is not in the mail');
      }
      assert.ok((await noticeKinds(h, user.userId, 'apiKeyCreated')).includes('apiKeyCreated'));
    });

    it('2FA lock - ten wrong codes at once from a stolen session should lock the second factor and mail the owner exactly once', async () => {
      const user = await enableTwoFactor(locking, clock, { emailLabel: 'lock' });
      const session = await twoFactorSignIn(locking, user);
      // Guessed from another address than the owner's known device.
      const attacker = { 'X-Forwarded-For': '203.0.113.77' };
      const replies = await Promise.all(
        Array.from({ length: 10 }, () =>
          locking.post(
            '/auth/2fa/step-up',
            { code: wrongCode(clock, user.seed) },
            { token: session.accessToken, headers: attacker },
          ),
        ),
      );
      const statuses = replies.map((r) => r.status).sort();
      assert.deepEqual(
        statuses,
        [400, 400, 400, 429, 429, 429, 429, 429, 429, 429],
        'three codes checked, then locked',
      );
      await locking.mailTo(user.email, { subject: /Too many wrong codes/ });
      await sleep(30);
      const lockMails = locking.mail.filter(
        (m) => m.to === user.email && /Too many wrong codes/.test(m.subject),
      );
      assert.equal(lockMails.length, 1, 'one notice per lock');
      assert.ok((await noticeKinds(locking, user.userId, 'twoFactorLocked')).includes('twoFactorLocked'));
    });

    it('mail failure - a failing transport should not fail the change: 2FA off answers 204 and still ends the other sessions', async () => {
      const user = await enableTwoFactor(failingMail, clock, { emailLabel: 'nomail' });
      const caller = await twoFactorSignIn(failingMail, user);
      const other = await twoFactorSignIn(failingMail, user);
      const disabled = await failingMail.post(
        '/auth/2fa/disable',
        { code: codeAt(clock, user.seed) },
        { token: caller.accessToken },
      );
      assert.equal(disabled.status, 204, disabled.text);
      await assertBearerEnded(failingMail, other);
    });

    it('cookie caller - 2FA on from a cookie session should keep it (under its new id) and end the bearer one', async () => {
      const user = await userWithSessions(h);
      const started = await h.post(
        '/auth/2fa/enable',
        { currentPassword: GOOD_PASSWORD },
        { headers: cookieHeaders(user.cookie, OWN_PAGE) },
      );
      assert.equal(started.status, 200, started.text);
      const seed = base32Decode(String(started.body.secret));
      const confirmed = await h.post(
        '/auth/2fa/enable/confirm',
        { enrollmentToken: started.body.enrollmentToken, code: codeAt(clock, seed) },
        { headers: cookieHeaders(user.cookie, OWN_PAGE) },
      );
      assert.equal(confirmed.status, 200, confirmed.text);
      clock.advance(3 * TOTP_STEP_MS);
      const renewed: CookieSession = {
        ...sessionCookieFrom(confirmed),
        csrfToken: String(confirmed.headers.get('x-csrf-token')),
      };
      assert.equal((await h.get('/users/me', { headers: cookieHeaders(renewed) })).status, 200);
      await assertBearerEnded(h, user.caller);
      await assertBearerEnded(h, user.other);
    });
  });
