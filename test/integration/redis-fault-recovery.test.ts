/**
 * One real `gatehouse serve` process in production mode (PostgreSQL + Redis) while its Redis
 * dies, comes back empty, hangs and resumes. Threats: a Redis outage turned into a bypass (a
 * request that should have been rate limited or checked against the denylist answered 200), a
 * request that hangs instead of failing, a write left half done (a refresh token rotated in SQL
 * whose answer never reached the client), and a server that needs a restart to serve again.
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

const EMAIL = 'fault-recovery@example.com';
const PASSWORD = 'amber-Lighthouse-quiet-58';
/** What "promptly" means for a refusal: the store's command budget (500 ms) plus slack. */
const PROMPT_MS = 1_000;
/** A request still unanswered after this long is a hang. */
const HANG_MS = 5_000;
/** ioredis redials at most 2 s apart; recovery gets that, a retry and some slack. */
const RECOVERY_MS = 8_000;

interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
}

const call = (method: string, path: string, options?: { token?: string; body?: unknown }) =>
  jsonCall(server.url, method, path, { ...options, timeoutMs: HANG_MS });

let postgres: PostgresServer;
let redis: RedisServer;
let dataDir = '';
let server: ServerProcess;

async function login(): Promise<TokenPair> {
  const reply = await call('POST', '/auth/login', { body: { email: EMAIL, password: PASSWORD } });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  const { accessToken, refreshToken } = reply.body as unknown as TokenPair;
  return { accessToken, refreshToken };
}

/**
 * Sends every request that needs Redis, all at once, and checks that each is refused promptly
 * with 503 and `Retry-After`, while the liveness probe (which touches no store) stays 200.
 */
async function assertRefusedWithoutRedis(session: TokenPair, label: string): Promise<void> {
  const [loginReply, me, refresh, logout, ready, health] = await Promise.all([
    call('POST', '/auth/login', { body: { email: EMAIL, password: PASSWORD } }),
    call('GET', '/users/me', { token: session.accessToken }),
    call('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } }),
    call('POST', '/auth/logout', { token: session.accessToken }),
    call('GET', '/ready'),
    call('GET', '/health'),
  ]);
  const refused = { 'POST /auth/login': loginReply, 'GET /users/me': me, 'POST /auth/refresh': refresh };
  for (const [route, reply] of Object.entries({ ...refused, 'POST /auth/logout': logout })) {
    assert.equal(reply.status, 503, `${label}: ${route} answered ${reply.status}`);
    assert.equal(reply.code, 'SERVICE_UNAVAILABLE', `${label}: ${route}`);
    assert.match(reply.retryAfter ?? '', /^[1-9]\d*$/, `${label}: ${route} Retry-After`);
    assert.ok(reply.elapsedMs < PROMPT_MS, `${label}: ${route} took ${Math.round(reply.elapsedMs)} ms`);
  }
  assert.equal(ready.status, 503, `${label}: GET /ready answered ${ready.status}`);
  assert.match(ready.retryAfter ?? '', /^[1-9]\d*$/, `${label}: GET /ready Retry-After`);
  assert.equal((ready.body?.checks as Record<string, string> | undefined)?.stores, 'failed', label);
  assert.equal(health.status, 200, `${label}: GET /health answered ${health.status}`);
}

/** Polls `GET /ready` until it answers 200; fails when it does not within {@link RECOVERY_MS}. */
async function waitUntilReady(label: string): Promise<void> {
  const deadline = performance.now() + RECOVERY_MS;
  let last = 0;
  while (performance.now() < deadline) {
    last = (await call('GET', '/ready')).status;
    if (last === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`${label}: GET /ready still answered ${last} after ${RECOVERY_MS} ms`);
}

/** The server serves again: a new login works, and a session from before still refreshes. */
async function assertRecovered(earlier: TokenPair, label: string): Promise<TokenPair> {
  await waitUntilReady(label);
  const fresh = await login();
  const me = await call('GET', '/users/me', { token: fresh.accessToken });
  assert.equal(me.status, 200, `${label}: GET /users/me answered ${me.status}`);
  assert.equal((me.body?.user as { email?: string } | undefined)?.email, EMAIL, label);
  // The refusals above never reached SQL: the refresh token presented during the outage was not
  // rotated (a rotated one would now be reuse, 401) and the logout did not revoke the session.
  const refreshed = await call('POST', '/auth/refresh', { body: { refreshToken: earlier.refreshToken } });
  assert.equal(
    refreshed.status,
    200,
    `${label}: refresh of an earlier session: ${JSON.stringify(refreshed.body)}`,
  );
  return refreshed.body as unknown as TokenPair;
}

/** Ids of the user's live sessions, read through a session of the user. */
async function liveSessionIds(token: string): Promise<string[]> {
  const listed = await call('GET', '/users/me/sessions', { token });
  assert.equal(listed.status, 200);
  const sessions = (listed.body?.sessions ?? []) as { id: string }[];
  return sessions.map((session) => session.id).sort();
}

before(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-redis-faults-'));
  const env = await productionEnv({
    postgres,
    redis,
    dataDir,
    users: [{ email: EMAIL, password: PASSWORD }],
  });
  server = await spawnServer({ env });
});

after(async () => {
  await server?.kill();
  await Promise.all([postgres?.stop(), redis?.stop()]);
  await rm(dataDir, { recursive: true, force: true });
});

describe('a production server whose Redis fails', () => {
  it('Redis outage bypass - a killed Redis should turn every route that needs it into a prompt 503, then recover without a restart', async () => {
    const before = await login();
    const sessionsBefore = await liveSessionIds(before.accessToken);

    await redis.kill();
    await assertRefusedWithoutRedis(before, 'Redis killed');
    // Still refused on a second pass: no request slips through once the first ones failed.
    await assertRefusedWithoutRedis(before, 'Redis killed, second pass');

    // A fresh, empty Redis on the same port: the denylist and counters are gone, which is the
    // documented cost of losing Redis; SQL (users, sessions) is the source of truth.
    await redis.restart();
    const rotated = await assertRecovered(before, 'after restart');
    const sessionsAfter = await liveSessionIds(rotated.accessToken);
    // The refused logins created no session; the one login after recovery did.
    assert.equal(sessionsAfter.length, sessionsBefore.length + 1);
    for (const id of sessionsBefore) assert.ok(sessionsAfter.includes(id), 'a session from before survived');
    assert.equal(server.child.exitCode, null, 'the server process kept running');
  });

  it('Redis hang - a frozen Redis should answer 503 within the command timeout, then recover after thaw', async () => {
    const before = await login();
    redis.freeze();
    try {
      await assertRefusedWithoutRedis(before, 'Redis frozen');
    } finally {
      redis.thaw();
    }
    await assertRecovered(before, 'after thaw');
    assert.equal(server.child.exitCode, null, 'the server process kept running');
  });
});
