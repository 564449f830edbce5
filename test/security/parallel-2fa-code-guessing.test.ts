/**
 * Threat: guessing a second factor in parallel to overrun its budget. An attacker who has the
 * password opens many pending logins (each from its own address, each with its own per-login
 * rate limit) and sends a wrong 6-digit code on all of them at once, on one process or spread
 * over two; or fires codes in parallel at the step-up and disable routes of a stolen session.
 * If the budget were checked and counted in two steps, every guess would be compared.
 *
 * Invariant: at most `lockout.maxFailures` codes (TOTP or recovery) are compared per user per
 * lock period, under any concurrency and across workers (from any address but a known device
 * of the user, which keeps a budget of its own): exactly that many guesses answer 400
 * `TWO_FACTOR_CODE_INVALID`, every other one 429 `RATE_LIMITED` unchecked (each attempt is
 * reserved atomically before the code is compared); then even the right code is refused; the
 * lock is audited once (`2fa.locked`).
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHarness, type Harness, type JsonResponse } from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';
import { type GuessReply, guessAddress, tallyGuesses } from '../fixtures/guess-tally.ts';
import { jsonCall, startTwoWorkers, type TwoWorkers } from '../fixtures/production-server.ts';
import type { ServerProcess } from '../fixtures/spawn-server.ts';
import {
  challenge,
  codeAt,
  codeOfStep,
  createTestClock,
  enableTwoFactor,
  enrollOverHttp,
  pendingLoginOverHttp,
  type TwoFactorUser,
  verify,
  wallClockStep,
  wrongCode,
} from '../fixtures/two-factor.ts';

const MAX_FAILURES = 5;
const PARALLEL_GUESSES = 40;

const tally = (replies: readonly GuessReply[]) =>
  tallyGuesses(replies, { status: 400, code: 'TWO_FACTOR_CODE_INVALID' });

const EXPECTED = (total: number) => ({ checked: MAX_FAILURES, refused: total - MAX_FAILURES, other: 0 });

const asReply = (r: JsonResponse) => ({
  status: r.status,
  code: r.body?.code as string | undefined,
  retryAfter: r.headers.get('retry-after'),
});

const clock = createTestClock();
/** Where a stolen session is used from. */
const ATTACKER = { 'X-Forwarded-For': '203.0.113.99' };

for (const backend of backends())
  describe(`parallel 2FA code guessing, one process (${backend.name})`, () => {
    let h: Harness;
    before(async () => {
      const overrides = await backend.config();
      h = await createHarness({
        config: {
          ...overrides,
          clock: clock.config,
          lockout: { enabled: true, maxFailures: MAX_FAILURES },
          http: { trustedProxyHops: 1 },
        },
      });
    });
    after(async () => {
      await h?.close();
      await backend.stop();
    });

    /** The user's `2fa.*` audit events of `type`. */
    const eventsOf = async (userId: string, type: string) =>
      (await h.auth.repositories.audit.list({ userId, type, limit: 1000 })).length;

    /** A signed-in session of a 2FA user (password, then the current code). */
    const signedIn = async (user: TwoFactorUser) => {
      const done = await verify(h, (await challenge(h, user)).body.pendingToken, codeAt(clock, user.seed));
      assert.equal(done.status, 200, done.text);
      return done.body.accessToken as string;
    };

    it(`${PARALLEL_GUESSES} wrong codes at once on ${PARALLEL_GUESSES} pending logins - should compare exactly maxFailures, then refuse the right code`, async () => {
      const user = await enableTwoFactor(h, clock, { emailLabel: 'parallel2fa' });
      const pendings: string[] = [];
      for (let i = 0; i < PARALLEL_GUESSES; i++) {
        const headers = { 'X-Forwarded-For': guessAddress(i) };
        pendings.push((await challenge(h, user, { headers })).body.pendingToken);
      }
      const wrong = wrongCode(clock, user.seed);
      const replies = await Promise.all(
        pendings.map((pending, i) =>
          verify(h, pending, wrong, { headers: { 'X-Forwarded-For': guessAddress(i) } }),
        ),
      );
      assert.deepEqual(tally(replies.map(asReply)), EXPECTED(PARALLEL_GUESSES));
      assert.equal(await eventsOf(user.userId, '2fa.failure'), MAX_FAILURES, 'one failure per compared code');
      assert.equal(await eventsOf(user.userId, '2fa.locked'), 1);

      const headers = { 'X-Forwarded-For': '192.0.2.60' };
      const right = await verify(
        h,
        (await challenge(h, user, { headers })).body.pendingToken,
        codeAt(clock, user.seed),
        {
          headers,
        },
      );
      assert.equal(right.status, 429, 'the right code while locked');
      const recovery = await verify(
        h,
        (await challenge(h, user, { headers })).body.pendingToken,
        user.recoveryCodes[0] as string,
        { headers },
      );
      assert.equal(recovery.status, 429, 'a recovery code shares the budget');
    });

    for (const route of ['/auth/2fa/step-up', '/auth/2fa/disable'] as const) {
      it(`${PARALLEL_GUESSES} wrong codes at once on ${route} of one session - should compare exactly maxFailures`, async () => {
        const user = await enableTwoFactor(h, clock, { emailLabel: 'parallel2fa-session' });
        const token = await signedIn(user);
        const wrong = wrongCode(clock, user.seed);
        const replies = await Promise.all(
          // From the attacker's address: the owner's (a known device) keeps a budget of its own.
          Array.from({ length: PARALLEL_GUESSES }, () =>
            h.post(route, { code: wrong }, { token, headers: ATTACKER }),
          ),
        );
        assert.deepEqual(tally(replies.map(asReply)), EXPECTED(PARALLEL_GUESSES));
        assert.equal(await eventsOf(user.userId, '2fa.locked'), 1);
        // Locked: the right code does nothing either (2FA stays on for disable).
        clock.advance(30_000);
        const right = await h.post(route, { code: codeAt(clock, user.seed) }, { token, headers: ATTACKER });
        assert.equal(right.status, 429, right.text);
      });
    }
  });

describe('parallel 2FA code guessing, two server processes sharing PostgreSQL and Redis', () => {
  const account = { email: 'parallel-2fa@example.com', password: 'tundra-Beacon-velvet-29' };
  const guesses = 20;
  let workers: TwoWorkers;
  let workerA: ServerProcess;
  let workerB: ServerProcess;

  before(async () => {
    workers = await startTwoWorkers({ users: [account], extra: { GATEHOUSE_TRUSTED_PROXY_HOPS: '1' } });
    ({ workerA, workerB } = workers);
  });
  after(() => workers?.stop());

  it(`${guesses} wrong codes at once on pending logins split over A and B - should compare exactly maxFailures in total`, async () => {
    const user = await enrollOverHttp(workerA.url, account);
    const workerOf = (i: number) => (i % 2 === 0 ? workerA : workerB);
    const pendings: string[] = [];
    for (let i = 0; i < guesses; i++) {
      pendings.push(
        await pendingLoginOverHttp(workerOf(i).url, user, { 'X-Forwarded-For': guessAddress(i) }),
      );
    }
    const wrong = wrongCode({ now: () => Date.now() }, user.seed);
    const replies = await Promise.all(
      pendings.map((pendingToken, i) =>
        jsonCall(workerOf(i).url, 'POST', '/auth/2fa/verify', {
          body: { pendingToken, code: wrong },
          headers: { 'X-Forwarded-For': guessAddress(i) },
          timeoutMs: 30_000,
        }),
      ),
    );
    // The default policy: 5 wrong codes lock.
    assert.deepEqual(tally(replies), EXPECTED(guesses));
    for (const worker of [workerA, workerB]) {
      const headers = { 'X-Forwarded-For': '192.0.2.61' };
      const pendingToken = await pendingLoginOverHttp(worker.url, user, headers);
      const right = await jsonCall(worker.url, 'POST', '/auth/2fa/verify', {
        body: { pendingToken, code: codeOfStep(user.seed, wallClockStep() + 1) },
        headers,
      });
      assert.equal(right.status, 429, `the right code on ${worker.url} while locked`);
    }
  });
});
