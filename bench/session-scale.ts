/**
 * Whether the cost of an authenticated request grows with the number of sessions: the same
 * requests against two SQLite files, one holding `--small` sessions and one `--large`
 * (default 1 000 and 1 000 000), each with a tenth as many users and with the denylist (memory
 * stores, or with `--stores=redis` a throwaway redis-server per size) holding as many revocation
 * entries as there are sessions. Measured in process, interleaved.
 *
 *   node bench/session-scale.ts [--small=1000] [--large=1000000] [--concurrency=16] [--duration=1500] [--rounds=5] [--stores=redis]
 *
 * Requests come from 32 users spread over each table (each logged in through `POST /auth/login`),
 * so lookups do not all hit the same hot B-tree pages. Rows are bulk-inserted with Kysely in
 * multi-row statements before Gatehouse opens the file.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { newId } from '../src/crypto/ids.ts';
import { createPasswordHasher } from '../src/crypto/password.ts';
import { REVOCATION_GROUPS, REVOCATION_KEY } from '../src/features/sessions/revocation-keys.ts';
import type { Auth } from '../src/index.ts';
import { openDatabase } from '../src/stores/sql/index.ts';
import { startRedis } from '../test/fixtures/redis-server.ts';
import {
  BASE_URL,
  BENCH_PASSWORD,
  createBenchAuth,
  expectOk,
  guardedApp,
  loginInProcess,
} from './lib/gatehouse.ts';
import { boundedRun } from './lib/lifecycle.ts';
import {
  assertNoFailures,
  closedLoop,
  formatRatio,
  formatRounds,
  interleavedRounds,
  machineLine,
  median,
  numberArg,
  since,
} from './lib/measure.ts';
import { seedUsersAndSessions } from './lib/seed.ts';

const sizes = [numberArg('small', 1_000), numberArg('large', 1_000_000)] as const;
/** `--stores=redis`: each size gets its own throwaway redis-server for its stores. */
const backend = process.argv.includes('--stores=redis') ? 'redis' : 'memory';
const concurrency = numberArg('concurrency', 16);
const durationMs = numberArg('duration', 1500);
const rounds = numberArg('rounds', 5);
const SESSIONS_PER_USER = 10;
const PROBE_USERS = 32;
/** "Within 10 %": the large database keeps at least 0.9 of the small one's rate. */
const TARGET = 0.9;
const ACCESS_TOKEN_TTL_MS = 15 * 60_000;
const WHOAMI = '/whoami';
const DENYLIST_BATCH = 1_000;

// `gc()` for the runs below, without asking for a Node flag on the command line.
setFlagsFromString('--expose-gc');

const run = boundedRun('session-scale', 8 * 60_000);
const started = performance.now();

interface Setup {
  readonly size: number;
  readonly auth: Auth;
  readonly tokens: readonly string[];
}

try {
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-'));
  run.defer(() => rm(dataDir, { recursive: true, force: true }));
  console.log(
    `session-scale: ${machineLine()}, ${sizes.join(' vs ')} sessions (SQLite files, ${backend} stores), ` +
      `concurrency ${concurrency}, ${rounds} interleaved rounds of ${durationMs} ms, ratios per round`,
  );
  // One real hash of the bench password, shared by every seeded user, so any of them can log in.
  const passwordHash = await createPasswordHasher().hash(BENCH_PASSWORD);

  const setups: Setup[] = [];
  for (const size of sizes) setups.push(await prepare(size, dataDir, passwordHash));

  const contenders = setups.flatMap(({ size, auth, tokens }) => {
    const guarded = guardedApp(auth, WHOAMI);
    let next = 0;
    const request = (path: string) =>
      new Request(`${BASE_URL}${path}`, {
        headers: { authorization: `Bearer ${tokens[next++ % tokens.length]}` },
      });
    return [
      { name: `${size} GET /users/me`, call: async () => expectOk(await auth.fetch(request('/users/me'))) },
      { name: `${size} auth only`, call: async () => expectOk(await guarded.fetch(request(WHOAMI))) },
    ];
  });
  // A full collection before each run: the large setup's heap (a million denylist entries) makes
  // its collections dearer, and without this a run pays for garbage the previous one left.
  const collectGarbage = runInNewContext('gc') as () => void;
  const loopOf = (call: () => Promise<void>, ms: number) => () => {
    collectGarbage();
    return closedLoop(call, { concurrency, durationMs: ms });
  };
  for (const c of contenders) assertNoFailures(c.name, await loopOf(c.call, 500)());
  const results = await interleavedRounds(
    contenders.map((c) => ({ name: c.name, run: loopOf(c.call, durationMs) })),
    rounds,
  );
  const rates = (name: string): number[] => {
    const runs = results.get(name)!;
    for (const r of runs) assertNoFailures(name, r);
    return runs.map((r) => r.perSecond);
  };

  console.log('');
  for (const route of ['GET /users/me', 'auth only']) {
    const [small, large] = sizes.map((size) => rates(`${size} ${route}`)) as [number[], number[]];
    console.log(`  ${route}`);
    console.log(`    ${String(sizes[0]).padStart(9)} sessions  ${formatRounds(small)} req/s`);
    console.log(`    ${String(sizes[1]).padStart(9)} sessions  ${formatRounds(large)} req/s`);
    // Each round runs both sizes back to back, so its own ratio is the least disturbed by load
    // that comes and goes; the median of those is the figure, best ÷ best is printed beside it.
    const paired = median(large.map((rate, round) => rate / small[round]!));
    console.log(
      `    ratio ${formatRatio(paired, TARGET)} (median of the rounds' own ratios; ` +
        `best ÷ best ${(Math.max(...large) / Math.max(...small)).toFixed(3)})`,
    );
  }
  console.log('\nBreakdown, one call at a time (median of 3 runs, µs per call):');
  await printBreakdown(setups);
  const heapMb = process.memoryUsage().heapUsed / 1e6;
  console.log(`  (V8 heap in use at the end: ${heapMb.toFixed(0)} MB, the denylists included)`);
  console.log(`\nDone in ${since(started)} (${machineLine()}).`);
} finally {
  await run.cleanup();
}

/** Seeds a database file with `size` sessions, opens Gatehouse on it, and signs probe users in. */
async function prepare(size: number, dataDir: string, passwordHash: string): Promise<Setup> {
  const file = join(dataDir, `sessions-${size}.db`);
  const userCount = Math.max(PROBE_USERS, Math.ceil(size / SESSIONS_PER_USER));
  const seedStart = performance.now();
  let redisUrl: string | undefined;
  if (backend === 'redis') {
    // A server per size: one shared keyspace would give the small setup the large one's entries.
    const redis = await startRedis();
    run.defer(() => redis.stop());
    redisUrl = redis.url;
  }
  const benchAuth = () =>
    createBenchAuth({
      databaseUrl: `sqlite:${file}`,
      // Room for the `size` entries added below, the seeded revoked sessions (a tenth) that
      // Gatehouse's revocation rebuild puts in on start, and what requests write: a store full
      // of live entries answers 503.
      stores:
        redisUrl === undefined
          ? { backend: 'memory', maxEntries: 2 * size + 10_000 }
          : { backend: 'redis', url: redisUrl },
      dataDir,
    });
  // The schema comes from Gatehouse's own migration run (its store's and its features' migrations,
  // as the server applies them), then that handle is closed so the rows go in over a plain one.
  await (await benchAuth()).close();
  const seeding = await openDatabase({ url: `sqlite:${file}` });
  try {
    await seedUsersAndSessions(
      seeding.db,
      { users: userCount, sessions: size },
      {
        passwordHash,
        // Progress on a terminal only, overwritten in place, so logs keep just the results.
        onProgress: (table, done, total) => {
          if (process.stderr.isTTY) process.stderr.write(`\r  seeding ${table}: ${done} / ${total}\x1b[K`);
        },
      },
    );
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  } finally {
    // One handle per file in a process: close before Gatehouse opens it.
    await seeding.close();
  }
  const seedTime = since(seedStart);
  const megabytes = (await stat(file)).size / 1e6;

  const auth = await benchAuth();
  run.defer(() => auth.close());
  // As many live revocations as sessions (as if every one had been revoked in the last 15 min):
  // the lookup every request makes must not care how many there are.
  const denyStart = performance.now();
  for (let i = 0; i < size; i += DENYLIST_BATCH) {
    // Named as the sessions feature names session revocations, spread over every group; a
    // batch at a time, so Redis gets them pipelined.
    const batch = Array.from({ length: Math.min(DENYLIST_BATCH, size - i) }, (_, j) =>
      auth.stores.denylist.add(
        REVOCATION_KEY.sessionInGroup((i + j) % REVOCATION_GROUPS, newId()),
        ACCESS_TOKEN_TTL_MS,
      ),
    );
    await Promise.all(batch);
    // The memory store settles in microtasks: let timers and signal handlers in now and then.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const denyTime = since(denyStart);

  const tokens: string[] = [];
  for (let p = 0; p < PROBE_USERS; p++) {
    const index = Math.floor((p * userCount) / PROBE_USERS);
    tokens.push(await loginInProcess(auth, `user-${index}@seed.example.com`));
  }
  console.log(
    `  ${size} sessions, ${userCount} users: seeded in ${seedTime} (${megabytes.toFixed(0)} MB), ` +
      `${size} denylist entries in ${denyTime}`,
  );
  return { size, auth, tokens };
}

/** The pieces of the request on each database, timed one call at a time, side by side. */
async function printBreakdown(setups: readonly Setup[]): Promise<void> {
  const timeEach = async (call: (i: number) => Promise<unknown>, iterations: number): Promise<number> => {
    for (let i = 0; i < 2_000; i++) await call(i);
    const samples: number[] = [];
    for (let r = 0; r < 3; r++) {
      const start = performance.now();
      for (let i = 0; i < iterations; i++) await call(i);
      samples.push(((performance.now() - start) * 1000) / iterations);
    }
    return median(samples);
  };
  const pieces: [string, (setup: Setup, userIds: readonly string[]) => (i: number) => Promise<unknown>][] = [
    [
      'api.verifyAccessToken (JWT + denylist lookup)',
      (s) => (i) => s.auth.api.verifyAccessToken(s.tokens[i % s.tokens.length]!),
    ],
    [
      "denylist.getMany of a request's 4 keys",
      (s, ids) => (i) => {
        const userId = ids[i % ids.length]!;
        return s.auth.stores.denylist.getMany([
          REVOCATION_KEY.token(userId, 'absent'),
          REVOCATION_KEY.session(userId, 'absent'),
          REVOCATION_KEY.userNotBefore(userId),
          REVOCATION_KEY.userVersion(userId),
        ]);
      },
    ],
    [
      'users.findById (probe users, SQLite file)',
      (s, ids) => (i) => s.auth.repositories.users.findById(ids[i % ids.length]!),
    ],
  ];
  const userIds = new Map<Setup, string[]>();
  for (const setup of setups) {
    const ids: string[] = [];
    for (const token of setup.tokens) ids.push((await setup.auth.api.verifyAccessToken(token)).userId);
    userIds.set(setup, ids);
  }
  console.log(`  ${''.padEnd(48)} ${setups.map((s) => `${s.size} sessions`.padStart(18)).join('')}`);
  for (const [name, make] of pieces) {
    const cells: string[] = [];
    for (const setup of setups) {
      const micros = await timeEach(make(setup, userIds.get(setup)!), 20_000);
      cells.push(`${micros.toFixed(1)} µs`.padStart(18));
    }
    console.log(`  ${name.padEnd(48)} ${cells.join('')}`);
  }
}
