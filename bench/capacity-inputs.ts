/**
 * The measured inputs of docs/CAPACITY.md, and the table computed from them: per authenticated
 * request and per sign-in, the CPU one Gatehouse process spends, the Redis commands and the SQL
 * statements it sends; per user and per session, the PostgreSQL table and index bytes; per
 * revocation and per rate-limit key, the Redis memory. Runs against a throwaway PostgreSQL 15
 * and redis-server on loopback (started and stopped here), in process (`auth.fetch`, no
 * sockets, so HTTP parsing is not counted: add your server's per-request cost).
 *
 *   node bench/capacity-inputs.ts [--requests=5000] [--signins=100] [--users=100000]
 *
 * Extrapolation (printed at the end): cores = rate × CPU per call ÷ 0.6 (a core kept 60 % busy);
 * Redis and SQL rates = rate × commands per call; storage = rows × bytes per row measured at
 * `--users` rows (B-tree and heap bytes grow linearly with rows; index depth grows with log n,
 * which costs a page read, not space).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createPasswordHasher } from '../src/crypto/password.ts';
import { migrateUp, openDatabase } from '../src/stores/sql/index.ts';
import { startPostgres } from '../test/fixtures/postgres-server.ts';
import { startRedis } from '../test/fixtures/redis-server.ts';
import { BASE_URL, BENCH_PASSWORD, createBenchAuth, createBenchUser, loginBody } from './lib/gatehouse.ts';
import { boundedRun } from './lib/lifecycle.ts';
import { machineLine, numberArg } from './lib/measure.ts';
import { seedUsersAndSessions } from './lib/seed.ts';

const requests = numberArg('requests', 5000);
const signins = numberArg('signins', 100);
const seedUsers = numberArg('users', 100_000);
const SESSIONS_PER_USER = 2;
const run = boundedRun('capacity-inputs', 600_000);

/** Every statement node-postgres sends goes through Client#query: count them. */
let sqlStatements = 0;
const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
  sqlStatements += 1;
  return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pg.Client.prototype.query;

async function commandCount(redis: Redis): Promise<number> {
  const stats = await redis.info('commandstats');
  let total = 0;
  for (const [, name, calls] of stats.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) {
    if (name !== 'info') total += Number(calls);
  }
  return total;
}

const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

try {
  const [postgres, redisServer] = await Promise.all([startPostgres(), startRedis()]);
  run.defer(() => postgres.stop());
  run.defer(() => redisServer.stop());
  const redis = new Redis(redisServer.url);
  run.defer(() => redis.disconnect());
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-capacity-'));
  run.defer(() => rm(dataDir, { recursive: true, force: true }));
  console.log(`capacity-inputs: ${machineLine()}; PostgreSQL 15 and Redis on loopback, in process`);

  // Production defaults (argon2 cost, rate limits, lockout); the client address from a proxy
  // header so each sign-in counts against its own address as it would behind a load balancer.
  const auth = await createBenchAuth({
    databaseUrl: await postgres.createDatabase(),
    stores: { backend: 'redis', url: redisServer.url },
    dataDir,
    config: { http: { trustedProxyHops: 1 } },
  });
  run.defer(() => auth.close());
  const emails = Array.from({ length: signins }, (_, i) => `capacity-${i}@example.com`);
  for (const email of emails) await createBenchUser(auth, email);
  const login = (email: string, i: number) =>
    auth.fetch(
      new Request(`${BASE_URL}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${i % 250}` },
        body: loginBody(email),
      }),
    );

  // Sign-ins: one per user, sequential, so CPU per call is not blurred by overlap.
  await (await login(emails[0] as string, 0)).arrayBuffer();
  let [cpu0, sql0, redis0, keys0] = [
    cpuMicros(),
    sqlStatements,
    await commandCount(redis),
    await redis.dbsize(),
  ];
  const tokens: string[] = [];
  for (const [i, email] of emails.entries()) {
    const response = await login(email, i);
    if (response.status !== 200) throw new Error(`login answered ${response.status}`);
    tokens.push(((await response.json()) as { accessToken: string }).accessToken);
  }
  const signIn = {
    cpuMs: (cpuMicros() - cpu0) / 1000 / signins,
    sql: (sqlStatements - sql0) / signins,
    // The DBSIZE above is one of the commands counted.
    redis: (await commandCount(redis)) - redis0 - 1,
    keys: ((await redis.dbsize()) - keys0) / signins,
  };
  signIn.redis /= signins;

  // Authenticated requests (GET /users/me, bearer), warm: the steady state.
  const me = (token: string) =>
    auth.fetch(new Request(`${BASE_URL}/users/me`, { headers: { authorization: `Bearer ${token}` } }));
  for (const token of tokens) await (await me(token)).arrayBuffer();
  [cpu0, sql0, redis0] = [cpuMicros(), sqlStatements, await commandCount(redis)];
  for (let i = 0; i < requests; i += 1) {
    const response = await me(tokens[i % tokens.length] as string);
    if (response.status !== 200) throw new Error(`GET /users/me answered ${response.status}`);
    await response.arrayBuffer();
  }
  const authenticated = {
    cpuUs: (cpuMicros() - cpu0) / requests,
    sql: (sqlStatements - sql0) / requests,
    redis: ((await commandCount(redis)) - redis0) / requests,
  };

  // Redis memory: revocations (what logout writes) and the keys a sign-in leaves behind.
  const before = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
  const revocations = 20_000;
  const stores = auth.stores;
  for (let i = 0; i < revocations; i += 500) {
    await Promise.all(
      Array.from({ length: 500 }, (_, j) =>
        stores.denylist.add(
          `rev:{r${(i + j) % 1024}}:sid:0194f7a2-1c3d-7e4f-8a9b-${String(i + j).padStart(12, '0')}`,
          900_000,
        ),
      ),
    );
  }
  const after = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
  const revocationBytes = (after - before) / revocations;
  const sampleKeys = (await redis.keys('gh:rl:*'))
    .slice(0, 200)
    .concat((await redis.keys('gh:ctr:*')).slice(0, 200));
  const sampled = await Promise.all(sampleKeys.map((key) => redis.memory('USAGE', key)));
  const limiterKeyBytes =
    sampled.reduce<number>((sum, bytes) => sum + Number(bytes ?? 0), 0) / Math.max(1, sampled.length);

  // PostgreSQL bytes per user and per session, at --users rows.
  const seedingUrl = await postgres.createDatabase();
  const seeding = await openDatabase({ url: seedingUrl });
  run.defer(() => seeding.close());
  await migrateUp(seeding);
  const passwordHash = await createPasswordHasher().hash(BENCH_PASSWORD);
  await seedUsersAndSessions(
    seeding.db,
    { users: seedUsers, sessions: seedUsers * SESSIONS_PER_USER },
    { passwordHash },
  );
  const admin = new pg.Client({ connectionString: seedingUrl });
  await admin.connect();
  await admin.query('VACUUM ANALYZE users');
  await admin.query('VACUUM ANALYZE sessions');
  const size = async (table: string) => {
    const { rows } = await admin.query(
      'select pg_relation_size($1) as heap, pg_indexes_size($1) as indexes, pg_total_relation_size($1) as total',
      [table],
    );
    return { heap: Number(rows[0].heap), indexes: Number(rows[0].indexes), total: Number(rows[0].total) };
  };
  const users = await size('users');
  const sessions = await size('sessions');
  await admin.end();
  const perUser = { heap: users.heap / seedUsers, indexes: users.indexes / seedUsers };
  const perSession = {
    heap: sessions.heap / (seedUsers * SESSIONS_PER_USER),
    indexes: sessions.indexes / (seedUsers * SESSIONS_PER_USER),
  };

  const f = (n: number, digits = 1) => n.toFixed(digits);
  console.log('\nMeasured inputs');
  console.log(
    `  authenticated request (GET /users/me, bearer): ${f(authenticated.cpuUs)} µs CPU, ${f(authenticated.redis, 2)} Redis commands, ${f(authenticated.sql, 2)} SQL statements`,
  );
  console.log(
    `  sign-in (POST /auth/login, default argon2id): ${f(signIn.cpuMs, 2)} ms CPU, ${f(signIn.redis, 1)} Redis commands, ${f(signIn.sql, 1)} SQL statements, ${f(signIn.keys, 1)} Redis keys left`,
  );
  console.log(
    `  Redis memory: ${f(revocationBytes, 0)} B per session revocation, ${f(limiterKeyBytes, 0)} B per rate-limit/counter key (MEMORY USAGE)`,
  );
  console.log(
    `  PostgreSQL at ${seedUsers} users / ${seedUsers * SESSIONS_PER_USER} sessions: users ${f(perUser.heap, 0)} B heap + ${f(perUser.indexes, 0)} B indexes per row; sessions ${f(perSession.heap, 0)} B heap + ${f(perSession.indexes, 0)} B indexes per row`,
  );

  console.log('\nExtrapolation (cores at 60 % busy; Gatehouse CPU only, HTTP server not included)');
  for (const rate of [1_000, 10_000, 100_000]) {
    console.log(
      `  ${rate} authenticated req/s: ${f((rate * authenticated.cpuUs) / 1e6 / 0.6)} cores, ${Math.round(rate * authenticated.redis)} Redis commands/s, ${Math.round(rate * authenticated.sql)} SQL statements/s`,
    );
  }
  console.log(
    `  1000 sign-ins/s: ${f((1000 * signIn.cpuMs) / 1000 / 0.6)} cores, ${Math.round(1000 * signIn.redis)} Redis commands/s, ${Math.round(1000 * signIn.sql)} SQL statements/s`,
  );
  const gb = (bytes: number) => `${f(bytes / 1e9, 2)} GB`;
  for (const count of [1e6, 1e7, 1e8]) {
    const userBytes = count * (perUser.heap + perUser.indexes);
    const sessionBytes = count * SESSIONS_PER_USER * (perSession.heap + perSession.indexes);
    console.log(
      `  ${count.toExponential(0)} users, ${SESSIONS_PER_USER} sessions each: users ${gb(userBytes)}, sessions ${gb(sessionBytes)}`,
    );
  }
} finally {
  await run.cleanup();
}
