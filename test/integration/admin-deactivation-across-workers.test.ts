/**
 * Threat: an admin deactivates or deletes an account through one worker and the account's
 * credentials keep working on another — a JWT until it expires, a cached cookie session or API
 * key until its cache entry does.
 *
 * Invariant: with two real `gatehouse serve` processes on one PostgreSQL and one Redis, an
 * admin's deactivation (PATCH active=false), soft delete and hard delete made through worker A
 * stop, on worker B at the very next request, the user's access token, refresh token, cookie
 * session and API key (each had just been used on B, so B's caches held them); the admin's own
 * session keeps working on both.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Credentials, startTwoWorkers, type TwoWorkers } from '../fixtures/api-keys.ts';
import type { ServerProcess } from '../fixtures/spawn-server.ts';

const OWN_ORIGIN = 'https://auth.example.test';
const COOKIE_NAME = '__Host-gh_session';
const ADMIN: Credentials = { email: 'operator@example.com', password: 'harbour-Lantern-quiet-71' };
const USERS: Credentials[] = ['deactivated', 'soft-deleted', 'hard-deleted'].map((name) => ({
  email: `${name}@example.com`,
  password: 'meadow-Copper-signal-39',
}));

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: bodies are inspected field by field.
  readonly body: any;
}

async function call(
  worker: ServerProcess,
  method: string,
  path: string,
  options: { token?: string; cookie?: string; origin?: string; body?: unknown } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.cookie = options.cookie;
  if (options.origin) headers.origin = options.origin;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${worker.url}${path}`, {
    method,
    headers,
    signal: AbortSignal.timeout(5_000),
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

/** Every credential a user can hold, each created on A and used once on B. */
async function everyCredential(workers: TwoWorkers, user: Credentials) {
  const login = await call(workers.workerA, 'POST', '/auth/login', { body: user });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  const token = login.body.accessToken as string;
  const key = await call(workers.workerA, 'POST', '/users/me/api-keys', { token, body: { name: 'deploy' } });
  assert.equal(key.status, 201, JSON.stringify(key.body));
  const session = await call(workers.workerA, 'POST', '/auth/session', { origin: OWN_ORIGIN, body: user });
  assert.equal(session.status, 200, JSON.stringify(session.body));
  const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  assert.ok(cookie.startsWith(`${COOKIE_NAME}=`));
  const held = {
    token,
    apiKey: key.body.apiKey as string,
    cookie,
    refreshToken: login.body.refreshToken as string,
  };
  for (const [name, options] of [
    ['token', { token: held.token }],
    ['API key', { token: held.apiKey }],
    ['cookie', { cookie: held.cookie }],
  ] as const) {
    const me = await call(workers.workerB, 'GET', '/users/me', options);
    assert.equal(me.status, 200, `the ${name} works on B before`);
  }
  return held;
}

async function assertAllStoppedOnB(workers: TwoWorkers, held: Awaited<ReturnType<typeof everyCredential>>) {
  for (const [name, options] of [
    ['token', { token: held.token }],
    ['API key', { token: held.apiKey }],
    ['cookie', { cookie: held.cookie }],
  ] as const) {
    const me = await call(workers.workerB, 'GET', '/users/me', options);
    assert.equal(me.status, 401, `the ${name} is refused on B at once: ${JSON.stringify(me.body)}`);
  }
  const refreshed = await call(workers.workerB, 'POST', '/auth/refresh', {
    body: { refreshToken: held.refreshToken },
  });
  assert.equal(refreshed.status, 401, 'the refresh token is refused on B');
}

describe('admin deactivation and deletion stop credentials on every worker', () => {
  let workers: TwoWorkers;
  let adminToken: string;
  const ids = new Map<string, string>();

  before(async () => {
    workers = await startTwoWorkers({ users: USERS, admins: [ADMIN] });
    const login = await call(workers.workerA, 'POST', '/auth/login', { body: ADMIN });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    adminToken = login.body.accessToken;
    const listed = await call(workers.workerA, 'GET', '/admin/users?limit=100', {
      token: adminToken,
    });
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    for (const user of listed.body.users) ids.set(user.email, user.id);
  });
  after(async () => {
    await workers?.stop();
  });

  for (const [index, [label, method, suffix, body]] of (
    [
      ['deactivation', 'PATCH', '', { active: false }],
      ['soft delete', 'DELETE', '', undefined],
      ['hard delete', 'DELETE', '?hard=true', undefined],
    ] as const
  ).entries()) {
    it(`${label} through A: the token, refresh token, cookie and API key stop on B`, async () => {
      const user = USERS[index] as Credentials;
      const held = await everyCredential(workers, user);
      const id = ids.get(user.email);
      assert.ok(id);
      const done = await call(workers.workerA, method, `/admin/users/${id}${suffix}`, {
        token: adminToken,
        ...(body ? { body } : {}),
      });
      assert.ok(done.status === 200 || done.status === 204, JSON.stringify(done.body));
      await assertAllStoppedOnB(workers, held);
      const relogin = await call(workers.workerB, 'POST', '/auth/login', { body: user });
      assert.equal(relogin.status, 401, 'no new sign-in either');
      for (const worker of [workers.workerA, workers.workerB]) {
        assert.equal((await call(worker, 'GET', '/users/me', { token: adminToken })).status, 200);
      }
    });
  }
});
