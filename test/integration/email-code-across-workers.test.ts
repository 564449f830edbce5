/**
 * Threat: an email sign-in code that holds on one worker but not across the fleet — one right
 * code fired at two workers at once to sign in twice (a code read over someone's shoulder, a
 * mail scanner racing the owner), guesses spread over two workers so that neither counts enough
 * of them, and a code asked on one worker that the other cannot finish.
 *
 * Two real `gatehouse serve` processes in production mode share one PostgreSQL database and one
 * Redis, with the same secrets; mail goes to .eml files, from which the code is read.
 * Invariants: of 20 parallel checks of the right code (10 per worker) exactly one signs in; of
 * 20 parallel wrong guesses spread over both, exactly `emailCode.maxAttempts` (5) are compared
 * (counted in the audit log) and the right code is refused afterwards; a code and a link asked
 * on one worker sign in on the other.
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { codeFromMailDir, EMAIL_CODE_COOKIE } from '../fixtures/email-code.ts';
import { jsonCall, startTwoWorkers, type TwoWorkers } from '../fixtures/production-server.ts';

const PARALLEL = 20;
const MAX_ATTEMPTS = 5;
const ACCOUNTS = ['race@example.com', 'guess@example.com', 'cross@example.com', 'link@example.com'];
const PASSWORD = 'willow-Compass-ember-64';

let workers: TwoWorkers;
let mailDir = '';
let db: pg.Client;

const request = (url: string, email: string) =>
  fetch(`${url}/auth/email-code/request`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
    signal: AbortSignal.timeout(5000),
  });
const verify = (url: string, email: string, code: string) =>
  jsonCall(url, 'POST', '/auth/email-code/verify', { body: { email, code } });

/** A 6-digit code that is not `code`. */
const wrong = (code: string, n: number) => String((Number(code) + 1 + n) % 1_000_000).padStart(6, '0');

async function failureReasons(): Promise<string[]> {
  const result = await db.query<{ data: string }>(
    "SELECT data FROM audit_events WHERE type = 'email_code.failure'",
  );
  return result.rows.map((row) => (JSON.parse(row.data) as { reason: string }).reason);
}

before(async () => {
  mailDir = await mkdtemp(join(tmpdir(), 'gatehouse-email-code-mail-'));
  workers = await startTwoWorkers({
    users: ACCOUNTS.map((email) => ({ email, password: PASSWORD })),
    extra: {
      GATEHOUSE_EMAIL_CODE: 'true',
      GATEHOUSE_MAIL_URL: `file://${mailDir}`,
      // The per-code budget is under test here, not the route slots.
      GATEHOUSE_RATE_LIMITS: JSON.stringify({ enabled: false }),
    },
  });
  db = new pg.Client({ connectionString: workers.env.GATEHOUSE_DATABASE_URL });
  await db.connect();
});
after(async () => {
  await db?.end();
  await workers?.stop();
  if (mailDir) await rm(mailDir, { recursive: true, force: true });
});

describe('email codes on two workers sharing PostgreSQL and Redis', () => {
  it(`${PARALLEL} parallel checks of the right code, half on each worker: exactly one signs in`, async () => {
    const email = ACCOUNTS[0]!;
    assert.equal((await request(workers.workerA.url, email)).status, 202);
    const { code } = await codeFromMailDir(mailDir, email);
    const replies = await Promise.all(
      Array.from({ length: PARALLEL }, (_, n) =>
        verify(n % 2 === 0 ? workers.workerA.url : workers.workerB.url, email, code),
      ),
    );
    const winners = replies.filter((reply) => reply.status === 200);
    assert.equal(winners.length, 1, JSON.stringify(replies.map((r) => r.status)));
    assert.equal(
      replies.filter((r) => r.status === 400 && r.code === 'EMAIL_CODE_INVALID').length,
      PARALLEL - 1,
    );
    // The winner's token works on both workers.
    for (const worker of [workers.workerA, workers.workerB]) {
      const me = await jsonCall(worker.url, 'GET', '/users/me', {
        token: String(winners[0]!.body?.accessToken),
      });
      assert.equal(me.status, 200);
    }
  });

  it(`${PARALLEL} parallel wrong guesses over both workers: exactly ${MAX_ATTEMPTS} compared, then the code is dead`, async () => {
    const email = ACCOUNTS[1]!;
    const before = (await failureReasons()).length;
    assert.equal((await request(workers.workerB.url, email)).status, 202);
    const { code } = await codeFromMailDir(mailDir, email);
    const replies = await Promise.all(
      Array.from({ length: PARALLEL }, (_, n) =>
        verify(n % 2 === 0 ? workers.workerA.url : workers.workerB.url, email, wrong(code, n)),
      ),
    );
    assert.ok(replies.every((reply) => reply.status === 400 && reply.code === 'EMAIL_CODE_INVALID'));
    const reasons = (await failureReasons()).slice(before);
    assert.equal(reasons.filter((r) => r === 'wrong_code').length, MAX_ATTEMPTS);
    assert.equal(reasons.filter((r) => r === 'attempts_spent').length, PARALLEL - MAX_ATTEMPTS);
    assert.equal((await verify(workers.workerA.url, email, code)).status, 400);
  });

  it('a code asked on one worker is replayed on neither after it signed in on the other', async () => {
    const email = ACCOUNTS[2]!;
    await request(workers.workerA.url, email);
    const { code } = await codeFromMailDir(mailDir, email);
    assert.equal((await verify(workers.workerB.url, email, code)).status, 200);
    assert.equal((await verify(workers.workerA.url, email, code)).code, 'EMAIL_CODE_INVALID');
    assert.equal((await verify(workers.workerB.url, email, code)).code, 'EMAIL_CODE_INVALID');
  });

  it('the link asked on one worker signs in on the other, in the browser that holds the cookie', async () => {
    const email = ACCOUNTS[3]!;
    const requested = await request(workers.workerA.url, email);
    const cookie = requested.headers.getSetCookie().find((line) => line.startsWith(`${EMAIL_CODE_COOKIE}=`));
    assert.ok(cookie, 'the request set the binding cookie');
    const { token } = await codeFromMailDir(mailDir, email);
    const signIn = (url: string) =>
      fetch(`${url}/auth/email-code/link`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          origin: 'https://auth.example.test',
          cookie: cookie.split(';')[0]!,
        },
        body: JSON.stringify({ token }),
        signal: AbortSignal.timeout(5000),
      });
    const [first, second] = await Promise.all([signIn(workers.workerB.url), signIn(workers.workerA.url)]);
    assert.deepEqual([first.status, second.status].sort(), [200, 400]);
  });
});
