/**
 * What rate limiting costs a request: the same routes with their slot limited and with
 * `rateLimits: { enabled: false }`, with memory stores and with Redis stores (a throwaway
 * redis-server on loopback, started and stopped here). In process (`fetch` on the apps, no
 * sockets), from a bounded number of concurrent callers so Redis round trips overlap as they do
 * on a loaded server. The limited slots get a budget (1 000 000 per day) far above what a run
 * sends, so every request is counted and none is refused.
 *
 *   node bench/rate-limited-request.ts [--concurrency=16] [--duration=1500] [--rounds=3]
 *
 * Two routes:
 * - `POST /auth/verify` with a token that does not verify (400): the cheapest limited route,
 *   a JWT parse and nothing else, so the limiter's share is as large as it gets;
 * - `POST /auth/request-verify` with an unknown email (202): a typical limited route, one SQL
 *   read (SQLite in memory) besides the check.
 * Then the Redis commands each limited request sends, counted with `MONITOR` (commands a Lua
 * script runs inside Redis are not round trips and are left out), and the limiter alone, one
 * call at a time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Auth, AuthConfigInput } from '../src/index.ts';
import { startRedis } from '../test/fixtures/redis-server.ts';
import { BASE_URL, createBenchAuth } from './lib/gatehouse.ts';
import { boundedRun } from './lib/lifecycle.ts';
import {
  assertNoFailures,
  closedLoop,
  formatRate,
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
const TARGET = 0.8;
/** Requests sent under MONITOR to count round trips. */
const COUNTED_REQUESTS = 500;
/** Far above what a run sends (tens of thousands of requests per contender and round). */
const BIG_BUDGET = { limit: 1_000_000, windowSeconds: 86_400, scope: 'ip' } as const;

interface RouteCase {
  readonly label: string;
  readonly path: string;
  readonly body: string;
  readonly status: number;
}

const ROUTES: readonly RouteCase[] = [
  {
    label: 'POST /auth/verify (bad token, 400)',
    path: '/auth/verify',
    body: JSON.stringify({ token: 'not.a.token' }),
    status: 400,
  },
  {
    label: 'POST /auth/request-verify (unknown email, 202)',
    path: '/auth/request-verify',
    body: JSON.stringify({ email: 'nobody@bench.example.com' }),
    status: 202,
  },
];

const run = boundedRun('rate-limited-request', 5 * 60_000);
const started = performance.now();

/** A migrated Gatehouse with silent logs, limited (big budgets) or with every limit off. */
function createApp(
  stores: NonNullable<AuthConfigInput['stores']>,
  dataDir: string,
  options: { limited: boolean },
): Promise<Auth> {
  return createBenchAuth({
    databaseUrl: 'sqlite::memory:',
    stores,
    dataDir,
    config: {
      rateLimits: options.limited
        ? { slots: { verify: BIG_BUDGET, requestVerify: BIG_BUDGET } }
        : { enabled: false },
    },
  });
}

/** Sends one request of `route` and throws unless it answers the expected status. */
async function send(auth: Auth, route: RouteCase): Promise<void> {
  const response = await auth.fetch(
    new Request(`${BASE_URL}${route.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: route.body,
    }),
  );
  await response.arrayBuffer();
  if (response.status !== route.status) throw new Error(`expected ${route.status}, got ${response.status}`);
}

/**
 * Sends `requests` requests one at a time and counts the commands Redis received from clients
 * meanwhile (`MONITOR` also reports the commands scripts run, tagged `lua`: not round trips).
 */
async function countRoundTrips(
  redisUrl: string,
  auth: Auth,
  route: RouteCase,
  requests: number,
): Promise<{ perRequest: number; commands: string[] }> {
  const client = new Redis(redisUrl, { lazyConnect: true });
  await client.connect();
  const monitor = await client.monitor();
  const seen = new Map<string, number>();
  let count = 0;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === 'lua') return;
    count++;
    const name = (args[0] ?? '?').toUpperCase();
    seen.set(name, (seen.get(name) ?? 0) + 1);
  });
  try {
    for (let i = 0; i < requests; i++) await send(auth, route);
    // MONITOR lines travel on another connection: let the last ones arrive.
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    monitor.disconnect();
    client.disconnect();
  }
  return { perRequest: count / requests, commands: [...seen.keys()].sort() };
}

try {
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-'));
  run.defer(() => rm(dataDir, { recursive: true, force: true }));
  const redis = await startRedis();
  run.defer(() => redis.stop());

  const backends = {
    memory: { backend: 'memory' },
    redis: { backend: 'redis', url: redis.url },
  } as const;
  const apps: Record<string, Auth> = {};
  for (const [backend, stores] of Object.entries(backends)) {
    for (const limited of [false, true]) {
      const auth = await createApp(stores, dataDir, { limited });
      run.defer(() => auth.close());
      apps[`${backend} ${limited ? 'limited' : 'unlimited'}`] = auth;
    }
  }

  const contenders: { name: string; run: (ms: number) => () => Promise<LoopResult> }[] = [];
  for (const route of ROUTES) {
    for (const app of Object.keys(apps)) {
      const auth = apps[app]!;
      contenders.push({
        name: `${route.label}|${app}`,
        run: (ms) => () => closedLoop(() => send(auth, route), { concurrency, durationMs: ms }),
      });
    }
  }

  console.log(
    `rate-limited-request: ${machineLine()}, concurrency ${concurrency}, ` +
      `${rounds} interleaved rounds of ${durationMs} ms, best round reported`,
  );
  // Warm up every path (JIT, SQLite pages, the Redis connection and its script cache).
  for (const c of contenders) assertNoFailures(c.name, await c.run(500)());

  const results = await interleavedRounds(
    contenders.map((c) => ({ name: c.name, run: c.run(durationMs) })),
    rounds,
  );
  const rates = (name: string): number[] => {
    const runs = results.get(name)!;
    for (const r of runs) assertNoFailures(name, r);
    return runs.map((r) => r.perSecond);
  };
  const row = (label: string, values: number[], ratio?: string) =>
    console.log(
      `  ${label.padEnd(20)} ${formatRounds(values).padEnd(34)} req/s${ratio ? `   ratio ${ratio}` : ''}`,
    );
  for (const route of ROUTES) {
    console.log(`\n${route.label}`);
    for (const backend of Object.keys(backends)) {
      const unlimited = rates(`${route.label}|${backend} unlimited`);
      const limited = rates(`${route.label}|${backend} limited`);
      row(`${backend} unlimited`, unlimited);
      const ratio = Math.max(...limited) / Math.max(...unlimited);
      row(`${backend} limited`, limited, backend === 'redis' ? formatRatio(ratio, TARGET) : ratio.toFixed(3));
    }
  }

  console.log(`\nRedis commands per request, counted with MONITOR over ${COUNTED_REQUESTS} requests:`);
  for (const route of ROUTES) {
    for (const app of ['redis unlimited', 'redis limited']) {
      const counted = await countRoundTrips(redis.url, apps[app]!, route, COUNTED_REQUESTS);
      console.log(
        `  ${`${route.label}, ${app}`.padEnd(64)} ${counted.perRequest.toFixed(2)}` +
          (counted.commands.length ? ` (${counted.commands.join(', ')})` : ''),
      );
    }
  }

  console.log('\nThe limiter alone, one call at a time (median of 3 runs, µs per call):');
  for (const backend of ['memory', 'redis'] as const) {
    const limiter = apps[`${backend} limited`]!.stores.rateLimiter;
    const rule = { limit: BIG_BUDGET.limit, windowMs: BIG_BUDGET.windowSeconds * 1000 };
    const iterations = backend === 'redis' ? 5_000 : 50_000;
    const samples: number[] = [];
    for (let r = 0; r < 3; r++) {
      const start = performance.now();
      for (let i = 0; i < iterations; i++) await limiter.consume(`bench:${i % 64}`, rule);
      samples.push(((performance.now() - start) * 1000) / iterations);
    }
    console.log(
      `  ${`${backend}: rateLimiter.consume`.padEnd(40)} ${median(samples).toFixed(1).padStart(7)} µs`,
    );
  }
  // The ceiling a Redis round trip sets on this machine when calls overlap: the limiter alone,
  // and a bare PING on a raw client, from the same number of concurrent callers.
  console.log(`\nRedis round trips alone, ${concurrency} concurrent callers, ${durationMs} ms:`);
  const limiter = apps['redis limited']!.stores.rateLimiter;
  const rule = { limit: BIG_BUDGET.limit, windowMs: BIG_BUDGET.windowSeconds * 1000 };
  const raw = new Redis(redis.url, { lazyConnect: true });
  await raw.connect();
  try {
    for (const [label, call] of [
      ['redis: rateLimiter.consume', () => limiter.consume('bench:overlap', rule)],
      ['raw ioredis PING', () => raw.ping()],
    ] as const) {
      const result = await closedLoop(call, { concurrency, durationMs });
      assertNoFailures(label, result);
      console.log(`  ${label.padEnd(40)} ${formatRate(result.perSecond).padStart(7)} calls/s`);
    }
  } finally {
    raw.disconnect();
  }
  console.log(`\nDone in ${since(started)} (${machineLine()}).`);
} finally {
  await run.cleanup();
}
