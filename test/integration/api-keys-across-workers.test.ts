/**
 * API keys across processes: a key revoked or narrowed on one worker must stop (or narrow) on
 * every other worker on the very next request, even when that worker has just served the key
 * from the lookup cache.
 *
 * Two real `gatehouse serve` processes in production mode share one PostgreSQL database and one
 * Redis, with the same secrets. The owner is an admin made by `gatehouse create-user --admin`;
 * a key holding the `admin` scope passes the role check of the admin API-key routes (and is
 * then refused there only for being a key, 403 PASSWORD_SESSION_REQUIRED), while a key without
 * it is refused by the role check (403 INSUFFICIENT_ROLES): that is how a worker's view of the
 * key's scopes shows over HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createApiKeyOn,
  type RawApiKey,
  signInOn,
  startTwoWorkers,
  type TwoWorkers,
} from '../fixtures/api-keys.ts';
import { type JsonReply, jsonCall } from '../fixtures/production-server.ts';
import type { ServerProcess } from '../fixtures/spawn-server.ts';

const ADMIN = { email: 'key-admin@example.com', password: 'juniper-Beacon-oxide-53' };

let workers: TwoWorkers | undefined;
let workerA: ServerProcess;
let workerB: ServerProcess;
let adminId = '';
/** The admin's password-backed access token (signed in on B). */
let adminToken = '';

function expectProblem(reply: JsonReply, status: number, code: string, label: string): void {
  assert.equal(reply.status, status, `${label}: ${JSON.stringify(reply.body)}`);
  assert.equal(reply.code, code, label);
}

/** Creates a live key on `worker` with the admin's session. */
function createKey(worker: ServerProcess, body: { name: string; scopes?: string[] }): Promise<RawApiKey> {
  return createApiKeyOn(worker, adminToken, body, { env: 'live' });
}

async function assertKeyWorks(worker: ServerProcess, apiKey: string, label: string): Promise<void> {
  const reply = await jsonCall(worker.url, 'GET', '/users/me', { token: apiKey });
  assert.equal(reply.status, 200, `${label}: ${JSON.stringify(reply.body)}`);
  assert.equal((reply.body?.user as { id?: string } | undefined)?.id, adminId, label);
}

/** The admin route as `apiKey` sees it: 403 PASSWORD_SESSION_REQUIRED with `admin`, INSUFFICIENT_ROLES without. */
function adminRouteWith(worker: ServerProcess, apiKey: string): Promise<JsonReply> {
  return jsonCall(worker.url, 'GET', `/admin/users/${adminId}/api-keys`, { token: apiKey });
}

before(async () => {
  workers = await startTwoWorkers({ admins: [ADMIN] });
  ({ workerA, workerB } = workers);
  ({ userId: adminId, accessToken: adminToken } = await signInOn(workerB, ADMIN));
});

after(async () => {
  await workers?.stop();
});

describe('API keys across two workers', () => {
  it('workers - should be two processes on two ports', () => {
    assert.notEqual(workerA.url, workerB.url);
    assert.notEqual(workerA.child.pid, workerB.child.pid);
  });

  it('revoked on B - a key just used on A should be refused on A at once (401 API_KEY_REVOKED)', async () => {
    const key = await createKey(workerB, { name: 'revoked elsewhere' });
    await assertKeyWorks(workerA, key.apiKey, 'first use on A');
    await assertKeyWorks(workerA, key.apiKey, 'cached use on A');
    await assertKeyWorks(workerB, key.apiKey, 'use on B');

    const revoked = await jsonCall(workerB.url, 'DELETE', `/users/me/api-keys/${key.keyId}`, {
      token: adminToken,
    });
    assert.equal(revoked.status, 204, JSON.stringify(revoked.body));
    for (const [name, worker] of [
      ['A', workerA],
      ['B', workerB],
    ] as const) {
      const reply = await jsonCall(worker.url, 'GET', '/users/me', { token: key.apiKey });
      expectProblem(reply, 401, 'API_KEY_REVOKED', `the revoked key on ${name}`);
    }
  });

  it('rescoped on B - a key just used on A should be narrowed on A at once', async () => {
    const key = await createKey(workerB, { name: 'narrowed elsewhere', scopes: ['admin'] });
    // On A, twice (the second from the cache): the key holds `admin`.
    for (const label of ['first use on A', 'cached use on A']) {
      expectProblem(await adminRouteWith(workerA, key.apiKey), 403, 'PASSWORD_SESSION_REQUIRED', label);
    }

    const patched = await jsonCall(workerB.url, 'PATCH', `/users/me/api-keys/${key.keyId}`, {
      token: adminToken,
      body: { scopes: [] },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual((patched.body?.key as { scopes?: string[] } | undefined)?.scopes, []);

    expectProblem(
      await adminRouteWith(workerA, key.apiKey),
      403,
      'INSUFFICIENT_ROLES',
      'the narrowed key on A',
    );
    expectProblem(
      await adminRouteWith(workerB, key.apiKey),
      403,
      'INSUFFICIENT_ROLES',
      'the narrowed key on B',
    );
    // Narrowed, not revoked.
    await assertKeyWorks(workerA, key.apiKey, 'the narrowed key on A');
  });

  it('widened on A - a key just used on B should gain the scope on B at once', async () => {
    const key = await createKey(workerA, { name: 'widened elsewhere' });
    expectProblem(await adminRouteWith(workerB, key.apiKey), 403, 'INSUFFICIENT_ROLES', 'before, on B');
    expectProblem(await adminRouteWith(workerB, key.apiKey), 403, 'INSUFFICIENT_ROLES', 'cached, on B');
    const patched = await jsonCall(workerA.url, 'PATCH', `/users/me/api-keys/${key.keyId}`, {
      token: adminToken,
      body: { scopes: ['admin'] },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    expectProblem(await adminRouteWith(workerB, key.apiKey), 403, 'PASSWORD_SESSION_REQUIRED', 'after, on B');
  });
});
