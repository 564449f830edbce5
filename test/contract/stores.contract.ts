/**
 * The store contract suite: every implementation of `Stores` runs these same cases.
 * `setup` is called before each case and must return fresh, empty stores; `advanceTime`
 * moves an injected clock, and without it the suite waits in real time (so TTLs here are
 * short, and "still live" checks leave wide margins).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  MAX_KEY_BYTES,
  MAX_RATE_LIMIT,
  MAX_RATE_LIMIT_WINDOW_MS,
  type RateLimitDecision,
  type RateLimitRule,
  type Stores,
} from '../../src/stores/contract.ts';

export interface StoreContractContext {
  readonly stores: Stores;
  /** Moves the stores' clock forward; without it the suite sleeps. */
  readonly advanceTime?: (ms: number) => Promise<void>;
  cleanup(): Promise<void>;
}

/** A TTL short enough to wait out in real time. */
const SHORT_TTL_MS = 100;
/** Comfortably past {@link SHORT_TTL_MS}, so the entry has surely expired. */
const PAST_SHORT_TTL_MS = 160;
/** Outlives every wait in this suite by a wide margin. */
const LONG_TTL_MS = 60_000;
const CONCURRENT_CALLERS = 100;

/** One request back every 12 s: nothing refills while a case runs. */
const SLOW_RULE: RateLimitRule = { limit: 5, windowMs: 60_000 };
const SLOW_INTERVAL_MS = 12_000;
/** One request back every 200 ms: short enough to wait out in real time. */
const FAST_RULE: RateLimitRule = { limit: 5, windowMs: 1_000 };
const FAST_INTERVAL_MS = 200;
/** Past one {@link FAST_INTERVAL_MS}, with a wide margin before the second. */
const PAST_ONE_FAST_INTERVAL_MS = 260;
/** Real time passing between calls shortens the ms a decision reports by at most this. */
const DECISION_TOLERANCE_MS = 500;

/** `actual` is `expected`, or a little less because real time passed since. */
function assertNear(actual: number, expected: number, label: string): void {
  assert.ok(
    actual <= expected && actual > expected - DECISION_TOLERANCE_MS,
    `${label}: ${actual}, expected ${expected} (or up to ${DECISION_TOLERANCE_MS} ms less)`,
  );
}

/** Arguments that are not a valid key, each labelled for the case name. */
const INVALID_KEYS: readonly (readonly [string, unknown])[] = [
  ['an empty string', ''],
  ['a string longer than MAX_KEY_BYTES', 'k'.repeat(MAX_KEY_BYTES + 1)],
  ['a string over MAX_KEY_BYTES in UTF-8 bytes but not in characters', 'é'.repeat(MAX_KEY_BYTES / 2 + 1)],
  ['a string with a lone surrogate', 'key-\uD800'],
  ['a number', 42],
  ['undefined', undefined],
];

const INVALID_TTLS: readonly unknown[] = [
  0,
  -1,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  2 ** 53,
  '1000',
  undefined,
];

export function runStoreContract(name: string, setup: () => Promise<StoreContractContext>): void {
  describe(name, () => {
    let context: StoreContractContext;
    let stores: Stores;

    beforeEach(async () => {
      context = await setup();
      stores = context.stores;
    });
    afterEach(async () => {
      await context.cleanup();
    });

    async function elapse(ms: number): Promise<void> {
      if (context.advanceTime) await context.advanceTime(ms);
      else await sleep(ms);
    }

    describe('keyValue', () => {
      test('get - should return null for a key never written', async () => {
        assert.equal(await stores.keyValue.get('absent'), null);
      });

      test('set - should store a value that get returns', async () => {
        await stores.keyValue.set('k', 'value ✓', LONG_TTL_MS);
        assert.equal(await stores.keyValue.get('k'), 'value ✓');
      });

      test('set - should store an empty string as a value', async () => {
        await stores.keyValue.set('k', '', LONG_TTL_MS);
        assert.equal(await stores.keyValue.get('k'), '');
      });

      test('get - should return null once the TTL has passed', async () => {
        await stores.keyValue.set('k', 'v', SHORT_TTL_MS);
        assert.equal(await stores.keyValue.get('k'), 'v');
        await elapse(PAST_SHORT_TTL_MS);
        assert.equal(await stores.keyValue.get('k'), null);
      });

      test('set - should overwrite the value and its TTL', async () => {
        await stores.keyValue.set('k', 'first', SHORT_TTL_MS);
        await stores.keyValue.set('k', 'second', LONG_TTL_MS);
        await elapse(PAST_SHORT_TTL_MS);
        assert.equal(await stores.keyValue.get('k'), 'second');
      });

      test('setIfAbsent - should write and return true when the key is absent', async () => {
        assert.equal(await stores.keyValue.setIfAbsent('k', 'v', LONG_TTL_MS), true);
        assert.equal(await stores.keyValue.get('k'), 'v');
      });

      test('setIfAbsent - should return false and keep the live value', async () => {
        await stores.keyValue.set('k', 'original', LONG_TTL_MS);
        assert.equal(await stores.keyValue.setIfAbsent('k', 'intruder', LONG_TTL_MS), false);
        assert.equal(await stores.keyValue.get('k'), 'original');
      });

      test('setIfAbsent - should write again once the previous value expired', async () => {
        await stores.keyValue.set('k', 'old', SHORT_TTL_MS);
        await elapse(PAST_SHORT_TTL_MS);
        assert.equal(await stores.keyValue.setIfAbsent('k', 'new', LONG_TTL_MS), true);
        assert.equal(await stores.keyValue.get('k'), 'new');
      });

      test('setIfAbsent - should let exactly one of 100 concurrent callers write', async () => {
        const results = await Promise.all(
          Array.from({ length: CONCURRENT_CALLERS }, (_, i) =>
            stores.keyValue.setIfAbsent('k', `v${i}`, LONG_TTL_MS),
          ),
        );
        const winners = results.flatMap((wrote, i) => (wrote ? [i] : []));
        assert.equal(winners.length, 1);
        assert.equal(await stores.keyValue.get('k'), `v${winners[0]}`);
      });

      test('getAndDelete - should return the value and remove the key', async () => {
        await stores.keyValue.set('k', 'v', LONG_TTL_MS);
        assert.equal(await stores.keyValue.getAndDelete('k'), 'v');
        assert.equal(await stores.keyValue.get('k'), null);
        assert.equal(await stores.keyValue.getAndDelete('k'), null);
      });

      test('getAndDelete - should return null for an absent or expired key', async () => {
        assert.equal(await stores.keyValue.getAndDelete('absent'), null);
        await stores.keyValue.set('k', 'v', SHORT_TTL_MS);
        await elapse(PAST_SHORT_TTL_MS);
        assert.equal(await stores.keyValue.getAndDelete('k'), null);
      });

      test('getAndDelete - should hand the value to exactly one of 100 concurrent callers', async () => {
        await stores.keyValue.set('k', 'the-only-one', LONG_TTL_MS);
        const results = await Promise.all(
          Array.from({ length: CONCURRENT_CALLERS }, () => stores.keyValue.getAndDelete('k')),
        );
        assert.deepEqual(
          results.filter((value) => value !== null),
          ['the-only-one'],
        );
      });

      test('delete - should return true for a live key and remove it', async () => {
        await stores.keyValue.set('k', 'v', LONG_TTL_MS);
        assert.equal(await stores.keyValue.delete('k'), true);
        assert.equal(await stores.keyValue.get('k'), null);
      });

      test('delete - should return false for an absent or expired key', async () => {
        assert.equal(await stores.keyValue.delete('absent'), false);
        await stores.keyValue.set('k', 'v', SHORT_TTL_MS);
        await elapse(PAST_SHORT_TTL_MS);
        assert.equal(await stores.keyValue.delete('k'), false);
      });
    });

    describe('once', () => {
      test('consumeOnce - should return true the first time and false after', async () => {
        assert.equal(await stores.once.consumeOnce('token', LONG_TTL_MS), true);
        assert.equal(await stores.once.consumeOnce('token', LONG_TTL_MS), false);
        assert.equal(await stores.once.consumeOnce('token', LONG_TTL_MS), false);
      });

      test('consumeOnce - should return true for exactly one of 100 concurrent callers', async () => {
        const results = await Promise.all(
          Array.from({ length: CONCURRENT_CALLERS }, () => stores.once.consumeOnce('token', LONG_TTL_MS)),
        );
        assert.equal(results.filter(Boolean).length, 1);
      });

      test('consumeOnce - should keep keys independent', async () => {
        assert.equal(await stores.once.consumeOnce('a', LONG_TTL_MS), true);
        assert.equal(await stores.once.consumeOnce('b', LONG_TTL_MS), true);
      });

      test('consumeOnce - should return false while the marker is live, and true again after its TTL', async () => {
        // The marker is the only memory of the use: its TTL must outlive the guarded credential.
        assert.equal(await stores.once.consumeOnce('token', SHORT_TTL_MS), true);
        assert.equal(await stores.once.consumeOnce('token', SHORT_TTL_MS), false);
        await elapse(PAST_SHORT_TTL_MS);
        assert.equal(await stores.once.consumeOnce('token', SHORT_TTL_MS), true);
      });

      test('isConsumed - should be false before consumeOnce, true while live, false after the TTL', async () => {
        assert.equal(await stores.once.isConsumed('token'), false);
        await stores.once.consumeOnce('token', SHORT_TTL_MS);
        assert.equal(await stores.once.isConsumed('token'), true);
        await elapse(PAST_SHORT_TTL_MS);
        assert.equal(await stores.once.isConsumed('token'), false);
      });
    });

    describe('counters', () => {
      test('increment - should create the counter at 1 with the given TTL', async () => {
        const first = await stores.counters.increment('c', LONG_TTL_MS);
        assert.equal(first.value, 1);
        assert.ok(first.ttlMs <= LONG_TTL_MS && first.ttlMs > LONG_TTL_MS - 1_000, `ttlMs ${first.ttlMs}`);
      });

      test('increment - should add `by` and return the new value', async () => {
        assert.equal((await stores.counters.increment('c', LONG_TTL_MS, 5)).value, 5);
        assert.equal((await stores.counters.increment('c', LONG_TTL_MS)).value, 6);
        assert.equal((await stores.counters.increment('c', LONG_TTL_MS, 10)).value, 16);
        assert.equal(await stores.counters.peek('c'), 16);
      });

      test('increment - should not extend the TTL on later increments', async () => {
        const windowMs = 300;
        await stores.counters.increment('c', windowMs);
        await elapse(150);
        const second = await stores.counters.increment('c', windowMs);
        assert.equal(second.value, 2);
        // A refreshed TTL would be back near 300 ms; the fixed window has at most 150 ms left.
        assert.ok(second.ttlMs <= windowMs - 100, `ttlMs ${second.ttlMs} was extended`);
        assert.ok(second.ttlMs > 0);
        await elapse(200);
        assert.equal(await stores.counters.peek('c'), 0);
      });

      test('increment - should start a new window after the counter expired', async () => {
        await stores.counters.increment('c', SHORT_TTL_MS, 7);
        await elapse(PAST_SHORT_TTL_MS);
        const fresh = await stores.counters.increment('c', LONG_TTL_MS);
        assert.equal(fresh.value, 1);
        assert.ok(fresh.ttlMs > LONG_TTL_MS - 1_000, `ttlMs ${fresh.ttlMs}`);
      });

      test('increment - should return each value 1..100 exactly once for 100 concurrent callers', async () => {
        const results = await Promise.all(
          Array.from({ length: CONCURRENT_CALLERS }, () => stores.counters.increment('c', LONG_TTL_MS)),
        );
        const values = results.map((result) => result.value).sort((a, b) => a - b);
        assert.deepEqual(
          values,
          Array.from({ length: CONCURRENT_CALLERS }, (_, i) => i + 1),
        );
        assert.equal(await stores.counters.peek('c'), CONCURRENT_CALLERS);
      });

      test('peek - should return 0 for an absent or expired counter', async () => {
        assert.equal(await stores.counters.peek('absent'), 0);
        await stores.counters.increment('c', SHORT_TTL_MS);
        assert.equal(await stores.counters.peek('c'), 1);
        await elapse(PAST_SHORT_TTL_MS);
        assert.equal(await stores.counters.peek('c'), 0);
      });

      test('reserve - should grant units 1..limit, then refuse without counting', async () => {
        const granted = [];
        for (let i = 0; i < 3; i++) granted.push(await stores.counters.reserve('c', 3, LONG_TTL_MS));
        assert.deepEqual(
          granted.map((r) => [r.granted, r.value]),
          [
            [true, 1],
            [true, 2],
            [true, 3],
          ],
        );
        const first = granted[0];
        assert.ok(
          first && first.ttlMs <= LONG_TTL_MS && first.ttlMs > LONG_TTL_MS - 1_000,
          `ttlMs ${first?.ttlMs}`,
        );
        const refused = await stores.counters.reserve('c', 3, LONG_TTL_MS);
        assert.equal(refused.granted, false);
        assert.equal(refused.value, 3);
        assert.ok(refused.ttlMs > 0 && refused.ttlMs <= LONG_TTL_MS, `ttlMs ${refused.ttlMs}`);
        assert.equal(await stores.counters.peek('c'), 3, 'a refused reservation counts nothing');
        // A counter pushed past the limit by increment is refused too.
        await stores.counters.increment('over', LONG_TTL_MS, 9);
        assert.deepEqual(
          [
            (await stores.counters.reserve('over', 3, LONG_TTL_MS)).granted,
            await stores.counters.peek('over'),
          ],
          [false, 9],
        );
      });

      test('reserve - should not extend the TTL, and start a new budget once the counter expired', async () => {
        const windowMs = 300;
        await stores.counters.reserve('c', 2, windowMs);
        await elapse(150);
        const second = await stores.counters.reserve('c', 2, windowMs);
        assert.ok(second.granted);
        assert.ok(second.ttlMs <= windowMs - 100, `ttlMs ${second.ttlMs} was extended`);
        assert.equal((await stores.counters.reserve('c', 2, windowMs)).granted, false);
        await elapse(200);
        const fresh = await stores.counters.reserve('c', 2, LONG_TTL_MS);
        assert.deepEqual([fresh.granted, fresh.value], [true, 1]);
      });

      test('reserve - should grant exactly `limit` of 100 concurrent callers, each unit once', async () => {
        const limit = 7;
        const results = await Promise.all(
          Array.from({ length: CONCURRENT_CALLERS }, () => stores.counters.reserve('c', limit, LONG_TTL_MS)),
        );
        const granted = results.filter((r) => r.granted).map((r) => r.value);
        assert.deepEqual(
          granted.sort((a, b) => a - b),
          Array.from({ length: limit }, (_, i) => i + 1),
        );
        for (const refused of results.filter((r) => !r.granted)) assert.equal(refused.value, limit);
        assert.equal(await stores.counters.peek('c'), limit);
      });

      test('release - should give one unit back, never below 0, never creating a counter', async () => {
        for (let i = 0; i < 2; i++) await stores.counters.reserve('c', 2, LONG_TTL_MS);
        assert.equal((await stores.counters.reserve('c', 2, LONG_TTL_MS)).granted, false);
        await stores.counters.release('c');
        assert.equal(await stores.counters.peek('c'), 1);
        const again = await stores.counters.reserve('c', 2, LONG_TTL_MS);
        assert.deepEqual([again.granted, again.value], [true, 2]);
        for (let i = 0; i < 4; i++) await stores.counters.release('c');
        assert.equal(await stores.counters.peek('c'), 0);
        assert.equal((await stores.counters.increment('c', LONG_TTL_MS)).value, 1, 'not below 0');
        await stores.counters.release('absent');
        assert.equal(await stores.counters.peek('absent'), 0);
        assert.equal((await stores.counters.reserve('absent', 1, LONG_TTL_MS)).value, 1);
      });

      test('release - should keep the expiry', async () => {
        await stores.counters.increment('c', SHORT_TTL_MS, 3);
        await stores.counters.release('c');
        assert.equal(await stores.counters.peek('c'), 2);
        await elapse(PAST_SHORT_TTL_MS);
        assert.equal(await stores.counters.peek('c'), 0);
      });

      test('expire - should set the remaining life of a live counter and keep its value', async () => {
        await stores.counters.increment('c', LONG_TTL_MS, 4);
        assert.equal(await stores.counters.expire('c', SHORT_TTL_MS), true);
        assert.equal(await stores.counters.peek('c'), 4);
        const held = await stores.counters.reserve('c', 4, LONG_TTL_MS);
        assert.ok(!held.granted && held.ttlMs <= SHORT_TTL_MS, `ttlMs ${held.ttlMs}`);
        await elapse(PAST_SHORT_TTL_MS);
        assert.equal(await stores.counters.peek('c'), 0);
        // Lengthening works too.
        await stores.counters.increment('d', SHORT_TTL_MS);
        await stores.counters.expire('d', LONG_TTL_MS);
        await elapse(PAST_SHORT_TTL_MS);
        assert.equal(await stores.counters.peek('d'), 1);
      });

      test('expire - should answer false and create nothing for an absent counter', async () => {
        assert.equal(await stores.counters.expire('absent', LONG_TTL_MS), false);
        assert.equal(await stores.counters.peek('absent'), 0);
      });

      test('reset - should remove the counter so the next increment starts at 1', async () => {
        await stores.counters.increment('c', LONG_TTL_MS, 3);
        await stores.counters.reset('c');
        assert.equal(await stores.counters.peek('c'), 0);
        assert.equal((await stores.counters.increment('c', LONG_TTL_MS)).value, 1);
        await stores.counters.reset('absent');
      });
    });

    describe('denylist', () => {
      test("add - should record '1' when no value is given", async () => {
        await stores.denylist.add('jti', LONG_TTL_MS);
        assert.equal(await stores.denylist.get('jti'), '1');
      });

      test('add - should record the given value', async () => {
        await stores.denylist.add('nbf:user', LONG_TTL_MS, '1700000000');
        assert.equal(await stores.denylist.get('nbf:user'), '1700000000');
      });

      test('get - should return null for a key never added', async () => {
        assert.equal(await stores.denylist.get('absent'), null);
      });

      test('get - should return null once the TTL has passed', async () => {
        await stores.denylist.add('jti', SHORT_TTL_MS);
        assert.equal(await stores.denylist.get('jti'), '1');
        await elapse(PAST_SHORT_TTL_MS);
        assert.equal(await stores.denylist.get('jti'), null);
      });

      test('add - should keep the longer expiry when re-added with a shorter TTL', async () => {
        await stores.denylist.add('jti', LONG_TTL_MS);
        await stores.denylist.add('jti', SHORT_TTL_MS);
        await elapse(PAST_SHORT_TTL_MS);
        assert.equal(await stores.denylist.get('jti'), '1');
      });

      test('add - should extend the expiry when re-added with a longer TTL', async () => {
        await stores.denylist.add('jti', SHORT_TTL_MS);
        await stores.denylist.add('jti', LONG_TTL_MS);
        await elapse(PAST_SHORT_TTL_MS);
        assert.equal(await stores.denylist.get('jti'), '1');
      });

      test('add - should record the newest value while keeping the longer expiry', async () => {
        await stores.denylist.add('nbf:user', LONG_TTL_MS, '100');
        await stores.denylist.add('nbf:user', SHORT_TTL_MS, '200');
        await elapse(PAST_SHORT_TTL_MS);
        assert.equal(await stores.denylist.get('nbf:user'), '200');
      });

      test('add - should start afresh after the previous entry expired', async () => {
        await stores.denylist.add('jti', SHORT_TTL_MS, 'old');
        await elapse(PAST_SHORT_TTL_MS);
        await stores.denylist.add('jti', SHORT_TTL_MS, 'new');
        assert.equal(await stores.denylist.get('jti'), 'new');
        await elapse(PAST_SHORT_TTL_MS);
        assert.equal(await stores.denylist.get('jti'), null);
      });

      test('getMany - should return values in the order of the keys, with null for missing ones', async () => {
        await stores.denylist.add('sid', LONG_TTL_MS, 'S');
        await stores.denylist.add('jti', LONG_TTL_MS);
        assert.deepEqual(await stores.denylist.getMany(['jti', 'missing', 'sid', 'jti']), [
          '1',
          null,
          'S',
          '1',
        ]);
      });

      test('getMany - should return null for expired entries', async () => {
        await stores.denylist.add('short', SHORT_TTL_MS);
        await stores.denylist.add('long', LONG_TTL_MS);
        await elapse(PAST_SHORT_TTL_MS);
        assert.deepEqual(await stores.denylist.getMany(['short', 'long']), [null, '1']);
      });

      test('getMany - should return an empty array for no keys', async () => {
        assert.deepEqual(await stores.denylist.getMany([]), []);
      });

      test('compareAndSet - should write from absent only when the entry is absent', async () => {
        assert.equal(await stores.denylist.compareAndSet('marker', null, 'pending:a', LONG_TTL_MS), true);
        assert.equal(await stores.denylist.compareAndSet('marker', null, 'pending:b', LONG_TTL_MS), false);
        assert.equal(await stores.denylist.get('marker'), 'pending:a');
      });

      test('compareAndSet - should write over the expected value only', async () => {
        await stores.denylist.compareAndSet('marker', null, 'pending:a', LONG_TTL_MS);
        assert.equal(
          await stores.denylist.compareAndSet('marker', 'pending:b', 'done:b', LONG_TTL_MS),
          false,
        );
        assert.equal(await stores.denylist.get('marker'), 'pending:a');
        assert.equal(await stores.denylist.compareAndSet('marker', 'pending:a', 'done:a', LONG_TTL_MS), true);
        assert.equal(await stores.denylist.get('marker'), 'done:a');
        // Absent is not a value: expecting one fails when there is nothing.
        assert.equal(await stores.denylist.compareAndSet('other', 'pending:a', 'done:a', LONG_TTL_MS), false);
        assert.equal(await stores.denylist.get('other'), null);
      });

      test('compareAndSet - should apply the given TTL, so an expired entry counts as absent', async () => {
        await stores.denylist.compareAndSet('marker', null, 'pending:a', SHORT_TTL_MS);
        await elapse(PAST_SHORT_TTL_MS);
        assert.equal(await stores.denylist.get('marker'), null);
        assert.equal(
          await stores.denylist.compareAndSet('marker', 'pending:a', 'done:a', LONG_TTL_MS),
          false,
        );
        assert.equal(await stores.denylist.compareAndSet('marker', null, 'pending:b', LONG_TTL_MS), true);
      });

      test('compareAndSet - should let exactly one of 100 concurrent claims from absent win', async () => {
        const results = await Promise.all(
          Array.from({ length: CONCURRENT_CALLERS }, (_, i) =>
            stores.denylist.compareAndSet('marker', null, `pending:${i}`, LONG_TTL_MS),
          ),
        );
        assert.equal(results.filter(Boolean).length, 1);
        const winner = results.indexOf(true);
        assert.equal(await stores.denylist.get('marker'), `pending:${winner}`);
      });
    });

    describe('rateLimiter', () => {
      async function burst(key: string, rule: RateLimitRule, count: number): Promise<RateLimitDecision[]> {
        const decisions: RateLimitDecision[] = [];
        for (let i = 0; i < count; i++) decisions.push(await stores.rateLimiter.consume(key, rule));
        return decisions;
      }

      test('consume - should allow exactly `limit` requests in a burst, then refuse', async () => {
        const decisions = await burst('k', SLOW_RULE, SLOW_RULE.limit + 2);
        assert.deepEqual(
          decisions.map((decision) => decision.allowed),
          [true, true, true, true, true, false, false],
        );
        assert.deepEqual(
          decisions.map((decision) => decision.remaining),
          [4, 3, 2, 1, 0, 0, 0],
        );
        for (const decision of decisions) assert.equal(decision.limit, SLOW_RULE.limit);
      });

      test('consume - should allow exactly `limit` when windowMs / limit is not a whole number', async () => {
        // 60_000 / 7 and 86_400_000 / 7 are not integers: rounding the interval either way
        // would let one request too many or too few through.
        for (const rule of [
          { limit: 3, windowMs: 1_000 },
          { limit: 7, windowMs: 60_000 },
          { limit: 7, windowMs: 86_400_000 },
          { limit: 30, windowMs: 7_001 },
        ]) {
          const decisions = await burst(`k-${rule.limit}-${rule.windowMs}`, rule, rule.limit + 1);
          assert.equal(
            decisions.filter((decision) => decision.allowed).length,
            rule.limit,
            JSON.stringify(rule),
          );
          assert.equal(decisions.at(-1)?.allowed, false, JSON.stringify(rule));
        }
      });

      test('consume - should consume nothing when it refuses', async () => {
        await burst('k', FAST_RULE, FAST_RULE.limit);
        const refused = await burst('k', FAST_RULE, 20);
        assert.ok(refused.every((decision) => !decision.allowed));
        // Had the refusals been counted, the budget would be 20 intervals in debt.
        await elapse(PAST_ONE_FAST_INTERVAL_MS);
        const next = await stores.rateLimiter.consume('k', FAST_RULE);
        assert.equal(next.allowed, true);
        assert.equal(next.remaining, 0);
        assert.equal((await stores.rateLimiter.consume('k', FAST_RULE)).allowed, false);
      });

      test('consume - should refill the budget continuously, one request per windowMs / limit', async () => {
        await burst('k', FAST_RULE, FAST_RULE.limit);
        assert.equal((await stores.rateLimiter.consume('k', FAST_RULE)).allowed, false);
        await elapse(PAST_ONE_FAST_INTERVAL_MS);
        assert.equal((await stores.rateLimiter.consume('k', FAST_RULE)).allowed, true);
        assert.equal((await stores.rateLimiter.consume('k', FAST_RULE)).allowed, false);
        // A full window later the whole budget is back, and never more than `limit`.
        await elapse(FAST_RULE.windowMs);
        const decisions = await burst('k', FAST_RULE, FAST_RULE.limit + 1);
        assert.deepEqual(
          decisions.map((decision) => decision.allowed),
          [true, true, true, true, true, false],
        );
      });

      test('consume - should report retryAfterMs and resetMs', async () => {
        const first = await stores.rateLimiter.consume('k', SLOW_RULE);
        assert.equal(first.retryAfterMs, 0);
        assertNear(first.resetMs, SLOW_INTERVAL_MS, 'resetMs after one request');

        const decisions = await burst('k', SLOW_RULE, SLOW_RULE.limit - 1);
        for (const decision of decisions.slice(0, -1)) assert.equal(decision.retryAfterMs, 0);
        const last = decisions.at(-1) as RateLimitDecision;
        assert.equal(last.remaining, 0);
        assertNear(last.retryAfterMs, SLOW_INTERVAL_MS, 'retryAfterMs with no request left');
        assertNear(last.resetMs, SLOW_RULE.windowMs, 'resetMs with no request left');

        const refused = await stores.rateLimiter.consume('k', SLOW_RULE);
        assert.equal(refused.allowed, false);
        assert.equal(refused.remaining, 0);
        assertNear(refused.retryAfterMs, SLOW_INTERVAL_MS, 'retryAfterMs when refused');
        assertNear(refused.resetMs, SLOW_RULE.windowMs, 'resetMs when refused');

        const costly = await stores.rateLimiter.consume('k', SLOW_RULE, { cost: 3 });
        assert.equal(costly.allowed, false);
        assertNear(costly.retryAfterMs, 3 * SLOW_INTERVAL_MS, 'retryAfterMs of a refused cost of 3');
      });

      test('consume - should allow the request again once retryAfterMs has passed', async () => {
        await burst('k', FAST_RULE, FAST_RULE.limit);
        const refused = await stores.rateLimiter.consume('k', FAST_RULE);
        assert.equal(refused.allowed, false);
        assert.ok(
          refused.retryAfterMs > 0 && refused.retryAfterMs <= FAST_INTERVAL_MS,
          `${refused.retryAfterMs}`,
        );
        // A few ms of slack for a real clock, far less than a second interval.
        await elapse(refused.retryAfterMs + 5);
        assert.equal((await stores.rateLimiter.consume('k', FAST_RULE)).allowed, true);
      });

      test('consume - should charge `cost` requests at once, and nothing when refused', async () => {
        const rule = { limit: 10, windowMs: 60_000 };
        const first = await stores.rateLimiter.consume('k', rule, { cost: 4 });
        assert.deepEqual([first.allowed, first.remaining], [true, 6]);
        const tooMuch = await stores.rateLimiter.consume('k', rule, { cost: 7 });
        assert.deepEqual([tooMuch.allowed, tooMuch.remaining], [false, 0]);
        const rest = await stores.rateLimiter.consume('k', rule, { cost: 6 });
        assert.deepEqual([rest.allowed, rest.remaining], [true, 0]);
        assert.equal((await stores.rateLimiter.consume('k', rule)).allowed, false);

        const whole = await stores.rateLimiter.consume('fresh', rule, { cost: rule.limit });
        assert.deepEqual([whole.allowed, whole.remaining], [true, 0]);
        assert.equal((await stores.rateLimiter.consume('fresh', rule, {})).allowed, false);
      });

      test('consume - should keep keys independent', async () => {
        await burst('a', SLOW_RULE, SLOW_RULE.limit + 1);
        const other = await stores.rateLimiter.consume('b', SLOW_RULE);
        assert.deepEqual([other.allowed, other.remaining], [true, SLOW_RULE.limit - 1]);
      });

      test('reset - should restore the full budget', async () => {
        await burst('k', SLOW_RULE, SLOW_RULE.limit + 1);
        await stores.rateLimiter.reset('k');
        const decisions = await burst('k', SLOW_RULE, SLOW_RULE.limit + 1);
        assert.equal(decisions.filter((decision) => decision.allowed).length, SLOW_RULE.limit);
        await stores.rateLimiter.reset('absent');
      });

      test('consume - should allow exactly `limit` of 100 concurrent callers', async () => {
        const rule = { limit: 10, windowMs: 60_000 };
        const decisions = await Promise.all(
          Array.from({ length: CONCURRENT_CALLERS }, () => stores.rateLimiter.consume('k', rule)),
        );
        const allowed = decisions.filter((decision) => decision.allowed);
        assert.equal(allowed.length, rule.limit);
        assert.deepEqual(
          allowed.map((decision) => decision.remaining).sort((a, b) => a - b),
          Array.from({ length: rule.limit }, (_, i) => i),
        );
      });

      test('consume - should allow exactly floor(limit / cost) of 100 concurrent costly callers', async () => {
        const rule = { limit: 10, windowMs: 60_000 };
        const decisions = await Promise.all(
          Array.from({ length: CONCURRENT_CALLERS }, () =>
            stores.rateLimiter.consume('k', rule, { cost: 3 }),
          ),
        );
        assert.equal(decisions.filter((decision) => decision.allowed).length, 3);
        // The one request the costly callers left is still there.
        const last = await stores.rateLimiter.consume('k', rule);
        assert.deepEqual([last.allowed, last.remaining], [true, 0]);
      });
    });

    describe('bundle', () => {
      test('stores - should keep the same key apart in each store', async () => {
        await stores.keyValue.set('shared', 'kv', LONG_TTL_MS);
        assert.equal(await stores.once.isConsumed('shared'), false);
        assert.equal(await stores.once.consumeOnce('shared', LONG_TTL_MS), true);
        assert.equal(await stores.counters.peek('shared'), 0);
        assert.equal((await stores.counters.increment('shared', LONG_TTL_MS)).value, 1);
        assert.equal(await stores.denylist.get('shared'), null);
        await stores.denylist.add('shared', LONG_TTL_MS, 'deny');
        assert.equal(
          (await stores.rateLimiter.consume('shared', { limit: 1, windowMs: 60_000 })).allowed,
          true,
        );
        assert.equal(await stores.keyValue.get('shared'), 'kv');
        assert.equal(await stores.denylist.get('shared'), 'deny');
        assert.equal((await stores.counters.increment('shared', LONG_TTL_MS)).value, 2);
      });

      test('capabilities - should be the same well-formed flags on every store', () => {
        const { capabilities } = stores.keyValue;
        assert.equal(typeof capabilities.backend, 'string');
        assert.ok(capabilities.backend.length > 0);
        assert.equal(typeof capabilities.shared, 'boolean');
        assert.equal(typeof capabilities.survivesRestart, 'boolean');
        for (const store of [stores.once, stores.counters, stores.denylist, stores.rateLimiter]) {
          assert.deepEqual(store.capabilities, capabilities);
        }
      });

      test('ping - should resolve when the backend answers', async () => {
        await stores.ping();
      });

      test('keys - should accept a key of exactly MAX_KEY_BYTES bytes', async () => {
        const ascii = 'a'.repeat(MAX_KEY_BYTES);
        const multiByte = 'é'.repeat(MAX_KEY_BYTES / 2);
        await stores.keyValue.set(ascii, 'ascii', LONG_TTL_MS);
        await stores.keyValue.set(multiByte, 'multi-byte', LONG_TTL_MS);
        assert.equal(await stores.keyValue.get(ascii), 'ascii');
        assert.equal(await stores.keyValue.get(multiByte), 'multi-byte');
      });
    });

    describe('argument validation', () => {
      type Call = (key: unknown) => Promise<unknown>;
      const keyedCalls: readonly (readonly [string, (s: Stores) => Call])[] = [
        ['keyValue.get', (s) => (key) => s.keyValue.get(key as string)],
        ['keyValue.set', (s) => (key) => s.keyValue.set(key as string, 'v', LONG_TTL_MS)],
        ['keyValue.setIfAbsent', (s) => (key) => s.keyValue.setIfAbsent(key as string, 'v', LONG_TTL_MS)],
        ['keyValue.getAndDelete', (s) => (key) => s.keyValue.getAndDelete(key as string)],
        ['keyValue.delete', (s) => (key) => s.keyValue.delete(key as string)],
        ['once.consumeOnce', (s) => (key) => s.once.consumeOnce(key as string, LONG_TTL_MS)],
        ['once.isConsumed', (s) => (key) => s.once.isConsumed(key as string)],
        ['counters.increment', (s) => (key) => s.counters.increment(key as string, LONG_TTL_MS)],
        ['counters.reserve', (s) => (key) => s.counters.reserve(key as string, 5, LONG_TTL_MS)],
        ['counters.release', (s) => (key) => s.counters.release(key as string)],
        ['counters.expire', (s) => (key) => s.counters.expire(key as string, LONG_TTL_MS)],
        ['counters.peek', (s) => (key) => s.counters.peek(key as string)],
        ['counters.reset', (s) => (key) => s.counters.reset(key as string)],
        ['denylist.add', (s) => (key) => s.denylist.add(key as string, LONG_TTL_MS)],
        ['denylist.get', (s) => (key) => s.denylist.get(key as string)],
        ['denylist.getMany', (s) => (key) => s.denylist.getMany(['valid', key as string])],
        [
          'denylist.compareAndSet',
          (s) => (key) => s.denylist.compareAndSet(key as string, null, 'v', LONG_TTL_MS),
        ],
        ['rateLimiter.consume', (s) => (key) => s.rateLimiter.consume(key as string, SLOW_RULE)],
        ['rateLimiter.reset', (s) => (key) => s.rateLimiter.reset(key as string)],
      ];
      const ttlCalls: readonly (readonly [string, (s: Stores) => Call])[] = [
        ['keyValue.set', (s) => (ttl) => s.keyValue.set('k', 'v', ttl as number)],
        ['keyValue.setIfAbsent', (s) => (ttl) => s.keyValue.setIfAbsent('k', 'v', ttl as number)],
        ['once.consumeOnce', (s) => (ttl) => s.once.consumeOnce('k', ttl as number)],
        ['counters.increment', (s) => (ttl) => s.counters.increment('k', ttl as number)],
        ['counters.reserve', (s) => (ttl) => s.counters.reserve('k', 5, ttl as number)],
        ['counters.expire', (s) => (ttl) => s.counters.expire('k', ttl as number)],
        ['denylist.add', (s) => (ttl) => s.denylist.add('k', ttl as number)],
        ['denylist.compareAndSet', (s) => (ttl) => s.denylist.compareAndSet('k', null, 'v', ttl as number)],
      ];
      const valueCalls: readonly (readonly [string, (s: Stores) => Call])[] = [
        ['keyValue.set', (s) => (value) => s.keyValue.set('k', value as string, LONG_TTL_MS)],
        ['keyValue.setIfAbsent', (s) => (value) => s.keyValue.setIfAbsent('k', value as string, LONG_TTL_MS)],
        ['denylist.add', (s) => (value) => s.denylist.add('k', LONG_TTL_MS, value as string)],
        [
          'denylist.compareAndSet',
          (s) => (value) => s.denylist.compareAndSet('k', null, value as string, LONG_TTL_MS),
        ],
      ];

      for (const [method, bind] of keyedCalls) {
        test(`${method} - should reject invalid keys with a TypeError that does not echo the key`, async () => {
          for (const [label, key] of INVALID_KEYS) {
            await assert.rejects(bind(stores)(key), (error: unknown) => {
              assert.ok(error instanceof TypeError, `${label}: expected a TypeError`);
              if (typeof key === 'string' && key.length > 0) assert.ok(!error.message.includes(key), label);
              return true;
            });
          }
        });
      }

      for (const [method, bind] of ttlCalls) {
        test(`${method} - should reject a TTL that is not a positive safe integer`, async () => {
          for (const ttl of INVALID_TTLS) {
            await assert.rejects(bind(stores)(ttl), TypeError, `ttl ${String(ttl)}`);
          }
          // Nothing was written by the refused calls.
          assert.equal(await stores.keyValue.get('k'), null);
          assert.equal(await stores.once.isConsumed('k'), false);
          assert.equal(await stores.counters.peek('k'), 0);
          assert.equal(await stores.denylist.get('k'), null);
        });
      }

      for (const [method, bind] of valueCalls) {
        test(`${method} - should reject a value that is not a well-formed string`, async () => {
          for (const value of [42, null, { toString: () => 'x' }, 'half a pair \uDC00']) {
            await assert.rejects(bind(stores)(value), TypeError);
          }
        });
      }

      test('counters.increment - should reject `by` that is not a positive safe integer', async () => {
        for (const by of [0, -1, 1.5, Number.NaN, 2 ** 53, '2']) {
          await assert.rejects(stores.counters.increment('c', LONG_TTL_MS, by as number), TypeError);
        }
        assert.equal(await stores.counters.peek('c'), 0);
      });

      test('counters.reserve - should reject a limit that is not a positive safe integer', async () => {
        for (const limit of [0, -1, 1.5, Number.NaN, 2 ** 53, '2', undefined]) {
          await assert.rejects(stores.counters.reserve('c', limit as number, LONG_TTL_MS), TypeError);
        }
        assert.equal(await stores.counters.peek('c'), 0);
      });

      test('rateLimiter.consume - should reject a rule that is not a valid limit and window', async () => {
        const invalidRules: unknown[] = [
          undefined,
          null,
          'limit=5',
          {},
          { limit: 5 },
          { windowMs: 60_000 },
          { limit: 0, windowMs: 60_000 },
          { limit: -1, windowMs: 60_000 },
          { limit: 1.5, windowMs: 60_000 },
          { limit: '5', windowMs: 60_000 },
          { limit: Number.NaN, windowMs: 60_000 },
          { limit: MAX_RATE_LIMIT + 1, windowMs: 60_000 },
          { limit: 5, windowMs: 999 },
          { limit: 5, windowMs: 1_000.5 },
          { limit: 5, windowMs: Number.POSITIVE_INFINITY },
          { limit: 5, windowMs: MAX_RATE_LIMIT_WINDOW_MS + 1 },
        ];
        for (const rule of invalidRules) {
          await assert.rejects(
            stores.rateLimiter.consume('k', rule as RateLimitRule),
            TypeError,
            JSON.stringify(rule) ?? String(rule),
          );
        }
        // Nothing was spent by the refused calls.
        assert.equal((await stores.rateLimiter.consume('k', SLOW_RULE)).remaining, SLOW_RULE.limit - 1);
      });

      test('rateLimiter.consume - should reject a cost that is not an integer from 1 to the limit', async () => {
        for (const cost of [0, -1, 1.5, Number.NaN, SLOW_RULE.limit + 1, 2 ** 53, '2', null]) {
          await assert.rejects(
            stores.rateLimiter.consume('k', SLOW_RULE, { cost: cost as number }),
            TypeError,
            String(cost),
          );
        }
        await assert.rejects(stores.rateLimiter.consume('k', SLOW_RULE, 'cheap' as never), TypeError);
        assert.equal((await stores.rateLimiter.consume('k', SLOW_RULE)).remaining, SLOW_RULE.limit - 1);
      });

      test('denylist.getMany - should reject a non-array', async () => {
        await assert.rejects(stores.denylist.getMany('jti' as unknown as string[]), TypeError);
      });
    });
  });
}
