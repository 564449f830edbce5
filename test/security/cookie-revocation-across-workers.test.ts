/**
 * Threat: a browser session or an opaque access token that was ended on one worker keeps
 * working on another — because that worker still holds a checked copy of the credential, or
 * never hears of the revocation.
 *
 * Two real `gatehouse serve` processes in production mode share one PostgreSQL database and
 * one Redis, with the same secrets and `GATEHOUSE_ACCESS_TOKENS=opaque`. Every credential is
 * used on the first worker before it is revoked on the second (so the lookup cache holds it),
 * and the very next request on either worker must be refused.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';
import { productionEnv } from '../fixtures/production-server.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';
import { type ServerProcess, spawnServer } from '../fixtures/spawn-server.ts';

/** The servers' base URL: cookie logins and cookie-authenticated writes must come from it. */
const OWN_ORIGIN = 'https://auth.example.test';
const COOKIE_NAME = '__Host-gh_session';
/** One account; cookie and bearer logins count against separate rate-limit budgets. */
const USER = { email: 'session-owner@example.com', password: 'willow-Compass-ember-64' };
const OPAQUE_ACCESS_TOKEN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/;

interface Reply {
  readonly status: number;
  readonly code: string | undefined;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: bodies are inspected field by field.
  readonly body: any;
}

interface CallOptions {
  readonly token?: string;
  /** A `name=value` pair for the Cookie header. */
  readonly cookie?: string;
  readonly csrfToken?: string;
  readonly origin?: string;
  readonly body?: unknown;
}

/** A browser session as the browser holds it: its cookie and the page's CSRF token. */
interface CookieSession {
  readonly cookie: string;
  readonly sessionId: string;
  readonly csrfToken: string;
}

interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
}

let postgres: PostgresServer;
let redis: RedisServer;
let dataDir = '';
let workerA: ServerProcess;
let workerB: ServerProcess;

async function call(
  worker: ServerProcess,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.cookie = options.cookie;
  if (options.csrfToken) headers['x-csrf-token'] = options.csrfToken;
  if (options.origin) headers.origin = options.origin;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${worker.url}${path}`, {
    method,
    headers,
    signal: AbortSignal.timeout(5_000),
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  return { status: response.status, code: body?.code, headers: response.headers, body };
}

async function startCookieSession(worker: ServerProcess): Promise<CookieSession> {
  const reply = await call(worker, 'POST', '/auth/session', { origin: OWN_ORIGIN, body: USER });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  const setCookie = reply.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0] ?? '';
  assert.ok(cookie.startsWith(`${COOKIE_NAME}=`), 'the session cookie was set');
  const value = cookie.slice(COOKIE_NAME.length + 1);
  return { cookie, sessionId: value.split('.')[0] ?? '', csrfToken: reply.body.csrfToken };
}

async function login(worker: ServerProcess, user: { email: string; password: string }): Promise<TokenPair> {
  const reply = await call(worker, 'POST', '/auth/login', { body: user });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return { accessToken: reply.body.accessToken, refreshToken: reply.body.refreshToken };
}

const workers = (): [string, ServerProcess][] => [
  ['A', workerA],
  ['B', workerB],
];

async function assertLive(credential: CallOptions, email: string, label: string): Promise<void> {
  for (const [name, worker] of workers()) {
    const reply = await call(worker, 'GET', '/users/me', credential);
    assert.equal(reply.status, 200, `${label} on ${name}: ${JSON.stringify(reply.body)}`);
    assert.equal(reply.body.user.email, email);
  }
}

async function assertDead(credential: CallOptions, label: string): Promise<void> {
  for (const [name, worker] of workers()) {
    const reply = await call(worker, 'GET', '/users/me', credential);
    assert.equal(reply.status, 401, `${label} on ${name}: GET /users/me answered ${reply.status}`);
    assert.equal(reply.code, 'INVALID_TOKEN', `${label} on ${name}`);
  }
}

async function assertRefreshDead(worker: ServerProcess, refreshToken: string): Promise<void> {
  const reply = await call(worker, 'POST', '/auth/refresh', { body: { refreshToken } });
  assert.equal(reply.status, 401);
  assert.equal(reply.code, 'REFRESH_TOKEN_INVALID');
}

before(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-cookie-workers-'));
  const env = await productionEnv({
    postgres,
    redis,
    dataDir,
    users: [USER],
    extra: { GATEHOUSE_WORKERS: '2', GATEHOUSE_ACCESS_TOKENS: 'opaque' },
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

describe('cookie sessions across two workers', () => {
  it('workers - should be two processes on two ports', () => {
    assert.notEqual(workerA.url, workerB.url);
    assert.notEqual(workerA.child.pid, workerB.child.pid);
  });

  it('cookie session created on A - should work on B, with the same CSRF token', async () => {
    const session = await startCookieSession(workerA);
    await assertLive({ cookie: session.cookie }, USER.email, 'the new cookie');
    const csrf = await call(workerB, 'GET', '/auth/csrf', { cookie: session.cookie });
    assert.equal(csrf.status, 200);
    assert.equal(csrf.body.csrfToken, session.csrfToken);
  });

  it('cookie revoked through DELETE /users/me/sessions/:id on B - should fail on A and on B at once', async () => {
    const session = await startCookieSession(workerA);
    await assertLive({ cookie: session.cookie }, USER.email, 'before the revocation');
    const bearer = await login(workerB, USER);
    const listed = await call(workerB, 'GET', '/users/me/sessions', { token: bearer.accessToken });
    assert.ok(
      listed.body.sessions.some(
        (s: { id: string; current: boolean }) => s.id === session.sessionId && !s.current,
      ),
      'the cookie session is listed for the same user',
    );

    const revoked = await call(workerB, 'DELETE', `/users/me/sessions/${session.sessionId}`, {
      token: bearer.accessToken,
    });
    assert.equal(revoked.status, 204, JSON.stringify(revoked.body));
    await assertDead({ cookie: session.cookie }, 'the revoked cookie');
    await assertLive({ token: bearer.accessToken }, USER.email, 'the session that revoked it');
  });

  it('cookie signed out through DELETE /auth/session on B - should fail on A and on B at once', async () => {
    const session = await startCookieSession(workerA);
    const other = await startCookieSession(workerA);
    await assertLive({ cookie: session.cookie }, USER.email, 'before signing out');

    const signedOut = await call(workerB, 'DELETE', '/auth/session', {
      cookie: session.cookie,
      csrfToken: session.csrfToken,
      origin: OWN_ORIGIN,
    });
    assert.equal(signedOut.status, 204, JSON.stringify(signedOut.body));
    const cleared = signedOut.headers.get('set-cookie') ?? '';
    assert.ok(cleared.startsWith(`${COOKIE_NAME}=;`), 'the cookie is cleared');
    assert.match(cleared, /Max-Age=0/i);
    await assertDead({ cookie: session.cookie }, 'the signed-out cookie');
    await assertLive({ cookie: other.cookie }, USER.email, 'another browser session of the user');
  });
});

describe('opaque access tokens across two workers', () => {
  it('opaque access token logged out on B - should fail on A and on B at once', async () => {
    const pair = await login(workerA, USER);
    assert.match(pair.accessToken, OPAQUE_ACCESS_TOKEN, 'the servers issue opaque access tokens');
    await assertLive({ token: pair.accessToken }, USER.email, 'before logout');
    const logout = await call(workerB, 'POST', '/auth/logout', { token: pair.accessToken });
    assert.equal(logout.status, 204);
    await assertDead({ token: pair.accessToken }, 'the logged-out token');
    await assertRefreshDead(workerA, pair.refreshToken);
  });

  it('opaque access token revoked through DELETE /users/me/sessions/:id on B - should fail on A and on B at once', async () => {
    const target = await login(workerA, USER);
    const other = await login(workerB, USER);
    await assertLive({ token: target.accessToken }, USER.email, 'before the revocation');
    const sessionId = target.accessToken.split('.')[0] ?? '';
    const revoked = await call(workerB, 'DELETE', `/users/me/sessions/${sessionId}`, {
      token: other.accessToken,
    });
    assert.equal(revoked.status, 204, JSON.stringify(revoked.body));
    await assertDead({ token: target.accessToken }, 'the revoked token');
    await assertRefreshDead(workerA, target.refreshToken);
    await assertLive({ token: other.accessToken }, USER.email, 'the session that revoked it');
  });

  it('opaque access token refreshed on B - the old one should fail on A at once, the new one work on A', async () => {
    const pair = await login(workerA, USER);
    await assertLive({ token: pair.accessToken }, USER.email, 'before refresh');
    const refreshed = await call(workerB, 'POST', '/auth/refresh', {
      body: { refreshToken: pair.refreshToken },
    });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.match(refreshed.body.accessToken, OPAQUE_ACCESS_TOKEN);
    await assertDead({ token: pair.accessToken }, 'the replaced token');
    await assertLive({ token: refreshed.body.accessToken }, USER.email, 'the new token');
  });
});
