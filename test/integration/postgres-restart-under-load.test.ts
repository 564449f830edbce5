/**
 * A PostgreSQL outage never takes the server down. `gatehouse serve --workers 2` in production
 * (PostgreSQL + Redis) under a mixed load of sign-ins, refreshes, authenticated reads and
 * registrations while PostgreSQL is fast-stopped (`pg_ctl -m fast stop`, which terminates
 * connections checked out of the pool) and started again, twice; and servers started while
 * PostgreSQL is down.
 *
 * Invariants: no worker dies; every answer is a 2xx, an expected 401, or a 503 with
 * `Retry-After` (never a 500, a reset connection or a hang); the service answers 2xx again
 * within seconds of PostgreSQL returning, without a restart; every row a request was told was
 * written (a 2xx) is in the database afterwards. A server whose database is unreachable at
 * start stays up with `/health` 200 and `/ready` 503, and becomes ready by itself.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';
import { productionEnv } from '../fixtures/production-server.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';
import { runGatehouse, type ServerProcess, spawnServer } from '../fixtures/spawn-server.ts';

const PASSWORD = 'amber-Lighthouse-quiet-58';
/** Concurrent clients of the load, each with its own account. */
const CLIENTS = 6;
const USERS = Array.from({ length: CLIENTS }, (_, i) => ({
  email: `load-${i}@example.com`,
  password: PASSWORD,
}));
/** A request unanswered after this long is a hang. */
const HANG_MS = 8_000;
/** Each client stops after this many iterations even if the test has not told it to. */
const MAX_ITERATIONS = 400;
const OUTAGE_MS = 2_500;
const STEADY_MS = 1_500;
/** "Within a few seconds of the database returning." */
const RECOVERY_LIMIT_MS = 5_000;
/** Answers a client may get besides 2xx and 503: a refresh token whose rotation committed
 * while its answer was lost (outcome unknown) is then reused, which revokes the session. */
const EXPECTED_4XX = new Set([401]);

let postgres: PostgresServer;
let redis: RedisServer;
let dataDir = '';
let mailDir = '';

/** One answer, or the transport failure in its place. */
interface Outcome {
  readonly status: number | 'socket-error' | 'timeout';
  readonly retryAfter: string | null;
  readonly body: Record<string, unknown> | null;
  readonly route: string;
}

let forwardedCounter = 0;
/** A fresh client address per request (one trusted proxy hop), so no rate limit is reached. */
function nextClientAddress(): string {
  forwardedCounter++;
  return `10.${(forwardedCounter >> 16) & 255}.${(forwardedCounter >> 8) & 255}.${forwardedCounter & 255}`;
}

async function send(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<Outcome> {
  const headers: Record<string, string> = { 'x-forwarded-for': nextClientAddress() };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const route = `${method} ${path}`;
  try {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      signal: AbortSignal.timeout(HANG_MS),
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
      route,
    };
  } catch (error) {
    const name = (error as { name?: string }).name;
    return {
      status: name === 'TimeoutError' ? 'timeout' : 'socket-error',
      retryAfter: null,
      body: null,
      route,
    };
  }
}

/** GET on a fresh connection, so the primary hands it to either worker. */
function getOnNewConnection(url: string): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, timeout: HANG_MS }, (response) => {
      response.resume();
      response.once('end', () =>
        resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] }),
      );
    });
    request.once('timeout', () => request.destroy(new Error('timeout')));
    request.once('error', reject);
  });
}

/** Polls `/ready` on fresh connections until `streak` answers in a row are 200; returns the wait. */
async function untilReady(url: string, limitMs: number, streak = 4): Promise<number> {
  const started = performance.now();
  let inARow = 0;
  let last = 0;
  while (performance.now() - started < limitMs) {
    last = (await getOnNewConnection(`${url}/ready`)).status;
    inARow = last === 200 ? inARow + 1 : 0;
    if (inARow >= streak) return performance.now() - started;
    if (last !== 200) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`/ready still answered ${last} ${Math.round(limitMs)} ms after PostgreSQL returned`);
}

function accessTokenSessionId(accessToken: string): string {
  const payload = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8'));
  return payload.sid as string;
}

function listeningWorkerPids(server: ServerProcess): number[] {
  return server
    .logs()
    .filter((line) => line.msg === 'gatehouse listening')
    .map((line) => line.pid as number)
    .sort();
}

function sharedEnv(): Record<string, string> {
  return {
    GATEHOUSE_TRUSTED_PROXY_HOPS: '1',
    GATEHOUSE_MAIL_URL: `file://${mailDir}`,
    GATEHOUSE_LOG_LEVEL: 'info',
    GATEHOUSE_SHUTDOWN_GRACE_MS: '2000',
  };
}

before(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-pg-restart-'));
  mailDir = await mkdtemp(join(tmpdir(), 'gatehouse-pg-restart-mail-'));
});

after(async () => {
  await Promise.all([postgres?.stop(), redis?.stop()]);
  await rm(dataDir, { recursive: true, force: true });
  await rm(mailDir, { recursive: true, force: true });
});

describe('PostgreSQL down when the server starts', () => {
  const servers: ServerProcess[] = [];
  after(async () => {
    await Promise.all(servers.map((server) => server.kill()));
  });

  it('database unreachable at start - serve (production and development) and serve --workers 2 --migrate should listen, answer /health 200 and 503 elsewhere, and become ready once PostgreSQL starts', async () => {
    // One migrated database with an account (for the production process, which only checks
    // the schema), and empty ones that the cluster's primary and a development process (which
    // migrates itself) must migrate once they can.
    const migratedEnv = await productionEnv({
      postgres,
      redis,
      dataDir,
      users: USERS.slice(0, 1),
      extra: sharedEnv(),
    });
    const emptyEnv = { ...migratedEnv, GATEHOUSE_DATABASE_URL: await postgres.createDatabase() };
    const developmentEnv = {
      ...migratedEnv,
      GATEHOUSE_MODE: 'development',
      GATEHOUSE_DATABASE_URL: await postgres.createDatabase(),
    };
    await postgres.halt('fast');
    let resumed = false;
    try {
      const [single, cluster, development] = await Promise.all([
        spawnServer({ env: migratedEnv }),
        spawnServer({ env: emptyEnv, args: ['--workers', '2', '--migrate'] }),
        spawnServer({ env: developmentEnv }),
      ]);
      servers.push(single, cluster, development);
      await cluster.waitForLog('gatehouse cluster listening');

      for (const [label, server] of [
        ['single', single],
        ['cluster', cluster],
        ['development', development],
      ] as const) {
        for (let probe = 0; probe < 4; probe++) {
          const health = await getOnNewConnection(`${server.url}/health`);
          assert.equal(health.status, 200, `${label}: /health`);
          const ready = await getOnNewConnection(`${server.url}/ready`);
          assert.equal(ready.status, 503, `${label}: /ready`);
          assert.match(ready.retryAfter ?? '', /^[1-9]\d*$/, `${label}: /ready Retry-After`);
          const openapi = await getOnNewConnection(`${server.url}/openapi.json`);
          assert.equal(openapi.status, 503, `${label}: /openapi.json while the database is unreachable`);
        }
        const login = await send(server.url, 'POST', '/auth/login', { body: USERS[0] });
        assert.equal(login.status, 503, `${label}: login`);
        assert.equal(login.body?.code, 'SERVICE_UNAVAILABLE', label);
        assert.match(login.retryAfter ?? '', /^[1-9]\d*$/, `${label}: login Retry-After`);
      }

      await postgres.resume();
      resumed = true;
      const singleWait = await untilReady(single.url, RECOVERY_LIMIT_MS);
      const clusterWait = await untilReady(cluster.url, RECOVERY_LIMIT_MS);
      const developmentWait = await untilReady(development.url, RECOVERY_LIMIT_MS);
      console.log(
        `ready after PostgreSQL started: single ${Math.round(singleWait)} ms, cluster ${Math.round(clusterWait)} ms, development ${Math.round(developmentWait)} ms`,
      );

      const login = await send(single.url, 'POST', '/auth/login', { body: USERS[0] });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      const registered = await send(cluster.url, 'POST', '/auth/register', {
        body: { email: 'late-start@example.com', password: PASSWORD },
      });
      assert.equal(registered.status, 202, JSON.stringify(registered.body));

      const applied = cluster.logs().filter((line) => line.msg === 'migrations applied');
      assert.equal(applied.length, 1, 'migrated more than once, or never');
      assert.equal(applied[0]?.pid, cluster.child.pid, 'the primary migrates');
      assert.equal(development.logs().filter((line) => line.msg === 'migrations applied').length, 1);
      const developed = await send(development.url, 'POST', '/auth/register', {
        body: { email: 'late-start@example.com', password: PASSWORD },
      });
      assert.equal(developed.status, 202, JSON.stringify(developed.body));
      for (const server of [single, cluster, development]) {
        assert.equal(server.logs().filter((line) => line.msg === 'worker died').length, 0);
        assert.equal(server.child.exitCode, null, 'the server process kept running');
      }
      assert.equal(listeningWorkerPids(cluster).length, 2);
    } finally {
      if (!resumed) await postgres.resume();
    }
  });

  it('missing database - should still refuse to start with exit 1: only unreachability is waited out', async () => {
    const env = await productionEnv({ postgres, redis, dataDir, extra: sharedEnv() });
    const missing = env.GATEHOUSE_DATABASE_URL?.replace(/\/[^/]+$/, '/no_such_database') as string;
    for (const args of [['serve'], ['serve', '--workers', '2', '--migrate']]) {
      const run = await runGatehouse(args, {
        env: { ...env, GATEHOUSE_DATABASE_URL: missing },
        timeoutMs: 15_000,
      });
      assert.equal(run.code, 1, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
      assert.ok(!run.stdout.includes('"msg":"gatehouse listening"'), args.join(' '));
    }
  });
});

describe('PostgreSQL fast-stopped twice under load on two workers', () => {
  let server: ServerProcess;
  let databaseUrl = '';

  before(async () => {
    const env = await productionEnv({ postgres, redis, dataDir, users: USERS, extra: sharedEnv() });
    databaseUrl = env.GATEHOUSE_DATABASE_URL as string;
    server = await spawnServer({ env, args: ['--workers', '2'] });
    await server.waitForLog('gatehouse cluster listening');
    const deadline = performance.now() + 5_000;
    while (listeningWorkerPids(server).length < 2 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  after(async () => {
    await server?.kill();
  });

  it('PostgreSQL restart under load - should kill no worker, answer only 2xx, 401 or 503 with Retry-After, recover within seconds and lose no acknowledged row', async () => {
    const workersBefore = listeningWorkerPids(server);
    assert.equal(workersBefore.length, 2);

    let phase = 'steady';
    let stopping = false;
    const counts = new Map<string, Map<string, number>>();
    const unexpected: string[] = [];
    const expected4xx: string[] = [];
    const acknowledgedSessions = new Set<string>();
    const acknowledgedUsers = new Set<string>();
    /** Per client: the refresh token of its last successful refresh, if nothing was tried with it since. */
    const freshRefreshTokens = new Map<number, string>();

    const record = (outcome: Outcome): void => {
      const key = String(outcome.status);
      const perPhase = counts.get(phase) ?? new Map<string, number>();
      perPhase.set(key, (perPhase.get(key) ?? 0) + 1);
      counts.set(phase, perPhase);
      const { status } = outcome;
      if (typeof status !== 'number') unexpected.push(`${phase}: ${outcome.route} ${status}`);
      else if (status === 503) {
        if (!/^[1-9]\d*$/.test(outcome.retryAfter ?? ''))
          unexpected.push(`${phase}: ${outcome.route} 503 without Retry-After`);
        if (outcome.body?.code !== 'SERVICE_UNAVAILABLE')
          unexpected.push(`${phase}: ${outcome.route} 503 ${String(outcome.body?.code)}`);
      } else if (EXPECTED_4XX.has(status)) {
        expected4xx.push(`${phase}: ${outcome.route} ${status}`);
      } else if (status >= 300) {
        unexpected.push(`${phase}: ${outcome.route} ${status} ${String(outcome.body?.code)}`);
      }
    };

    const client = async (index: number): Promise<void> => {
      const user = USERS[index] as { email: string; password: string };
      let tokens: { accessToken: string; refreshToken: string } | null = null;
      for (let iteration = 0; iteration < MAX_ITERATIONS && !stopping; iteration++) {
        if (tokens === null) {
          const login = await send(server.url, 'POST', '/auth/login', { body: user });
          record(login);
          if (login.status === 200) {
            tokens = login.body as unknown as { accessToken: string; refreshToken: string };
            acknowledgedSessions.add(accessTokenSessionId(tokens.accessToken));
          }
        } else if (iteration % 3 === 0) {
          const presented = tokens.refreshToken;
          freshRefreshTokens.delete(index);
          const refresh = await send(server.url, 'POST', '/auth/refresh', {
            body: { refreshToken: presented },
          });
          record(refresh);
          if (refresh.status === 200) {
            tokens = refresh.body as unknown as { accessToken: string; refreshToken: string };
            freshRefreshTokens.set(index, tokens.refreshToken);
          } else if (refresh.status === 401) tokens = null;
        } else {
          const me = await send(server.url, 'GET', '/users/me', { token: tokens.accessToken });
          record(me);
          if (me.status === 401) tokens = null;
        }
        if (iteration % 5 === 4) {
          const email = `new-${index}-${iteration}@example.com`;
          const registered = await send(server.url, 'POST', '/auth/register', {
            body: { email, password: PASSWORD },
          });
          record(registered);
          if (registered.status === 202) acknowledgedUsers.add(email);
        }
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    };

    const load = Promise.all(Array.from({ length: CLIENTS }, (_, index) => client(index)));
    const recoveries: number[] = [];
    try {
      await new Promise((resolve) => setTimeout(resolve, STEADY_MS));
      for (const round of [1, 2]) {
        phase = `outage ${round}`;
        await postgres.halt('fast');
        await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
        await postgres.resume();
        phase = `recovery ${round}`;
        recoveries.push(await untilReady(server.url, RECOVERY_LIMIT_MS));
        phase = `after ${round}`;
        await new Promise((resolve) => setTimeout(resolve, STEADY_MS));
      }
    } finally {
      stopping = true;
      await load;
    }

    const table = [...counts].map(
      ([name, perPhase]) => `${name}: ${JSON.stringify(Object.fromEntries(perPhase))}`,
    );
    console.log(`statuses per phase\n  ${table.join('\n  ')}`);
    console.log(`expected 4xx: ${expected4xx.length === 0 ? 'none' : expected4xx.join(', ')}`);
    console.log(
      `recovery after PostgreSQL returned: ${recoveries.map((ms) => `${Math.round(ms)} ms`).join(', ')}`,
    );

    const errors = server.logs().filter((line) => line.level >= 50 && line.msg !== 'worker died');
    assert.deepEqual(
      unexpected.slice(0, 20),
      [],
      `${unexpected.length} unexpected answers; first error logs:\n${errors
        .slice(0, 3)
        .map((line) => JSON.stringify(line))
        .join('\n')}`,
    );
    for (const round of [1, 2]) {
      const outage = counts.get(`outage ${round}`);
      assert.ok((outage?.get('503') ?? 0) > 0, `outage ${round} produced no 503: the fault did not bite`);
      const after = counts.get(`after ${round}`);
      assert.ok((after?.get('200') ?? 0) > 0, `no 200 after outage ${round}`);
    }

    // No worker died: the same two processes, no death, no replacement.
    assert.deepEqual(listeningWorkerPids(server), workersBefore);
    assert.equal(server.logs().filter((line) => line.msg === 'worker died').length, 0);
    assert.equal(server.child.exitCode, null);
    for (const pid of workersBefore) process.kill(pid, 0);

    // No acknowledged row is missing.
    const direct = new pg.Client({ connectionString: databaseUrl });
    await direct.connect();
    try {
      const sessions = await direct.query('select id from sessions where id = any($1)', [
        [...acknowledgedSessions],
      ]);
      assert.equal(
        sessions.rowCount,
        acknowledgedSessions.size,
        'a session acknowledged with 200 is missing',
      );
      const users = await direct.query('select email from users where email = any($1)', [
        [...acknowledgedUsers],
      ]);
      assert.equal(users.rowCount, acknowledgedUsers.size, 'a registration acknowledged with 202 is missing');
    } finally {
      await direct.end();
    }
    assert.ok(acknowledgedUsers.size > 0 && acknowledgedSessions.size > 0, 'the load wrote nothing');
    // A rotation acknowledged with 200 was kept: its new refresh token is the live one.
    for (const [index, refreshToken] of freshRefreshTokens) {
      const refreshed = await send(server.url, 'POST', '/auth/refresh', { body: { refreshToken } });
      assert.equal(refreshed.status, 200, `client ${index}: ${JSON.stringify(refreshed.body)}`);
    }
  });
});
