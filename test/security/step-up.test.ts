/**
 * Threat: a session taken over after its owner passed 2FA (a copied cookie, a leaked access
 * token, an unlocked laptop) is used much later to change the account's email — and with it,
 * who receives password resets. The second factor must be recent for such actions, not merely
 * once at login.
 *
 * Invariant: POST /users/me/change-email (a sensitive route) passes for a 2FA user only within
 * `twoFactor.stepUpWindowSeconds` (default 300 s, configurable) of the session's last verified
 * second factor; after it, 403 STEP_UP_REQUIRED and nothing is mailed, unless the request
 * carries a valid, unused code in X-2FA-Code (a replayed one is 400) or the session stepped
 * up through POST /auth/2fa/step-up, which for a cookie session also moves it to a new cookie
 * and CSRF token (the old cookie dies). Users without 2FA are never asked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuthConfigInput } from '../../src/index.ts';
import {
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  type JsonResponse,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';
import {
  type CookieSession,
  cookieHeaders,
  OWN_ORIGIN,
  OWN_PAGE,
  sessionCookieFrom,
} from '../fixtures/cookie-session.ts';
import {
  codeAt,
  createTestClock,
  enableTwoFactor,
  type TwoFactorUser,
  wrongCode,
} from '../fixtures/two-factor.ts';

const SECOND = 1000;
const STEP_UP_HEADER = 'X-2FA-Code';

/** The instances' clock: the middle of a time step, moved only forward. */
const clock = createTestClock();

/** A verified user with TOTP on; the clock then moves past the confirming code's step. */
const twoFactorUser = (h: Harness): Promise<TwoFactorUser> =>
  enableTwoFactor(h, clock, { emailLabel: 'stepup' });

/** A bearer login finished with the TOTP code `steps` from now; answers the access token. */
async function bearerSignIn(h: Harness, user: TwoFactorUser, steps = 0): Promise<string> {
  const login = await h.post('/auth/login', { email: user.email, password: GOOD_PASSWORD });
  assert.equal(login.body.twoFactorRequired, true, login.text);
  const verified = await h.post('/auth/2fa/verify', {
    pendingToken: login.body.pendingToken,
    code: codeAt(clock, user.seed, steps),
  });
  assert.equal(verified.status, 200, verified.text);
  return verified.body.accessToken;
}

/** A cookie login (from the app's own page) finished with the current TOTP code. */
async function cookieSignIn(h: Harness, user: TwoFactorUser): Promise<CookieSession> {
  const login = await h.post(
    '/auth/session',
    { email: user.email, password: GOOD_PASSWORD },
    { headers: { Origin: OWN_ORIGIN } },
  );
  assert.equal(login.body.twoFactorRequired, true, login.text);
  const verified = await h.post(
    '/auth/2fa/verify',
    { pendingToken: login.body.pendingToken, code: codeAt(clock, user.seed) },
    { headers: { Origin: OWN_ORIGIN } },
  );
  assert.equal(verified.status, 200, verified.text);
  return { ...sessionCookieFrom(verified), csrfToken: verified.body.csrfToken };
}

/** Asks to move the account to a fresh address; answers the response and that address. */
async function changeEmail(
  h: Harness,
  credentials: { token?: string; headers?: Record<string, string> },
): Promise<{ response: JsonResponse; newEmail: string }> {
  const newEmail = uniqueEmail('moved');
  const response = await h.post(
    '/users/me/change-email',
    { newEmail, currentPassword: GOOD_PASSWORD },
    credentials,
  );
  return { response, newEmail };
}

/** Asserts 202 and that the confirmation link went out. */
async function assertAccepted(
  h: Harness,
  attempt: { response: JsonResponse; newEmail: string },
): Promise<void> {
  assert.equal(attempt.response.status, 202, attempt.response.text);
  await h.mailTo(attempt.newEmail, { subject: /Confirm your new email/ });
}

/** Asserts the refusal and that neither address got mail about it. */
async function assertRefusedWithoutMail(
  h: Harness,
  user: TwoFactorUser,
  attempt: { response: JsonResponse; newEmail: string },
  expected: { status: number; code: string },
): Promise<void> {
  const noticesBefore = h.mail.filter((m) => m.to === user.email && /about to change/.test(m.subject)).length;
  assertProblem(attempt.response, expected.status, expected.code);
  // Mail goes out in the background: give a send that should not happen time to show up.
  await sleep(30);
  assert.equal(h.mail.filter((m) => m.to === attempt.newEmail).length, 0, 'nothing went to the new address');
  const noticesAfter = h.mail.filter((m) => m.to === user.email && /about to change/.test(m.subject)).length;
  assert.equal(noticesAfter, noticesBefore, 'no notice went to the current address');
}

for (const backend of backends())
  describe(`step-up (${backend.name})`, () => {
    /** The default window (300 s). */
    let h: Harness;
    /** A one-minute window. */
    let short: Harness;

    before(async () => {
      const overrides = await backend.config();
      const make = (extra: AuthConfigInput) =>
        createHarness({ config: { ...overrides, clock: clock.config, ...extra } });
      h = await make({});
      short = await make({ twoFactor: { stepUpWindowSeconds: 60 } });
    });
    after(async () => {
      await Promise.all([h, short].map((harness) => harness?.close()));
      await backend.stop();
    });

    it('window - change of email should pass within 300 s of a 2FA login, then be 403 STEP_UP_REQUIRED with no mail sent', async () => {
      const user = await twoFactorUser(h);
      const token = await bearerSignIn(h, user);
      await assertAccepted(h, await changeEmail(h, { token }));
      clock.advance(299 * SECOND);
      await assertAccepted(h, await changeEmail(h, { token }));
      clock.advance(2 * SECOND);
      await assertRefusedWithoutMail(h, user, await changeEmail(h, { token }), {
        status: 403,
        code: 'STEP_UP_REQUIRED',
      });
    });

    it('header - a valid X-2FA-Code should let a stale session through, and the same code replayed should be 400', async () => {
      const user = await twoFactorUser(h);
      const first = await bearerSignIn(h, user, 0);
      const second = await bearerSignIn(h, user, 1);
      clock.advance(301 * SECOND);
      const code = codeAt(clock, user.seed);
      const wrong = wrongCode(clock, user.seed);
      await assertRefusedWithoutMail(
        h,
        user,
        await changeEmail(h, { token: first, headers: { [STEP_UP_HEADER]: wrong } }),
        { status: 400, code: 'TWO_FACTOR_CODE_INVALID' },
      );
      await assertAccepted(h, await changeEmail(h, { token: first, headers: { [STEP_UP_HEADER]: code } }));
      // The code opened the window for that session: no header needed now.
      await assertAccepted(h, await changeEmail(h, { token: first }));
      // Another stale session of the same user presenting the code again: a replay.
      await assertRefusedWithoutMail(
        h,
        user,
        await changeEmail(h, { token: second, headers: { [STEP_UP_HEADER]: code } }),
        { status: 400, code: 'TWO_FACTOR_CODE_INVALID' },
      );
    });

    it('step-up route - POST /auth/2fa/step-up with a code should reopen the window; a wrong code should not', async () => {
      const user = await twoFactorUser(h);
      const token = await bearerSignIn(h, user);
      clock.advance(301 * SECOND);
      await assertRefusedWithoutMail(h, user, await changeEmail(h, { token }), {
        status: 403,
        code: 'STEP_UP_REQUIRED',
      });
      const code = codeAt(clock, user.seed);
      const wrong = wrongCode(clock, user.seed);
      assertProblem(
        await h.post('/auth/2fa/step-up', { code: wrong }, { token }),
        400,
        'TWO_FACTOR_CODE_INVALID',
      );
      assertProblem((await changeEmail(h, { token })).response, 403, 'STEP_UP_REQUIRED');
      const steppedUp = await h.post('/auth/2fa/step-up', { code }, { token });
      assert.equal(steppedUp.status, 204, steppedUp.text);
      assert.equal(steppedUp.headers.getSetCookie().length, 0, 'a bearer session gets no cookie');
      await assertAccepted(h, await changeEmail(h, { token }));
    });

    it('cookie - step-up should move the session to a new cookie and CSRF token, and the old cookie should be 401', async () => {
      const user = await twoFactorUser(h);
      const old = await cookieSignIn(h, user);
      clock.advance(301 * SECOND);
      await assertRefusedWithoutMail(
        h,
        user,
        await changeEmail(h, { headers: cookieHeaders(old, OWN_PAGE) }),
        {
          status: 403,
          code: 'STEP_UP_REQUIRED',
        },
      );
      const steppedUp = await h.post(
        '/auth/2fa/step-up',
        { code: codeAt(clock, user.seed) },
        { headers: cookieHeaders(old, OWN_PAGE) },
      );
      assert.equal(steppedUp.status, 204, steppedUp.text);
      const renewed: CookieSession = {
        ...sessionCookieFrom(steppedUp),
        csrfToken: steppedUp.headers.get('x-csrf-token') ?? '',
      };
      assert.notEqual(renewed.value, old.value);
      assert.notEqual(renewed.sessionId, old.sessionId);
      assert.ok(renewed.csrfToken.length > 0, 'a new CSRF token in X-CSRF-Token');
      assert.notEqual(renewed.csrfToken, old.csrfToken);
      assertProblem(await h.get('/users/me', { headers: cookieHeaders(old) }), 401, 'INVALID_TOKEN');
      await assertAccepted(h, await changeEmail(h, { headers: cookieHeaders(renewed, OWN_PAGE) }));
    });

    it('no second factor - a user without 2FA should never be asked for step-up', async () => {
      const email = uniqueEmail('plain');
      await h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
      const { accessToken } = await h.login(email);
      clock.advance(10 * 60 * SECOND);
      await assertAccepted(h, await changeEmail(h, { token: accessToken }));
    });

    it('configurable - twoFactor.stepUpWindowSeconds should set the window (60 s here)', async () => {
      const user = await twoFactorUser(short);
      const token = await bearerSignIn(short, user);
      clock.advance(59 * SECOND);
      await assertAccepted(short, await changeEmail(short, { token }));
      clock.advance(2 * SECOND);
      await assertRefusedWithoutMail(short, user, await changeEmail(short, { token }), {
        status: 403,
        code: 'STEP_UP_REQUIRED',
      });
    });
  });
