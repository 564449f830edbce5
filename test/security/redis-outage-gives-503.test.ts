/**
 * Threat: Redis hangs or dies, and the auth service either hangs with it (requests pile up
 * behind a dead dependency until the process falls over) or keeps telling the load balancer it
 * is ready, so traffic keeps flowing to a worker that cannot record a revocation or burn a
 * single-use token.
 *
 * Invariant: a store outage fails closed: 503 with Retry-After, within the command timeout,
 * never a hang and never a 200. Liveness (`/health`) stays 200 so healthy processes are not
 * restarted, and readiness comes back by itself once Redis does.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Auth, createAuth, generateSecret } from '../../src/index.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';

/** Well under the 2 s per-check cap of /ready, so a pass shows the store timeout answered. */
const COMMAND_TIMEOUT_MS = 200;
/** The timeout plus slack for a loaded machine; still below the readiness cap, far from a hang. */
const MAX_ANSWER_MS = 1_500;
const CONCURRENT_REQUESTS = 20;
const RECOVERY_TIMEOUT_MS = 8_000;

let redis: RedisServer;
let auth: Auth;
let dataDir = '';

before(async () => {
  redis = await startRedis();
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-redis-outage-'));
  auth = await createAuth({
    secrets: [{ id: 'test', secret: generateSecret() }],
    dataDir,
    database: { url: `sqlite:${join(dataDir, 'gatehouse.db')}` },
    stores: {
      backend: 'redis',
      url: redis.url,
      keyPrefix: `outage-${randomUUID()}:`,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    },
    logLevel: 'silent',
  });
  await auth.migrate();
});

after(async () => {
  await auth?.close();
  await redis?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function timedGet(path: string): Promise<{ response: Response; elapsedMs: number }> {
  const started = performance.now();
  const response = await auth.fetch(new Request(`http://localhost${path}`));
  return { response, elapsedMs: performance.now() - started };
}

/** Asserts /ready fails closed: 503, Retry-After, the stores check named, in bounded time. */
async function assertReadyFailsClosed(): Promise<void> {
  const answers = await Promise.all(Array.from({ length: CONCURRENT_REQUESTS }, () => timedGet('/ready')));
  for (const { response, elapsedMs } of answers) {
    assert.equal(response.status, 503);
    assert.ok(elapsedMs < MAX_ANSWER_MS, `/ready took ${Math.round(elapsedMs)} ms`);
    assert.match(response.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    const problem = (await response.json()) as { code: string; checks: Record<string, string> };
    assert.equal(problem.code, 'SERVICE_UNAVAILABLE');
    assert.deepEqual(problem.checks, { database: 'ok', stores: 'failed', schema: 'ok' });
  }
}

async function assertReadyComesBack(): Promise<void> {
  const deadline = performance.now() + RECOVERY_TIMEOUT_MS;
  let status = 0;
  while (performance.now() < deadline) {
    const { response } = await timedGet('/ready');
    status = response.status;
    await response.body?.cancel();
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`/ready still answered ${status} ${RECOVERY_TIMEOUT_MS} ms after Redis came back`);
}

describe('redis outage', () => {
  it('healthy Redis - should answer /ready 200', async () => {
    const { response } = await timedGet('/ready');
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      status: 'ready',
      checks: { database: 'ok', stores: 'ok', schema: 'ok' },
    });
  });

  it('frozen Redis (SIGSTOP) - should answer /ready 503 with Retry-After within the command timeout', async () => {
    redis.freeze();
    try {
      await assertReadyFailsClosed();
      const { response, elapsedMs } = await timedGet('/health');
      assert.equal(response.status, 200, 'liveness must not depend on Redis');
      assert.ok(elapsedMs < 100);
    } finally {
      redis.thaw();
    }
    await assertReadyComesBack();
  });

  it('killed Redis - should answer /ready 503 with Retry-After within the command timeout', async () => {
    await redis.kill();
    await assertReadyFailsClosed();
    assert.equal((await timedGet('/health')).response.status, 200);
  });

  it('restarted Redis - should answer /ready 200 again without restarting the process', async () => {
    await redis.restart();
    await assertReadyComesBack();
  });
});
