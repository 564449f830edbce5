/**
 * Gatehouse on Redis Sentinel (a primary, a replica, 3 sentinels, all started by the test):
 * the primary is killed while two workers serve; requests needing Redis answer 503 with
 * Retry-After until the sentinels promote the replica, then service resumes on the new
 * primary without a restart.
 *
 * Invariant: a failover never gives a wrong answer: no revoked token is accepted (also one
 * revoked right before the kill: its write was acknowledged by the replica through WAIT), and
 * no single-use item is consumed twice (markers written before, during and after).
 * @see issue #19
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createAuth, generateSecret } from '../../src/index.ts';
import { type Harness, harnessAround, harnessConfig } from '../fixtures/auth-harness.ts';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';
import { type RedisSentinelServers, startRedisSentinel } from '../fixtures/redis-topologies.ts';

/** Longest the test waits for the sentinels to promote the replica and the workers to follow. */
const RECOVERY_LIMIT_MS = 30_000;
const ONE_TIME_KEYS = 40;

let topology: RedisSentinelServers;
let postgres: PostgresServer;
let dataDir = '';
let a: Harness;
let b: Harness;

async function worker(databaseUrl: string, secret: string, keyPrefix: string): Promise<Harness> {
  const auth = await createAuth({
    ...harnessConfig({ secret, dataDir }),
    database: { url: databaseUrl },
    stores: {
      backend: 'redis',
      sentinels: [...topology.sentinelAddresses],
      name: topology.name,
      keyPrefix,
      // Revocations and single-use markers are acknowledged by the replica before they count.
      durability: { replicas: 1, timeoutMs: 200 },
    },
    workers: 2,
  });
  return harnessAround(auth, [], () => auth.close());
}

before(async () => {
  [topology, postgres] = await Promise.all([startRedisSentinel(), startPostgres()]);
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-sentinel-'));
  const databaseUrl = await postgres.createDatabase();
  const secret = generateSecret();
  const keyPrefix = `sn-${randomUUID()}:`;
  a = await worker(databaseUrl, secret, keyPrefix);
  await a.auth.migrate();
  b = await worker(databaseUrl, secret, keyPrefix);
});

after(async () => {
  await Promise.allSettled([a?.close(), b?.close()]);
  await Promise.allSettled([topology?.stop(), postgres?.stop()]);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

type Tally = Map<number, number>;
const count = (tally: Tally, status: number) => tally.set(status, (tally.get(status) ?? 0) + 1);

describe('Redis Sentinel failover', { timeout: 90_000 }, () => {
  test('primary killed under load from two workers - 503 with Retry-After, then the new primary; no revoked token accepted, no one-time item used twice', async (t) => {
    const revokedEarlier = await a.signedInUser();
    const revokedAtKill = await b.signedInUser();
    const live = await a.signedInUser();
    assert.equal(
      (await a.post('/auth/logout', undefined, { token: revokedEarlier.accessToken })).status,
      204,
    );
    const oneTime = Array.from({ length: ONE_TIME_KEYS }, (_, i) => `failover-item-${i}`);
    const winners = new Map<string, number>();
    const consume = async (h: Harness, key: string) => {
      try {
        if (await h.auth.stores.once.consumeOnce(key, 600_000)) winners.set(key, (winners.get(key) ?? 0) + 1);
      } catch {
        // A StoreError: the outcome is unknown, so the item counts as spent by nobody here.
      }
    };
    // Half the items are used before the failover (acknowledged by the replica).
    await Promise.all(
      oneTime.slice(0, ONE_TIME_KEYS / 2).flatMap((key) => [consume(a, key), consume(b, key)]),
    );

    const statuses = { revoked: new Map() as Tally, live: new Map() as Tally };
    let missingRetryAfter = 0;
    let stop = false;
    let lastNon200At = 0;
    let killedAt = 0;
    /** Set once the second logout answered: only requests started after it must be refused. */
    let secondLogoutDone = false;
    const load = Promise.all(
      [a, b].map(async (h, index) => {
        let round = 0;
        while (!stop) {
          const key = oneTime[(round * 2 + index) % ONE_TIME_KEYS] as string;
          round += 1;
          const afterSecondLogout = secondLogoutDone;
          const [r1, r2, l] = await Promise.all([
            h.get('/users/me', { token: revokedEarlier.accessToken }),
            h.get('/users/me', { token: revokedAtKill.accessToken }),
            h.get('/users/me', { token: live.accessToken }),
            consume(h, key),
          ]);
          count(statuses.revoked, r1.status);
          if (afterSecondLogout) count(statuses.revoked, r2.status);
          count(statuses.live, l.status);
          for (const r of [r1, r2, l])
            if (r.status === 503 && !r.headers.get('retry-after')) missingRetryAfter += 1;
          if (l.status !== 200 && killedAt > 0) lastNon200At = performance.now();
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }),
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Revoked right before the kill: acknowledged by the replica, so it survives the promotion.
      assert.equal(
        (await b.post('/auth/logout', undefined, { token: revokedAtKill.accessToken })).status,
        204,
      );
      secondLogoutDone = true;
      const oldPrimary = topology.primary.port;
      killedAt = performance.now();
      await topology.primary.kill();
      const deadline = Date.now() + RECOVERY_LIMIT_MS;
      while (
        Date.now() < deadline &&
        (await topology.currentPrimaryPort().catch(() => oldPrimary)) === oldPrimary
      ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const promotedAfterMs = performance.now() - killedAt;
      // Serving again: both workers answer the live token with 200 several times in a row.
      let healthy = 0;
      while (Date.now() < deadline && healthy < 5) {
        const replies = await Promise.all([a, b].map((h) => h.get('/users/me', { token: live.accessToken })));
        healthy = replies.every((r) => r.status === 200) ? healthy + 1 : 0;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const recoveredAfterMs = performance.now() - killedAt;
      t.diagnostic(
        `promoted after ${promotedAfterMs.toFixed(0)} ms; serving on both workers after ${recoveredAfterMs.toFixed(0)} ms (last non-200 at ${(lastNon200At - killedAt).toFixed(0)} ms)`,
      );
      assert.equal(healthy, 5, 'both workers serve again on the new primary');
    } finally {
      stop = true;
      await load;
    }
    // After the failover every item is tried once more on each worker.
    await Promise.all(oneTime.flatMap((key) => [consume(a, key), consume(b, key)]));

    t.diagnostic(
      `revoked tokens: ${JSON.stringify([...statuses.revoked])}; live token: ${JSON.stringify([...statuses.live])}`,
    );
    assert.equal(statuses.revoked.get(200), undefined, 'a revoked token was accepted');
    assert.deepEqual(
      [...statuses.revoked.keys()].filter((s) => s !== 401 && s !== 503),
      [],
    );
    assert.deepEqual(
      [...statuses.live.keys()].filter((s) => s !== 200 && s !== 503),
      [],
    );
    assert.equal(missingRetryAfter, 0, 'every 503 carries Retry-After');
    assert.deepEqual(
      [...winners].filter(([, wins]) => wins > 1),
      [],
      'no one-time item used twice',
    );
    for (const h of [a, b]) {
      for (const token of [revokedEarlier.accessToken, revokedAtKill.accessToken]) {
        const response = await h.get('/users/me', { token });
        assert.equal(response.status, 401, response.text);
      }
    }
  });
});
