/**
 * Threat: a TOTP code that is still good after a later one was used. An attacker who watched
 * (or phished) the code of step t, while the user went on to sign in with the code of step
 * t+1, sends the unused code of step t within its window; or sends one code to two workers at
 * once, hoping each accepts it.
 *
 * Invariant (RFC 6238 section 5.2): a code is accepted only for a step later than the last
 * step accepted for the user (the high-water mark, stored with the user and advanced by one
 * conditional UPDATE), on every route that takes a code and across workers: a replay, and an
 * unused code at or before the mark, answer 400 `TWO_FACTOR_CODE_INVALID`; the same code sent
 * in parallel to two processes has exactly one winner. Confirming an enrollment sets the mark
 * to the confirming step; turning 2FA off forgets it with the seed.
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { base32Decode } from '../../src/crypto/base32.ts';
import { assertProblem, createHarness, GOOD_PASSWORD, type Harness } from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';
import { type JsonReply, jsonCall, startTwoWorkers, type TwoWorkers } from '../fixtures/production-server.ts';
import type { ServerProcess } from '../fixtures/spawn-server.ts';
import {
  awayFromStepEdge,
  codeAt,
  codeOfStep,
  createTestClock,
  enableTwoFactor,
  enrollOverHttp,
  pendingLoginOverHttp,
  pendingToken,
  TOTP_STEP_MS,
  type TwoFactorUser,
  verify,
  wallClockStep,
} from '../fixtures/two-factor.ts';

const clock = createTestClock();

/** Moves the clock until the codes of the steps `from`..`to` around now all differ. */
function distinctCodes(user: TwoFactorUser, from: number, to: number): void {
  const steps = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  while (new Set(steps.map((s) => codeAt(clock, user.seed, s))).size < steps.length)
    clock.advance(TOTP_STEP_MS);
}

for (const backend of backends())
  describe(`TOTP high-water mark, one process (${backend.name})`, () => {
    let h: Harness;
    before(async () => {
      const overrides = await backend.config();
      h = await createHarness({ config: { ...overrides, clock: clock.config } });
    });
    after(async () => {
      await h?.close();
      await backend.stop();
    });

    const signIn = async (user: TwoFactorUser, code: string) => verify(h, await pendingToken(h, user), code);

    it('the code of step t+1 used - an unused code of step t (and t-1) should be refused, the next step still accepted', async () => {
      const user = await enableTwoFactor(h, clock, { emailLabel: 'hwm' });
      distinctCodes(user, -1, 1);
      const later = await signIn(user, codeAt(clock, user.seed, 1));
      assert.equal(later.status, 200, later.text);
      // Both inside the window (one step either side), neither ever used: refused for the mark.
      assertProblem(await signIn(user, codeAt(clock, user.seed, 0)), 400, 'TWO_FACTOR_CODE_INVALID');
      assertProblem(await signIn(user, codeAt(clock, user.seed, -1)), 400, 'TWO_FACTOR_CODE_INVALID');
      assertProblem(await signIn(user, codeAt(clock, user.seed, 1)), 400, 'TWO_FACTOR_CODE_INVALID');
      clock.advance(TOTP_STEP_MS);
      const next = await signIn(user, codeAt(clock, user.seed, 1));
      assert.equal(next.status, 200, next.text);
    });

    it('every route shares the mark - a code older than the one step-up used should not sign in', async () => {
      const user = await enableTwoFactor(h, clock, { emailLabel: 'hwm-stepup' });
      distinctCodes(user, 0, 1);
      const session = await signIn(user, codeAt(clock, user.seed, 0));
      assert.equal(session.status, 200, session.text);
      clock.advance(TOTP_STEP_MS);
      distinctCodes(user, 0, 1);
      const steppedUp = await h.post(
        '/auth/2fa/step-up',
        { code: codeAt(clock, user.seed, 1) },
        { token: session.body.accessToken },
      );
      assert.equal(steppedUp.status, 204, steppedUp.text);
      assertProblem(await signIn(user, codeAt(clock, user.seed, 0)), 400, 'TWO_FACTOR_CODE_INVALID');
    });

    it('enrollment - the confirming code, and any earlier one, should never sign in', async () => {
      // The clock stays on the confirming step (codes of neighbouring steps collide once in a million).
      const user = await enableTwoFactor(h, clock, { emailLabel: 'hwm-confirm', stepsAfterConfirm: 0 });
      assertProblem(await signIn(user, codeAt(clock, user.seed, 0)), 400, 'TWO_FACTOR_CODE_INVALID');
      assertProblem(await signIn(user, codeAt(clock, user.seed, -1)), 400, 'TWO_FACTOR_CODE_INVALID');
      const next = await signIn(user, codeAt(clock, user.seed, 1));
      assert.equal(next.status, 200, next.text);
    });

    it('2FA off, then on again - the new seed should start from its own confirming step', async () => {
      const user = await enableTwoFactor(h, clock, { emailLabel: 'hwm-reset' });
      const session = await signIn(user, codeAt(clock, user.seed, 1));
      assert.equal(session.status, 200, session.text);
      const token = session.body.accessToken as string;
      const disabled = await h.post('/auth/2fa/disable', { code: user.recoveryCodes[0] }, { token });
      assert.equal(disabled.status, 204, disabled.text);
      const row = await h.auth.database.db
        .selectFrom('users')
        .select(['totp_secret', 'totp_last_step'])
        .where('id', '=', user.userId)
        .executeTakeFirstOrThrow();
      assert.deepEqual(row, { totp_secret: null, totp_last_step: null });

      // Re-enroll, confirming with the code of the step before now: the old mark (now + 1)
      // is gone, so the new seed's current step signs in.
      const fresh = (await h.post('/auth/login', { email: user.email, password: GOOD_PASSWORD })).body;
      const started = await h.post(
        '/auth/2fa/enable',
        { currentPassword: GOOD_PASSWORD },
        { token: fresh.accessToken },
      );
      assert.equal(started.status, 200, started.text);
      const seed = base32Decode(String(started.body.secret));
      const confirmed = await h.post(
        '/auth/2fa/enable/confirm',
        { enrollmentToken: started.body.enrollmentToken, code: codeAt(clock, seed, -1) },
        { token: fresh.accessToken },
      );
      assert.equal(confirmed.status, 200, confirmed.text);
      const again = await signIn(user, codeAt(clock, seed, 0));
      assert.equal(again.status, 200, again.text);
    });
  });

describe('TOTP high-water mark, two server processes sharing PostgreSQL and Redis', () => {
  const account = { email: 'high-water@example.com', password: 'cobalt-Meadow-signal-58' };
  let workers: TwoWorkers;
  let workerA: ServerProcess;
  let workerB: ServerProcess;

  before(async () => {
    workers = await startTwoWorkers({ users: [account] });
    ({ workerA, workerB } = workers);
  });
  after(() => workers?.stop());

  const verifyOn = (worker: ServerProcess, pendingToken: string, code: string): Promise<JsonReply> =>
    jsonCall(worker.url, 'POST', '/auth/2fa/verify', { body: { pendingToken, code } });

  it('one code sent to A and B at once - exactly one should win; then B should refuse an unused older code', async () => {
    await awayFromStepEdge();
    // Confirmed with the previous step's code, so the current and the next step are unused.
    const user = await enrollOverHttp(workerA.url, account, { confirmOffset: -1 });
    const now = wallClockStep();
    const workers = [workerA, workerB, workerA, workerB];
    const pendings = await Promise.all(workers.map((worker) => pendingLoginOverHttp(worker.url, user)));
    const code = codeOfStep(user.seed, now + 1);
    const replies = await Promise.all(
      workers.map((worker, i) => verifyOn(worker, pendings[i] as string, code)),
    );
    const statuses = replies.map((reply) => reply.status);
    assert.equal(statuses.filter((status) => status === 200).length, 1, `one winner: ${statuses.join(', ')}`);
    for (const loser of replies.filter((reply) => reply.status !== 200)) {
      assert.equal(loser.status, 400);
      assert.equal(loser.code, 'TWO_FACTOR_CODE_INVALID');
    }

    // The current step's code was never used and is inside the window: refused for the mark.
    if (codeOfStep(user.seed, now) !== code) {
      const older = await verifyOn(
        workerB,
        await pendingLoginOverHttp(workerB.url, user),
        codeOfStep(user.seed, now),
      );
      assert.equal(older.status, 400, JSON.stringify(older.body));
      assert.equal(older.code, 'TWO_FACTOR_CODE_INVALID');
    }
  });
});
