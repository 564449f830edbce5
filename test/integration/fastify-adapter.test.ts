/**
 * The Fastify adapter (`gatehouse/fastify`) in a real Fastify 5 process running the example's
 * app (test/fixtures/fastify-app.ts): Gatehouse's routes under the plugin's prefix, guards as
 * preHandlers, fall-through to application routes, Gatehouse's own body handling (raw bytes,
 * its problem+json for malformed and oversize bodies, signed requests), the raw-body parser
 * kept inside the plugin's encapsulation context, and onClose closing the Gatehouse instance.
 * The fixture gives the prefix both to the plugin and as http.basePath (equal, so applied once):
 * a signature covers the path the client sent, and Gatehouse then sees that same path. The
 * example's own entry point, started as its README says, runs with the plugin's prefix alone.
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
import { findFreePort } from '../fixtures/free-port.ts';
import { FORGED_MOUNT_HEADERS, memberSigningKey, signedCall } from '../fixtures/signed-through-mount.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/fastify-app.ts', import.meta.url));
const NODE_ARGS = ['--disable-warning=ExperimentalWarning'];
const START_TIMEOUT_MS = 20_000;

/** Reads the child's stdout line by line; `next()` resolves with the next JSON line. */
function jsonLines(child: ChildProcess): () => Promise<Record<string, unknown>> {
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return async () => {
    const timeout = AbortSignal.timeout(START_TIMEOUT_MS);
    for (;;) {
      const next = await Promise.race([
        lines.next(),
        once(timeout, 'abort').then(() => {
          throw new Error('no JSON line from the child in time');
        }),
      ]);
      if (next.done) throw new Error('the child closed its stdout');
      if (next.value.startsWith('{')) return JSON.parse(next.value) as Record<string, unknown>;
    }
  };
}

const PROBLEM_JSON = /^application\/problem\+json/;

let dataDir = '';
let child: ChildProcess;
let nextLine: () => Promise<Record<string, unknown>>;
let base = '';
let adminId = '';
let memberId = '';

async function login(email: string): Promise<string> {
  const response = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: GOOD_PASSWORD }),
  });
  const body = (await response.json()) as { accessToken?: string };
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(typeof body.accessToken, 'string');
  return body.accessToken as string;
}

describe('gatehouse/fastify in a real Fastify 5 process', () => {
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-fastify-'));
    child = spawn(process.execPath, [...NODE_ARGS, FIXTURE], {
      env: { ...process.env, GATEHOUSE_DATA_DIR: dataDir },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    nextLine = jsonLines(child);
    const ready = await nextLine();
    base = ready.url as string;
    adminId = ready.admin as string;
    memberId = ready.member as string;
  });

  after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves Gatehouse routes under the prefix, once (/api/auth/login, /api/users/me)', async () => {
    const token = await login('member@example.com');
    const me = await fetch(`${base}/api/users/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { user: { id: string } }).user.id, memberId);
    const doubled = await fetch(`${base}/api/api/auth/login`, { method: 'POST' });
    assert.equal(doubled.status, 404, 'the prefix is not applied twice');
    const unprefixed = await fetch(`${base}/auth/login`, { method: 'POST' });
    assert.equal(unprefixed.status, 404, 'Gatehouse routes live only under the prefix');
  });

  it('GET /public falls through to the application, and /api/me answers the signed-in user', async () => {
    const open = await fetch(`${base}/public`);
    assert.equal(open.status, 200);
    assert.deepEqual(await open.json(), { ok: true });

    const anonymous = await fetch(`${base}/api/me`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('content-type') ?? '', PROBLEM_JSON);
    assert.equal(((await anonymous.json()) as { code: string }).code, 'UNAUTHENTICATED');

    const token = await login('member@example.com');
    const me = await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200);
    assert.deepEqual(await me.json(), { userId: memberId });
  });

  it('GET /api/admin: 403 problem+json without the admin role, 200 with it', async () => {
    const member = await login('member@example.com');
    const refused = await fetch(`${base}/api/admin`, { headers: { authorization: `Bearer ${member}` } });
    assert.equal(refused.status, 403);
    assert.match(refused.headers.get('content-type') ?? '', PROBLEM_JSON);
    assert.equal(((await refused.json()) as { code: string }).code, 'INSUFFICIENT_ROLES');

    const admin = await login('admin@example.com');
    const allowed = await fetch(`${base}/api/admin`, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(allowed.status, 200);
    assert.deepEqual(await allowed.json(), { userId: adminId, admin: true });
  });

  it('answers a malformed JSON body with Gatehouse’s MALFORMED_BODY problem, not Fastify’s error', async () => {
    const response = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email": "member@example.com",',
    });
    assert.equal(response.status, 400);
    assert.match(response.headers.get('content-type') ?? '', PROBLEM_JSON);
    assert.equal(((await response.json()) as { code: string }).code, 'MALFORMED_BODY');
  });

  it('answers an oversize body with Gatehouse’s PAYLOAD_TOO_LARGE problem', async () => {
    const response = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'member@example.com', password: 'x'.repeat(64 * 1024) }),
    });
    assert.equal(response.status, 413);
    assert.match(response.headers.get('content-type') ?? '', PROBLEM_JSON);
    assert.equal(((await response.json()) as { code: string }).code, 'PAYLOAD_TOO_LARGE');
  });

  it('verifies a request signed over its body (the adapter hands Gatehouse the raw bytes)', async () => {
    const token = await login('member@example.com');
    const created = await fetch(`${base}/api/users/me/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: 'fastify signing key', signing: true }),
    });
    const createdBody = (await created.json()) as { apiKey: string };
    assert.equal(created.status, 201, JSON.stringify(createdBody));
    const key = signingKeyOf(parseApiKey(createdBody.apiKey));

    // Whitespace Fastify's JSON parser would not keep: the signature covers these exact bytes.
    const body = '{ "name" :  "Signed Through Fastify" }';
    const url = `${base}/api/users/me`;
    const signed = await fetch(
      url,
      signedFetchInit({ keyId: key.keyId, secret: key.secret, method: 'PATCH', url, body }),
    );
    assert.equal(signed.status, 200, await signed.clone().text());
    assert.equal(((await signed.json()) as { user: { name: string } }).user.name, 'Signed Through Fastify');

    const init = signedFetchInit({ keyId: key.keyId, secret: key.secret, method: 'PATCH', url, body });
    const tampered = await fetch(url, { ...init, body: '{ "name" :  "Tampered Through Fastify" }' });
    assert.equal(tampered.status, 401, 'a body other than the signed one is refused');
    assert.match(tampered.headers.get('content-type') ?? '', PROBLEM_JSON);
  });

  it('leaves Fastify’s JSON parser to the application’s own routes (encapsulation)', async () => {
    const response = await fetch(`${base}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'fastify' }),
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { parsed: { hello: 'fastify' } });
    const malformed = await fetch(`${base}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    assert.equal(malformed.status, 400);
    assert.equal(((await malformed.json()) as { code: string }).code, 'FST_ERR_CTP_INVALID_JSON_BODY');
  });

  it('closes the Gatehouse instance when Fastify closes (onClose)', async () => {
    child.stdin!.write('close\n');
    const closed = await nextLine();
    assert.deepEqual(closed, { closed: true, authClosed: true });
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  });
});

describe('examples/fastify/server.ts, started as its README says', () => {
  it('listens on $PORT with SQLite in $GATEHOUSE_DATA_DIR and answers GET /public', async () => {
    const exampleDir = await mkdtemp(join(tmpdir(), 'gatehouse-fastify-example-'));
    const port = await findFreePort();
    const example = spawn(process.execPath, [...NODE_ARGS, 'examples/fastify/server.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), GATEHOUSE_DATA_DIR: exampleDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const lines = createInterface({ input: example.stdout! });
      const deadline = AbortSignal.timeout(START_TIMEOUT_MS);
      for await (const line of lines) {
        if (line.includes('listening on')) break;
        if (deadline.aborted) throw new Error('the example did not start in time');
      }
      const open = await fetch(`http://127.0.0.1:${port}/public`);
      assert.deepEqual(await open.json(), { ok: true });
      const admin = await fetch(`http://127.0.0.1:${port}/api/admin`);
      assert.equal(admin.status, 401);
      const health = await fetch(`http://127.0.0.1:${port}/api/health`);
      assert.equal(health.status, 200);
    } finally {
      example.kill('SIGTERM');
      await once(example, 'exit');
      await rm(exampleDir, { recursive: true, force: true });
    }
  });
});

describe('gatehouse/fastify with the prefix given to the plugin alone (http.basePath empty)', () => {
  let relativeDir = '';
  let relative: ChildProcess;
  let relativeBase = '';

  before(async () => {
    relativeDir = await mkdtemp(join(tmpdir(), 'gatehouse-fastify-relative-'));
    relative = spawn(process.execPath, [...NODE_ARGS, FIXTURE], {
      env: { ...process.env, GATEHOUSE_DATA_DIR: relativeDir, BASE_PATH: '' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    relativeBase = (await jsonLines(relative)()).url as string;
  });

  after(async () => {
    if (relative.exitCode === null && relative.signalCode === null) {
      relative.kill('SIGKILL');
      await once(relative, 'exit');
    }
    await rm(relativeDir, { recursive: true, force: true });
  });

  it('a request signed over /api/users/me?… verifies (Gatehouse checks the URL the client sent)', async () => {
    const key = await memberSigningKey(relativeBase);
    const read = await signedCall(relativeBase, key, { method: 'GET', signedPath: '/api/users/me?b=2&a=1' });
    assert.equal(read.status, 200, read.code);
    const body = '{ "name" :  "Signed Under A Fastify Prefix" }';
    const renamed = await signedCall(relativeBase, key, {
      method: 'PATCH',
      signedPath: '/api/users/me',
      body,
    });
    assert.deepEqual(renamed, { status: 200, code: undefined, name: 'Signed Under A Fastify Prefix' });
  });

  it('a signature over the path without the prefix, or another path, is refused whatever headers claim', async () => {
    const key = await memberSigningKey(relativeBase);
    const cases = [
      { method: 'GET', signedPath: '/users/me', sentPath: '/api/users/me' },
      {
        method: 'GET',
        signedPath: '/users/me',
        sentPath: '/api/users/me',
        extraHeaders: FORGED_MOUNT_HEADERS,
      },
      {
        method: 'GET',
        signedPath: '/api/users/me',
        sentPath: '/api/users/me/sessions',
        extraHeaders: FORGED_MOUNT_HEADERS,
      },
    ];
    for (const call of cases) {
      assert.deepEqual(await signedCall(relativeBase, key, call), {
        status: 401,
        code: 'SIGNATURE_INVALID',
        name: undefined,
      });
    }
  });
});

describe('gatehouse/fastify and the mount-path rule', () => {
  it('refuses at registration a prefix that differs from http.basePath (it would apply twice)', async () => {
    const { default: Fastify } = await import('fastify');
    const { createAuth } = await import('../../src/index.ts');
    const { default: gatehouse } = await import('../../src/http/adapters/fastify/index.ts');
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-fastify-mount-'));
    const auth = await createAuth({ dataDir: dir, logLevel: 'silent', http: { basePath: '/auth' } });
    const app = Fastify();
    try {
      await assert.rejects(
        async () => {
          await app.register(gatehouse, { auth, prefix: '/api' });
          await app.ready();
        },
        (error: Error) =>
          error instanceof TypeError && /prefix and http\.basePath differ/.test(error.message),
      );
    } finally {
      await app.close().catch(() => undefined);
      await auth.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('leaves an instance the app owns open when closeOnShutdown is false', async () => {
    const { default: Fastify } = await import('fastify');
    const { createAuth } = await import('../../src/index.ts');
    const { default: gatehouse } = await import('../../src/http/adapters/fastify/index.ts');
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-fastify-owned-'));
    const auth = await createAuth({ dataDir: dir, logLevel: 'silent' });
    try {
      await auth.migrate();
      const app = Fastify();
      await app.register(gatehouse, { auth, prefix: '/api', closeOnShutdown: false });
      const health = await app.inject({ method: 'GET', url: '/api/health' });
      assert.equal(health.statusCode, 200);
      await app.close();
      const user = await auth.api.users.create({
        email: 'owned@example.com',
        password: GOOD_PASSWORD,
        emailVerified: true,
      });
      assert.equal(user.email, 'owned@example.com', 'the instance still works after app.close()');
    } finally {
      await auth.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
