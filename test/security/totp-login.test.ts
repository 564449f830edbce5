/**
 * Threat: getting past the second factor with the password alone. An attacker who knows the
 * password takes a session out of the first step, reuses or steals a pending login (from
 * another machine, after it expired, twice, or as an access token), replays a code they
 * watched being typed, or guesses codes until one fits — restarting the login to reset any
 * count — or a page on another origin finishes a cookie login.
 *
 * Invariant: with 2FA on, POST /auth/login and POST /auth/session answer only
 * `{ twoFactorRequired, pendingToken, methods }` (no token, no cookie, no session row); the
 * pending token is its own token class, bound to the client's address and User-Agent, lives
 * 5 minutes (plus the configured clock leeway) and finishes one login, in the transport it
 * started in (a cookie finish only from an allowed origin); codes one step either side are
 * accepted, two refused, each step once per user and never one at or before the last step
 * used; with lockout on, 5 wrong codes lock 2FA for
 * the user whatever the pending token, until the back-off ends; with rate limits on, the
 * `totpVerify` slot allows 5 attempts per pending token per 5 minutes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuthConfigInput } from '../../src/index.ts';
import {
  assertInvalidToken,
  assertProblem,
  createHarness,
  type Harness,
  type JsonResponse,
  jwtPayload,
} from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';
import { cookieHeaders, OWN_ORIGIN, sessionCookieFrom } from '../fixtures/cookie-session.ts';
import {
  challenge,
  codeAt,
  createTestClock,
  enableTwoFactor,
  pendingToken,
  sessionCount,
  TOTP_STEP_MS,
  type TwoFactorUser,
  verify,
  wrongCode,
} from '../fixtures/two-factor.ts';

const MINUTE = 60_000;

/** The instances' clock: the middle of a time step, moved only forward. */
const clock = createTestClock();

/** A verified user with TOTP on; the clock then moves three steps (see `enableTwoFactor`). */
const twoFactorUser = (h: Harness): Promise<TwoFactorUser> =>
  enableTwoFactor(h, clock, { emailLabel: 'login2fa' });

/** Asserts 429 RATE_LIMITED with a Retry-After of at most `maxSeconds`. */
function assertLimited(response: JsonResponse, maxSeconds: number): void {
  assertProblem(response, 429, 'RATE_LIMITED');
  const retryAfter = Number(response.headers.get('retry-after'));
  assert.ok(retryAfter >= 1 && retryAfter <= maxSeconds, `Retry-After ${retryAfter}`);
}

for (const backend of backends())
  describe(`TOTP login (${backend.name})`, () => {
    /** Lockout and rate limits off (the harness default); client address from X-Forwarded-For. */
    let h: Harness;
    /** Lockout on with the default policy. */
    let locking: Harness;
    /** Lockout on with a one-second first lock, to watch it lift. */
    let shortLock: Harness;
    /** Rate limits on with the default slots. */
    let limited: Harness;

    before(async () => {
      const overrides = await backend.config();
      const make = (extra: AuthConfigInput) =>
        createHarness({ config: { ...overrides, clock: clock.config, ...extra } });
      h = await make({ http: { trustedProxyHops: 1 } });
      locking = await make({ lockout: { enabled: true } });
      shortLock = await make({ lockout: { enabled: true, baseLockSeconds: 1 } });
      limited = await make({ rateLimits: { enabled: true } });
    });
    after(async () => {
      await Promise.all([h, locking, shortLock, limited].map((harness) => harness?.close()));
      await backend.stop();
    });

    it('challenge - POST /auth/login should answer only twoFactorRequired, pendingToken and methods: no token, cookie or session', async () => {
      const user = await twoFactorUser(h);
      const sessionsBefore = await sessionCount(h, user.userId);
      const response = await challenge(h, user);
      assert.deepEqual(Object.keys(response.body).sort(), ['methods', 'pendingToken', 'twoFactorRequired']);
      assert.deepEqual([...response.body.methods].sort(), ['recovery_code', 'totp']);
      assert.equal(response.headers.getSetCookie().length, 0);
      assert.equal(await sessionCount(h, user.userId), sessionsBefore);
    });

    it('challenge - POST /auth/session should answer the same challenge: no cookie, no CSRF token, no session', async () => {
      const user = await twoFactorUser(h);
      const sessionsBefore = await sessionCount(h, user.userId);
      const response = await challenge(h, user, { cookie: true });
      assert.deepEqual(Object.keys(response.body).sort(), ['methods', 'pendingToken', 'twoFactorRequired']);
      assert.equal(response.headers.getSetCookie().length, 0);
      assert.equal(response.headers.get('x-csrf-token'), null);
      assert.equal(await sessionCount(h, user.userId), sessionsBefore);
    });

    it('transport - a login started with POST /auth/login should finish with a token pair and the user, no cookie', async () => {
      const user = await twoFactorUser(h);
      const response = await verify(h, await pendingToken(h, user), codeAt(clock, user.seed));
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.tokenType, 'Bearer');
      assert.equal(typeof response.body.refreshToken, 'string');
      assert.equal(response.body.user.id, user.userId);
      assert.equal(response.body.user.twoFactorEnabled, true);
      assert.equal(response.body.csrfToken, undefined);
      assert.equal(response.headers.getSetCookie().length, 0);
      assert.deepEqual(jwtPayload(response.body.accessToken).amr, ['pwd', 'otp']);
      const me = await h.get('/users/me', { token: response.body.accessToken });
      assert.equal(me.status, 200, me.text);
      assert.equal(me.body.user.id, user.userId);
    });

    it('transport - a login started with POST /auth/session should finish with a session cookie and { user, csrfToken }', async () => {
      const user = await twoFactorUser(h);
      const pending = await pendingToken(h, user, { cookie: true });
      const response = await verify(h, pending, codeAt(clock, user.seed), {
        headers: { Origin: OWN_ORIGIN },
      });
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(Object.keys(response.body).sort(), ['csrfToken', 'user']);
      assert.equal(response.body.user.id, user.userId);
      const cookie = sessionCookieFrom(response);
      const me = await h.get('/users/me', { headers: cookieHeaders(cookie) });
      assert.equal(me.status, 200, me.text);
      assert.equal(me.body.user.id, user.userId);
    });

    it('login CSRF - a cookie login finished from a foreign or unknown origin should be 403 CSRF_FAILED with no cookie', async () => {
      const user = await twoFactorUser(h);
      const sessionsBefore = await sessionCount(h, user.userId);
      const attempts: [Record<string, string>, string][] = [
        [{ Origin: 'https://evil.example' }, codeAt(clock, user.seed, -1)],
        [{}, codeAt(clock, user.seed, 0)],
      ];
      for (const [headers, code] of attempts) {
        const response = await verify(h, await pendingToken(h, user, { cookie: true }), code, { headers });
        assertProblem(response, 403, 'CSRF_FAILED');
        assert.equal(response.headers.getSetCookie().length, 0);
      }
      assert.equal(await sessionCount(h, user.userId), sessionsBefore);
    });

    it('login CSRF - a refused foreign-origin finish should spend neither the code nor the pending login', async () => {
      const user = await twoFactorUser(h);
      const pending = await pendingToken(h, user, { cookie: true });
      const code = codeAt(clock, user.seed);
      assertProblem(
        await verify(h, pending, code, { headers: { Origin: 'https://evil.example' } }),
        403,
        'CSRF_FAILED',
      );
      const response = await verify(h, pending, code, { headers: { Origin: OWN_ORIGIN } });
      assert.equal(response.status, 200, response.text);
    });

    it("concurrent verifies of one pending login - should spend one code at most, the winner's", async () => {
      const user = await twoFactorUser(h);
      const pending = await pendingToken(h, user);
      // Two different valid codes (this step and the next) raced on one pending login.
      const [first, second] = await Promise.all([
        verify(h, pending, codeAt(clock, user.seed, 0)),
        verify(h, pending, codeAt(clock, user.seed, 1)),
      ]);
      const statuses = [first.status, second.status].sort();
      assert.deepEqual(statuses, [200, 400]);
      const loser = first.status === 200 ? second : first;
      assertProblem(loser, 400, 'PENDING_TOKEN_INVALID');
      // The loser's code was not spent: the high-water mark is the winner's step. So the later
      // code still finishes a new login when the earlier one won; when the later one won, the
      // earlier is refused (older than a used one) and the step after the winner's still works.
      if (first.status === 200) {
        const again = await verify(h, await pendingToken(h, user), codeAt(clock, user.seed, 1));
        assert.equal(again.status, 200, again.text);
      } else {
        const older = await verify(h, await pendingToken(h, user), codeAt(clock, user.seed, 0));
        assertProblem(older, 400, 'TWO_FACTOR_CODE_INVALID');
        clock.advance(TOTP_STEP_MS);
        const later = await verify(h, await pendingToken(h, user), codeAt(clock, user.seed, 1));
        assert.equal(later.status, 200, later.text);
      }
    });

    it('binding - a pending token should be refused from another User-Agent or address, and still finish from its own client', async () => {
      const user = await twoFactorUser(h);
      const client = { 'User-Agent': 'Browser/1.0', 'X-Forwarded-For': '203.0.113.5' };
      const pending = await pendingToken(h, user, { headers: client });
      const code = codeAt(clock, user.seed);
      assertProblem(
        await verify(h, pending, code, { headers: { ...client, 'User-Agent': 'Stealer/2.0' } }),
        400,
        'PENDING_TOKEN_INVALID',
      );
      assertProblem(
        await verify(h, pending, code, { headers: { ...client, 'X-Forwarded-For': '198.51.100.7' } }),
        400,
        'PENDING_TOKEN_INVALID',
      );
      assertProblem(await verify(h, pending, code, { headers: {} }), 400, 'PENDING_TOKEN_INVALID');
      const own = await verify(h, pending, code, { headers: client });
      assert.equal(own.status, 200, own.text);
    });

    it('expiry - a pending token should work for 5 minutes and be PENDING_TOKEN_INVALID after them (and the leeway)', async () => {
      const user = await twoFactorUser(h);
      const leewayMs = h.auth.config.tokens.leewaySeconds * 1000;
      const lasting = await pendingToken(h, user);
      const expiring = await pendingToken(h, user);
      clock.advance(5 * MINUTE - 1000);
      const inTime = await verify(h, lasting, codeAt(clock, user.seed));
      assert.equal(inTime.status, 200, inTime.text);
      clock.advance(leewayMs + 2000);
      assertProblem(await verify(h, expiring, codeAt(clock, user.seed)), 400, 'PENDING_TOKEN_INVALID');
    });

    it('single use - a second verify of a finished pending token should be PENDING_TOKEN_INVALID', async () => {
      const user = await twoFactorUser(h);
      const pending = await pendingToken(h, user);
      assert.equal((await verify(h, pending, codeAt(clock, user.seed, -1))).status, 200);
      const sessionsAfterFirst = await sessionCount(h, user.userId);
      assertProblem(await verify(h, pending, codeAt(clock, user.seed, 1)), 400, 'PENDING_TOKEN_INVALID');
      assert.equal(await sessionCount(h, user.userId), sessionsAfterFirst);
    });

    it('single use - of two concurrent verifies of one pending token (codes of two steps), exactly one should finish', async () => {
      const user = await twoFactorUser(h);
      const pending = await pendingToken(h, user);
      const results = await Promise.all([
        verify(h, pending, codeAt(clock, user.seed, -1)),
        verify(h, pending, codeAt(clock, user.seed, 1)),
      ]);
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 400]);
      const loser = results.find((r) => r.status === 400) as JsonResponse;
      assertProblem(loser, 400, 'PENDING_TOKEN_INVALID');
    });

    it('token class - a pending token should not pass as an access token, nor an access token as a pending token', async () => {
      const user = await twoFactorUser(h);
      const pending = await pendingToken(h, user);
      assertInvalidToken(await h.get('/users/me', { token: pending }));
      const signedIn = await verify(h, pending, codeAt(clock, user.seed, -1));
      assert.equal(signedIn.status, 200, signedIn.text);
      assertProblem(
        await verify(h, signedIn.body.accessToken, codeAt(clock, user.seed, 1)),
        400,
        'PENDING_TOKEN_INVALID',
      );
    });

    it('window - codes one step either side should be accepted (oldest first), two steps either side refused', async () => {
      const user = await twoFactorUser(h);
      // Move to a time where the five codes differ, so each assertion is about its own step.
      while (new Set([-2, -1, 0, 1, 2].map((steps) => codeAt(clock, user.seed, steps))).size < 5)
        clock.advance(TOTP_STEP_MS);
      const first = await pendingToken(h, user);
      assertProblem(await verify(h, first, codeAt(clock, user.seed, -2)), 400, 'TWO_FACTOR_CODE_INVALID');
      assertProblem(await verify(h, first, codeAt(clock, user.seed, 2)), 400, 'TWO_FACTOR_CODE_INVALID');
      assert.equal((await verify(h, first, codeAt(clock, user.seed, -1))).status, 200);
      // In step order: a code older than one already used is refused (the high-water mark).
      assert.equal((await verify(h, await pendingToken(h, user), codeAt(clock, user.seed, 0))).status, 200);
      assert.equal((await verify(h, await pendingToken(h, user), codeAt(clock, user.seed, 1))).status, 200);
    });

    it('replay - a code accepted once should be refused the second time, even with a new pending token', async () => {
      const user = await twoFactorUser(h);
      const code = codeAt(clock, user.seed);
      assert.equal((await verify(h, await pendingToken(h, user), code)).status, 200);
      const second = await pendingToken(h, user);
      assertProblem(await verify(h, second, code), 400, 'TWO_FACTOR_CODE_INVALID');
      // Refused as a replay, not for the token: the next step's code finishes it.
      assert.equal((await verify(h, second, codeAt(clock, user.seed, 1))).status, 200);
    });

    it('brute force - 5 wrong codes should lock 2FA for the user: 429 with Retry-After even for the right code and a new login', async () => {
      const user = await twoFactorUser(locking);
      const pending = await pendingToken(locking, user);
      const wrong = wrongCode(clock, user.seed);
      for (let i = 0; i < 5; i++)
        assertProblem(await verify(locking, pending, wrong), 400, 'TWO_FACTOR_CODE_INVALID');
      const defaultLockSeconds = 60;
      assertLimited(await verify(locking, pending, codeAt(clock, user.seed)), defaultLockSeconds);
      // A new login gets through the password step, but the second step stays locked.
      assertLimited(
        await verify(locking, await pendingToken(locking, user), codeAt(clock, user.seed)),
        defaultLockSeconds,
      );
    });

    it('brute force - restarting the login should not reset the count of wrong codes', async () => {
      const user = await twoFactorUser(locking);
      const wrong = wrongCode(clock, user.seed);
      const first = await pendingToken(locking, user);
      for (let i = 0; i < 3; i++)
        assertProblem(await verify(locking, first, wrong), 400, 'TWO_FACTOR_CODE_INVALID');
      const second = await pendingToken(locking, user);
      for (let i = 0; i < 2; i++)
        assertProblem(await verify(locking, second, wrong), 400, 'TWO_FACTOR_CODE_INVALID');
      assertLimited(await verify(locking, second, codeAt(clock, user.seed)), 60);
    });

    it('brute force - the lock should lift once the back-off has passed', async () => {
      const user = await twoFactorUser(shortLock);
      const pending = await pendingToken(shortLock, user);
      const wrong = wrongCode(clock, user.seed);
      for (let i = 0; i < 5; i++)
        assertProblem(await verify(shortLock, pending, wrong), 400, 'TWO_FACTOR_CODE_INVALID');
      assertLimited(await verify(shortLock, pending, codeAt(clock, user.seed)), 1);
      // The lock is kept in the store with real-time expiry, so this waits for real.
      await sleep(1_100);
      const lifted = await verify(shortLock, pending, codeAt(clock, user.seed));
      assert.equal(lifted.status, 200, lifted.text);
    });

    it('rate limit - the totpVerify slot should answer 429 after 5 attempts with one pending token within 5 minutes', async () => {
      const user = await twoFactorUser(limited);
      const pending = await pendingToken(limited, user);
      const wrong = wrongCode(clock, user.seed);
      for (let i = 0; i < 5; i++)
        assertProblem(await verify(limited, pending, wrong), 400, 'TWO_FACTOR_CODE_INVALID');
      assertLimited(await verify(limited, pending, codeAt(clock, user.seed)), 5 * 60);
      // Counted per pending token: a new login has its own budget.
      const fresh = await verify(limited, await pendingToken(limited, user), codeAt(clock, user.seed));
      assert.equal(fresh.status, 200, fresh.text);
    });
  });
