/**
 * Threat: a flood of sign-ups or sign-ins (each an argon2id hash, milliseconds of CPU) starves
 * everyone else — an unbounded queue in front of the hashing threads makes every password
 * request wait longer and longer, and hashing threads at the event loop's priority stretch the
 * latency of every authenticated read.
 *
 * Invariant: password hashing runs on a bounded pool behind a capped queue; once
 * `passwords.hashing.maxQueued` calls wait, the next one is refused at once with 503
 * `SERVICE_UNAVAILABLE` and `Retry-After` (no password checked, nothing changed), the calls
 * admitted all finish correctly, and authenticated reads keep answering during the flood.
 * Figures (throughput, p99 against a peer) are in bench/, not here: this asserts only bounded,
 * generous things.
 *
 * @see issue #12
 * @see issue #18
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createPasswordHasher, HashingQueueFullError } from '../../src/crypto/password.ts';
import { createArgon2Pool } from '../../src/features/accounts/hashing-pool.ts';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';

const THREADS = 1;
const MAX_QUEUED = 2;
const FLOOD = 24;

let harness: Harness;

before(async () => {
  harness = await createHarness({
    config: {
      passwords: { hashing: { threads: THREADS, maxQueued: MAX_QUEUED } },
    },
  });
});
after(() => harness?.close());

test('a full hashing queue refuses at once: the calls admitted all finish, the rest reject as queue-full', async () => {
  const pool = createArgon2Pool({ threads: 1, maxQueued: 3 });
  const hasher = createPasswordHasher({ memoryKiB: 8192, timeCost: 1, parallelism: 1 }, pool);
  try {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => hasher.hash(`password ${i}`)),
    );
    const refused = outcomes.filter((o) => o.status === 'rejected');
    const hashed = outcomes.filter((o) => o.status === 'fulfilled');
    for (const o of refused) assert.ok(o.reason instanceof HashingQueueFullError, String(o.reason));
    // One running and three waiting at most, plus one a spawning thread had not yet taken.
    assert.ok(hashed.length >= 3 && hashed.length <= 5, `${hashed.length} hashed`);
    const first = (hashed[0] as PromiseFulfilledResult<string>).value;
    const index = outcomes.indexOf(hashed[0] as PromiseSettledResult<string>);
    assert.equal(await hasher.verify(first, `password ${index}`), true);
    assert.equal(await hasher.verify(first, 'another password'), false);
    // A refused verify is an error, never a "wrong password".
    const verifies = await Promise.allSettled(Array.from({ length: 12 }, () => hasher.verify(first, 'x')));
    assert.ok(verifies.some((o) => o.status === 'rejected' && o.reason instanceof HashingQueueFullError));
    assert.ok(verifies.every((o) => o.status === 'rejected' || o.value === false));
  } finally {
    await pool.close();
  }
});

test('a sign-in flood past the queue is answered 503 with Retry-After, and reads keep answering', async () => {
  const emails = [uniqueEmail('flood-a'), uniqueEmail('flood-b')];
  for (const email of emails) await harness.register(email);
  const reader = await harness.signedInUser();

  const readLatencies: number[] = [];
  let flooding = true;
  const reads = (async () => {
    // Bounded: at most 400 reads, and only while the flood lasts.
    for (let i = 0; i < 400 && flooding; i++) {
      const started = performance.now();
      const me = await harness.get('/users/me', { token: reader.accessToken });
      readLatencies.push(performance.now() - started);
      assert.equal(me.status, 200);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  const answers = await Promise.all(
    Array.from({ length: FLOOD }, (_, i) =>
      harness.post('/auth/login', {
        email: emails[i % 2],
        password: i % 3 === 0 ? 'wrong password here' : GOOD_PASSWORD,
      }),
    ),
  );
  flooding = false;
  await reads;

  const refused = answers.filter((a) => a.status === 503);
  const answered = answers.filter((a) => a.status !== 503);
  assert.ok(refused.length > 0, 'some sign-ins were refused');
  assert.ok(answered.length >= MAX_QUEUED, `${answered.length} admitted`);
  for (const a of refused) {
    assert.equal(a.body.code, 'SERVICE_UNAVAILABLE');
    assert.equal(a.headers.get('retry-after'), '1');
    assert.ok(!a.text.includes(GOOD_PASSWORD));
  }
  // Admitted calls were checked for real: right passwords in, wrong ones out, none mistaken.
  for (const [i, a] of answers.entries()) {
    if (a.status === 503) continue;
    assert.equal(a.status, i % 3 === 0 ? 401 : 200, `sign-in ${i}: ${a.status}`);
  }
  // After the flood, the queue is free again.
  const again = await harness.post('/auth/login', { email: emails[0], password: GOOD_PASSWORD });
  assert.equal(again.status, 200);
  assert.ok(readLatencies.length > 0);
  const worst = Math.max(...readLatencies);
  assert.ok(worst < 1000, `a read took ${worst.toFixed(1)} ms during the flood`);
});
