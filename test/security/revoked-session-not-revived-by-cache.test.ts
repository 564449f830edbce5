/**
 * Threat: a revoked cookie session or opaque token brought back to life by the lookup cache.
 * A request that read the session row just before a revocation fills the cache afterwards,
 * and a slide or a refresh (which forget the cached entry) runs in between. Every ordering of
 * those writes must leave the revocation in force, on memory and on Redis stores.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  type CachedCredential,
  createCredentialCache,
} from '../../src/features/sessions/credential-cache.ts';
import type { KeyValueStore } from '../../src/stores/contract.ts';
import { createMemoryStores } from '../../src/stores/memory/index.ts';
import { createRedisStores } from '../../src/stores/redis/index.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';

const TTL_MS = 60_000;

function liveCredential(): CachedCredential {
  const now = Date.now();
  return {
    userId: 'user-1',
    roles: [],
    authMethods: ['pwd'],
    digest: 'k1.digest',
    expiresAt: now + 3_600_000,
    idleExpiresAt: now + 3_600_000,
    touchedAt: now,
  };
}

/** The writes of the race, each a step that can come in any order. */
const STEPS = ['revoke', 'drop', 'fill'] as const;
type Step = (typeof STEPS)[number];

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  );
}

function runCase(label: string, store: () => KeyValueStore) {
  describe(`revoked sessions stay revoked - ${label}`, () => {
    for (const order of permutations(STEPS)) {
      it(`${order.join(' → ')} - should end with the revocation marker`, async () => {
        const cache = createCredentialCache({ store: store(), ttlMs: TTL_MS });
        const sessionId = randomUUID();
        const step: Record<Step, () => Promise<void>> = {
          revoke: () => cache.revoke([sessionId]),
          drop: () => cache.drop(sessionId),
          fill: () => cache.fill(sessionId, liveCredential()),
        };
        for (const name of order) await step[name]();
        assert.equal(await cache.get(sessionId), 'revoked');
      });
    }

    it('drop and fill racing a revocation in parallel - should end with the revocation marker', async () => {
      const cache = createCredentialCache({ store: store(), ttlMs: TTL_MS });
      for (let round = 0; round < 50; round++) {
        const sessionId = randomUUID();
        await cache.fill(sessionId, liveCredential());
        await Promise.all([
          cache.revoke([sessionId]),
          cache.drop(sessionId),
          cache.fill(sessionId, liveCredential()),
          cache.drop(sessionId),
          cache.fill(sessionId, liveCredential()),
        ]);
        // The revocation has completed, so whatever the interleaving it must be visible.
        assert.equal(await cache.get(sessionId), 'revoked', `round ${round}`);
      }
    });

    it('drop without a revocation - should forget the entry so the next fill takes effect', async () => {
      const cache = createCredentialCache({ store: store(), ttlMs: TTL_MS });
      const sessionId = randomUUID();
      await cache.fill(sessionId, { ...liveCredential(), roles: ['old'] });
      await cache.drop(sessionId);
      assert.equal(await cache.get(sessionId), null);
      await cache.fill(sessionId, { ...liveCredential(), roles: ['new'] });
      assert.deepEqual(((await cache.get(sessionId)) as CachedCredential).roles, ['new']);
    });
  });
}

const memory = createMemoryStores();
runCase('memory store', () => memory.keyValue);

let redis: RedisServer;
let redisStores: ReturnType<typeof createRedisStores> | undefined;
before(async () => {
  redis = await startRedis();
  redisStores = createRedisStores({ url: redis.url, keyPrefix: `test-${randomUUID()}:` });
});
after(async () => {
  await redisStores?.close();
  await memory.close();
  await redis?.stop();
});
runCase('redis store', () => {
  if (!redisStores) throw new Error('redis stores were not started');
  return redisStores.keyValue;
});
