/**
 * Threat: Redis loses its data (a restart without persistence, `FLUSHALL`, a failover to an
 * empty replica; or a process restart with memory stores) and every revoked access token is
 * accepted again for the rest of its life, because the denylist was the only place that
 * remembered the revocation.
 *
 * Invariant: no revoked credential is ever accepted after the store lost its data. SQL is the
 * source of truth; the denylist carries a completeness marker read in the same MGET as the
 * token's keys, and a check that finds it missing rebuilds the list from SQL first. While the
 * list cannot be rebuilt (SQL or Redis unreachable, another process's rebuild never finishing)
 * the answer is 503 with Retry-After, never 200. In the steady state a JWT check is still one
 * Redis command. Cookie sessions and opaque tokens fall back to a SQL read on a cache miss, so
 * a flush cannot revive them either.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import {
  completenessMarkerKey,
  REVOCATION_KEY,
  revocationGroupOf,
} from '../../src/features/sessions/revocation-keys.ts';
import { type AuthConfigInput, createAuth, generateSecret } from '../../src/index.ts';
import type { MailMessage } from '../../src/mail/contract.ts';
import type { RedisClientLike } from '../../src/stores/redis/index.ts';
import {
  assertInvalidToken,
  assertProblem,
  capturingTransport,
  GOOD_PASSWORD,
  type Harness,
  harnessAround,
  harnessConfig,
  type JsonResponse,
  jwtPayload,
  type SignedInUser,
} from '../fixtures/auth-harness.ts';
import { cookieHeaders, createVerifiedUser, signInWithCookie } from '../fixtures/cookie-session.ts';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';

/** Short, so an unreachable Redis fails fast; far above a loopback round trip. */
const COMMAND_TIMEOUT_MS = 200;
const MAX_COMMAND_TIMEOUT_MS = 500;
/** Bounded polls while a restarted server comes back (each answer is checked, none may be 200). */
const MAX_POLLS = 60;
const POLL_INTERVAL_MS = 50;

let postgres: PostgresServer;
let redis: RedisServer;
let raw: Redis;
let dataDir = '';
let keyPrefix = '';
/** Two workers sharing PostgreSQL and Redis: A revokes, both must refuse. */
let a: Harness;
let b: Harness;
/** A worker handing out opaque access tokens, on the same database and Redis. */
let opaque: Harness;
/** A worker whose Redis client flushes the server right before the rebuild marks the list complete. */
let flushing: Harness;
let flushingClient: Redis;
let flushBeforeCompletion = false;
/** Set to a token: after the next cache write, flush and let worker B rebuild (using the token). */
let flushAndRebuildAfterCacheWrite: string | null = null;

async function worker(
  databaseUrl: string,
  secret: string,
  extra: AuthConfigInput = {},
  client?: RedisClientLike,
): Promise<Harness> {
  const mail: MailMessage[] = [];
  const auth = await createAuth({
    ...harnessConfig({ secret, dataDir }),
    database: { url: databaseUrl },
    stores: {
      backend: 'redis',
      ...(client ? { client } : { url: redis.url }),
      keyPrefix,
      // The flushing worker's calls include another worker's whole rebuild (1024 groups).
      commandTimeoutMs: client ? MAX_COMMAND_TIMEOUT_MS : COMMAND_TIMEOUT_MS,
    },
    workers: 2,
    mail: { transport: capturingTransport(mail) },
    ...extra,
  });
  return harnessAround(auth, mail, () => auth.close());
}

before(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  raw = new Redis(redis.url);
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-revocation-loss-'));
  keyPrefix = `loss-${randomUUID()}:`;
  const databaseUrl = await postgres.createDatabase();
  const secret = generateSecret();
  a = await worker(databaseUrl, secret);
  await a.auth.migrate();
  b = await worker(databaseUrl, secret);
  opaque = await worker(databaseUrl, secret, { tokens: { access: 'opaque' } });
  flushingClient = new Redis(redis.url);
  const flushingRedis: RedisClientLike = {
    async call(command, ...args) {
      // The final step of a rebuild: the script that writes "complete" into the marker.
      const marksComplete =
        (command === 'EVALSHA' || command === 'EVAL') &&
        String(args[2]).endsWith(':complete') &&
        args.some((arg) => String(arg).startsWith('complete:'));
      if (flushBeforeCompletion && marksComplete) {
        flushBeforeCompletion = false;
        await flushingClient.flushall();
      }
      const reply = await flushingClient.call(command, ...args);
      const token = flushAndRebuildAfterCacheWrite;
      if (token !== null && command === 'SET' && String(args[0]).includes(':kv:sc:')) {
        flushAndRebuildAfterCacheWrite = null;
        await flushingClient.flushall();
        const rebuilt = await b.get('/users/me', { token });
        assert.equal(rebuilt.status, 200, rebuilt.text);
      }
      return reply;
    },
  };
  flushing = await worker(databaseUrl, secret, {}, flushingRedis);
});

after(async () => {
  await Promise.allSettled([a?.close(), b?.close(), opaque?.close(), flushing?.close()]);
  raw?.disconnect();
  flushingClient?.disconnect();
  await Promise.allSettled([postgres?.stop(), redis?.stop()]);
  await rm(dataDir, { recursive: true, force: true });
});

const sessionIdOf = (user: SignedInUser): string => String(jwtPayload(user.accessToken).sid);
const userIdOf = (user: SignedInUser): string => String(jwtPayload(user.accessToken).sub);
/** The Redis key of the "complete" marker of the user's revocation group. */
const markerOf = (user: SignedInUser): string =>
  `${keyPrefix}deny:${completenessMarkerKey(revocationGroupOf(userIdOf(user)))}`;

async function assertAlive(user: SignedInUser, label: string, workers = [a, b]): Promise<void> {
  for (const h of workers) {
    const response = await h.get('/users/me', { token: user.accessToken });
    assert.equal(response.status, 200, `${label}: ${response.text}`);
  }
}

async function assertRefusedEverywhere(user: SignedInUser, label: string): Promise<void> {
  for (const h of [a, b]) {
    const response = await h.get('/users/me', { token: user.accessToken });
    assert.equal(response.status, 401, `${label}: answered ${response.status} ${response.text}`);
    assertInvalidToken(response);
  }
}

/** Asks until the answer is not 503 (the store coming back); every answer must be `allowed`. */
async function settle(ask: () => Promise<JsonResponse>, allowed: readonly number[]): Promise<JsonResponse> {
  let response = await ask();
  for (let i = 0; i < MAX_POLLS && response.status === 503; i++) {
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    response = await ask();
    assert.ok(allowed.includes(response.status), `answered ${response.status}: ${response.text}`);
  }
  return response;
}

describe('JWT revocations after Redis lost its data (PostgreSQL + Redis)', () => {
  it('logout then FLUSHALL - should keep the logged-out token refused on both workers (it was 200)', async (t) => {
    const me = await a.signedInUser();
    const bystander = await b.signedInUser();
    await assertAlive(me, 'before logout');
    assert.equal((await a.post('/auth/logout', undefined, { token: me.accessToken })).status, 204);
    await assertRefusedEverywhere(me, 'after logout');

    await raw.flushall();
    const started = performance.now();
    assertInvalidToken(await b.get('/users/me', { token: me.accessToken }));
    const firstAfterFlushMs = performance.now() - started;
    await assertRefusedEverywhere(me, 'after FLUSHALL');
    // The rebuild restored the list and marked it complete; a live token still works.
    await assertAlive(bystander, 'after the rebuild');
    assert.match(String(await raw.get(markerOf(me))), /^complete:/);
    const steady = performance.now();
    await b.get('/users/me', { token: bystander.accessToken });
    t.diagnostic(
      `first check after FLUSHALL (rebuild included) ${firstAfterFlushMs.toFixed(1)} ms; a steady check ${(performance.now() - steady).toFixed(1)} ms`,
    );
  });

  it('restart of a Redis without persistence - should keep the logged-out token refused, 401 or 503 while it comes back, never 200', async () => {
    const me = await a.signedInUser();
    const bystander = await a.signedInUser();
    assert.equal((await a.post('/auth/logout', undefined, { token: me.accessToken })).status, 204);
    await redis.restart();
    assert.equal(await raw.dbsize(), 0, 'the restarted server is empty');
    for (const h of [a, b]) {
      const response = await settle(() => h.get('/users/me', { token: me.accessToken }), [401, 503]);
      assertInvalidToken(response);
    }
    for (const h of [a, b]) {
      const response = await settle(() => h.get('/users/me', { token: bystander.accessToken }), [200, 503]);
      assert.equal(response.status, 200, response.text);
    }
  });

  it('revoke-others, DELETE a session, change of password, deactivation, deletion, then FLUSHALL - should keep every revoked token refused', async () => {
    const revokeOthers = await a.signedInUser();
    const othersOfIt = [await a.login(revokeOthers.email), await b.login(revokeOthers.email)];
    assert.equal(
      (await a.post('/users/me/sessions/revoke-others', undefined, { token: revokeOthers.accessToken }))
        .status,
      204,
    );

    const owner = await a.signedInUser();
    const deletedSession = await b.login(owner.email);
    const deleted = await a.request('DELETE', `/users/me/sessions/${sessionIdOf(deletedSession)}`, {
      token: owner.accessToken,
    });
    assert.equal(deleted.status, 204, deleted.text);

    const changer = await a.signedInUser();
    const otherOfChanger = await b.login(changer.email);
    const changed = await a.post(
      '/users/me/change-password',
      { currentPassword: GOOD_PASSWORD, newPassword: 'a brand new passphrase 2026' },
      { token: changer.accessToken },
    );
    assert.equal(changed.status, 204, changed.text);

    const deactivated = await a.signedInUser();
    await a.auth.api.users.update(deactivated.userId, { isActive: false });

    // A deleted user's sessions are gone from SQL: only their tombstones remember them.
    const gone = await a.signedInUser();
    assert.equal(await a.auth.api.users.delete(gone.userId), true);

    await raw.flushall();
    for (const user of [...othersOfIt, deletedSession, otherOfChanger, deactivated]) {
      await assertRefusedEverywhere(user, 'after FLUSHALL');
    }
    // `verifyAccessToken` is what guards on application routes use: no user read, the denylist only.
    for (const h of [a, b]) {
      await assert.rejects(h.auth.api.verifyAccessToken(gone.accessToken), { code: 'INVALID_TOKEN' });
    }
    // The sessions that were kept still work.
    await assertAlive(revokeOthers, 'the current session of revoke-others');
    await assertAlive(owner, 'the session that revoked another');
    await assertAlive(changer, 'the session that changed the password');
  });

  it('refresh token reuse then FLUSHALL - should keep the killed session refused', async () => {
    const me = await a.signedInUser();
    const rotated = await a.post('/auth/refresh', { refreshToken: me.refreshToken });
    assert.equal(rotated.status, 200);
    assertProblem(
      await b.post('/auth/refresh', { refreshToken: me.refreshToken }),
      401,
      'REFRESH_TOKEN_INVALID',
    );
    await raw.flushall();
    await assertRefusedEverywhere({ ...me, accessToken: rotated.body.accessToken }, 'after FLUSHALL');
  });

  it('FLUSHALL in the middle of a rebuild - should start the rebuild over, never mark an emptied list complete', async () => {
    const me = await a.signedInUser();
    assert.equal((await a.post('/auth/logout', undefined, { token: me.accessToken })).status, 204);
    await raw.flushall();
    flushBeforeCompletion = true;
    assertInvalidToken(await flushing.get('/users/me', { token: me.accessToken }));
    assert.equal(flushBeforeCompletion, false, 'the flush was injected during the rebuild');
    // Without the claim check the marker would now say "complete" over an empty list.
    assert.equal(
      await raw.exists(`${keyPrefix}deny:${REVOCATION_KEY.session(userIdOf(me), sessionIdOf(me))}`),
      1,
    );
    assert.match(String(await raw.get(markerOf(me))), /^complete:/);
    await assertRefusedEverywhere(me, 'after the interrupted rebuild');
  });
});

describe('a data loss racing a logout', () => {
  it('FLUSHALL and a rebuild between the denylist writes and the SQL update of a logout - should still refuse the token', async () => {
    const me = await flushing.signedInUser();
    const bystander = await b.signedInUser();
    // The logout writes the denylist, then the row. Here the store loses its data right after
    // the denylist writes, and worker B rebuilds from SQL before the row says "revoked".
    flushAndRebuildAfterCacheWrite = bystander.accessToken;
    assert.equal((await flushing.post('/auth/logout', undefined, { token: me.accessToken })).status, 204);
    assert.equal(flushAndRebuildAfterCacheWrite, null, 'the flush was injected during the logout');
    await assertRefusedEverywhere(me, 'after the racing flush');
  });
});

describe('cookie sessions and opaque tokens after Redis lost its data', () => {
  it('a revoked cookie session - should stay refused after FLUSHALL (a miss reads SQL)', async () => {
    const { email } = await createVerifiedUser(a, 'cookie-loss');
    const session = await signInWithCookie(a, email);
    assert.equal((await b.get('/users/me', { headers: cookieHeaders(session) })).status, 200);
    const loggedOut = await a.request('DELETE', '/auth/session', {
      headers: cookieHeaders(session, { csrf: true, origin: 'https://auth.example.test' }),
    });
    assert.equal(loggedOut.status, 204, loggedOut.text);
    await raw.flushall();
    for (const h of [a, b])
      assertProblem(await h.get('/users/me', { headers: cookieHeaders(session) }), 401, 'INVALID_TOKEN');
  });

  it('a revoked opaque access token - should stay refused after FLUSHALL (a miss reads SQL)', async () => {
    const me = await opaque.signedInUser();
    assert.equal((await opaque.get('/users/me', { token: me.accessToken })).status, 200);
    assert.equal((await opaque.post('/auth/logout', undefined, { token: me.accessToken })).status, 204);
    await raw.flushall();
    assertInvalidToken(await opaque.get('/users/me', { token: me.accessToken }));
  });
});

describe('a rebuild that cannot complete fails closed', () => {
  it('PostgreSQL down while the list is rebuilt - should answer 503 with Retry-After, never 200, then refuse once it is back', async (t) => {
    const me = await a.signedInUser();
    const bystander = await a.signedInUser();
    assert.equal((await a.post('/auth/logout', undefined, { token: me.accessToken })).status, 204);
    await postgres.halt('fast');
    try {
      await raw.flushall();
      for (const user of [me, bystander]) {
        const asked = performance.now();
        const response = await b.get('/users/me', { token: user.accessToken });
        t.diagnostic(`503 answered in ${(performance.now() - asked).toFixed(0)} ms with PostgreSQL down`);
        assertProblem(response, 503, 'SERVICE_UNAVAILABLE');
        assert.match(response.headers.get('retry-after') ?? '', /^\d+$/);
      }
      // Guards on application routes get the store's failure (their 503), not a principal.
      await assert.rejects(a.auth.api.verifyAccessToken(bystander.accessToken), { name: 'StoreError' });
    } finally {
      await postgres.resume();
    }
    assertInvalidToken(await settle(() => b.get('/users/me', { token: me.accessToken }), [401, 503]));
    assert.equal(
      (await settle(() => b.get('/users/me', { token: bystander.accessToken }), [200, 503])).status,
      200,
    );
  });

  it('Redis down - should answer 503, never 200, and refuse once an empty Redis is back', async () => {
    const me = await a.signedInUser();
    assert.equal((await a.post('/auth/logout', undefined, { token: me.accessToken })).status, 204);
    await redis.kill();
    try {
      assertProblem(await b.get('/users/me', { token: me.accessToken }), 503, 'SERVICE_UNAVAILABLE');
    } finally {
      await redis.restart();
    }
    assertInvalidToken(await settle(() => b.get('/users/me', { token: me.accessToken }), [401, 503]));
  });

  it("another process's rebuild that never finishes - should answer 503 while its claim lives, then rebuild", async () => {
    const me = await a.signedInUser();
    assert.equal((await a.post('/auth/logout', undefined, { token: me.accessToken })).status, 204);
    await raw.flushall();
    // A process that claimed the rebuild and died: its claim expires on its own.
    await raw.set(markerOf(me), 'pending:dead-process', 'PX', 4_000);
    const response = await b.get('/users/me', { token: me.accessToken });
    assertProblem(response, 503, 'SERVICE_UNAVAILABLE');
    assert.equal(response.headers.get('retry-after'), '1');
    assertInvalidToken(await settle(() => b.get('/users/me', { token: me.accessToken }), [401, 503]));
  });
});

describe('the steady state', () => {
  it('an authenticated request - should send exactly one Redis command (one MGET)', async () => {
    const me = await a.signedInUser();
    await assertAlive(me, 'warm-up');
    const requests = 20;
    await raw.config('RESETSTAT');
    for (let i = 0; i < requests; i++) {
      assert.equal((await a.get('/users/me', { token: me.accessToken })).status, 200);
    }
    const stats = await raw.info('commandstats');
    const calls = new Map(
      [...stats.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)].map((m) => [m[1] as string, Number(m[2])]),
    );
    for (const name of calls.keys()) if (name === 'info' || name.startsWith('config')) calls.delete(name);
    assert.deepEqual(Object.fromEntries(calls), { mget: requests });
  });
});

describe('memory stores: a process restart', () => {
  it('a new createAuth on the same SQLite file - should refuse a token revoked before the restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-restart-'));
    const config = {
      ...harnessConfig({ secret: generateSecret(), dataDir: dir }),
      database: { url: `sqlite:${join(dir, 'gatehouse.db')}` },
      mail: { transport: capturingTransport([]) },
    };
    try {
      const first = harnessAround(await createAuth(config), [], async () => {});
      await first.auth.migrate();
      const revoked = await first.signedInUser();
      const kept = await first.signedInUser();
      assert.equal((await first.post('/auth/logout', undefined, { token: revoked.accessToken })).status, 204);
      assertInvalidToken(await first.get('/users/me', { token: revoked.accessToken }));
      await first.auth.close();

      // Same secret and database, empty memory stores: what a restarted process has.
      const second = await createAuth(config);
      try {
        const restarted = harnessAround(second, [], async () => {});
        assertInvalidToken(await restarted.get('/users/me', { token: revoked.accessToken }));
        assert.equal((await restarted.get('/users/me', { token: kept.accessToken })).status, 200);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
