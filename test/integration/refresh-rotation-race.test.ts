/**
 * Threat: a stolen refresh token raced against its owner's (or simply two tabs refreshing at
 * once). However many callers present the same digest at the same moment, exactly one may
 * rotate it; every other caller must learn it was reused (so the session is revoked), never
 * get a second valid token and never see "invalid" (which would hide the replay).
 *
 * Proven with 50 concurrent rotations: in one process on SQLite and on PostgreSQL (a pool of
 * 10 connections, so statements really overlap), and across two Node processes, each with its
 * own pool, sharing one PostgreSQL database.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Repositories, RotateResult } from '../../src/stores/repositories.ts';
import type { Database } from '../../src/stores/sql/database.ts';
import { createSqlRepositories, migrateUp, openDatabase } from '../../src/stores/sql/index.ts';
import { forEachDialect } from '../fixtures/databases.ts';
import { type LineWorker, startLineWorker } from '../fixtures/line-worker.ts';

const CALLERS = 50;
const ROUNDS = 3;
const POOL_SIZE = 10;
const WORKERS = 2;
const WORKER = fileURLToPath(new URL('../fixtures/rotation-worker.ts', import.meta.url));
const WORKER_TIMEOUT_MS = 15_000;

interface Attempt {
  readonly outcome: RotateResult['outcome'] | 'error';
  readonly next: string;
  readonly message?: string;
}

/** Creates a user with one live session whose current digest is `digest`. */
async function sessionWithDigest(repositories: Repositories, digest: string): Promise<string> {
  const now = Date.now();
  const userId = `user-${digest}`;
  const sessionId = `session-${digest}`;
  await repositories.users.create({
    id: userId,
    email: `${userId}@example.com`,
    passwordHash: null,
    securityStamp: 'stamp',
    now,
  });
  await repositories.sessions.create({
    id: sessionId,
    userId,
    kind: 'bearer',
    tokenDigest: digest,
    now,
    idleExpiresAt: now + 60 * 60_000,
    absoluteExpiresAt: now + 24 * 60 * 60_000,
    ipHash: null,
    userAgent: null,
    authMethods: ['pwd'],
  });
  return sessionId;
}

/**
 * Checks one round: one winner, every other caller told "reused", the winner's next digest is
 * the session's current one, and the presented digest is recorded as consumed exactly once.
 * Returns the winner's next digest (the next round presents it).
 */
async function assertOneWinner(
  database: Database,
  sessionId: string,
  presented: string,
  attempts: readonly Attempt[],
): Promise<string> {
  assert.equal(attempts.length, CALLERS);
  const failures = attempts.filter((attempt) => attempt.outcome === 'error');
  assert.deepEqual(failures, [], 'no rotation failed');
  const winners = attempts.filter((attempt) => attempt.outcome === 'rotated');
  assert.equal(winners.length, 1, `exactly one rotation wins (got ${winners.length})`);
  assert.equal(
    attempts.filter((attempt) => attempt.outcome === 'reused').length,
    CALLERS - 1,
    'every loser sees a reuse, none sees invalid',
  );
  const winner = winners[0] as Attempt;

  const row = await database.db
    .selectFrom('sessions')
    .select(['refresh_digest', 'revoked_at'])
    .where('id', '=', sessionId)
    .executeTakeFirst();
  assert.equal(row?.refresh_digest, winner.next, "the session's digest is the winner's next digest");
  assert.equal(row?.revoked_at, null);
  const consumed = await database.db
    .selectFrom('session_consumed_digests')
    .select(['digest', 'session_id'])
    .where('digest', '=', presented)
    .execute();
  assert.deepEqual(consumed, [{ digest: presented, session_id: sessionId }]);
  return winner.next;
}

/** Fires `CALLERS` rotations of one digest at once, in this process. */
async function raceInProcess(
  repositories: Repositories,
  sessionId: string,
  presented: string,
  round: number,
) {
  const now = Date.now();
  return Promise.all(
    Array.from({ length: CALLERS }, async (_, index): Promise<Attempt> => {
      const next = `local-${round}-${index}`;
      try {
        const result = await repositories.sessions.rotate(sessionId, presented, next, {
          now,
          idleExpiresAt: now + 60_000,
        });
        return { outcome: result.outcome, next };
      } catch (error) {
        return { outcome: 'error', next, message: String(error) };
      }
    }),
  );
}

type WorkerProcess = LineWorker;
const startWorker = (args: readonly string[]): WorkerProcess =>
  startLineWorker(WORKER, args, {
    timeoutMs: WORKER_TIMEOUT_MS,
    nodeArgs: ['--disable-warning=ExperimentalWarning'],
  });

forEachDialect((target) => {
  it('rotate - should let exactly one of 50 concurrent callers rotate, the rest see reused', async () => {
    const database = await target.open({ file: true, poolSize: POOL_SIZE });
    await migrateUp(database);
    const repositories = createSqlRepositories(database);
    if (target.dialect === 'postgres') {
      // Open every pooled connection first, so the calls overlap instead of queueing on connects.
      await Promise.all(
        Array.from({ length: POOL_SIZE }, () => sql`select pg_sleep(0.05)`.execute(database.db)),
      );
    }
    // node:sqlite is synchronous and Kysely serialises its one connection, so on SQLite the
    // calls interleave only at await points; the guarantee must hold all the same.
    let presented = `first-${target.dialect}`;
    const sessionId = await sessionWithDigest(repositories, presented);
    for (let round = 1; round <= ROUNDS; round++) {
      const attempts = await raceInProcess(repositories, sessionId, presented, round);
      presented = await assertOneWinner(database, sessionId, presented, attempts);
    }
  });

  if (target.dialect === 'postgres') {
    it('rotate - should let exactly one of 50 callers in two processes sharing PostgreSQL rotate', async () => {
      const url = await target.freshUrl();
      const database = await openDatabase({ url });
      const workers: WorkerProcess[] = [];
      try {
        await migrateUp(database);
        const repositories = createSqlRepositories(database);
        let presented = 'first-multiprocess';
        const sessionId = await sessionWithDigest(repositories, presented);

        for (let index = 0; index < WORKERS; index++) {
          workers.push(startWorker([url, `worker${index}`, String(CALLERS / WORKERS), String(POOL_SIZE)]));
        }
        for (const worker of workers) assert.equal(await worker.nextLine(), 'ready');

        for (let round = 1; round <= ROUNDS; round++) {
          // The shared start signal: written to every worker back to back.
          for (const worker of workers) worker.child.stdin.write(`go ${sessionId} ${presented} ${round}\n`);
          const perWorker = await Promise.all(
            workers.map(async (worker) => JSON.parse(await worker.nextLine()) as Attempt[]),
          );
          for (const attempts of perWorker) assert.equal(attempts.length, CALLERS / WORKERS);
          presented = await assertOneWinner(database, sessionId, presented, perWorker.flat());
        }
      } finally {
        for (const worker of workers) {
          worker.child.stdin.end();
          worker.child.kill();
        }
        await database.close();
      }
    });
  }
});
