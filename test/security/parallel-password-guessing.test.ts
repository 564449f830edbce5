/**
 * Threat: guessing a password in parallel to overrun the lockout. Fifty wrong passwords for one
 * account are sent at once, each from its own address (so no per-address limit applies), to
 * one process or spread over two: if the lockout checked the count and recorded the failure
 * in two steps, every guess would be checked before any failure was counted.
 *
 * Invariant: at most `lockout.maxFailures` passwords are checked per identifier per lock
 * period, under any concurrency and across workers: exactly that many guesses answer 401
 * `LOGIN_BAD_CREDENTIALS`, every other one 429 `RATE_LIMITED` with `Retry-After`, unchecked
 * (each attempt is reserved atomically before the password is verified); then even the right
 * password is refused; an unknown email behaves the same (a lock reveals no account); the
 * lock is audited once, the identifier as a keyed digest.
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  type JsonResponse,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';
import { type GuessReply, guessAddress, tallyGuesses } from '../fixtures/guess-tally.ts';
import { type JsonReply, jsonCall, startTwoWorkers, type TwoWorkers } from '../fixtures/production-server.ts';
import type { ServerProcess } from '../fixtures/spawn-server.ts';

const MAX_FAILURES = 5;
const PARALLEL_GUESSES = 50;
const WRONG = 'definitely not the password';

const tally = (replies: readonly GuessReply[]) =>
  tallyGuesses(replies, { status: 401, code: 'LOGIN_BAD_CREDENTIALS' });

const asReply = (r: JsonResponse) => ({
  status: r.status,
  code: r.body?.code as string | undefined,
  retryAfter: r.headers.get('retry-after'),
});

for (const backend of backends())
  describe(`parallel password guessing, one process (${backend.name})`, () => {
    let h: Harness;
    before(async () => {
      const overrides = await backend.config();
      h = await createHarness({
        config: {
          ...overrides,
          lockout: { enabled: true, maxFailures: MAX_FAILURES },
          http: { trustedProxyHops: 1 },
        },
      });
    });
    after(async () => {
      await h?.close();
      await backend.stop();
    });

    const guessAll = async (email: string) =>
      tally(
        (
          await Promise.all(
            Array.from({ length: PARALLEL_GUESSES }, (_, i) =>
              h.post(
                '/auth/login',
                { email, password: WRONG },
                { headers: { 'X-Forwarded-For': guessAddress(i) } },
              ),
            ),
          )
        ).map(asReply),
      );

    it(`${PARALLEL_GUESSES} wrong passwords at once from ${PARALLEL_GUESSES} addresses - should check exactly maxFailures, refuse the rest unchecked, then refuse the right password`, async () => {
      const email = uniqueEmail('parallel');
      await h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });

      assert.deepEqual(await guessAll(email), {
        checked: MAX_FAILURES,
        refused: PARALLEL_GUESSES - MAX_FAILURES,
        other: 0,
      });
      // Only the checked guesses reached the password check: one failure event each.
      const failures = await h.auth.repositories.audit.list({ type: 'login.failure', limit: 1000 });
      const digest = failures.find((e) => e.data.reason === 'wrong_password' && e.userId !== null)?.data
        .identifier;
      assert.equal(typeof digest, 'string');
      assert.equal(failures.filter((e) => e.data.identifier === digest).length, MAX_FAILURES);

      const right = await h.post(
        '/auth/login',
        { email, password: GOOD_PASSWORD },
        { headers: { 'X-Forwarded-For': '192.0.2.44' } },
      );
      assert.equal(right.status, 429, 'the right password while locked');
      assert.equal(right.body.code, 'RATE_LIMITED');

      // One lock, one event: the identifier as the same keyed digest, never the email.
      const locks = await h.auth.repositories.audit.list({ type: 'lockout.identifier_locked', limit: 100 });
      const mine = locks.filter((e) => e.data.identifier === digest);
      assert.equal(mine.length, 1);
      assert.ok(!JSON.stringify(mine).includes(email));
      assert.equal(mine[0]?.data.lockedForSeconds, 60);
    });

    it(`${PARALLEL_GUESSES} wrong passwords at once for an unknown email - should answer exactly the same`, async () => {
      assert.deepEqual(await guessAll(uniqueEmail('nobody')), {
        checked: MAX_FAILURES,
        refused: PARALLEL_GUESSES - MAX_FAILURES,
        other: 0,
      });
    });
  });

describe('parallel password guessing, two server processes sharing PostgreSQL and Redis', () => {
  const account = { email: 'parallel-guessing@example.com', password: 'quartz-Harbor-lantern-73' };
  let workers: TwoWorkers;
  let workerA: ServerProcess;
  let workerB: ServerProcess;

  before(async () => {
    workers = await startTwoWorkers({ users: [account], extra: { GATEHOUSE_TRUSTED_PROXY_HOPS: '1' } });
    ({ workerA, workerB } = workers);
  });
  after(() => workers?.stop());

  it(`${PARALLEL_GUESSES} wrong passwords at once, split over A and B - should check exactly maxFailures in total`, async () => {
    assert.notEqual(workerA.child.pid, workerB.child.pid);
    const replies: JsonReply[] = await Promise.all(
      Array.from({ length: PARALLEL_GUESSES }, (_, i) =>
        jsonCall((i % 2 === 0 ? workerA : workerB).url, 'POST', '/auth/login', {
          body: { email: account.email, password: WRONG },
          headers: { 'X-Forwarded-For': guessAddress(i) },
          timeoutMs: 30_000,
        }),
      ),
    );
    // The default policy: 5 failures lock.
    assert.deepEqual(tally(replies), {
      checked: MAX_FAILURES,
      refused: PARALLEL_GUESSES - MAX_FAILURES,
      other: 0,
    });
    for (const worker of [workerA, workerB]) {
      const right = await jsonCall(worker.url, 'POST', '/auth/login', {
        body: account,
        headers: { 'X-Forwarded-For': '192.0.2.45' },
      });
      assert.equal(right.status, 429, `the right password on ${worker.url} while locked`);
      assert.equal(right.code, 'RATE_LIMITED');
    }
  });
});
