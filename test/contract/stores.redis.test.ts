import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { loadIoredis } from '../../src/stores/redis/connect.ts';
import { createRedisStores, isStoreError, type RedisClientLike } from '../../src/stores/redis/index.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';
import { runStoreContract } from './stores.contract.ts';

let server: RedisServer;
/** A plain client for inspecting what the stores wrote. */
let raw: Redis;

before(async () => {
  server = await startRedis();
  raw = new Redis(server.url);
});

after(async () => {
  await raw?.quit();
  await server?.stop();
});

/** A prefix no other case uses, so cases sharing the server never see each other's keys. */
function uniquePrefix(): string {
  return `test-${randomUUID()}:`;
}

runStoreContract('redis stores (from a URL)', async () => {
  const stores = createRedisStores({ url: server.url, keyPrefix: uniquePrefix() });
  return { stores, cleanup: () => stores.close() };
});

describe('redis stores', () => {
  test('capabilities - should declare a shared backend that survives restarts', async () => {
    const stores = createRedisStores({ url: server.url });
    try {
      assert.deepEqual(stores.keyValue.capabilities, {
        backend: 'redis',
        shared: true,
        survivesRestart: true,
      });
    } finally {
      await stores.close();
    }
  });

  test('keyPrefix - should keep bundles with different prefixes apart', async () => {
    const first = createRedisStores({ client: raw, keyPrefix: uniquePrefix() });
    const second = createRedisStores({ client: raw, keyPrefix: uniquePrefix() });
    await first.keyValue.set('k', 'first', 60_000);
    assert.equal(await first.once.consumeOnce('token', 60_000), true);
    await first.counters.increment('c', 60_000, 5);
    await first.denylist.add('jti', 60_000);

    assert.equal(await second.keyValue.get('k'), null);
    assert.equal(await second.once.consumeOnce('token', 60_000), true);
    assert.equal(await second.counters.peek('c'), 0);
    assert.equal(await second.denylist.get('jti'), null);
  });

  test('keyPrefix - should default to gh: and namespace each store', async () => {
    const stores = createRedisStores({ client: raw });
    const key = `default-prefix-${randomUUID()}`;
    await stores.keyValue.set(key, 'v', 60_000);
    await stores.once.consumeOnce(key, 60_000);
    await stores.counters.increment(key, 60_000);
    await stores.denylist.add(key, 60_000);
    await stores.rateLimiter.consume(key, { limit: 5, windowMs: 60_000 });
    for (const namespace of ['kv', 'once', 'ctr', 'deny', 'rl']) {
      assert.equal(await raw.exists(`gh:${namespace}:${key}`), 1, namespace);
    }
    await raw.del(...['kv', 'once', 'ctr', 'deny', 'rl'].map((namespace) => `gh:${namespace}:${key}`));
  });

  test('every write - should leave a TTL on every key it writes', async () => {
    const prefix = uniquePrefix();
    const stores = createRedisStores({ client: raw, keyPrefix: prefix });
    await stores.keyValue.set('set', 'v', 60_000);
    await stores.keyValue.setIfAbsent('set-if-absent', 'v', 60_000);
    await stores.once.consumeOnce('once', 60_000);
    await stores.counters.increment('counter', 60_000);
    await stores.counters.increment('counter', 60_000, 3);
    await stores.denylist.add('deny', 60_000);
    await stores.denylist.add('deny', 1_000, 'shorter');
    await stores.denylist.add('deny-extended', 1_000);
    await stores.denylist.add('deny-extended', 60_000);

    const keys = await raw.keys(`${prefix}*`);
    assert.equal(keys.length, 6);
    for (const key of keys) {
      const ttl = await raw.pttl(key);
      assert.ok(ttl > 50_000 && ttl <= 60_000, `${key} has PTTL ${ttl}`);
    }
  });

  test('increment - should give a counter left without an expiry its TTL', async () => {
    // Not written by Gatehouse, but a counter must never live forever whatever wrote it.
    const prefix = uniquePrefix();
    await raw.set(`${prefix}ctr:legacy`, '4');
    const stores = createRedisStores({ client: raw, keyPrefix: prefix });
    assert.deepEqual(await stores.counters.increment('legacy', 5_000), { value: 5, ttlMs: 5_000 });
    assert.ok((await raw.pttl(`${prefix}ctr:legacy`)) > 0);
  });

  test('reserve - should give a counter left without an expiry its TTL, granted or refused', async () => {
    const prefix = uniquePrefix();
    await raw.set(`${prefix}ctr:below`, '1');
    await raw.set(`${prefix}ctr:spent`, '3');
    const stores = createRedisStores({ client: raw, keyPrefix: prefix });
    assert.deepEqual(await stores.counters.reserve('below', 3, 5_000), {
      granted: true,
      value: 2,
      ttlMs: 5_000,
    });
    assert.deepEqual(await stores.counters.reserve('spent', 3, 5_000), {
      granted: false,
      value: 3,
      ttlMs: 5_000,
    });
    for (const key of ['below', 'spent']) assert.ok((await raw.pttl(`${prefix}ctr:${key}`)) > 0, key);
  });

  test('scripts - should load themselves again after the script cache is flushed', async () => {
    const stores = createRedisStores({ client: raw, keyPrefix: uniquePrefix() });
    assert.equal((await stores.counters.increment('c', 60_000)).value, 1);
    await raw.script('FLUSH');
    assert.equal((await stores.counters.increment('c', 60_000)).value, 2);
    await raw.script('FLUSH');
    await stores.denylist.add('jti', 60_000);
    assert.equal(await stores.denylist.get('jti'), '1');
    await raw.script('FLUSH');
    assert.equal((await stores.rateLimiter.consume('rl', { limit: 2, windowMs: 60_000 })).remaining, 1);
    await raw.script('FLUSH');
    assert.equal((await stores.rateLimiter.consume('rl', { limit: 2, windowMs: 60_000 })).remaining, 0);
  });

  test('consume - should leave a TTL on the key after every consume, allowed or refused', async () => {
    const prefix = uniquePrefix();
    const stores = createRedisStores({ client: raw, keyPrefix: prefix });
    const rule = { limit: 3, windowMs: 60_000 };
    for (let i = 0; i < rule.limit + 3; i++) {
      const decision = await stores.rateLimiter.consume('k', rule, { cost: i === 0 ? 2 : 1 });
      const ttl = await raw.pttl(`${prefix}rl:k`);
      assert.ok(
        ttl > 0 && ttl <= rule.windowMs,
        `consume ${i} (allowed: ${decision.allowed}) left PTTL ${ttl}`,
      );
      // The key lives exactly until the budget is full again.
      assert.ok(Math.abs(ttl - decision.resetMs) < 100, `PTTL ${ttl}, resetMs ${decision.resetMs}`);
    }
    await stores.rateLimiter.reset('k');
    assert.equal(await raw.exists(`${prefix}rl:k`), 0);
  });

  test('consume - should give an expiry to a state key found without one', async () => {
    // Not written by Gatehouse, but a budget must never live forever whatever wrote it.
    const prefix = uniquePrefix();
    const [seconds] = await raw.time();
    const farAhead = Number(seconds) * 1000 + 3_600_000;
    await raw.set(`${prefix}rl:legacy`, `${farAhead}:0`);
    const stores = createRedisStores({ client: raw, keyPrefix: prefix });
    const refused = await stores.rateLimiter.consume('legacy', { limit: 2, windowMs: 60_000 });
    assert.equal(refused.allowed, false);
    // The state is capped at one window, so a stray far-future TAT refuses for at most that.
    assert.ok(refused.resetMs <= 60_000, `resetMs ${refused.resetMs}`);
    const ttl = await raw.pttl(`${prefix}rl:legacy`);
    assert.ok(ttl > 0 && ttl <= 60_000, `PTTL ${ttl}`);
  });

  test('consume - should fail closed on a state key it cannot read', async () => {
    const prefix = uniquePrefix();
    await raw.set(`${prefix}rl:secret-key-material`, 'not a state', 'PX', 60_000);
    const stores = createRedisStores({ client: raw, keyPrefix: prefix });
    await assert.rejects(
      stores.rateLimiter.consume('secret-key-material', { limit: 2, windowMs: 60_000 }),
      (error: unknown) => {
        assert.ok(isStoreError(error));
        assert.ok(!String(error.message).includes('secret-key-material'));
        return true;
      },
    );
  });

  test('consume - should take one round trip once the script is loaded', async () => {
    const commands: string[] = [];
    const counting: RedisClientLike = {
      call: (command, ...args) => {
        commands.push(command);
        return raw.call(command, ...args);
      },
    };
    const stores = createRedisStores({ client: counting, keyPrefix: uniquePrefix() });
    const rule = { limit: 5, windowMs: 60_000 };
    await stores.rateLimiter.consume('k', rule);
    commands.length = 0;
    await stores.rateLimiter.consume('k', rule);
    await stores.rateLimiter.consume('k', rule, { cost: 3 });
    assert.deepEqual(commands, ['EVALSHA', 'EVALSHA']);
  });

  test("consume - should decide by the server's clock, not the caller's", async () => {
    // Workers with skewed clocks must agree: moving this process's clock changes nothing.
    const stores = createRedisStores({ client: raw, keyPrefix: uniquePrefix() });
    const rule = { limit: 2, windowMs: 60_000 };
    const realNow = Date.now;
    const realPerformanceNow = performance.now.bind(performance);
    try {
      await stores.rateLimiter.consume('k', rule);
      Date.now = () => realNow() + 3_600_000;
      performance.now = () => realPerformanceNow() + 3_600_000;
      const decision = await stores.rateLimiter.consume('k', rule);
      assert.deepEqual([decision.allowed, decision.remaining], [true, 0]);
      assert.equal((await stores.rateLimiter.consume('k', rule)).allowed, false);
    } finally {
      Date.now = realNow;
      performance.now = realPerformanceNow;
    }
  });

  test('client - should accept an ioredis client as a RedisClientLike', async () => {
    const client: RedisClientLike = raw;
    const stores = createRedisStores({ client, keyPrefix: uniquePrefix() });
    assert.equal(await stores.once.consumeOnce('token', 60_000), true);
    await stores.ping();
  });

  test('close - should leave a passed-in client open', async () => {
    const stores = createRedisStores({ client: raw, keyPrefix: uniquePrefix() });
    await stores.close();
    await stores.close();
    assert.equal(await raw.ping(), 'PONG');
    // The bundle only released what it owned, so it keeps working on the caller's client.
    assert.equal(await stores.once.consumeOnce('token', 60_000), true);
  });

  test('close - should quit a client built from a URL', async () => {
    const stores = createRedisStores({ url: server.url, keyPrefix: uniquePrefix() });
    await stores.ping();
    const name = 'gatehouse';
    const before = countClients(await raw.client('LIST'), name);
    await stores.close();
    await stores.close();
    await waitFor(async () => countClients(await raw.client('LIST'), name) === before - 1);
    const started = performance.now();
    await assert.rejects(
      stores.ping(),
      (error: unknown) => isStoreError(error) && error.kind === 'unavailable',
    );
    assert.ok(performance.now() - started < 100, 'a closed bundle fails at once');
  });

  test('url - should wait for the first connection instead of failing the first call', async () => {
    const stores = createRedisStores({ url: server.url, keyPrefix: uniquePrefix() });
    try {
      // Called in the same tick as construction, before the connection is ready.
      assert.equal(await stores.once.consumeOnce('token', 60_000), true);
    } finally {
      await stores.close();
    }
  });

  test('commandTimeoutMs - should bound a call on a client that has no timeout of its own', async () => {
    const neverAnswers: RedisClientLike = { call: () => new Promise(() => {}) };
    const stores = createRedisStores({ client: neverAnswers, commandTimeoutMs: 50 });
    const started = performance.now();
    await assert.rejects(stores.once.consumeOnce('token', 60_000), (error: unknown) => {
      assert.ok(isStoreError(error));
      assert.equal(error.kind, 'timeout');
      return true;
    });
    assert.ok(performance.now() - started < 500);
  });

  test('errors - should not carry keys or values, even in the cause', async () => {
    const prefix = uniquePrefix();
    await raw.set(`${prefix}ctr:secret-key-material`, 'not-a-number', 'PX', 60_000);
    const stores = createRedisStores({ client: raw, keyPrefix: prefix });
    await assert.rejects(stores.counters.increment('secret-key-material', 60_000), (error: unknown) => {
      assert.ok(isStoreError(error));
      assert.equal(error.kind, 'unavailable');
      const everything = JSON.stringify(error, Object.getOwnPropertyNames(error)) + String(error.stack);
      const cause = error.cause as Error;
      const causeText = JSON.stringify(cause, Object.getOwnPropertyNames(cause));
      for (const text of [everything, causeText]) {
        assert.ok(!text.includes('secret-key-material'), text);
      }
      return true;
    });
  });

  test('errors - should report an out-of-memory server as full', async () => {
    const prefix = uniquePrefix();
    const stores = createRedisStores({ client: raw, keyPrefix: prefix });
    await raw.config('SET', 'maxmemory', '1');
    try {
      await assert.rejects(
        stores.once.consumeOnce('token', 60_000),
        (error: unknown) => isStoreError(error) && error.kind === 'full',
      );
    } finally {
      await raw.config('SET', 'maxmemory', '0');
    }
  });

  test('createRedisStores - should reject invalid options', () => {
    const invalid: unknown[] = [
      {},
      { client: raw, url: server.url },
      { client: {} },
      { url: 'http://127.0.0.1:6379' },
      { url: 'not a url' },
      { client: raw, commandTimeoutMs: 0 },
      { client: raw, commandTimeoutMs: 501 },
      { client: raw, commandTimeoutMs: 1.5 },
      { client: raw, keyPrefix: 7 },
      { client: raw, keyPrefix: 'p'.repeat(129) },
      { client: raw, keyprefix: 'typo' },
    ];
    for (const options of invalid) {
      assert.throws(() => createRedisStores(options as never), TypeError);
    }
  });

  test('createRedisStores - should not echo the URL, which may hold a password', () => {
    assert.throws(
      () => createRedisStores({ url: 'http://user:hunter2@example.com' }),
      (error: unknown) => error instanceof TypeError && !error.message.includes('hunter2'),
    );
  });

  test('loadIoredis - should explain that the ioredis peer dependency is missing', () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module 'ioredis'"), { code: 'MODULE_NOT_FOUND' });
    };
    assert.throws(() => loadIoredis(missing), /needs the 'ioredis' package .*npm install ioredis/);
  });
});

function countClients(list: unknown, name: string): number {
  return String(list)
    .split('\n')
    .filter((line) => line.includes(` name=${name} `)).length;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
