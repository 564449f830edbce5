/**
 * Two real `gatehouse serve` processes in production mode, sharing one PostgreSQL database and
 * one Redis, with the same secrets: what one worker does to a token or a session, the other
 * must see at once. Threats: a refresh token replayed against another worker to get a second
 * valid pair, and a revoked access token still accepted by the worker that did not revoke it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';
import { jsonCall, productionEnv } from '../fixtures/production-server.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';
import { type ServerProcess, spawnServer } from '../fixtures/spawn-server.ts';

const EMAIL = 'two-workers@example.com';
const PARALLEL_REFRESHES = 50;

interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
}

const call = (
  worker: ServerProcess,
  method: string,
  path: string,
  options?: { token?: string; body?: unknown },
) => jsonCall(worker.url, method, path, options);

let postgres: PostgresServer;
let redis: RedisServer;
let dataDir = '';
let workerA: ServerProcess;
let workerB: ServerProcess;
/** The user's current password (the change-password case replaces it). */
let password = 'amber-Lighthouse-quiet-58';

async function login(worker: ServerProcess): Promise<TokenPair> {
  const reply = await call(worker, 'POST', '/auth/login', { body: { email: EMAIL, password } });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  const { accessToken, refreshToken } = reply.body as unknown as TokenPair;
  return { accessToken, refreshToken };
}

/** The session id (`sid` claim) of an access token; the test reads its own token. */
function sessionIdOf(accessToken: string): string {
  const payload = accessToken.split('.')[1] ?? '';
  return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sid: string }).sid;
}

async function assertTokenDead(worker: ServerProcess, accessToken: string, label: string): Promise<void> {
  const reply = await call(worker, 'GET', '/users/me', { token: accessToken });
  assert.equal(reply.status, 401, `${label}: GET /users/me answered ${reply.status}`);
  assert.equal(reply.code, 'INVALID_TOKEN', label);
}

async function assertRefreshDead(worker: ServerProcess, refreshToken: string, label: string): Promise<void> {
  const reply = await call(worker, 'POST', '/auth/refresh', { body: { refreshToken } });
  assert.equal(reply.status, 401, `${label}: POST /auth/refresh answered ${reply.status}`);
  assert.equal(reply.code, 'REFRESH_TOKEN_INVALID', label);
}

async function assertTokenLive(worker: ServerProcess, accessToken: string, label: string): Promise<void> {
  const reply = await call(worker, 'GET', '/users/me', { token: accessToken });
  assert.equal(reply.status, 200, `${label}: GET /users/me answered ${reply.status}`);
  assert.equal((reply.body?.user as { email?: string } | undefined)?.email, EMAIL);
}

before(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-two-workers-'));
  const env = await productionEnv({
    postgres,
    redis,
    dataDir,
    users: [{ email: EMAIL, password }],
    extra: { GATEHOUSE_WORKERS: '2' },
  });
  // One process each (the topology still declares two workers): exactly two processes share state.
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

describe('two workers sharing PostgreSQL and Redis', () => {
  it('workers - should be two processes on two ports', () => {
    assert.notEqual(workerA.url, workerB.url);
    assert.notEqual(workerA.child.pid, workerB.child.pid);
  });

  it(`refresh token raced across workers - ${PARALLEL_REFRESHES} parallel refreshes should give exactly one new pair`, async () => {
    const session = await login(workerA);
    const replies = await Promise.all(
      Array.from({ length: PARALLEL_REFRESHES }, (_, index) =>
        call(index % 2 === 0 ? workerA : workerB, 'POST', '/auth/refresh', {
          body: { refreshToken: session.refreshToken },
        }),
      ),
    );
    const winners = replies.filter((reply) => reply.status === 200);
    assert.equal(winners.length, 1, `statuses: ${replies.map((reply) => reply.status).join(',')}`);
    const losers = replies.filter((reply) => reply.status !== 200);
    assert.equal(losers.length, PARALLEL_REFRESHES - 1);
    for (const loser of losers) {
      assert.equal(loser.status, 401);
      assert.equal(loser.code, 'REFRESH_TOKEN_INVALID');
    }
    // Presenting a rotated token is reuse: the whole session dies, the winner's pair included.
    const winner = winners[0]?.body as unknown as TokenPair;
    assert.notEqual(winner.refreshToken, session.refreshToken);
    for (const worker of [workerA, workerB]) {
      await assertTokenDead(worker, session.accessToken, 'the original access token');
      await assertTokenDead(worker, winner.accessToken, "the winner's access token");
    }
    await assertRefreshDead(workerB, winner.refreshToken, "the winner's refresh token");
  });

  it('logout on A - should make the access token fail on B at once', async () => {
    const session = await login(workerA);
    await assertTokenLive(workerB, session.accessToken, 'before logout');
    const logout = await call(workerA, 'POST', '/auth/logout', { token: session.accessToken });
    assert.equal(logout.status, 204);
    await assertTokenDead(workerB, session.accessToken, 'after logout on A');
    await assertTokenDead(workerA, session.accessToken, 'after logout on A');
    await assertRefreshDead(workerB, session.refreshToken, 'after logout on A');
  });

  it("session revoked through B's DELETE /users/me/sessions/:id - should be dead on A", async () => {
    const target = await login(workerA);
    const other = await login(workerA);
    await assertTokenLive(workerA, target.accessToken, 'before revocation');
    const targetId = sessionIdOf(target.accessToken);

    const listed = await call(workerB, 'GET', '/users/me/sessions', { token: other.accessToken });
    assert.equal(listed.status, 200);
    const sessions = listed.body?.sessions as { id: string; current: boolean }[];
    assert.ok(sessions.some((session) => session.id === targetId && !session.current));

    const revoked = await call(workerB, 'DELETE', `/users/me/sessions/${targetId}`, {
      token: other.accessToken,
    });
    assert.equal(revoked.status, 204);
    await assertTokenDead(workerA, target.accessToken, 'revoked session on A');
    await assertRefreshDead(workerA, target.refreshToken, 'revoked session on A');
    await assertTokenLive(workerA, other.accessToken, 'the session that revoked it');
  });

  it('change-password on B - should revoke a session created on A, keeping the current one', async () => {
    const onA = await login(workerA);
    const onB = await login(workerB);
    await assertTokenLive(workerA, onA.accessToken, 'before the change');
    const newPassword = 'copper-Meadow-whistle-71';
    const changed = await call(workerB, 'POST', '/users/me/change-password', {
      token: onB.accessToken,
      body: { currentPassword: password, newPassword },
    });
    assert.equal(changed.status, 204, JSON.stringify(changed.body));
    password = newPassword;
    await assertTokenDead(workerA, onA.accessToken, 'the session on A');
    await assertRefreshDead(workerA, onA.refreshToken, 'the session on A');
    await assertTokenLive(workerA, onB.accessToken, 'the session that changed the password');
    await login(workerA);
  });
});
