/**
 * `createAuth`, the composition root, on every database and store backend it supports: it
 * validates the configuration, refuses unsafe topologies, reports readiness honestly, never
 * shows a secret in its posture, and releases exactly what it opened.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  type Auth,
  type AuthConfigInput,
  ConfigError,
  createAuth,
  generateSecret,
  isStoreError,
} from '../../src/index.ts';
import { createMemoryStores } from '../../src/stores/memory/index.ts';
import { MIGRATION_NAMES } from '../fixtures/migrations.ts';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';

const SECRET = generateSecret();
/** The test cluster trusts loopback, so this password is sent to PostgreSQL and ignored. */
const DB_PASSWORD = 'db-Password-That-Must-Not-Leak';
const HTTPS_BASE_URL = 'https://auth.example.test';

let postgres: PostgresServer;
let redis: RedisServer;
/** A plain client for looking at the Redis server from outside. */
let redisObserver: Redis;
let dataDir = '';

before(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  redisObserver = new Redis(redis.url);
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-create-auth-'));
});

after(async () => {
  redisObserver?.disconnect();
  await Promise.all([postgres?.stop(), redis?.stop()]);
  await rm(dataDir, { recursive: true, force: true });
});

type DatabaseKind = 'sqlite' | 'postgres';
type StoreKind = 'memory' | 'redis';

/** A new empty PostgreSQL database, addressed with a user and password in the URL. */
async function postgresUrlWithPassword(): Promise<string> {
  const url = new URL(await postgres.createDatabase());
  url.password = DB_PASSWORD;
  return url.href;
}

async function databaseUrl(kind: DatabaseKind): Promise<string> {
  return kind === 'sqlite' ? `sqlite:${join(dataDir, `${randomUUID()}.db`)}` : postgresUrlWithPassword();
}

function storesConfig(kind: StoreKind): AuthConfigInput['stores'] {
  return kind === 'memory'
    ? { backend: 'memory' }
    : { backend: 'redis', url: redis.url, keyPrefix: `test-${randomUUID()}:` };
}

async function configFor(database: DatabaseKind, stores: StoreKind): Promise<AuthConfigInput> {
  return {
    secrets: [{ id: 'test-key', secret: SECRET }],
    dataDir,
    logLevel: 'silent',
    database: { url: await databaseUrl(database) },
    stores: storesConfig(stores),
  };
}

async function get(auth: Auth, path: string): Promise<Response> {
  return auth.fetch(new Request(`http://localhost${path}`));
}

/** Catches the ConfigError `run` must throw. */
async function configErrorOf(run: () => Promise<unknown>): Promise<ConfigError> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.code, 'ERR_INVALID_CONFIG');
    return error;
  }
  assert.fail('expected a ConfigError');
}

async function eventually(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`timed out waiting until ${what}`);
}

async function postgresConnectionsTo(databaseName: string): Promise<number> {
  const client = new pg.Client({ connectionString: new URL('/postgres', postgres.url).href });
  await client.connect();
  try {
    const result = await client.query<{ n: number }>(
      'select count(*)::int as n from pg_stat_activity where datname = $1',
      [databaseName],
    );
    return result.rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
}

function gatehouseRedisClients(list: string): number {
  return list.split('\n').filter((line) => line.includes(' name=gatehouse ')).length;
}

describe('createAuth - on every database and store backend', () => {
  for (const database of ['sqlite', 'postgres'] as const) {
    for (const stores of ['memory', 'redis'] as const) {
      it(`${database} + ${stores} stores - should answer /ready 503 until migrated, then 200`, async () => {
        const auth = await createAuth(await configFor(database, stores));
        try {
          assert.match(auth.posture.database, new RegExp(`^${database} \\(`));
          assert.deepEqual(
            Object.values(auth.posture.stores),
            Array(4).fill(`${stores} (${stores === 'redis' ? 'shared' : 'this process only'})`),
          );

          const health = await get(auth, '/health');
          assert.equal(health.status, 200);
          assert.deepEqual(await health.json(), { status: 'ok' });

          const notReady = await get(auth, '/ready');
          assert.equal(notReady.status, 503);
          assert.match(notReady.headers.get('content-type') ?? '', /^application\/problem\+json/);
          assert.match(notReady.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
          const problem = (await notReady.json()) as { code: string; status: number; checks: unknown };
          assert.equal(problem.code, 'SERVICE_UNAVAILABLE');
          assert.equal(problem.status, 503);
          assert.deepEqual(problem.checks, { database: 'ok', stores: 'ok', schema: 'failed' });

          assert.deepEqual(await auth.migrate(), {
            applied: [...MIGRATION_NAMES],
          });
          assert.deepEqual(await auth.migrate(), { applied: [] });
          assert.ok((await auth.migrationStatus()).every((state) => state.appliedAt instanceof Date));

          const ready = await get(auth, '/ready');
          assert.equal(ready.status, 200);
          assert.deepEqual(await ready.json(), {
            status: 'ready',
            checks: { database: 'ok', stores: 'ok', schema: 'ok' },
          });
        } finally {
          await auth.close();
        }
      });
    }
  }
});

describe('createAuth - configuration errors', () => {
  it('unknown option - should throw a ConfigError naming it', async () => {
    const error = await configErrorOf(() =>
      createAuth({ secrets: [{ id: 'k', secret: SECRET }], dataDir, colour: 'blue' } as AuthConfigInput),
    );
    assert.deepEqual(error.problems, [{ path: '', message: 'unknown option(s): colour' }]);
  });

  it('weak secret - should throw a ConfigError naming the entry, never echoing the value', async () => {
    const weak = 'correct-horse-battery';
    const error = await configErrorOf(() => createAuth({ secrets: [{ id: 'k', secret: weak }], dataDir }));
    assert.deepEqual(
      error.problems.map((p) => p.path),
      ['secrets.0.secret'],
    );
    assert.ok(!error.message.includes(weak));
  });

  it('several problems - should list every one in a single ConfigError', async () => {
    const weak = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const error = await configErrorOf(() =>
      createAuth({
        mode: 'production',
        baseUrl: 'http://auth.example.test',
        secrets: [
          { id: 'a', secret: weak },
          { id: 'a', secret: SECRET },
        ],
        cookies: { secure: false },
        mail: { url: 'console' },
        dataDir,
      }),
    );
    assert.deepEqual(error.problems.map((p) => p.path).sort(), [
      'baseUrl',
      'cookies.secure',
      'mail.url',
      'secrets',
      'secrets.0.secret',
    ]);
    assert.ok(!error.message.includes(weak));
    assert.ok(!error.message.includes(SECRET));
  });

  it('production with 2 workers and memory stores - should refuse to start, naming the process-local stores', async () => {
    const error = await configErrorOf(() =>
      createAuth({
        mode: 'production',
        baseUrl: HTTPS_BASE_URL,
        secrets: [{ id: 'k', secret: SECRET }],
        workers: 2,
        stores: { backend: 'memory' },
        dataDir,
        logLevel: 'silent',
      }),
    );
    assert.equal(error.problems.length, 1);
    assert.equal(error.problems[0]?.path, 'workers');
    for (const store of ['keyValue', 'once', 'counters', 'denylist']) {
      assert.ok(error.message.includes(`${store} (memory)`), `${store} is not named`);
    }
  });

  it('development with 2 workers and memory stores - should start, with a warning', async () => {
    const auth = await createAuth({ ...(await configFor('sqlite', 'memory')), workers: 2 });
    try {
      const codes = auth.posture.warnings.map((w) => w.code);
      assert.ok(codes.includes('PROCESS_LOCAL_STORES'));
      assert.ok(codes.includes('SQLITE_MANY_WORKERS'));
    } finally {
      await auth.close();
    }
  });

  it('production with 2 workers, Redis and PostgreSQL - should start without topology warnings', async () => {
    const auth = await createAuth({
      mode: 'production',
      baseUrl: HTTPS_BASE_URL,
      secrets: [{ id: 'k', secret: SECRET }],
      workers: 2,
      database: { url: await postgresUrlWithPassword() },
      stores: storesConfig('redis'),
      dataDir,
      logLevel: 'silent',
    });
    try {
      assert.equal(auth.config.mode, 'production');
      assert.equal(auth.posture.workers, 2);
      // The throwaway Redis keeps nothing on disk, which start-up reports (not a topology problem).
      assert.deepEqual(
        auth.posture.warnings.map((w) => w.code),
        ['MAIL_NOT_CONFIGURED', 'REDIS_PERSISTENCE_OFF'],
      );
      assert.equal(auth.config.migrations.runOnStart, false);
    } finally {
      await auth.close();
    }
  });
});

describe('createAuth - the instance', () => {
  it('config - should be deeply frozen', async () => {
    const auth = await createAuth(await configFor('sqlite', 'memory'));
    try {
      const { config } = auth;
      for (const part of [
        config,
        config.http,
        config.cookies,
        config.secrets,
        config.secrets[0],
        config.stores,
      ]) {
        assert.ok(Object.isFrozen(part));
      }
      assert.throws(() => {
        (config as { workers: number }).workers = 99;
      }, TypeError);
      assert.throws(() => {
        (config.secrets as { id: string; secret: string }[]).push({ id: 'x', secret: SECRET });
      }, TypeError);
      assert.ok(Object.isFrozen(auth));
    } finally {
      await auth.close();
    }
  });

  it('posture - should name the secret ids but never hold a secret or the database password', async () => {
    const otherSecret = generateSecret();
    const auth = await createAuth({
      mode: 'production',
      baseUrl: HTTPS_BASE_URL,
      secrets: [
        { id: '2026-11', secret: SECRET },
        { id: '2026-05', secret: otherSecret },
      ],
      database: { url: await postgresUrlWithPassword() },
      stores: storesConfig('redis'),
      dataDir,
      logLevel: 'silent',
    });
    try {
      const json = JSON.stringify(auth.posture);
      assert.deepEqual(auth.posture.secrets, { ids: ['2026-11', '2026-05'], source: 'config' });
      for (const [label, value] of [
        ['the active secret', SECRET],
        ['the older secret', otherSecret],
        ['the database password', DB_PASSWORD],
        ['the database user', 'postgres@'],
      ] as const) {
        assert.ok(!json.includes(value), `the posture holds ${label}`);
      }
      assert.match(auth.posture.database, /^postgres \(127\.0\.0\.1:\d+\/gh_\w+\)$/);
    } finally {
      await auth.close();
    }
  });

  it('close - should be idempotent and close the PostgreSQL pool and the Redis client it built', async () => {
    const config = await configFor('postgres', 'redis');
    const databaseName = new URL((config.database as { url: string }).url).pathname.slice(1);
    const auth = await createAuth(config);
    await auth.database.ping();
    await auth.stores.ping();
    assert.ok((await postgresConnectionsTo(databaseName)) >= 1);
    const redisClientsBefore = gatehouseRedisClients(String(await redisObserver.client('LIST')));
    assert.ok(redisClientsBefore >= 1);

    const first = auth.close();
    const second = auth.close();
    assert.equal(first, second, 'a second close must join the first');
    await Promise.all([first, second]);
    await auth.close();

    await assert.rejects(auth.database.ping(), (error: unknown) => isStoreError(error));
    await assert.rejects(auth.stores.ping(), (error: unknown) => isStoreError(error));
    await eventually(async () => (await postgresConnectionsTo(databaseName)) === 0, 'the pool is closed');
    await eventually(
      async () =>
        gatehouseRedisClients(String(await redisObserver.client('LIST'))) === redisClientsBefore - 1,
      'the Redis client is closed',
    );
  });

  it('close - should leave an application-owned Redis client open', async () => {
    const client = new Redis(redis.url);
    try {
      const auth = await createAuth({
        ...(await configFor('sqlite', 'memory')),
        stores: { backend: 'redis', client, keyPrefix: `test-${randomUUID()}:` },
      });
      await auth.stores.ping();
      await auth.close();
      assert.equal(await client.ping(), 'PONG');
      assert.equal(client.status, 'ready');
    } finally {
      client.disconnect();
    }
  });

  it('close - should leave an application-provided stores bundle and mail transport open', async () => {
    const closed: string[] = [];
    const bundle = { ...createMemoryStores(), close: async () => void closed.push('stores') };
    const transport = {
      kind: 'app-mail',
      send: async () => {},
      close: async () => void closed.push('mail'),
    };
    const auth = await createAuth({
      ...(await configFor('sqlite', 'memory')),
      stores: { backend: 'custom', bundle },
      mail: { transport },
    });
    assert.equal(auth.posture.mail, 'app-mail');
    await auth.close();
    assert.deepEqual(closed, []);
  });

  it('topology refusal - should leave an application-provided stores bundle open', async () => {
    let closed = false;
    const bundle = {
      ...createMemoryStores(),
      close: async () => {
        closed = true;
      },
    };
    await configErrorOf(() =>
      createAuth({
        mode: 'production',
        baseUrl: HTTPS_BASE_URL,
        secrets: [{ id: 'k', secret: SECRET }],
        workers: 2,
        stores: { backend: 'custom', bundle },
        dataDir,
        logLevel: 'silent',
      }),
    );
    assert.equal(closed, false);
  });

  it('unusable mail URL - should fail before opening a Redis connection that would keep the process alive', async () => {
    const clientsBefore = gatehouseRedisClients(String(await redisObserver.client('LIST')));
    await assert.rejects(
      createAuth({ ...(await configFor('sqlite', 'redis')), mail: { url: 'carrier-pigeon://coop' } }),
      /mail URL/,
    );
    // A client built from a URL connects at once; give a leaked one time to show up.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(gatehouseRedisClients(String(await redisObserver.client('LIST'))), clientsBefore);
  });
});
