/**
 * Threat: an account erased on request (`DELETE /admin/users/{id}?hard=true`, or
 * `DELETE /users/me` under `accounts.deletion.mode: 'hard'`) lives on somewhere: a row in a
 * table nobody remembered, an audit event naming it, a Redis entry keyed by its id or address.
 *
 * Invariant: after a hard delete, no column of any table of the schema (read from the
 * database's own catalogue, so a table added later is scanned too) and no key or value in
 * Redis holds the user's id or email address — for a user who had sessions, 2FA with recovery codes, an API key, a linked provider, a pending password reset,
 * failed logins, audit events about them and audit events naming them as the admin who
 * acted, and webhook outbox rows about them or naming them. What is left is what stops their old tokens (session ids, no user id) and the event
 * that records the erasure, without the id. The user's old credentials are refused.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { signedInAdmin, signedInWithRoles } from '../fixtures/admin.ts';
import { assertProblem, createHarness, GOOD_PASSWORD, type Harness } from '../fixtures/auth-harness.ts';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';
import { codeAt, createTestClock, enableTwoFactor } from '../fixtures/two-factor.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../fixtures/webhook-receiver.ts';

/** Every (table, column) of the public schema, from the catalogue, and the rows naming `needles`. */
async function rowsNaming(client: pg.Client, needles: readonly string[]): Promise<string[]> {
  const { rows: columns } = await client.query<{ table_name: string; column_name: string }>(
    `select table_name, column_name from information_schema.columns where table_schema = 'public'`,
  );
  assert.ok(columns.length > 20, 'the catalogue lists the schema');
  const found: string[] = [];
  for (const { table_name: table, column_name: column } of columns) {
    for (const needle of needles) {
      const { rows } = await client.query<{ n: string }>(
        `select count(*) as n from "${table}" where lower("${column}"::text) like '%' || lower($1) || '%'`,
        [needle],
      );
      if (Number(rows[0]?.n) > 0) found.push(`${table}.${column} holds ${needle}`);
    }
  }
  return found;
}

/** Every Redis key whose name or value (of any type) holds one of `needles`. */
async function keysNaming(redis: Redis, needles: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  let rounds = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      const value =
        type === 'string'
          ? await redis.get(key)
          : type === 'hash'
            ? JSON.stringify(await redis.hgetall(key))
            : type === 'set'
              ? JSON.stringify(await redis.smembers(key))
              : type === 'zset'
                ? JSON.stringify(await redis.zrange(key, '0', '-1'))
                : type === 'list'
                  ? JSON.stringify(await redis.lrange(key, '0', '-1'))
                  : '';
      const text = `${key}\n${value ?? ''}`.toLowerCase();
      for (const needle of needles) if (text.includes(needle.toLowerCase())) found.push(`${key} (${type})`);
    }
    rounds += 1;
  } while (cursor !== '0' && rounds < 1000);
  return found;
}

describe('hard delete leaves nothing of the user (PostgreSQL + Redis)', () => {
  let postgres: PostgresServer;
  let redisServer: RedisServer;
  let h: Harness;
  let db: pg.Client;
  let redis: Redis;
  let receiver: WebhookReceiver;
  const clock = createTestClock();

  before(async () => {
    [postgres, redisServer, receiver] = await Promise.all([
      startPostgres(),
      startRedis(),
      startWebhookReceiver(),
    ]);
    const url = await postgres.createDatabase();
    h = await createHarness({
      config: {
        database: { url },
        stores: { backend: 'redis', url: redisServer.url },
        clock: clock.config,
        lockout: { enabled: true },
        rateLimits: { enabled: true },
        apiKeys: { scopes: ['read'] },
        // Every event also becomes webhook outbox rows, which must not outlive the user either.
        webhooks: {
          endpoints: [{ url: receiver.url, secret: receiver.secret, events: ['*'] }],
          pollIntervalMs: 20,
        },
      },
    });
    db = new pg.Client({ connectionString: url });
    await db.connect();
    redis = new Redis(redisServer.url);
  });
  after(async () => {
    redis?.disconnect();
    await db?.end();
    await h?.close();
    await Promise.all([postgres?.stop(), redisServer?.stop(), receiver?.close()]);
  });

  /** A user with data in every table and store a user can have data in; answers its credentials. */
  async function userWithEverything() {
    const admin = await signedInAdmin(h);
    const user = await enableTwoFactor(h, clock, { emailLabel: 'erased' });
    // The user is an admin too, and acts on someone else: their id lands in that event's data.
    await h.auth.api.users.update(user.userId, { roles: ['admin'] });
    const bystander = await signedInWithRoles(h, [], 'bystander');
    const login = await h.post('/auth/login', { email: user.email, password: GOOD_PASSWORD });
    const verified = await h.post('/auth/2fa/verify', {
      pendingToken: login.body.pendingToken,
      code: codeAt(clock, user.seed),
    });
    assert.equal(verified.status, 200, verified.text);
    const token = verified.body.accessToken as string;
    const acted = await h.request('PATCH', `/admin/users/${bystander.userId}`, {
      token,
      body: { name: 'Seen' },
    });
    assert.equal(acted.status, 200, acted.text);
    const key = await h.post('/users/me/api-keys', { name: 'ci', scopes: ['read'] }, { token });
    assert.equal(key.status, 201, key.text);
    await db.query(
      `insert into oauth_accounts (id, user_id, provider, subject, email, created_at) values ($1, $2, 'github', $3, $4, $5)`,
      [crypto.randomUUID(), user.userId, `gh-${user.userId}`, user.email, Date.now()],
    );
    await h.post('/auth/forgot-password', { email: user.email });
    await h.post('/auth/login', { email: user.email, password: 'not the password 1' });
    // An admin acts on the user: events about them.
    await h.post(`/admin/users/${user.userId}/unlock`, undefined, { token: admin.accessToken });
    return {
      admin,
      user,
      token,
      apiKey: key.body.apiKey as string,
      refreshToken: verified.body.refreshToken,
    };
  }

  it('no table and no Redis key names the user afterwards; their credentials are refused', async () => {
    const { admin, user, token, apiKey, refreshToken } = await userWithEverything();
    const needles = [user.userId, user.email];
    assert.ok((await rowsNaming(db, needles)).length > 5, 'the scan finds the user before');
    assert.ok((await keysNaming(redis, [user.userId])).length > 0, 'and their store entries');

    const erased = await h.request('DELETE', `/admin/users/${user.userId}?hard=true`, {
      token: admin.accessToken,
    });
    assert.equal(erased.status, 204, erased.text);

    assert.deepEqual(await rowsNaming(db, needles), []);
    assert.deepEqual(await keysNaming(redis, needles), []);
    assertProblem(await h.get('/users/me', { token }), 401, 'INVALID_TOKEN');
    assertProblem(await h.get('/users/me', { token: apiKey }), 401, 'API_KEY_INVALID');
    assertProblem(await h.post('/auth/refresh', { refreshToken }), 401, 'REFRESH_TOKEN_INVALID');
    // The erasure itself is recorded: who acted and when, not whom.
    const events = await h.get('/admin/audit?type=admin.user_deleted', { token: admin.accessToken });
    const [event] = events.body.events;
    assert.equal(event.userId, null);
    assert.deepEqual(event.data, {
      actorId: admin.userId,
      actorSessionId: event.data.actorSessionId,
      hard: true,
    });
  });
});
