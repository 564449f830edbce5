/**
 * Passkeys end to end with a real authenticator: Chromium's virtual authenticator (CTAP2,
 * internal transport, resident keys, user verification) on http://localhost:<port>, against a
 * Gatehouse instance whose baseUrl is that origin (RP ID `localhost`). Register a passkey, sign
 * out, sign in usernameless, sign in a 2FA account without a second step (UV) and with one (no
 * UV), step up with a passkey, rename and remove it, and the last-way-in rule.
 *
 * Invariants: only a verified attestation from our origin registers a passkey; a user-verified
 * passkey is two factors (amr hwk/swk + user, the step-up window opens), one without UV is one
 * factor; the owner is mailed on add and remove; the last way to sign in cannot be removed.
 * @see issue #17
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHarness, type Harness, jwtPayload } from '../fixtures/auth-harness.ts';
import type { LaunchedBrowser } from '../fixtures/browser.ts';
import {
  type BlankOrigin,
  launchBrowser,
  startBlankOrigin,
  type VirtualAuthenticator,
  virtualAuthenticator,
} from '../fixtures/passkeys.ts';
import { codeAt, createTestClock, enableTwoFactor, type TestClock } from '../fixtures/two-factor.ts';

const STEP_UP_WINDOW_MS = 5 * 60_000;

describe('passkeys with a Chromium virtual authenticator', { timeout: 120_000 }, () => {
  let blank: BlankOrigin;
  let browser: LaunchedBrowser;
  let authenticator: VirtualAuthenticator;
  let h: Harness;
  let clock: TestClock;

  before(async () => {
    blank = await startBlankOrigin();
    const origin = `http://localhost:${blank.port}`;
    clock = createTestClock();
    h = await createHarness({ config: { baseUrl: origin, clock: clock.config } });
    browser = await launchBrowser({ actionTimeoutMs: 10_000 });
    authenticator = await virtualAuthenticator(browser, origin);
  });
  after(async () => {
    await browser?.close();
    await h?.close();
    await blank?.close();
  });

  /** Registers a passkey for the bearer `token`'s account; answers the new passkey's view. */
  async function register(token: string, name?: string) {
    const options = await h.post('/users/me/passkeys/options', undefined, { token });
    assert.equal(options.status, 200, options.text);
    assert.equal(options.body.rp.id, 'localhost');
    assert.equal(options.body.attestation, 'none');
    assert.equal(options.body.authenticatorSelection.residentKey, 'preferred');
    const response = await authenticator.create(options.body);
    const finished = await h.post('/users/me/passkeys', { response, ...(name ? { name } : {}) }, { token });
    assert.equal(finished.status, 201, finished.text);
    return finished.body.passkey;
  }

  async function signInOptions(email?: string) {
    const answer = await h.post('/auth/passkey/options', email === undefined ? {} : { email });
    assert.equal(answer.status, 200, answer.text);
    return answer.body as { flowId: string; options: Record<string, unknown> };
  }

  it('registers a passkey, excludes it from the next registration, and mails the owner', async () => {
    const user = await h.signedInUser();
    const passkey = await register(user.accessToken, 'Laptop');
    assert.equal(passkey.name, 'Laptop');
    assert.deepEqual(passkey.transports, ['internal']);
    const again = await h.post('/users/me/passkeys/options', undefined, { token: user.accessToken });
    assert.deepEqual(
      again.body.excludeCredentials.map((c: { id: string }) => c.id),
      [passkey.id],
    );
    const mail = await h.mailTo(user.email, { subject: /passkey was added/ });
    assert.match(mail.text, /new passkey/);
    const list = await h.get('/users/me/passkeys', { token: user.accessToken });
    assert.deepEqual(
      list.body.passkeys.map((p: { id: string }) => p.id),
      [passkey.id],
    );
  });

  it('signs out, then signs in usernameless with the passkey: amr is hwk + user', async () => {
    const user = await h.signedInUser();
    await register(user.accessToken);
    const out = await h.post(
      '/auth/logout',
      { refreshToken: user.refreshToken },
      { token: user.accessToken },
    );
    assert.ok(out.status === 204 || out.status === 200, out.text);
    const flow = await signInOptions();
    assert.equal((flow.options.allowCredentials as unknown[] | undefined)?.length ?? 0, 0, 'usernameless');
    // Resident keys of earlier tests live in the same authenticator: pick this user's.
    const mine = (await authenticator.credentials()).find(
      (c) => Buffer.from(c.userHandle ?? '', 'base64').toString('utf8') === user.userId,
    );
    assert.ok(mine, 'the authenticator keeps a discoverable credential for the user');
    const response = await authenticator.get(flow.options, {
      allowCredentials: [
        { id: Buffer.from(mine.credentialId, 'base64').toString('base64url'), type: 'public-key' },
      ],
    });
    const login = await h.post('/auth/passkey/login', { flowId: flow.flowId, response });
    assert.equal(login.status, 200, login.text);
    assert.equal(login.body.user.id, user.userId);
    const claims = jwtPayload(login.body.accessToken);
    assert.deepEqual(claims.amr, ['hwk', 'user']);
    const me = await h.get('/users/me', { token: login.body.accessToken });
    assert.equal(me.status, 200);
  });

  it('signs in with an email (allowCredentials) and starts a cookie session at /auth/passkey/session', async () => {
    const user = await h.signedInUser();
    const passkey = await register(user.accessToken);
    const flow = await signInOptions(user.email);
    assert.deepEqual(
      (flow.options.allowCredentials as { id: string }[]).map((c) => c.id),
      [passkey.id],
    );
    const response = await authenticator.get(flow.options);
    const refused = await h.post('/auth/passkey/session', { flowId: flow.flowId, response });
    assert.equal(refused.status, 403, 'no Origin: login CSRF refused before the challenge is spent');
    const session = await h.post(
      '/auth/passkey/session',
      { flowId: flow.flowId, response },
      { headers: { Origin: authenticator.origin } },
    );
    assert.equal(session.status, 200, session.text);
    assert.equal(typeof session.body.csrfToken, 'string');
    assert.match(session.headers.get('set-cookie') ?? '', /HttpOnly/i);
  });

  it('a user-verified passkey satisfies 2FA; without user verification the second step is still asked', async () => {
    const user = await enableTwoFactor(h, clock, { emailLabel: 'pk2fa' });
    // Registration needs a fresh second factor: the TOTP code as step-up.
    const login = await h.post('/auth/login', {
      email: user.email,
      password: 'correct horse battery staple 42',
    });
    const verified = await h.post('/auth/2fa/verify', {
      pendingToken: login.body.pendingToken,
      code: codeAt(clock, user.seed),
    });
    assert.equal(verified.status, 200, verified.text);
    await register(verified.body.accessToken);

    const flow = await signInOptions(user.email);
    const withUv = await h.post('/auth/passkey/login', {
      flowId: flow.flowId,
      response: await authenticator.get(flow.options),
    });
    assert.equal(withUv.status, 200, withUv.text);
    assert.equal(withUv.body.twoFactorRequired, undefined, 'no second step');
    assert.deepEqual(jwtPayload(withUv.body.accessToken).amr, ['hwk', 'user']);

    await authenticator.setUserVerified(false);
    try {
      const second = await signInOptions(user.email);
      const withoutUv = await h.post('/auth/passkey/login', {
        flowId: second.flowId,
        response: await authenticator.get(second.options, { userVerification: 'discouraged' }),
      });
      assert.equal(withoutUv.status, 200, withoutUv.text);
      assert.equal(withoutUv.body.twoFactorRequired, true, 'one factor: the TOTP step follows');
      clock.advance(30_000);
      const finished = await h.post('/auth/2fa/verify', {
        pendingToken: withoutUv.body.pendingToken,
        code: codeAt(clock, user.seed),
      });
      assert.equal(finished.status, 200, finished.text);
      assert.deepEqual(jwtPayload(finished.body.accessToken).amr, ['hwk', 'otp']);
    } finally {
      await authenticator.setUserVerified(true);
    }
  });

  it('steps up with a passkey: a 2FA session past its window passes a step-up route again', async () => {
    const user = await enableTwoFactor(h, clock, { emailLabel: 'pkstep' });
    const login = await h.post('/auth/login', {
      email: user.email,
      password: 'correct horse battery staple 42',
    });
    const verified = await h.post('/auth/2fa/verify', {
      pendingToken: login.body.pendingToken,
      code: codeAt(clock, user.seed),
    });
    const token = verified.body.accessToken as string;
    await register(token);
    clock.advance(STEP_UP_WINDOW_MS + 60_000);
    const stale = await h.post('/users/me/passkeys/options', undefined, { token });
    assert.equal(stale.status, 403);
    assert.equal(stale.body.code, 'STEP_UP_REQUIRED');
    const options = await h.post('/users/me/passkeys/step-up/options', undefined, { token });
    assert.equal(options.status, 200, options.text);
    assert.equal(options.body.userVerification, 'required');
    const stepped = await h.post(
      '/users/me/passkeys/step-up',
      { response: await authenticator.get(options.body) },
      { token },
    );
    assert.equal(stepped.status, 204, stepped.text);
    const fresh = await h.post('/users/me/passkeys/options', undefined, { token });
    assert.equal(fresh.status, 200, fresh.text);
  });

  it('renames and removes a passkey (owner mailed); the last way to sign in is refused with 409', async () => {
    const user = await h.signedInUser();
    const passkey = await register(user.accessToken);
    const renamed = await h.request('PATCH', `/users/me/passkeys/${passkey.id}`, {
      token: user.accessToken,
      body: { name: 'Work phone' },
    });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.body.passkey.name, 'Work phone');

    // Without a password or a provider, the passkey is the account's only way in.
    const db = h.auth.database.db;
    const setPasswordHash = (hash: string | null) =>
      db.updateTable('users').set({ password_hash: hash }).where('id', '=', user.userId).execute();
    const { password_hash: stored } = await db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', user.userId)
      .executeTakeFirstOrThrow();
    await setPasswordHash(null);
    const last = await h.request('DELETE', `/users/me/passkeys/${passkey.id}`, { token: user.accessToken });
    assert.equal(last.status, 409);
    assert.equal(last.body.code, 'LAST_SIGN_IN_METHOD');

    await setPasswordHash(stored);
    const removed = await h.request('DELETE', `/users/me/passkeys/${passkey.id}`, {
      token: user.accessToken,
    });
    assert.equal(removed.status, 204, removed.text);
    await h.mailTo(user.email, { subject: /passkey was removed/ });
    const list = await h.get('/users/me/passkeys', { token: user.accessToken });
    assert.deepEqual(list.body.passkeys, []);
    const gone = await h.request('DELETE', `/users/me/passkeys/${passkey.id}`, { token: user.accessToken });
    assert.equal(gone.status, 404);
    assert.equal(gone.body.code, 'PASSKEY_NOT_FOUND');
  });
});
