/**
 * Threat: a second factor that holds on one worker but not across the fleet. A code shoulder-
 * surfed or phished in transit is sent to two workers at once, each with its own pending login,
 * hoping each worker checks only its own memory; one recovery code is fired at every worker in
 * parallel, hoping to sign in more than once; wrong guesses are spread over two workers so that
 * neither sees enough of them to lock.
 *
 * Two real `gatehouse serve` processes in production mode share one PostgreSQL database and one
 * Redis, with the same secrets. Users enroll over HTTP; their codes are computed with our RFC
 * 6238 implementation from the secret the server returned.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';
import { type JsonReply, jsonCall, productionEnv } from '../fixtures/production-server.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';
import { type ServerProcess, spawnServer } from '../fixtures/spawn-server.ts';
import {
  codeOfStep,
  enrollOverHttp,
  pendingLoginOverHttp,
  type ServerTwoFactorUser,
  wrongCode,
} from '../fixtures/two-factor.ts';

/** One account per case, so no case's attempt budget or used steps leak into another. */
const REPLAY_USER = { email: 'replay-owner@example.com', password: 'willow-Compass-ember-64' };
const RECOVERY_USER = { email: 'recovery-owner@example.com', password: 'harbor-Lantern-quartz-81' };
const LOCK_USER = { email: 'lock-owner@example.com', password: 'meadow-Falcon-tundra-37' };

let postgres: PostgresServer;
let redis: RedisServer;
let dataDir = '';
let mailDir = '';
let workerA: ServerProcess;
let workerB: ServerProcess;

const codeAt = (user: ServerTwoFactorUser, step: number): string => codeOfStep(user.seed, step);

/** The servers run on real time, so wrong guesses are computed against it too. */
const WALL_CLOCK = { now: () => Date.now() };

function expectProblem(reply: JsonReply, status: number, code: string, label: string): void {
  assert.equal(reply.status, status, `${label}: ${JSON.stringify(reply.body)}`);
  assert.equal(reply.code, code, label);
}

/** Signs in with the password only (before 2FA) and enrolls: enable, then confirm with a code. */
const enrollTwoFactor = (worker: ServerProcess, account: { email: string; password: string }) =>
  enrollOverHttp(worker.url, account);

/** POST /auth/login for a 2FA user: the password earns a pending token and nothing else. */
const pendingLogin = (worker: ServerProcess, user: ServerTwoFactorUser): Promise<string> =>
  pendingLoginOverHttp(worker.url, user);

function verify(worker: ServerProcess, pendingToken: string, code: string): Promise<JsonReply> {
  return jsonCall(worker.url, 'POST', '/auth/2fa/verify', { body: { pendingToken, code } });
}

/** The access token a finished login answered works on both workers. */
async function assertSignedIn(reply: JsonReply, email: string): Promise<void> {
  const token = String(reply.body?.accessToken);
  for (const worker of [workerA, workerB]) {
    const me = await jsonCall(worker.url, 'GET', '/users/me', { token });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal((me.body?.user as { email?: string } | undefined)?.email, email);
  }
}

/** Messages written by the file mail transport to `to` whose text matches `pattern`. */
async function mailsTo(to: string, pattern: RegExp): Promise<number> {
  const names = (await readdir(mailDir).catch(() => [] as string[])).filter((name) => name.endsWith('.eml'));
  let count = 0;
  for (const name of names) {
    // Unfold header lines, so a long subject split over two lines still matches.
    const text = (await readFile(join(mailDir, name), 'utf8')).replace(/\r?\n[ \t]+/g, ' ');
    if (text.includes(to) && pattern.test(text)) count++;
  }
  return count;
}

/** Mail goes out in the background: wait for `expected` messages, then check no more came. */
async function settledMailCount(to: string, pattern: RegExp, expected: number): Promise<number> {
  const deadline = Date.now() + 3_000;
  while ((await mailsTo(to, pattern)) < expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  // A second notice (a second winner) would be written about as fast as the first.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return mailsTo(to, pattern);
}

before(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-totp-workers-'));
  mailDir = join(dataDir, 'mail');
  const env = await productionEnv({
    postgres,
    redis,
    dataDir,
    users: [REPLAY_USER, RECOVERY_USER, LOCK_USER],
    extra: { GATEHOUSE_WORKERS: '2', GATEHOUSE_MAIL_URL: `file://${mailDir}` },
  });
  [workerA, workerB] = await Promise.all([
    spawnServer({ env, args: ['--workers', '1'] }),
    spawnServer({ env, args: ['--workers', '1'] }),
  ]);
});

after(async () => {
  await Promise.all([workerA?.kill(), workerB?.kill()]);
  await Promise.all([postgres?.stop(), redis?.stop()]);
  await rm(dataDir, { recursive: true, force: true });
});

describe('two-factor codes across two workers', () => {
  it('workers - should be two processes on two ports', () => {
    assert.notEqual(workerA.url, workerB.url);
    assert.notEqual(workerA.child.pid, workerB.child.pid);
  });

  it('same TOTP code sent to A and B at the same moment - should sign in exactly once, the other 400 TWO_FACTOR_CODE_INVALID', async () => {
    const user = await enrollTwoFactor(workerA, REPLAY_USER);
    const [onA, onB] = await Promise.all([pendingLogin(workerA, user), pendingLogin(workerB, user)]);
    // The step after the confirming one: unused, and inside the window for the next 30 s at least.
    const code = codeAt(user, user.confirmedStep + 1);

    const replies = await Promise.all([verify(workerA, onA, code), verify(workerB, onB, code)]);
    const winners = replies.filter((reply) => reply.status === 200);
    const losers = replies.filter((reply) => reply.status !== 200);
    assert.equal(winners.length, 1, `exactly one 200: ${replies.map((r) => r.status).join(', ')}`);
    expectProblem(losers[0] as JsonReply, 400, 'TWO_FACTOR_CODE_INVALID', 'the replay');
    await assertSignedIn(winners[0] as JsonReply, user.email);

    // Later, on either worker, with a new login: still a replay.
    for (const worker of [workerA, workerB]) {
      const again = await verify(worker, await pendingLogin(worker, user), code);
      expectProblem(again, 400, 'TWO_FACTOR_CODE_INVALID', 'the code replayed later');
    }

    // The refused code did not use up the losing login: it still finishes with a recovery code.
    const loserToken = replies[0]?.status === 200 ? onB : onA;
    const loserWorker = replies[0]?.status === 200 ? workerB : workerA;
    const finished = await verify(loserWorker, loserToken, user.recoveryCodes[0] as string);
    assert.equal(finished.status, 200, JSON.stringify(finished.body));
  });

  it('one recovery code fired at both workers in parallel - should have exactly one winner and mail the owner once', async () => {
    const user = await enrollTwoFactor(workerB, RECOVERY_USER);
    const logins = await Promise.all(
      [workerA, workerB, workerA, workerB].map(async (worker) => ({
        worker,
        pendingToken: await pendingLogin(worker, user),
      })),
    );
    const recoveryCode = user.recoveryCodes[3] as string;

    const replies = await Promise.all(
      logins.map(({ worker, pendingToken }) => verify(worker, pendingToken, recoveryCode)),
    );
    const statuses = replies.map((reply) => reply.status);
    assert.equal(statuses.filter((status) => status === 200).length, 1, `one winner: ${statuses.join(', ')}`);
    for (const reply of replies.filter((r) => r.status !== 200)) {
      expectProblem(reply, 400, 'TWO_FACTOR_CODE_INVALID', 'a used recovery code');
    }
    await assertSignedIn(replies.find((reply) => reply.status === 200) as JsonReply, user.email);
    assert.equal(
      await settledMailCount(user.email, /recovery code was used/, 1),
      1,
      'one use, one notice to the owner',
    );

    // Spent everywhere: a new login on either worker cannot use it again, while another code works.
    const spent = await verify(workerA, await pendingLogin(workerA, user), recoveryCode);
    expectProblem(spent, 400, 'TWO_FACTOR_CODE_INVALID', 'the spent recovery code');
    const other = await verify(workerB, await pendingLogin(workerB, user), user.recoveryCodes[4] as string);
    assert.equal(other.status, 200, JSON.stringify(other.body));
  });

  it('wrong codes spread over A and B - should count toward one 2FA lock that B enforces, across new logins', async () => {
    const user = await enrollTwoFactor(workerA, LOCK_USER);
    // The default policy: five failures lock. Four on A, each answered like any wrong code.
    const onA = await pendingLogin(workerA, user);
    for (let i = 0; i < 4; i++) {
      expectProblem(
        await verify(workerA, onA, wrongCode(WALL_CLOCK, user.seed)),
        400,
        'TWO_FACTOR_CODE_INVALID',
        `A #${i + 1}`,
      );
    }
    // B has seen one failure only; with A's four it is the fifth, which locks.
    const onB = await pendingLogin(workerB, user);
    expectProblem(
      await verify(workerB, onB, wrongCode(WALL_CLOCK, user.seed)),
      400,
      'TWO_FACTOR_CODE_INVALID',
      'B #1',
    );

    // Even the right code is refused now, on B, and on a fresh login on either worker.
    const rightCode = codeAt(user, user.confirmedStep + 1);
    const lockedOnB = await verify(workerB, onB, rightCode);
    expectProblem(lockedOnB, 429, 'RATE_LIMITED', 'the right code on B while locked');
    assert.match(lockedOnB.retryAfter ?? '', /^\d+$/);
    assert.ok(Number(lockedOnB.retryAfter) >= 1);
    for (const worker of [workerA, workerB]) {
      const fresh = await verify(worker, await pendingLogin(worker, user), rightCode);
      expectProblem(fresh, 429, 'RATE_LIMITED', 'the right code on a new login while locked');
    }
    // A recovery code shares the budget: no way around the lock either.
    const recovery = await verify(
      workerA,
      await pendingLogin(workerA, user),
      user.recoveryCodes[0] as string,
    );
    expectProblem(recovery, 429, 'RATE_LIMITED', 'a recovery code while locked');
  });
});
