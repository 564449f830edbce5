/**
 * What an authenticated request costs: `GET /users/me` with a bearer token against a bare Hono
 * JSON route, with memory stores and with Redis stores (a throwaway redis-server on loopback,
 * started and stopped here). In process (`fetch` on the apps, no sockets), so only server code
 * is measured; requests run from a bounded number of concurrent callers so Redis round trips
 * overlap as they do on a loaded server.
 *
 *   node bench/authenticated-request.ts [--concurrency=16] [--duration=1500] [--rounds=3]
 *
 * Two Gatehouse figures per store backend:
 * - `GET /users/me`: the full route (request pipeline, token check, one denylist lookup, and a
 *   SQL read of the user from SQLite in memory);
 * - "authentication only": a plain Hono route behind `auth.requireAuth()` answering the
 *   principal (token check and denylist lookup only), which is the auth cost the targets mean.
 * Then a breakdown: the pieces timed one call at a time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REVOCATION_KEY } from '../src/features/sessions/revocation-keys.ts';
import type { Auth } from '../src/index.ts';
import { startRedis } from '../test/fixtures/redis-server.ts';
import {
  BASE_URL,
  bareApp,
  createBenchAuth,
  createBenchUser,
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
  type LoopResult,
  machineLine,
  median,
  numberArg,
  since,
} from './lib/measure.ts';

const concurrency = numberArg('concurrency', 16);
const durationMs = numberArg('duration', 1500);
const rounds = numberArg('rounds', 3);
const TARGET = { memory: 0.6, redis: 0.4 } as const;
const ME = '/users/me';
const WHOAMI = '/whoami';

const run = boundedRun('authenticated-request', 5 * 60_000);
const started = performance.now();

try {
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-'));
  run.defer(() => rm(dataDir, { recursive: true, force: true }));
  const redis = await startRedis();
  run.defer(() => redis.stop());

  const backends = {
    memory: await createBenchAuth({ databaseUrl: 'sqlite::memory:', stores: { backend: 'memory' }, dataDir }),
    redis: await createBenchAuth({
      databaseUrl: 'sqlite::memory:',
      stores: { backend: 'redis', url: redis.url },
      dataDir,
    }),
  };
  for (const auth of Object.values(backends)) run.defer(() => auth.close());

  type Fetch = (request: Request) => Response | Promise<Response>;
  const contenders: { name: string; fetch: Fetch; path: string; token: string }[] = [];
  const tokens: Record<string, string> = {};
  for (const [backend, auth] of Object.entries(backends)) {
    await createBenchUser(auth, `reader@${backend}.example.com`);
    const token = await loginInProcess(auth, `reader@${backend}.example.com`);
    tokens[backend] = token;
    const guarded = guardedApp(auth, WHOAMI);
    contenders.push(
      { name: `${backend}: GET /users/me`, fetch: (r) => auth.fetch(r), path: ME, token },
      { name: `${backend}: auth only`, fetch: (r) => guarded.fetch(r), path: WHOAMI, token },
    );
  }
  // The baseline gets the same request, bearer header included; it just never looks at it.
  const bare = bareApp(ME);
  contenders.unshift({ name: 'bare Hono', fetch: (r) => bare.fetch(r), path: ME, token: tokens.memory! });

  const loopOf = (c: (typeof contenders)[number], ms: number) => () =>
    closedLoop(
      async () => {
        const request = new Request(`${BASE_URL}${c.path}`, {
          headers: { authorization: `Bearer ${c.token}` },
        });
        await expectOk(await c.fetch(request));
      },
      { concurrency, durationMs: ms },
    );

  console.log(
    `authenticated-request: ${machineLine()}, concurrency ${concurrency}, ` +
      `${rounds} interleaved rounds of ${durationMs} ms, best round reported`,
  );
  // Warm up every path (JIT, SQLite pages, the Redis connection) before measuring.
  for (const c of contenders) assertNoFailures(c.name, await loopOf(c, 500)());

  const results = await interleavedRounds(
    contenders.map((c) => ({ name: c.name, run: loopOf(c, durationMs) })),
    rounds,
  );
  const rates = (name: string): number[] => {
    const runs: LoopResult[] = results.get(name)!;
    for (const r of runs) assertNoFailures(name, r);
    return runs.map((r) => r.perSecond);
  };
  const row = (label: string, values: number[], ratio?: string) =>
    console.log(
      `  ${label.padEnd(32)} ${formatRounds(values).padEnd(34)} req/s${ratio ? `   ratio ${ratio}` : ''}`,
    );
  const bareRates = rates('bare Hono');
  const bareRate = Math.max(...bareRates);
  console.log('');
  row('bare Hono JSON route', bareRates);
  for (const backend of ['memory', 'redis'] as const) {
    for (const [label, name] of [
      ['GET /users/me', `${backend}: GET /users/me`],
      ['auth only (requireAuth)', `${backend}: auth only`],
    ] as const) {
      const values = rates(name);
      row(`${backend} ${label}`, values, formatRatio(Math.max(...values) / bareRate, TARGET[backend]));
    }
  }

  console.log('\nBreakdown, one call at a time (median of 3 runs, µs per call):');
  await printBreakdown(backends, tokens);
  console.log(`\nDone in ${since(started)} (${machineLine()}).`);
} finally {
  await run.cleanup();
}

/**
 * Times the request and its pieces one call at a time (no overlap, so Redis round trips are
 * paid in full), so their costs can be compared directly.
 */
async function printBreakdown(backends: Record<'memory' | 'redis', Auth>, tokens: Record<string, string>) {
  const timeEach = async (name: string, iterations: number, call: () => Promise<unknown>) => {
    for (let i = 0; i < Math.min(iterations, 2_000); i++) await call();
    const samples: number[] = [];
    for (let r = 0; r < 3; r++) {
      const start = performance.now();
      for (let i = 0; i < iterations; i++) await call();
      samples.push(((performance.now() - start) * 1000) / iterations);
    }
    console.log(`  ${name.padEnd(58)} ${median(samples).toFixed(1).padStart(7)} µs`);
  };
  const memory = backends.memory;
  const withToken = (path: string, token: string) =>
    new Request(`${BASE_URL}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const bare = bareApp(ME);
  const guarded = guardedApp(memory, WHOAMI);
  await timeEach('bare Hono JSON route', 20_000, async () =>
    expectOk(await bare.fetch(withToken(ME, tokens.memory!))),
  );
  await timeEach('memory: GET /users/me, whole request', 20_000, async () =>
    expectOk(await memory.fetch(withToken(ME, tokens.memory!))),
  );
  await timeEach('memory: auth-only route, whole request', 20_000, async () =>
    expectOk(await guarded.fetch(withToken(WHOAMI, tokens.memory!))),
  );
  await timeEach('gatehouse GET /health (pipeline, no auth, no SQL)', 20_000, async () =>
    expectOk(await memory.fetch(new Request(`${BASE_URL}/health`))),
  );
  for (const [backend, auth] of Object.entries(backends)) {
    const token = tokens[backend]!;
    const iterations = backend === 'redis' ? 5_000 : 20_000;
    await timeEach(`${backend}: api.verifyAccessToken (JWT + one denylist lookup)`, iterations, () =>
      auth.api.verifyAccessToken(token),
    );
    // The keys a request reads, named as the sessions feature names them (one hash tag per group).
    const { userId } = await auth.api.verifyAccessToken(token);
    const keys = [
      REVOCATION_KEY.token(userId, 'x'),
      REVOCATION_KEY.session(userId, 'y'),
      REVOCATION_KEY.userNotBefore(userId),
      REVOCATION_KEY.userVersion(userId),
    ];
    await timeEach(
      `${backend}: denylist.getMany of the request's ${keys.length} keys alone`,
      iterations,
      () => auth.stores.denylist.getMany(keys),
    );
  }
  const principal = await memory.api.verifyAccessToken(tokens.memory!);
  await timeEach('users.findById (SQLite in memory, through Kysely)', 20_000, () =>
    memory.repositories.users.findById(principal.userId),
  );
}
