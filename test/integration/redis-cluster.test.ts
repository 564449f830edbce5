/**
 * Gatehouse on a 3-master Redis Cluster (redis-server --cluster-enabled yes × 3, joined by
 * redis-cli --cluster create): the store contract, a race of two processes for a single-use
 * marker, a revocation seen by every worker with the per-request check still one MGET on one
 * slot, and a slot migration under load that never lets a revoked token in.
 *
 * Invariant: on a sharded Redis, every multi-key command of a request touches one slot (the
 * user's hash tag), single winners stay single, and MOVED/ASK/TRYAGAIN during a resharding
 * cost at most a 503, never a wrong answer.
 * @see issue #19
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Cluster } from 'ioredis';
import {
  completenessMarkerKey,
  REVOCATION_KEY,
  revocationGroupOf,
} from '../../src/features/sessions/revocation-keys.ts';
import { createAuth, generateSecret } from '../../src/index.ts';
import { createRedisStores } from '../../src/stores/redis/index.ts';
import { runStoreContract } from '../contract/stores.contract.ts';
import {
  type Harness,
  harnessAround,
  harnessConfig,
  jwtPayload,
  type SignedInUser,
} from '../fixtures/auth-harness.ts';
import { startLineWorker } from '../fixtures/line-worker.ts';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';
import { type RedisClusterServers, startRedisCluster } from '../fixtures/redis-topologies.ts';

const RACE_WORKER = fileURLToPath(new URL('../fixtures/store-race-worker.ts', import.meta.url));
const CALLS_PER_WORKER = 50;

let cluster: RedisClusterServers;
let postgres: PostgresServer;
let raw: Cluster;
let dataDir = '';
let keyPrefix = '';
let a: Harness;
let b: Harness;

async function worker(databaseUrl: string, secret: string): Promise<Harness> {
  const auth = await createAuth({
    ...harnessConfig({ secret, dataDir }),
    database: { url: databaseUrl },
    stores: { backend: 'redis', cluster: [...cluster.seeds], keyPrefix },
    workers: 2,
  });
  return harnessAround(auth, [], () => auth.close());
}

before(async () => {
  [cluster, postgres] = await Promise.all([startRedisCluster(), startPostgres()]);
  raw = new Cluster(cluster.seeds.map((seed) => ({ host: '127.0.0.1', port: Number(seed.split(':')[1]) })));
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-cluster-'));
  keyPrefix = `cl-${randomUUID()}:`;
  const databaseUrl = await postgres.createDatabase();
  const secret = generateSecret();
  a = await worker(databaseUrl, secret);
  await a.auth.migrate();
  b = await worker(databaseUrl, secret);
});

after(async () => {
  await Promise.allSettled([a?.close(), b?.close()]);
  raw?.disconnect();
  await Promise.allSettled([cluster?.stop(), postgres?.stop()]);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

runStoreContract('redis stores on a 3-master Redis Cluster', async () => {
  const stores = createRedisStores({ cluster: [...cluster.seeds], keyPrefix: `contract-${randomUUID()}:` });
  return { stores, cleanup: () => stores.close() };
});

const userIdOf = (user: SignedInUser) => String(jwtPayload(user.accessToken).sub);
const sessionIdOf = (user: SignedInUser) => String(jwtPayload(user.accessToken).sid);

/** The slot Redis Cluster gives a key (asked of the cluster itself, not computed here). */
async function slotOf(key: string): Promise<number> {
  return Number(await raw.cluster('KEYSLOT', key));
}

describe('Redis Cluster', { timeout: 120_000 }, () => {
  test('consumeOnce raced by two processes on the cluster - should have exactly one winner', async () => {
    const prefix = `race-${randomUUID()}:`;
    const workers = [0, 1].map(() =>
      startLineWorker(
        RACE_WORKER,
        [
          `cluster:${cluster.seeds.join(',')}`,
          prefix,
          'consumeOnce',
          'reset-token',
          String(CALLS_PER_WORKER),
        ],
        { timeoutMs: 20_000 },
      ),
    );
    try {
      for (const w of workers) assert.equal(await w.nextLine(), 'ready');
      for (const w of workers) w.child.stdin.write('go\n');
      const results = (await Promise.all(
        workers.map(async (w) => JSON.parse(await w.nextLine())),
      )) as boolean[][];
      assert.equal(results.flat().length, 2 * CALLS_PER_WORKER);
      assert.equal(results.flat().filter((won) => won === true).length, 1);
    } finally {
      for (const w of workers) w.child.kill();
    }
  });

  test('a logout on one worker - should be refused on both, with the check on one slot', async () => {
    const me = await a.signedInUser();
    const bystander = await b.signedInUser();
    for (const h of [a, b]) assert.equal((await h.get('/users/me', { token: me.accessToken })).status, 200);
    assert.equal((await a.post('/auth/logout', undefined, { token: me.accessToken })).status, 204);
    for (const h of [a, b]) assert.equal((await h.get('/users/me', { token: me.accessToken })).status, 401);
    assert.equal((await b.get('/users/me', { token: bystander.accessToken })).status, 200);

    // Every key of the check (token id, session id, not-before, the group's marker) on one slot.
    const userId = userIdOf(me);
    const keys = [
      REVOCATION_KEY.token(userId, String(jwtPayload(me.accessToken).jti)),
      REVOCATION_KEY.session(userId, sessionIdOf(me)),
      REVOCATION_KEY.userNotBefore(userId),
      completenessMarkerKey(revocationGroupOf(userId)),
    ].map((key) => `${keyPrefix}deny:${key}`);
    const slots = new Set(await Promise.all(keys.map(slotOf)));
    assert.equal(slots.size, 1, 'the check spans one slot');
    assert.equal(await raw.exists(keys[1] as string), 1, 'the session revocation is stored under the tag');
  });

  test('an authenticated request - should send one MGET to one node and nothing else', async () => {
    const me = await a.signedInUser();
    assert.equal((await a.get('/users/me', { token: me.accessToken })).status, 200);
    await Promise.all(
      cluster.nodes.map((node) =>
        raw
          .nodes('master')
          .find((n) => n.options.port === node.port)
          ?.config('RESETSTAT'),
      ),
    );
    const requests = 20;
    for (let i = 0; i < requests; i += 1) {
      assert.equal((await a.get('/users/me', { token: me.accessToken })).status, 200);
    }
    let mget = 0;
    let other = 0;
    for (const node of raw.nodes('master')) {
      const stats = await node.info('commandstats');
      for (const [, name, calls] of stats.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) {
        if (name === 'mget') mget += Number(calls);
        else if (name !== 'info' && !name?.startsWith('config') && !name?.startsWith('cluster'))
          other += Number(calls);
      }
    }
    assert.equal(mget, requests);
    assert.equal(other, 0);
  });

  test('a slot migration under load - should never accept the revoked token, and serve the live one after', async (t) => {
    const revoked = await a.signedInUser();
    const live = await b.signedInUser();
    assert.equal((await a.post('/auth/logout', undefined, { token: revoked.accessToken })).status, 204);
    // Move the slot of the revoked user's group (it holds their revocation and the marker).
    const slot = await slotOf(
      `${keyPrefix}deny:${completenessMarkerKey(revocationGroupOf(userIdOf(revoked)))}`,
    );
    const from = await cluster.ownerOf(slot);
    const to = cluster.nodes.find((node) => node !== from);
    assert.ok(to);
    // Fill the slot so the migration takes several batches while requests run.
    const tag = `{r${revocationGroupOf(userIdOf(revoked))}}`;
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        raw.set(`${keyPrefix}deny:rev:${tag}:filler:${i}`, '1', 'PX', 60_000),
      ),
    );
    const statuses = { revoked: new Map<number, number>(), live: new Map<number, number>() };
    let moving = true;
    const load = (async () => {
      const deadline = Date.now() + 30_000;
      while ((moving || statuses.revoked.size === 0) && Date.now() < deadline) {
        const [r, l] = await Promise.all([
          a.get('/users/me', { token: revoked.accessToken }),
          b.get('/users/me', { token: live.accessToken }),
        ]);
        statuses.revoked.set(r.status, (statuses.revoked.get(r.status) ?? 0) + 1);
        statuses.live.set(l.status, (statuses.live.get(l.status) ?? 0) + 1);
      }
    })();
    try {
      await cluster.migrateSlot(slot, to, { batch: 10, pauseMs: 20 });
    } finally {
      moving = false;
    }
    await load;
    t.diagnostic(
      `revoked token: ${JSON.stringify([...statuses.revoked])}; live token: ${JSON.stringify([...statuses.live])}`,
    );
    assert.equal(await cluster.ownerOf(slot), to);
    assert.equal(statuses.revoked.get(200), undefined, 'the revoked token was never accepted');
    assert.deepEqual(
      [...statuses.revoked.keys()].filter((s) => s !== 401 && s !== 503),
      [],
    );
    assert.deepEqual(
      [...statuses.live.keys()].filter((s) => s !== 200 && s !== 503),
      [],
    );
    for (const h of [a, b]) {
      assert.equal((await h.get('/users/me', { token: revoked.accessToken })).status, 401);
      assert.equal((await h.get('/users/me', { token: live.accessToken })).status, 200);
    }
  });
});
