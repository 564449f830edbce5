/**
 * Threat: Redis goes down or hangs, and a store call either waits forever (requests pile up
 * until the server falls over) or answers as if it had worked (a single-use token accepted
 * twice, a revocation silently not recorded, an attempt not counted, a request let through
 * unlimited).
 *
 * Invariant: while Redis is stopped, frozen or not yet reachable, every store call rejects
 * with a StoreError within about `commandTimeoutMs`; none resolves. When Redis is back, calls
 * succeed again without restarting the process.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createRedisStores, isStoreError, type Stores } from '../../src/stores/redis/index.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';

const COMMAND_TIMEOUT_MS = 500;
/** The timeout plus slack for a loaded machine: still far from a hang. */
const MAX_FAILURE_MS = 1_500;
const RECOVERY_TIMEOUT_MS = 5_000;

/** One call of every store method, so an outage is checked against all of them. */
function everyStoreCall(stores: Stores): Record<string, () => Promise<unknown>> {
  return {
    'keyValue.get': () => stores.keyValue.get('k'),
    'keyValue.set': () => stores.keyValue.set('k', 'v', 60_000),
    'keyValue.setIfAbsent': () => stores.keyValue.setIfAbsent('k', 'v', 60_000),
    'keyValue.getAndDelete': () => stores.keyValue.getAndDelete('k'),
    'keyValue.delete': () => stores.keyValue.delete('k'),
    'once.consumeOnce': () => stores.once.consumeOnce('token', 60_000),
    'once.isConsumed': () => stores.once.isConsumed('token'),
    'counters.increment': () => stores.counters.increment('c', 60_000),
    'counters.reserve': () => stores.counters.reserve('c', 5, 60_000),
    'counters.release': () => stores.counters.release('c'),
    'counters.expire': () => stores.counters.expire('c', 60_000),
    'counters.peek': () => stores.counters.peek('c'),
    'counters.reset': () => stores.counters.reset('c'),
    'denylist.add': () => stores.denylist.add('jti', 60_000),
    'denylist.get': () => stores.denylist.get('jti'),
    'denylist.getMany': () => stores.denylist.getMany(['jti', 'sid']),
    'rateLimiter.consume': () => stores.rateLimiter.consume('login:ip', { limit: 5, windowMs: 60_000 }),
    'rateLimiter.reset': () => stores.rateLimiter.reset('login:ip'),
    ping: () => stores.ping(),
  };
}

/** Runs every call at once and checks each one rejects with a StoreError, promptly. */
async function assertEveryCallFailsClosed(stores: Stores, expectedKinds: readonly string[]): Promise<void> {
  const outcomes = await Promise.all(
    Object.entries(everyStoreCall(stores)).map(async ([method, call]) => {
      const started = performance.now();
      try {
        const value = await call();
        return { method, elapsedMs: performance.now() - started, resolved: true, value, error: undefined };
      } catch (error) {
        return { method, elapsedMs: performance.now() - started, resolved: false, value: undefined, error };
      }
    }),
  );
  for (const { method, elapsedMs, resolved, value, error } of outcomes) {
    assert.equal(resolved, false, `${method} resolved with ${JSON.stringify(value)} during the outage`);
    assert.ok(isStoreError(error), `${method} rejected with ${String(error)}, not a StoreError`);
    assert.ok(expectedKinds.includes(error.kind), `${method} failed with kind ${error.kind}`);
    assert.ok(error.retryAfterSeconds >= 1, `${method} gave no Retry-After`);
    assert.ok(elapsedMs < MAX_FAILURE_MS, `${method} took ${Math.round(elapsedMs)} ms to fail`);
  }
}

async function eventually(check: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + RECOVERY_TIMEOUT_MS;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

// A regression that hangs must fail the run, not stall it.
describe('store outage fails closed', { timeout: 15_000 }, () => {
  let server: RedisServer;
  let stores: Stores;

  beforeEach(async () => {
    server = await startRedis();
    stores = createRedisStores({ url: server.url, commandTimeoutMs: COMMAND_TIMEOUT_MS });
    await stores.ping();
  });

  afterEach(async () => {
    server.thaw();
    await stores.close();
    await server.stop();
  });

  test('frozen Redis (SIGSTOP) - every store call should reject with a StoreError within the timeout', async () => {
    await stores.once.consumeOnce('used-before-the-freeze', 60_000);
    server.freeze();
    await assertEveryCallFailsClosed(stores, ['timeout']);
    // Even a marker that exists is not reported either way while Redis cannot answer.
    await assert.rejects(stores.once.consumeOnce('used-before-the-freeze', 60_000), isStoreError);

    server.thaw();
    await eventually(() => stores.ping());
    assert.equal(await stores.once.consumeOnce('used-before-the-freeze', 60_000), false);
  });

  test('frozen Redis (SIGSTOP) - rateLimiter.consume should never let a request through unlimited', async () => {
    const rule = { limit: 2, windowMs: 60_000 };
    for (let i = 0; i < rule.limit; i++)
      assert.equal((await stores.rateLimiter.consume('ip', rule)).allowed, true);
    server.freeze();
    const started = performance.now();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, () => stores.rateLimiter.consume('ip', rule)),
    );
    assert.ok(performance.now() - started < MAX_FAILURE_MS, 'consume hung past the timeout');
    for (const outcome of outcomes) {
      assert.equal(outcome.status, 'rejected');
      assert.ok(isStoreError(outcome.reason) && outcome.reason.kind === 'timeout', String(outcome.reason));
    }

    server.thaw();
    await eventually(() => stores.ping());
    // The budget spent before the outage is still spent: the outage reset nothing.
    assert.equal((await stores.rateLimiter.consume('ip', rule)).allowed, false);
  });

  test('stopped Redis (killed) - every store call should reject with a StoreError within the timeout', async () => {
    await server.kill();
    await assertEveryCallFailsClosed(stores, ['unavailable', 'timeout']);
  });

  test('restarted Redis - store calls should succeed again after it comes back on the same port', async () => {
    await server.kill();
    await assert.rejects(stores.once.consumeOnce('token', 60_000), isStoreError);
    await server.restart();
    await eventually(() => stores.ping());
    assert.equal(await stores.once.consumeOnce('token', 60_000), true);
    assert.equal(await stores.once.consumeOnce('token', 60_000), false);
  });

  test('Redis down at start-up - calls should fail closed, then succeed once Redis is up', async () => {
    await server.kill();
    const late = createRedisStores({ url: server.url, commandTimeoutMs: COMMAND_TIMEOUT_MS });
    try {
      await assertEveryCallFailsClosed(late, ['unavailable']);
      await server.restart();
      await eventually(() => late.ping());
      assert.equal((await late.counters.increment('c', 60_000)).value, 1);
    } finally {
      await late.close();
    }
  });

  test('passed-in client with default settings - a frozen Redis should still fail within the timeout', async () => {
    // ioredis defaults queue commands while disconnected and set no command timeout, so only
    // the stores' own deadline bounds the call.
    const client = new Redis(server.url);
    client.on('error', () => {});
    const onCaller = createRedisStores({ client, commandTimeoutMs: COMMAND_TIMEOUT_MS });
    try {
      await onCaller.ping();
      server.freeze();
      await assertEveryCallFailsClosed(onCaller, ['timeout']);
      server.thaw();
      await eventually(() => onCaller.ping());
    } finally {
      server.thaw();
      client.disconnect();
    }
  });

  test('passed-in client with default settings - a stopped Redis should still fail within the timeout', async () => {
    const client = new Redis(server.url);
    client.on('error', () => {});
    const onCaller = createRedisStores({ client, commandTimeoutMs: COMMAND_TIMEOUT_MS });
    try {
      await onCaller.ping();
      await server.kill();
      await assertEveryCallFailsClosed(onCaller, ['timeout', 'unavailable']);
    } finally {
      client.disconnect();
    }
  });
});
