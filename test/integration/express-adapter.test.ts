/**
 * The Express adapter (`gatehouse/express`) in real Express 5 processes running the example's
 * app (test/fixtures/express-app.ts): Gatehouse's routes under `app.use('/api', …)`, decided
 * from the route table (everything else falls through to the application), guards as
 * middleware with `req.auth`, body parsers mounted before or after the adapter (a parser that
 * consumed the stream still hands Gatehouse the bytes, so a signed body verifies), the
 * mount-path rule (an equal http.basePath applied once, an empty one relative to the mount, a
 * different one a 500 naming the mismatch without the paths) and `auth.api.getUser`.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { signedFetchInit } from '../../src/client/signing/node.ts';
import { parseApiKey, signingKeyOf } from '../fixtures/api-keys.ts';
import { GOOD_PASSWORD } from '../fixtures/auth-harness.ts';
import { FORGED_MOUNT_HEADERS, memberSigningKey, signedCall } from '../fixtures/signed-through-mount.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/express-app.ts', import.meta.url));
const NODE_ARGS = ['--disable-warning=ExperimentalWarning'];
const START_TIMEOUT_MS = 20_000;
const PROBLEM_JSON = /^application\/problem\+json/;

interface AppProcess {
  readonly child: ChildProcess;
  readonly dataDir: string;
  readonly url: string;
  readonly admin: string;
  readonly member: string;
}

/** Starts the fixture app with `env` and waits (bounded) for its `{ url, admin, member }` line. */
async function startApp(env: Record<string, string>): Promise<AppProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-express-'));
  const child = spawn(process.execPath, [...NODE_ARGS, FIXTURE], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GATEHOUSE_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const timeout = AbortSignal.timeout(START_TIMEOUT_MS);
  for (;;) {
    const next = await Promise.race([
      lines.next(),
      once(timeout, 'abort').then(() => {
        child.kill('SIGKILL');
        throw new Error('the Express fixture did not start in time');
      }),
    ]);
    if (next.done) throw new Error('the Express fixture exited before listening');
    if (!next.value.startsWith('{')) continue;
    const ready = JSON.parse(next.value) as { url: string; admin: string; member: string };
    return { child, dataDir, ...ready };
  }
}

async function stopApp(app: AppProcess | undefined): Promise<void> {
  if (!app) return;
  if (app.child.exitCode === null && app.child.signalCode === null) {
    app.child.kill('SIGKILL');
    await once(app.child, 'exit');
  }
  await rm(app.dataDir, { recursive: true, force: true });
}

async function login(base: string, email: string): Promise<string> {
  const response = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: GOOD_PASSWORD }),
  });
  const body = (await response.json()) as { accessToken?: string };
  assert.equal(response.status, 200, JSON.stringify(body));
  return String(body.accessToken);
}

/** A signing API key of the member, created over HTTP through the adapter. */
async function signingKeyOn(base: string, token: string) {
  const created = await fetch(`${base}/api/users/me/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ name: 'express signing key', signing: true }),
  });
  const body = (await created.json()) as { apiKey?: unknown };
  assert.equal(created.status, 201, JSON.stringify(body));
  return signingKeyOf(parseApiKey(body.apiKey));
}

/** PATCH /api/users/me signed over exactly `body`; answers the status and the name it set. */
async function signedRename(base: string, key: ReturnType<typeof signingKeyOf>, body: string) {
  const url = `${base}/api/users/me`;
  const response = await fetch(
    url,
    signedFetchInit({ keyId: key.keyId, secret: key.secret, method: 'PATCH', url, body }),
  );
  const reply = (await response.json()) as { user?: { name?: string }; code?: string };
  return { status: response.status, name: reply.user?.name, code: reply.code };
}

const apps: Partial<Record<'before' | 'after' | 'relative' | 'mismatch', AppProcess>> = {};

before(async () => {
  const [beforeApp, afterApp, relative, mismatch] = await Promise.all([
    startApp({ BODY_PARSERS: 'before' }),
    startApp({ BODY_PARSERS: 'after' }),
    startApp({ BASE_PATH: '' }),
    startApp({ BASE_PATH: '/auth' }),
  ]);
  Object.assign(apps, { before: beforeApp, after: afterApp, relative, mismatch });
});

after(async () => {
  await Promise.all(Object.values(apps).map(stopApp));
});

describe('gatehouse/express in real Express 5 processes', () => {
  it('serves Gatehouse routes under the mount path once, and only there', async () => {
    const app = apps.before!;
    const token = await login(app.url, 'member@example.com');
    const me = await fetch(`${app.url}/api/users/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { user: { id: string } }).user.id, app.member);
    // Express matched the mount without regard to case: the same route, not a 500 mismatch.
    const shouted = await fetch(`${app.url}/API/users/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(shouted.status, 200, 'a mount prefix in another case is still the mount');
    for (const path of ['/api/api/auth/login', '/auth/login']) {
      const elsewhere = await fetch(`${app.url}${path}`, { method: 'POST' });
      assert.equal(elsewhere.status, 404, `${path} is not Gatehouse's`);
      assert.doesNotMatch(
        elsewhere.headers.get('content-type') ?? '',
        PROBLEM_JSON,
        `${path} is Express's 404`,
      );
    }
  });

  it('GET /public falls through to the application; /api/me is 401 problem+json anonymous, 200 signed in', async () => {
    const app = apps.before!;
    const open = await fetch(`${app.url}/public`);
    assert.equal(open.status, 200);
    assert.deepEqual(await open.json(), { ok: true });
    const anonymous = await fetch(`${app.url}/api/me`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('content-type') ?? '', PROBLEM_JSON);
    assert.equal(((await anonymous.json()) as { code: string }).code, 'UNAUTHENTICATED');
    const token = await login(app.url, 'member@example.com');
    const me = await fetch(`${app.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200);
    assert.deepEqual(await me.json(), { userId: app.member });
  });

  it('GET /api/admin: 403 problem+json without the admin role, 200 with it', async () => {
    const app = apps.before!;
    const member = await login(app.url, 'member@example.com');
    const refused = await fetch(`${app.url}/api/admin`, { headers: { authorization: `Bearer ${member}` } });
    assert.equal(refused.status, 403);
    assert.match(refused.headers.get('content-type') ?? '', PROBLEM_JSON);
    assert.equal(((await refused.json()) as { code: string }).code, 'INSUFFICIENT_ROLES');
    const admin = await login(app.url, 'admin@example.com');
    const allowed = await fetch(`${app.url}/api/admin`, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(allowed.status, 200);
    assert.deepEqual(await allowed.json(), { userId: app.admin, admin: true });
  });

  it('auth.api.getUser answers the caller’s public view in an application handler', async () => {
    const app = apps.before!;
    const token = await login(app.url, 'member@example.com');
    const response = await fetch(`${app.url}/api/profile`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    const { user } = (await response.json()) as { user: Record<string, unknown> };
    assert.equal(user.id, app.member);
    assert.equal(user.email, 'member@example.com');
    for (const secret of ['passwordHash', 'securityStamp', 'totpSecret']) assert.equal(secret in user, false);
  });

  for (const order of ['before', 'after'] as const) {
    it(`body parsers ${order} the adapter: Gatehouse and the application both get the JSON body`, async () => {
      const app = apps[order]!;
      const token = await login(app.url, 'member@example.com');
      const echo = await fetch(`${app.url}/api/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ hello: 'world' }),
      });
      assert.deepEqual(await echo.json(), { parsed: { hello: 'world' } });
      // Malformed JSON to a Gatehouse route is still Gatehouse's 400 problem, whatever the order.
      const malformed = await fetch(`${app.url}/api/users/me`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: '{"name":',
      });
      assert.equal(malformed.status, 400);
      // After the adapter, Gatehouse reads the bytes itself: its own problem+json. Before it,
      // express.json() refuses the body first, with the application's error handling.
      if (order === 'after') assert.match(malformed.headers.get('content-type') ?? '', PROBLEM_JSON);
    });

    it(`a signed PATCH with a JSON body, parsers ${order} the adapter - should verify and rename`, async () => {
      const app = apps[order]!;
      const token = await login(app.url, 'member@example.com');
      const key = await signingKeyOn(app.url, token);
      const renamed = await signedRename(app.url, key, JSON.stringify({ name: `Signed ${order}` }));
      assert.deepEqual(renamed, { status: 200, name: `Signed ${order}`, code: undefined });
      // The signature covers the bytes: a body changed after signing is refused.
      const url = `${app.url}/api/users/me`;
      const init = signedFetchInit({
        keyId: key.keyId,
        secret: key.secret,
        method: 'PATCH',
        url,
        body: '{"name":"A"}',
      });
      const tampered = await fetch(url, { ...init, body: '{"name":"B"}' });
      assert.equal(tampered.status, 401);
    });
  }

  it('a signed body formatted with spaces verifies when the parsers come after the adapter (the exact bytes reach Gatehouse)', async () => {
    const app = apps.after!;
    const token = await login(app.url, 'member@example.com');
    const key = await signingKeyOn(app.url, token);
    const renamed = await signedRename(app.url, key, '{ "name" : "Spaced Name" }');
    assert.deepEqual(renamed, { status: 200, name: 'Spaced Name', code: undefined });
  });

  it('an empty http.basePath: Gatehouse routes relative to the mount (/api/auth/login, /api/users/me)', async () => {
    const app = apps.relative!;
    const token = await login(app.url, 'member@example.com');
    const me = await fetch(`${app.url}/api/users/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200);
    const admin = await fetch(`${app.url}/api/admin`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(admin.status, 403);
  });

  it('an empty http.basePath: a request signed over /api/users/me?… verifies (Gatehouse checks the URL the client sent)', async () => {
    const app = apps.relative!;
    const key = await memberSigningKey(app.url);
    const read = await signedCall(app.url, key, { method: 'GET', signedPath: '/api/users/me?b=2&a=1' });
    assert.equal(read.status, 200, read.code);
    const body = JSON.stringify({ name: 'Signed Under A Prefix' });
    const renamed = await signedCall(app.url, key, { method: 'PATCH', signedPath: '/api/users/me', body });
    assert.deepEqual(renamed, { status: 200, code: undefined, name: 'Signed Under A Prefix' });
  });

  it('an empty http.basePath: a signature over the path without the mount, or another path, is refused whatever headers claim', async () => {
    const app = apps.relative!;
    const key = await memberSigningKey(app.url);
    const cases = [
      { method: 'GET', signedPath: '/users/me', sentPath: '/api/users/me' },
      {
        method: 'GET',
        signedPath: '/users/me',
        sentPath: '/api/users/me',
        extraHeaders: FORGED_MOUNT_HEADERS,
      },
      // A captured signature for one route replayed on another, with headers naming the signed URL.
      {
        method: 'GET',
        signedPath: '/api/users/me',
        sentPath: '/api/users/me/sessions',
        extraHeaders: FORGED_MOUNT_HEADERS,
      },
    ];
    for (const call of cases) {
      assert.deepEqual(await signedCall(app.url, key, call), {
        status: 401,
        code: 'SIGNATURE_INVALID',
        name: undefined,
      });
    }
  });

  it('http.basePath differing from the mount path - should answer 500 problem+json naming the mismatch, not the paths', async () => {
    const app = apps.mismatch!;
    const response = await fetch(`${app.url}/api/auth/login`, { method: 'POST' });
    assert.equal(response.status, 500);
    assert.match(response.headers.get('content-type') ?? '', PROBLEM_JSON);
    const text = await response.text();
    const problem = JSON.parse(text) as { code: string; detail: string };
    assert.equal(problem.code, 'INTERNAL');
    assert.match(problem.detail, /mounted under a path that differs from its http\.basePath/);
    assert.doesNotMatch(text, /\/api|\/auth\b(?!\.)/, 'neither path is echoed');
    const open = await fetch(`${app.url}/public`);
    assert.equal(open.status, 200, 'routes outside the mount are untouched');
  });
});
