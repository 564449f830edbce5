/**
 * The Redis stores keep their atomicity guarantees across processes: several Node processes
 * sharing one redis-server race on the same key, and the totals come out as if the calls had
 * run one at a time.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRedisStores } from '../../src/stores/redis/index.ts';
import { type LineWorker, startLineWorker } from '../fixtures/line-worker.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';

const WORKER = fileURLToPath(new URL('../fixtures/store-race-worker.ts', import.meta.url));
const WORKERS = 2;
const CALLS_PER_WORKER = 50;
const WORKER_TIMEOUT_MS = 10_000;

let server: RedisServer;

before(async () => {
  server = await startRedis();
});

after(async () => {
  await server?.stop();
});

type Worker = LineWorker;
const startWorker = (args: readonly string[]): Worker =>
  startLineWorker(WORKER, args, { timeoutMs: WORKER_TIMEOUT_MS });

/** Starts the workers, releases them together, and returns each worker's results. */
async function race(
  operation: string,
  keyPrefix: string,
  key: string,
  ...extraArgs: string[]
): Promise<unknown[][]> {
  const workers = Array.from({ length: WORKERS }, () =>
    startWorker([server.url, keyPrefix, operation, key, String(CALLS_PER_WORKER), ...extraArgs]),
  );
  try {
    for (const worker of workers) assert.equal(await worker.nextLine(), 'ready');
    for (const worker of workers) worker.child.stdin.write('go\n');
    const results = await Promise.all(
      workers.map(async (worker) => JSON.parse(await worker.nextLine()) as unknown[]),
    );
    for (const result of results) assert.equal(result.length, CALLS_PER_WORKER);
    return results;
  } finally {
    for (const worker of workers) worker.child.kill();
  }
}

describe('redis stores across processes', { timeout: 30_000 }, () => {
  test('consumeOnce - should return true exactly once across every process', async () => {
    const results = await race('consumeOnce', `mp-${randomUUID()}:`, 'reset-token');
    const trues = results.flat().filter((value) => value === true).length;
    const falses = results.flat().filter((value) => value === false).length;
    assert.equal(trues, 1);
    assert.equal(falses, WORKERS * CALLS_PER_WORKER - 1);
  });

  test('increment - should hand out each value once across every process', async () => {
    const keyPrefix = `mp-${randomUUID()}:`;
    const results = await race('increment', keyPrefix, 'attempts');
    const values = (results.flat() as number[]).sort((a, b) => a - b);
    const total = WORKERS * CALLS_PER_WORKER;
    assert.deepEqual(
      values,
      Array.from({ length: total }, (_, i) => i + 1),
    );
    const stores = createRedisStores({ url: server.url, keyPrefix });
    try {
      assert.equal(await stores.counters.peek('attempts'), total);
    } finally {
      await stores.close();
    }
  });

  test('consume - should allow exactly `limit` requests in total across every process', async () => {
    const limit = 10;
    const keyPrefix = `mp-${randomUUID()}:`;
    const results = await race('consume', keyPrefix, 'login:ip:digest', String(limit));
    assert.equal(results.flat().filter((allowed) => allowed === true).length, limit);
    assert.equal(
      results.flat().filter((allowed) => allowed === false).length,
      WORKERS * CALLS_PER_WORKER - limit,
    );
    const stores = createRedisStores({ url: server.url, keyPrefix });
    try {
      // The budget the workers shared is spent for this process too.
      assert.equal(
        (await stores.rateLimiter.consume('login:ip:digest', { limit, windowMs: 60_000 })).allowed,
        false,
      );
    } finally {
      await stores.close();
    }
  });

  test('reserve - should grant exactly `limit` units in total across every process', async () => {
    const limit = 5;
    const keyPrefix = `mp-${randomUUID()}:`;
    const results = await race('reserve', keyPrefix, 'lockout:budget', String(limit));
    assert.equal(results.flat().filter((granted) => granted === true).length, limit);
    assert.equal(
      results.flat().filter((granted) => granted === false).length,
      WORKERS * CALLS_PER_WORKER - limit,
    );
    const stores = createRedisStores({ url: server.url, keyPrefix });
    try {
      // Refused reservations counted nothing: the counter holds exactly the budget.
      assert.equal(await stores.counters.peek('lockout:budget'), limit);
    } finally {
      await stores.close();
    }
  });

  test('getAndDelete - should hand the value to exactly one caller across every process', async () => {
    const keyPrefix = `mp-${randomUUID()}:`;
    const stores = createRedisStores({ url: server.url, keyPrefix });
    try {
      await stores.keyValue.set('flow-state', 'the-only-one', 60_000);
    } finally {
      await stores.close();
    }
    const results = await race('getAndDelete', keyPrefix, 'flow-state');
    assert.deepEqual(
      results.flat().filter((value) => value !== null),
      ['the-only-one'],
    );
  });
});
