/**
 * Pruning a large backlog without blocking requests: `--sessions` (default 1 000 000) expired
 * sessions on PostgreSQL, pruned by `auth.maintenance.prune()` while authenticated requests run
 * at a fixed rate (an open loop, so a stall cannot hide itself). The request is
 * `GET /users/me/sessions` — authenticated by a JWT, and reading the very table being pruned.
 * Reports the p99 during pruning ÷ the p99 of the same load without it (target ≤ 2), and the
 * pruning rate.
 *
 *   node bench/prune-under-load.ts [--sessions=1000000] [--rate=200] [--baseline=10000] [--batch=1000] [--pause=10]
 *
 * The rows are inserted by `INSERT … SELECT FROM generate_series` (100 000 a statement) before measuring.
 * PostgreSQL is the test fixture's throwaway server (fsync off, 16 MB shared buffers).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { startPostgres } from '../test/fixtures/postgres-server.ts';
import { BASE_URL, createBenchAuth, createBenchUser, loginInProcess } from './lib/gatehouse.ts';
import { boundedRun } from './lib/lifecycle.ts';
import { machineLine, numberArg, pacedLoop, percentile, since } from './lib/measure.ts';

const sessions = numberArg('sessions', 1_000_000);
const rate = numberArg('rate', 200);
const baselineMs = numberArg('baseline', 10_000);
const batchSize = numberArg('batch', 1000);
// `--pause=0` turns off the pause between batches (numberArg refuses 0 itself).
const pauseMs = process.argv.includes('--pause=0') ? 0 : numberArg('pause', 10);
const TARGET = 2;
const DAY = 86_400_000;

const run = boundedRun('prune-under-load', 20 * 60_000);
const started = performance.now();

const postgres = await startPostgres();
run.defer(() => postgres.stop());
const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-prune-'));
run.defer(() => rm(dataDir, { recursive: true, force: true }));
const auth = await createBenchAuth({
  databaseUrl: await postgres.createDatabase(),
  stores: { backend: 'memory' },
  dataDir,
  config: { rateLimits: { enabled: false } },
});
run.defer(() => auth.close());

const owner = await createBenchUser(auth, 'prune-owner@example.com');
const probe = await createBenchUser(auth, 'prune-probe@example.com');
const token = await loginInProcess(auth, 'prune-probe@example.com');

// The backlog: expired sessions of one user (the probe's own list stays a few rows long).
const db = auth.database.db;
const now = Date.now();
const seeding = performance.now();
// In chunks: one statement stays under the pool's statement timeout (10 s).
const CHUNK = 100_000;
for (let first = 1; first <= sessions; first += CHUNK) {
  const last = Math.min(sessions, first + CHUNK - 1);
  await sql`
    insert into sessions (id, user_id, kind, refresh_digest, created_at, last_used_at,
                          idle_expires_at, absolute_expires_at, auth_methods)
    select 'expired-' || n, ${owner.id}, 'bearer', 'digest-' || n, ${now - 40 * DAY}, ${now - 40 * DAY},
           ${now - 10 * DAY}, ${now - DAY}, '["pwd"]'
    from generate_series(${first}::int, ${last}::int) as n`.execute(db);
}
await sql`analyze sessions`.execute(db);
console.log(`prune-under-load: ${machineLine()}`);
console.log(
  `seeded ${sessions.toLocaleString('en')} expired sessions in ${since(seeding)}; probe user ${probe.id}`,
);

const request = () =>
  auth
    .fetch(new Request(`${BASE_URL}/users/me/sessions`, { headers: { authorization: `Bearer ${token}` } }))
    .then(async (response) => {
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`answered ${response.status}`);
    });

// Warm-up, then the same load without pruning.
await pacedLoop(request, { ratePerSecond: rate, durationMs: 2000 });
const baseline = await pacedLoop(request, { ratePerSecond: rate, durationMs: baselineMs });
if (baseline.failed > 0) throw new Error(`${baseline.failed} requests failed without pruning`);

// The same load for as long as the prune runs.
const pruneStarted = performance.now();
let pruneDone = false;
const pruning = auth.maintenance.prune({ batchSize, pauseMs, only: ['sessions.expired'] }).finally(() => {
  pruneDone = true;
});
const during: number[] = [];
let failed = 0;
let skipped = 0;
while (!pruneDone) {
  const slice = await pacedLoop(request, { ratePerSecond: rate, durationMs: 1000 });
  during.push(...slice.latenciesMs);
  failed += slice.failed;
  skipped += slice.skipped;
}
const outcome = await pruning;
const pruneMs = performance.now() - pruneStarted;
if (!outcome.ran) throw new Error('the prune lock was held');
const task = outcome.tasks[0];
if (!task || task.error) throw new Error(`pruning failed: ${task?.error}`);
const left = await sql<{ count: string }>`select count(*) as count from sessions`.execute(db);

const p = (values: readonly number[], q: number) => percentile(values, q).toFixed(2);
console.log('');
console.log(
  `without pruning: ${baseline.latenciesMs.length} requests at ${rate}/s, p50 ${p(baseline.latenciesMs, 50)} ms, p99 ${p(baseline.latenciesMs, 99)} ms`,
);
console.log(
  `during pruning:  ${during.length} requests at ${rate}/s, p50 ${p(during, 50)} ms, p99 ${p(during, 99)} ms` +
    (failed || skipped ? ` (${failed} failed, ${skipped} not started: in flight limit)` : ''),
);
console.log(
  `pruned ${task.removed.toLocaleString('en')} sessions in ${task.batches} batches of ${batchSize} in ${(pruneMs / 1000).toFixed(1)} s ` +
    `(${Math.round(task.removed / (pruneMs / 1000)).toLocaleString('en')} rows/s); ${left.rows[0]?.count} rows left`,
);
const ratio = percentile(during, 99) / percentile(baseline.latenciesMs, 99);
console.log(
  `p99 during ÷ p99 without: ${ratio.toFixed(3)} (target ≤ ${TARGET}: ${ratio <= TARGET ? 'met' : 'MISSED'})`,
);
console.log(`total ${since(started)}`);
await run.cleanup();
process.exit(failed > 0 ? 1 : 0);
