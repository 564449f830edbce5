/**
 * Threat: a token that should be dead keeps working — on another worker than the one that
 * revoked it, or because the revocation was answered "done" when the store never recorded it.
 * Invariant: logout, DELETE /users/me/sessions/{id}, revoke-others, change-password (other
 * sessions die, the current one stays) and `auth.api.users.update` (roles, isActive: false)
 * make the affected access tokens fail at once on a second instance sharing the same
 * PostgreSQL database and Redis stores (two instances = two workers). When Redis cannot record
 * a logout, the answer is 503 SERVICE_UNAVAILABLE — never a false 204 — and nothing is
 * half-done: the session stays live in SQL and no logout is recorded. With Redis frozen before
 * the request, the token keeps working once Redis is back. With Redis stalling on the
 * revocation write itself (a write that timed out may still land when Redis resumes), the
 * detail says the session and its refresh token are still valid, and the client can refresh
 * and finish the logout.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createAuth, generateSecret } from '../../src/index.ts';
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
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';

/** Short, so the frozen-Redis case fails fast; still far above a loopback round trip. */
const COMMAND_TIMEOUT_MS = 150;

let postgres: PostgresServer;
let redis: RedisServer;
let dataDir = '';
/** The worker that performs each revocation. */
let a: Harness;
/** The other worker, where the revoked tokens must already fail. */
let b: Harness;
/** A third worker whose Redis client freezes the server right before the next script call. */
let stalling: Harness;
let stallingClient: Redis | undefined;
let stallNextScript = false;

async function worker(
  databaseUrl: string,
  secret: string,
  keyPrefix: string,
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
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    },
    workers: 2,
    mail: { transport: capturingTransport(mail) },
  });
  return harnessAround(auth, mail, () => auth.close());
}

before(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-revocation-'));
  const databaseUrl = await postgres.createDatabase();
  const secret = generateSecret();
  const keyPrefix = `revocation-${randomUUID()}:`;
  a = await worker(databaseUrl, secret, keyPrefix);
  await a.auth.migrate();
  b = await worker(databaseUrl, secret, keyPrefix);
  const client = new Redis(redis.url);
  stallingClient = client;
  // Denylist writes are Lua scripts; reads (the per-request check) are plain MGETs.
  const stallingRedis: RedisClientLike = {
    call(command, ...args) {
      if (stallNextScript && (command === 'EVALSHA' || command === 'EVAL')) {
        stallNextScript = false;
        redis.freeze();
      }
      return client.call(command, ...args);
    },
  };
  stalling = await worker(databaseUrl, secret, keyPrefix, stallingRedis);
});

after(async () => {
  redis?.thaw();
  await Promise.allSettled([a?.close(), b?.close(), stalling?.close()]);
  stallingClient?.disconnect();
  await Promise.allSettled([postgres?.stop(), redis?.stop()]);
  await rm(dataDir, { recursive: true, force: true });
});

/** Asserts the token works on both workers (so a later refusal is the revocation). */
async function assertAliveEverywhere(user: SignedInUser, label: string): Promise<void> {
  for (const [name, h] of [
    ['A', a],
    ['B', b],
  ] as const) {
    const response = await h.get('/users/me', { token: user.accessToken });
    assert.equal(response.status, 200, `${label} on worker ${name}: ${response.text}`);
  }
}

const sessionIdOf = (user: SignedInUser): string => String(jwtPayload(user.accessToken).sid);

describe('revocation on one worker takes effect on the other at once', () => {
  it('logout - should kill the access and refresh tokens on the other worker', async () => {
    const me = await a.signedInUser();
    await assertAliveEverywhere(me, 'before logout');
    assert.equal((await a.post('/auth/logout', undefined, { token: me.accessToken })).status, 204);
    assertInvalidToken(await b.get('/users/me', { token: me.accessToken }));
    assertProblem(
      await b.post('/auth/refresh', { refreshToken: me.refreshToken }),
      401,
      'REFRESH_TOKEN_INVALID',
    );
  });

  it('DELETE /users/me/sessions/{id} - should kill that session on the other worker', async () => {
    const me = await a.signedInUser();
    const other = await b.login(me.email);
    await assertAliveEverywhere(other, 'before revoke');
    const response = await a.request('DELETE', `/users/me/sessions/${sessionIdOf(other)}`, {
      token: me.accessToken,
    });
    assert.equal(response.status, 204);
    assertInvalidToken(await b.get('/users/me', { token: other.accessToken }));
    assert.equal((await b.get('/users/me', { token: me.accessToken })).status, 200);
  });

  it('revoke-others - should kill every other session on the other worker and keep the current one', async () => {
    const me = await a.signedInUser();
    const others = [await a.login(me.email), await b.login(me.email)];
    for (const other of others) await assertAliveEverywhere(other, 'before revoke-others');
    assert.equal(
      (await a.post('/users/me/sessions/revoke-others', undefined, { token: me.accessToken })).status,
      204,
    );
    for (const other of others) assertInvalidToken(await b.get('/users/me', { token: other.accessToken }));
    assert.equal((await b.get('/users/me', { token: me.accessToken })).status, 200);
  });

  it('change-password - should kill the other sessions on the other worker and keep the current one', async () => {
    const me = await a.signedInUser();
    const other = await b.login(me.email);
    await assertAliveEverywhere(other, 'before change-password');
    const response = await a.post(
      '/users/me/change-password',
      { currentPassword: GOOD_PASSWORD, newPassword: 'a brand new passphrase 2026' },
      { token: me.accessToken },
    );
    assert.equal(response.status, 204, response.text);
    assertInvalidToken(await b.get('/users/me', { token: other.accessToken }));
    assertProblem(
      await b.post('/auth/refresh', { refreshToken: other.refreshToken }),
      401,
      'REFRESH_TOKEN_INVALID',
    );
    assert.equal((await b.get('/users/me', { token: me.accessToken })).status, 200);
  });

  it('api.users.update roles - should kill every token of the user on the other worker', async () => {
    const me = await a.signedInUser();
    const other = await b.login(me.email);
    await assertAliveEverywhere(me, 'before the role change');
    await a.auth.api.users.update(me.userId, { roles: ['admin'] });
    for (const user of [me, other]) {
      assertInvalidToken(await b.get('/users/me', { token: user.accessToken }));
      assertProblem(
        await b.post('/auth/refresh', { refreshToken: user.refreshToken }),
        401,
        'REFRESH_TOKEN_INVALID',
      );
    }
    // A new login carries the new roles.
    const again = await b.login(me.email);
    assert.deepEqual(jwtPayload(again.accessToken).roles, ['admin']);
  });

  it('api.users.update isActive false - should kill every token on the other worker and refuse logins', async () => {
    const me = await a.signedInUser();
    const other = await b.login(me.email);
    await assertAliveEverywhere(other, 'before deactivation');
    await a.auth.api.users.update(me.userId, { isActive: false });
    for (const user of [me, other]) assertInvalidToken(await b.get('/users/me', { token: user.accessToken }));
    assertProblem(
      await b.post('/auth/login', { email: me.email, password: GOOD_PASSWORD }),
      401,
      'LOGIN_BAD_CREDENTIALS',
    );
  });

  it('api.users.delete - should kill every token of the user on the other worker', async () => {
    const me = await a.signedInUser();
    await assertAliveEverywhere(me, 'before deletion');
    assert.equal(await a.auth.api.users.delete(me.userId), true);
    assertInvalidToken(await b.get('/users/me', { token: me.accessToken }));
  });
});

describe('logout when Redis cannot record the revocation', () => {
  it('logout with Redis frozen - should answer 503, change nothing, and the token should work once Redis is back', async () => {
    const me = await a.signedInUser();
    await assertAliveEverywhere(me, 'before the outage');
    redis.freeze();
    let response: JsonResponse;
    try {
      response = await a.post('/auth/logout', undefined, { token: me.accessToken });
    } finally {
      redis.thaw();
    }
    assertProblem(response, 503, 'SERVICE_UNAVAILABLE');
    assert.match(response.headers.get('retry-after') ?? '', /^\d+$/);
    assert.match(String(response.body.title), /nothing was changed/);
    await assertNothingHalfDone(me);
    // The token the client was told is still valid is still valid.
    await assertAliveEverywhere(me, 'after the outage');
    assert.equal((await b.post('/auth/refresh', { refreshToken: me.refreshToken })).status, 200);
  });

  it('logout with Redis stalling on the revocation write - should answer 503 saying the session is still valid, never 204', async () => {
    const me = await stalling.signedInUser();
    await assertAliveEverywhere(me, 'before the stall');
    // Authentication reads Redis normally; the server stops just as the revocation is written.
    stallNextScript = true;
    let response: JsonResponse;
    try {
      response = await stalling.post('/auth/logout', undefined, { token: me.accessToken });
    } finally {
      redis.thaw();
    }
    assert.equal(stallNextScript, false, 'the stall hit the revocation write');
    assertProblem(response, 503, 'SERVICE_UNAVAILABLE');
    assert.match(response.headers.get('retry-after') ?? '', /^\d+$/);
    assert.match(String(response.body.detail), /not revoked/);
    assert.match(String(response.body.detail), /refresh token is still valid/);
    await assertNothingHalfDone(me);
    // The session is intact: the client can refresh and finish the logout for real.
    const refreshed = await b.post('/auth/refresh', { refreshToken: me.refreshToken });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.equal(
      (await a.post('/auth/logout', undefined, { token: refreshed.body.accessToken })).status,
      204,
    );
    assertInvalidToken(await b.get('/users/me', { token: refreshed.body.accessToken }));
    assertProblem(
      await b.post('/auth/refresh', { refreshToken: refreshed.body.refreshToken }),
      401,
      'REFRESH_TOKEN_INVALID',
    );
  });
});

/** The failed logout left the session live in SQL and recorded no logout. */
async function assertNothingHalfDone(user: SignedInUser): Promise<void> {
  const session = await a.auth.repositories.sessions.findById(sessionIdOf(user));
  assert.equal(session?.revokedAt, null, 'the session was not revoked in SQL');
  const logouts = await a.auth.repositories.audit.list({
    userId: user.userId,
    type: 'session.logout',
    limit: 10,
  });
  assert.deepEqual(logouts, [], 'no logout was recorded');
}
