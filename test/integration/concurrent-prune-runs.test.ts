/**
 * Threat: several workers (or machines) prune at once — doubling the load of a large backlog on
 * the database at the worst moment, and racing each other's batches.
 *
 * Invariant: with one PostgreSQL and one Redis shared by several instances, one prune runs at a
 * time: while a run holds the lock in the shared store, a run of another instance (in process,
 * or `gatehouse prune` as its own process) does nothing and says so; once the holder finishes,
 * the next run goes ahead with a higher fencing number. Of two runs started together, exactly
 * one runs.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type Auth,
  type AuthConfigInput,
  createAuth,
  defineFeature,
  generateSecret,
} from '../../src/index.ts';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';
import { runGatehouse } from '../fixtures/spawn-server.ts';

/** A feature whose one pruning task waits until the test opens the gate. */
function gatedFeature() {
  let open: () => void = () => {};
  let gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let entered: () => void = () => {};
  let started = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const feature = defineFeature({
    id: 'gated-prune',
    build: () => ({
      maintenance: [
        {
          name: 'test.gated',
          async prune() {
            entered();
            await gate;
            return { removed: 1, more: false };
          },
        },
      ],
    }),
  });
  return {
    feature,
    started: () => started,
    release() {
      open();
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      started = new Promise<void>((resolve) => {
        entered = resolve;
      });
    },
  };
}

describe('the prune lock across processes (PostgreSQL + Redis)', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let dataDir = '';
  let config: AuthConfigInput;
  let env: Record<string, string>;
  const gated = gatedFeature();
  let holder: Auth;
  let other: Auth;

  before(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-prune-lock-'));
    const secret = generateSecret();
    const databaseUrl = await postgres.createDatabase();
    config = {
      dataDir,
      logLevel: 'silent',
      database: { url: databaseUrl },
      stores: { backend: 'redis', url: redis.url },
      secrets: [{ id: 'k1', secret }],
    };
    env = {
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_DATABASE_URL: databaseUrl,
      GATEHOUSE_REDIS_URL: redis.url,
      GATEHOUSE_SECRETS: `k1:${secret}`,
      GATEHOUSE_LOG_LEVEL: 'silent',
    };
    holder = await createAuth(config, { features: [gated.feature] });
    await holder.migrate();
    other = await createAuth(config);
  });

  after(async () => {
    gated.release();
    await Promise.allSettled([holder?.close(), other?.close()]);
    await Promise.all([postgres?.stop(), redis?.stop()]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('while one run holds the lock, another instance and `gatehouse prune` do nothing; afterwards the next runs', async () => {
    const running = holder.maintenance.prune({ only: ['test.gated'] });
    await gated.started();

    assert.deepEqual(await other.maintenance.prune(), { ran: false, reason: 'locked' });
    const cli = await runGatehouse(['prune'], { env, timeoutMs: 20_000 });
    assert.equal(cli.code, 1, cli.stdout + cli.stderr);
    assert.match(cli.stderr, /another process is pruning/);
    assert.equal(cli.stdout, '', 'no task ran');

    gated.release();
    const first = await running;
    assert.ok(first.ran);
    assert.deepEqual(
      first.tasks.map((task) => [task.name, task.removed]),
      [['test.gated', 1]],
    );

    const next = await other.maintenance.prune();
    assert.ok(next.ran, 'the lock was released by the holder');
    assert.ok(next.fence > first.fence, 'each run has a higher fencing number');
    const again = await runGatehouse(['prune'], { env, timeoutMs: 20_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^removed \d+ in total$/m);
  });

  it('of two runs started together, exactly one runs', async () => {
    const both = Promise.all([holder.maintenance.prune({ only: ['test.gated'] }), other.maintenance.prune()]);
    // Whichever won: if the holder did, it waits at the gate until released.
    await Promise.race([gated.started(), new Promise((resolve) => setTimeout(resolve, 500))]);
    gated.release();
    const outcomes = await both;
    assert.equal(outcomes.filter((outcome) => outcome.ran).length, 1, JSON.stringify(outcomes));
  });
});
