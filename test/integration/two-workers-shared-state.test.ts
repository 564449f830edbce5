/**
 * Two real `gatehouse serve` processes in production mode on one PostgreSQL and one Redis, with
 * the same secrets: the state that guards requests (rate-limit counters, single-use markers,
 * revocations) must hold across processes, not per process. Threats: an attacker who spreads
 * password guesses over workers to multiply the budget, a verification link replayed against
 * the worker that did not consume it, and a logged-out token still accepted by another worker.
 *
 * The deployment declares two workers (`GATEHOUSE_WORKERS=2`, so the production topology check
 * demands shared stores for `migrate` and `create-user` too), but each `serve` runs with
 * `--workers 1`: without it each would fork its own cluster of two, and a request to "worker A"
 * could land on either of A's children. One process per port makes "A" and "B" exactly two
 * processes, so every cross-worker assertion below is deterministic, and keeps the file fast.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseMime, textAndHtml } from '../fixtures/mail.ts';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';
import { type JsonReply, jsonCall, productionEnv } from '../fixtures/production-server.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';
import { type ServerProcess, spawnServer } from '../fixtures/spawn-server.ts';

const EMAIL = 'shared-state@example.com';
const PASSWORD = 'amber-Lighthouse-quiet-58';
/** The default `login` slot: 10 per 60 s per address + identifier. */
const LOGIN_LIMIT = 10;
const MAIL_WAIT_MS = 5_000;

type Reply = JsonReply;
const call = (
  worker: ServerProcess,
  method: string,
  path: string,
  options?: { token?: string; body?: unknown },
) => jsonCall(worker.url, method, path, options);

let postgres: PostgresServer;
let redis: RedisServer;
let dataDir = '';
let mailDir = '';
let workerA: ServerProcess;
let workerB: ServerProcess;

/** `remaining` of the `RateLimit` header (`limit=…, remaining=…, reset=…`). */
function remainingOf(reply: Reply): number {
  const match = /remaining=(\d+)/.exec(reply.rateLimit ?? '');
  assert.ok(match?.[1], `no RateLimit header on a ${reply.status}`);
  return Number(match[1]);
}

/** Waits for the one `.eml` addressed to `to` in the mail folder, and returns its text body. */
async function mailTextTo(to: string): Promise<string> {
  const deadline = performance.now() + MAIL_WAIT_MS;
  while (performance.now() < deadline) {
    const names = (await readdir(mailDir).catch(() => [] as string[])).filter((n) => n.endsWith('.eml'));
    for (const name of names) {
      const message = parseMime(await readFile(join(mailDir, name), 'utf8'));
      if (message.headers.get('to')?.includes(to)) {
        const { text } = textAndHtml(message);
        assert.ok(text, 'the message has a text part');
        return text;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`no message to the registered address within ${MAIL_WAIT_MS} ms`);
}

before(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-shared-state-'));
  mailDir = join(dataDir, 'mail');
  const env = await productionEnv({
    postgres,
    redis,
    dataDir,
    users: [{ email: EMAIL, password: PASSWORD }],
    extra: { GATEHOUSE_WORKERS: '2', GATEHOUSE_MAIL_URL: `file://${mailDir}` },
  });
  const args = ['--workers', '1'];
  [workerA, workerB] = await Promise.all([spawnServer({ env, args }), spawnServer({ env, args })]);
});

after(async () => {
  await Promise.all([workerA?.kill(), workerB?.kill()]);
  await Promise.all([postgres?.stop(), redis?.stop()]);
  await rm(dataDir, { recursive: true, force: true });
});

describe('two server processes sharing PostgreSQL and Redis', () => {
  it('workers - should be two single processes on two ports', () => {
    assert.notEqual(workerA.url, workerB.url);
    assert.notEqual(workerA.child.pid, workerB.child.pid);
    for (const worker of [workerA, workerB]) {
      assert.equal(worker.logs().filter((line) => line.msg === 'gatehouse listening').length, 1);
    }
  });

  it('password guessing spread over workers - should spend one shared login budget', async () => {
    // An address nobody registered: the budget counts guesses whether or not the account exists.
    const body = { email: 'guess-target@example.com', password: 'wrong-Password-guess-00' };
    const replies: Reply[] = [];
    for (const worker of [workerA, workerB]) {
      for (let attempt = 0; attempt < 6; attempt++) {
        replies.push(await call(worker, 'POST', '/auth/login', { body }));
      }
    }
    const statuses = replies.map((reply) => reply.status).join(',');
    // One counter for both processes: B's first guess sees what A spent. Per-process counters
    // would restart at 9 on B and let all twelve guesses through to the password check.
    assert.deepEqual(
      replies.map((reply) => remainingOf(reply)),
      [9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0, 0],
      statuses,
    );
    const withinBudget = replies.slice(0, LOGIN_LIMIT);
    const overBudget = replies.slice(LOGIN_LIMIT);
    // Within the budget every guess reached the password check. It answers 401, or 429 once the
    // failed-login lockout (counted per identifier) has locked the address being guessed.
    for (const reply of withinBudget) {
      assert.ok(
        reply.code === 'LOGIN_BAD_CREDENTIALS' || reply.code === 'RATE_LIMITED',
        `a guess within the budget answered ${reply.status} ${reply.code}`,
      );
    }
    assert.equal(withinBudget[0]?.status, 401, 'the first wrong password is a plain 401');
    // Exactly the two guesses past the shared budget are refused by the limiter, which asks
    // for one emission interval (60 s / 10) at most; a lockout asks for a minute or more.
    assert.equal(overBudget.length, 2);
    for (const refused of overBudget) {
      assert.equal(refused.status, 429, statuses);
      assert.equal(refused.code, 'RATE_LIMITED');
      const retryAfter = Number(refused.retryAfter);
      assert.ok(retryAfter >= 1 && retryAfter <= 6, `Retry-After ${refused.retryAfter}`);
    }
    const answered401 = replies.filter((reply) => reply.status === 401).length;
    const lockedOut = withinBudget.filter((reply) => reply.status === 429).length;
    assert.equal(answered401 + lockedOut, LOGIN_LIMIT, statuses);
  });

  it('failures spread over workers - should lock the identifier on both (5 failures in all)', async () => {
    const email = 'spread-guessing@example.com';
    const guesses = [workerA, workerB, workerA, workerB, workerA];
    for (const worker of guesses) {
      const reply = await call(worker, 'POST', '/auth/login', {
        body: { email, password: 'wrong-guess-spread-9' },
      });
      assert.equal(reply.status, 401);
    }
    for (const worker of [workerA, workerB]) {
      const locked = await call(worker, 'POST', '/auth/login', {
        body: { email, password: 'wrong-guess-spread-9' },
      });
      assert.equal(locked.status, 429);
      assert.equal(locked.code, 'RATE_LIMITED');
      // The lockout's minute, not the rate limiter's seconds.
      assert.ok(Number(locked.retryAfter) >= 30, `Retry-After ${locked.retryAfter}`);
    }
  });

  it('verification link replayed on another worker - should be dead once consumed', async () => {
    const email = 'verify-once@example.com';
    const registered = await call(workerA, 'POST', '/auth/register', {
      body: { email, password: 'copper-Meadow-whistle-71' },
    });
    assert.equal(registered.status, 202, JSON.stringify(registered.body));
    const match = /[?&]token=([^\s&]+)/.exec(await mailTextTo(email));
    assert.ok(match?.[1], 'the message holds a link with a token');
    const token = decodeURIComponent(match[1]);

    const consumed = await call(workerA, 'POST', '/auth/verify', { body: { token } });
    assert.equal(consumed.status, 200, JSON.stringify(consumed.body));
    assert.equal((consumed.body?.user as { emailVerified?: boolean } | undefined)?.emailVerified, true);
    const replayed = await call(workerB, 'POST', '/auth/verify', { body: { token } });
    assert.equal(replayed.status, 400);
    assert.equal(replayed.code, 'VERIFY_TOKEN_INVALID');
  });

  it('logout on one worker - should make the access token fail on the other at once', async () => {
    const signedIn = await call(workerA, 'POST', '/auth/login', {
      body: { email: EMAIL, password: PASSWORD },
    });
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    const accessToken = signedIn.body?.accessToken as string;
    assert.equal((await call(workerB, 'GET', '/users/me', { token: accessToken })).status, 200);

    const logout = await call(workerA, 'POST', '/auth/logout', { token: accessToken });
    assert.equal(logout.status, 204);
    const loggedOutAt = performance.now();
    // The very first request after the 204, not a poll until it fails.
    const onB = await call(workerB, 'GET', '/users/me', { token: accessToken });
    assert.ok(performance.now() - loggedOutAt < 1_000);
    assert.equal(onB.status, 401);
    assert.equal(onB.code, 'INVALID_TOKEN');
  });
});
