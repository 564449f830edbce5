import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMemoryStores, isStoreError, StoreError } from '../../src/stores/memory/index.ts';
import { runStoreContract } from './stores.contract.ts';

/** A clock the test moves by hand, so TTL cases run without sleeping. */
function manualClock(): { now: () => number; advance: (ms: number) => Promise<void> } {
  let time = 1_000_000;
  return {
    now: () => time,
    advance: async (ms) => {
      time += ms;
    },
  };
}

runStoreContract('memory stores', async () => {
  const clock = manualClock();
  const stores = createMemoryStores({ now: clock.now });
  return { stores, advanceTime: clock.advance, cleanup: () => stores.close() };
});

describe('memory stores - options', () => {
  test('capabilities - should declare a process-local backend that does not survive restarts', () => {
    const stores = createMemoryStores();
    assert.deepEqual(stores.keyValue.capabilities, {
      backend: 'memory',
      shared: false,
      survivesRestart: false,
    });
  });

  test('createMemoryStores - should reject invalid and unknown options', () => {
    for (const options of [
      { maxEntries: 0 },
      { maxEntries: 1.5 },
      { maxEntries: -3 },
      { now: 5 },
      { maxEntrys: 10 },
    ]) {
      assert.throws(() => createMemoryStores(options as never), TypeError, JSON.stringify(options));
    }
  });

  test('createMemoryStores - should run TTLs on the real clock by default', async () => {
    const stores = createMemoryStores();
    await stores.keyValue.set('k', 'v', 30);
    assert.equal(await stores.keyValue.get('k'), 'v');
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(await stores.keyValue.get('k'), null);
  });
});

/**
 * Threat: an attacker fills a bounded store (e.g. with single-use markers or revocations) so
 * that the store evicts live entries, re-opening a used token or a revoked session.
 * Invariant: a store full of live entries refuses new keys with StoreError('full') and keeps
 * every live entry; only expired entries are ever pruned to make room.
 */
describe('memory stores - store flooding fails closed', () => {
  const maxEntries = 50;

  test('consumeOnce - should refuse a new key with StoreError full, keeping every live marker', async () => {
    const clock = manualClock();
    const { once } = createMemoryStores({ maxEntries, now: clock.now });
    for (let i = 0; i < maxEntries; i++) assert.equal(await once.consumeOnce(`m${i}`, 10_000), true);

    await assert.rejects(once.consumeOnce('one-too-many', 10_000), (error: unknown) => {
      assert.ok(isStoreError(error));
      assert.equal(error.kind, 'full');
      assert.ok(error.retryAfterSeconds >= 1 && error.retryAfterSeconds <= 60);
      assert.ok(!error.message.includes('one-too-many'));
      return true;
    });
    for (let i = 0; i < maxEntries; i++) {
      assert.equal(await once.isConsumed(`m${i}`), true, `marker m${i} was evicted`);
      assert.equal(await once.consumeOnce(`m${i}`, 10_000), false, `marker m${i} could be consumed again`);
    }
    assert.equal(await once.isConsumed('one-too-many'), false);
  });

  test('every store - should refuse new keys when full but still overwrite existing ones', async () => {
    const clock = manualClock();
    const stores = createMemoryStores({ maxEntries, now: clock.now });
    for (let i = 0; i < maxEntries; i++) {
      await stores.keyValue.set(`k${i}`, 'v', 10_000);
      await stores.counters.increment(`k${i}`, 10_000);
      await stores.denylist.add(`k${i}`, 10_000);
    }
    const refusedWrites = [
      stores.keyValue.set('new', 'v', 10_000),
      stores.keyValue.setIfAbsent('new', 'v', 10_000),
      stores.counters.increment('new', 10_000),
      stores.denylist.add('new', 10_000),
    ];
    for (const write of refusedWrites) {
      await assert.rejects(write, (error: unknown) => error instanceof StoreError && error.kind === 'full');
    }
    // Existing keys need no new slot.
    await stores.keyValue.set('k0', 'updated', 10_000);
    assert.equal(await stores.keyValue.get('k0'), 'updated');
    assert.equal((await stores.counters.increment('k0', 10_000)).value, 2);
    await stores.denylist.add('k0', 20_000, 'updated');
    assert.equal(await stores.denylist.get('k0'), 'updated');
    // Reads, deletes and a freed slot still work.
    assert.equal(await stores.keyValue.getAndDelete('k1'), 'v');
    await stores.keyValue.set('new', 'fits now', 10_000);
    assert.equal(await stores.keyValue.get('new'), 'fits now');
  });

  test('set - should succeed again once expired entries can be pruned', async () => {
    const clock = manualClock();
    const { keyValue, denylist } = createMemoryStores({ maxEntries, now: clock.now });
    for (let i = 0; i < maxEntries; i++) await keyValue.set(`short${i}`, 'v', i < 10 ? 1_000 : 60_000);
    await assert.rejects(keyValue.set('new', 'v', 60_000), (error: unknown) => isStoreError(error));

    await clock.advance(1_000);
    for (let i = 0; i < 10; i++) await keyValue.set(`new${i}`, 'v', 60_000);
    await assert.rejects(keyValue.set('one-more', 'v', 60_000), (error: unknown) => isStoreError(error));
    for (let i = 10; i < maxEntries; i++) assert.equal(await keyValue.get(`short${i}`), 'v');

    // Stores are bounded separately: the full key-value store does not block the denylist.
    await denylist.add('jti', 60_000);
    assert.equal(await denylist.get('jti'), '1');
  });

  test('add - should tell clients to retry when the earliest entry expires', async () => {
    const clock = manualClock();
    const { denylist } = createMemoryStores({ maxEntries: 2, now: clock.now });
    await denylist.add('a', 8_000);
    await denylist.add('b', 30_000);
    await assert.rejects(denylist.add('c', 1_000), (error: unknown) => {
      assert.ok(isStoreError(error));
      assert.equal(error.retryAfterSeconds, 8);
      return true;
    });
  });
});

describe('memory stores - rate limiter', () => {
  test('consume - should report a retryAfterMs exact to the millisecond', async () => {
    // 1000 / 3 ms per request is not a whole number: the wait is rounded up, never down.
    const clock = manualClock();
    const { rateLimiter } = createMemoryStores({ now: clock.now });
    const rule = { limit: 3, windowMs: 1_000 };
    for (let i = 0; i < rule.limit; i++) assert.equal((await rateLimiter.consume('k', rule)).allowed, true);
    const refused = await rateLimiter.consume('k', rule);
    assert.deepEqual(refused, { allowed: false, limit: 3, remaining: 0, retryAfterMs: 334, resetMs: 1_000 });
    await clock.advance(333);
    assert.equal((await rateLimiter.consume('k', rule)).allowed, false);
    await clock.advance(1);
    // The next slot opens 1000 / 3 ms after the last one: at 666.67 ms past the burst, that is
    // 332.67 ms from now, so 333 whole ms.
    const allowed = await rateLimiter.consume('k', rule);
    assert.deepEqual(allowed, { allowed: true, limit: 3, remaining: 0, retryAfterMs: 333, resetMs: 1_000 });
    await clock.advance(allowed.retryAfterMs - 1);
    assert.equal((await rateLimiter.consume('k', rule)).allowed, false);
    await clock.advance(1);
    assert.equal((await rateLimiter.consume('k', rule)).allowed, true);
  });

  test('consume - should count whole milliseconds on a fractional clock', async () => {
    let time = 5_000.75;
    const { rateLimiter } = createMemoryStores({ now: () => time });
    const rule = { limit: 2, windowMs: 1_000 };
    await rateLimiter.consume('k', rule);
    await rateLimiter.consume('k', rule);
    time += 499.5; // 5500.25: 500 whole ms after 5000
    assert.equal((await rateLimiter.consume('k', rule)).allowed, true);
    assert.equal((await rateLimiter.consume('k', rule)).allowed, false);
  });
});

/**
 * Threat: an attacker sends requests under many distinct keys (rotating IPs or emails) so the
 * memory rate limiter evicts the live budget of the key it is being limited on, resetting it.
 * Invariant: a full limiter refuses new keys with StoreError('full') (503, fail closed) and keeps
 * every live budget; a key whose budget is full again is pruned to make room.
 */
describe('memory stores - rate limiter flooding fails closed', () => {
  test('consume - should refuse a new key with StoreError full, keeping every live budget', async () => {
    const maxEntries = 50;
    const clock = manualClock();
    const { rateLimiter } = createMemoryStores({ maxEntries, now: clock.now });
    const rule = { limit: 1, windowMs: 60_000 };
    for (let i = 0; i < maxEntries; i++)
      assert.equal((await rateLimiter.consume(`ip${i}`, rule)).allowed, true);

    await assert.rejects(rateLimiter.consume('one-too-many', rule), (error: unknown) => {
      assert.ok(isStoreError(error));
      assert.equal(error.kind, 'full');
      assert.ok(!error.message.includes('one-too-many'));
      return true;
    });
    for (let i = 0; i < maxEntries; i++) {
      assert.equal((await rateLimiter.consume(`ip${i}`, rule)).allowed, false, `budget ip${i} was evicted`);
    }
    // reset frees a slot; budgets whose TAT has passed are pruned.
    await rateLimiter.reset('ip0');
    assert.equal((await rateLimiter.consume('new', rule)).allowed, true);
    await assert.rejects(rateLimiter.consume('another', rule), (error: unknown) => isStoreError(error));
    await clock.advance(rule.windowMs);
    for (let i = 0; i < maxEntries; i++)
      assert.equal((await rateLimiter.consume(`later${i}`, rule)).allowed, true);
  });
});
