/**
 * Two real `gatehouse serve` processes in production mode sharing PostgreSQL and a Redis that
 * keeps nothing on disk. Threat: Redis loses its data while both serve, and a logged-out access
 * token is accepted again by either of them. Invariant: after `FLUSHALL`, a burst of parallel
 * requests on both processes (which race to rebuild the denylist from SQL) refuses the revoked
 * token every time and accepts a live one; start-up and `gatehouse doctor` warn that Redis has
 * persistence off, say "unknown" when CONFIG is forbidden, and stay quiet once AOF is on.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { completenessMarkerKey, revocationGroupOf } from '../../src/features/sessions/revocation-keys.ts';
import { jsonCall, startTwoWorkers, type TwoWorkers } from '../fixtures/production-server.ts';
import type { RedisServer } from '../fixtures/redis-server.ts';
import { runGatehouse, type ServerProcess } from '../fixtures/spawn-server.ts';

const USERS = [
  { email: 'leaving@example.com', password: 'amber-Lighthouse-quiet-58' },
  { email: 'staying@example.com', password: 'cobalt-Harbour-early-91' },
];
/** Requests per process fired at once right after the flush. */
const BURST = 10;

let workers: TwoWorkers;
let redis: RedisServer;
let raw: Redis;
let env: Readonly<Record<string, string>>;
let workerA: ServerProcess;
let workerB: ServerProcess;

before(async () => {
  workers = await startTwoWorkers({ users: USERS });
  ({ workerA, workerB, env, redis } = workers);
  raw = new Redis(redis.url);
});

after(async () => {
  raw?.disconnect();
  await workers?.stop();
});

async function login(worker: ServerProcess, user: (typeof USERS)[number]): Promise<string> {
  const reply = await jsonCall(worker.url, 'POST', '/auth/login', { body: user });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return String(reply.body?.accessToken);
}

const me = (worker: ServerProcess, token: string) => jsonCall(worker.url, 'GET', '/users/me', { token });

async function doctorWarnings(redisUrl: string): Promise<string[]> {
  const run = await runGatehouse(['doctor'], { env: { ...env, GATEHOUSE_REDIS_URL: redisUrl } });
  return run.stdout
    .split('\n')
    .filter((line) => line.startsWith('warning REDIS_PERSISTENCE'))
    .map((line) => line.split(':')[0] as string);
}

describe('two processes, Redis loses its data', () => {
  it('FLUSHALL while both serve - should refuse the logged-out token on both, in a parallel burst, and accept a live one', async () => {
    const leaving = await login(workerA, USERS[0]!);
    const staying = await login(workerB, USERS[1]!);
    for (const worker of [workerA, workerB]) assert.equal((await me(worker, leaving)).status, 200);
    assert.equal((await jsonCall(workerA.url, 'POST', '/auth/logout', { token: leaving })).status, 204);
    for (const worker of [workerA, workerB]) assert.equal((await me(worker, leaving)).status, 401);

    await raw.flushall();
    const burst = await Promise.all(
      [workerA, workerB].flatMap((worker) =>
        Array.from({ length: BURST }, (_, i) => me(worker, i % 2 === 0 ? leaving : staying)),
      ),
    );
    const statuses = burst.map((reply, i) => `${i % 2 === 0 ? 'revoked' : 'live'}:${reply.status}`);
    burst.forEach((reply, i) => {
      assert.equal(reply.status, i % 2 === 0 ? 401 : 200, statuses.join(','));
    });
    // The marker of the logged-out user's group (every group was rebuilt after the flush).
    const userId = JSON.parse(Buffer.from(leaving.split('.')[1] ?? '', 'base64url').toString()).sub;
    assert.match(
      String(await raw.get(`gh:deny:${completenessMarkerKey(revocationGroupOf(userId))}`)),
      /^complete:/,
    );
  });
});

describe('start-up and doctor: Redis persistence', () => {
  it('a Redis without AOF or RDB save points - should be warned about on start and by doctor', async () => {
    const warning = workerA.logs().find((line) => line.code === 'REDIS_PERSISTENCE_OFF');
    assert.ok(warning, 'no REDIS_PERSISTENCE_OFF warning logged on start');
    assert.equal(warning.level, 40);
    assert.deepEqual(await doctorWarnings(redis.url), ['warning REDIS_PERSISTENCE_OFF']);
  });

  it('CONFIG forbidden to the user - should say unknown, or on when INFO shows AOF', async () => {
    await raw.call('ACL', 'SETUSER', 'limited', 'on', '>limited-pass', '~*', '&*', '+@all', '-config');
    const limited = `redis://limited:limited-pass@127.0.0.1:${redis.port}`;
    assert.deepEqual(await doctorWarnings(limited), ['warning REDIS_PERSISTENCE_UNKNOWN']);
    await raw.config('SET', 'appendonly', 'yes');
    try {
      assert.deepEqual(await doctorWarnings(limited), []);
      assert.deepEqual(await doctorWarnings(redis.url), []);
    } finally {
      await raw.config('SET', 'appendonly', 'no');
    }
  });
});
