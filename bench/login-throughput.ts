/**
 * Login throughput against the argon2id work it cannot avoid, and what a login flood does to
 * everyone else's requests.
 *
 *   node bench/login-throughput.ts [--concurrency=4] [--duration=5000] [--rounds=3] [--probe-rate=200]
 *
 * 1. `POST /auth/login` over real HTTP (a Gatehouse server in its own process on loopback:
 *    node:http, SQLite file, memory stores, default argon2id m=19 MiB t=2 p=1) from
 *    `concurrency` keep-alive clients, against raw `@node-rs/argon2` `verify` calls at the same
 *    parameters and concurrency, interleaved; the ratio is logins/s over verifies/s.
 * 2. During a login flood at that concurrency, `GET /users/me` requests at a fixed rate (an
 *    open loop, so a stalled event loop shows up as latency instead of fewer requests): their
 *    p99 says whether hashing ever stalls the event loop, by running on it or by leaving it no
 *    CPU. The same probe without the flood is printed for comparison.
 *
 * Both sides run argon2 on the libuv thread pool, so `UV_THREADPOOL_SIZE` bounds how many hashes
 * run at once; the server inherits this process's environment, so both use the same pool size.
 */
import { hash as argon2Hash, verify as argon2Verify, type Options } from '@node-rs/argon2';
import { DEFAULT_ARGON2_PARAMS } from '../src/crypto/password.ts';
import { BENCH_PASSWORD, expectOk, loginBody } from './lib/gatehouse.ts';
import { startServerProcess } from './lib/gatehouse-server.ts';
import { leanClient } from './lib/http-client.ts';
import { boundedRun } from './lib/lifecycle.ts';
import {
  assertNoFailures,
  closedLoop,
  formatRatio,
  formatRounds,
  interleavedRounds,
  type LoopResult,
  machineLine,
  numberArg,
  type PacedResult,
  pacedLoop,
  percentile,
  since,
} from './lib/measure.ts';

const concurrency = numberArg('concurrency', 4);
const durationMs = numberArg('duration', 5000);
const rounds = numberArg('rounds', 3);
const probeRate = numberArg('probe-rate', 200);
/** Probe requests allowed in flight at once; ticks beyond it are counted as skipped. */
const PROBE_MAX_IN_FLIGHT = 64;
const THROUGHPUT_TARGET = 0.9;
const P99_TARGET_MS = 25;
/** What libuv uses when the variable is unset. */
const LIBUV_DEFAULT_POOL = 4;

/** A closed-loop run and the CPU it cost per completed call, in milliseconds. */
interface Measured {
  readonly result: LoopResult;
  /** This process (the load generator, or the raw verifies), every thread. */
  readonly clientMs: number;
  /** The server process, every thread (argon2 included). */
  readonly serverMs: number;
  /** The server's event loop thread alone. */
  readonly serverLoopMs: number;
  /** The part of `serverLoopMs` spent in the kernel. */
  readonly serverLoopSystemMs: number;
}

const run = boundedRun('login-throughput', 6 * 60_000);
const started = performance.now();

try {
  const server = await startServerProcess({ users: concurrency });
  run.defer(() => server.stop());

  // The raw side: the same password, hashed once at the same parameters, verified directly.
  const params = DEFAULT_ARGON2_PARAMS;
  const argon2Options: Options = {
    algorithm: 2 as Options['algorithm'], // Argon2id (a const enum in the typings)
    memoryCost: params.memoryKiB,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
  };
  const stored = await argon2Hash(BENCH_PASSWORD, argon2Options);
  const rawVerify = async (): Promise<void> => {
    if (!(await argon2Verify(stored, BENCH_PASSWORD))) throw new Error('verify returned false');
  };

  // The logins go out through a lean keep-alive client: the load generator shares the two
  // cores with the server, and with `fetch` it spent about a tenth of a login's CPU itself.
  const client = leanClient(server.url, concurrency);
  run.defer(() => client.close());
  let nextUser = 0;
  const login = async (): Promise<void> => {
    const email = server.emails[nextUser++ % server.emails.length]!;
    const status = await client.send('POST', '/auth/login', {
      headers: { 'content-type': 'application/json' },
      body: loginBody(email),
    });
    if (status !== 200) throw new Error(`expected 200, got ${status}`);
  };
  const readMe = async (): Promise<void> => {
    const response = await fetch(`${server.url}/users/me`, {
      headers: { authorization: `Bearer ${server.probeToken}` },
    });
    await expectOk(response);
  };

  const pool = process.env.UV_THREADPOOL_SIZE ?? `${LIBUV_DEFAULT_POOL} (unset: libuv default)`;
  console.log(
    `login-throughput: ${machineLine()}, argon2id m=${params.memoryKiB} KiB t=${params.timeCost} ` +
      `p=${params.parallelism}, concurrency ${concurrency}, UV_THREADPOOL_SIZE=${pool}, ` +
      `${rounds} interleaved rounds of ${durationMs} ms, best round reported`,
  );

  /** A closed loop at `concurrency`, with the CPU both processes spent on it. */
  const loop = (call: () => Promise<void>, ms: number) => async (): Promise<Measured> => {
    const [client, serverBefore] = [process.cpuUsage(), await server.cpu()];
    const result = await closedLoop(call, { concurrency, durationMs: ms });
    const clientUsed = process.cpuUsage(client);
    const serverAfter = await server.cpu();
    const per = (micros: number) => micros / 1000 / Math.max(result.completed, 1);
    return {
      result,
      clientMs: per(clientUsed.user + clientUsed.system),
      serverMs: per(serverAfter.processMicros - serverBefore.processMicros),
      serverLoopMs: per(serverAfter.eventLoopMicros - serverBefore.eventLoopMicros),
      serverLoopSystemMs: per(serverAfter.eventLoopSystemMicros - serverBefore.eventLoopSystemMicros),
    };
  };
  // Warm-up: JIT, keep-alive connections, SQLite caches, argon2 memory.
  assertNoFailures('raw verify (warm-up)', (await loop(rawVerify, 1000)()).result);
  assertNoFailures('login (warm-up)', (await loop(login, 1000)()).result);

  const results = await interleavedRounds(
    [
      { name: 'raw', run: loop(rawVerify, durationMs) },
      { name: 'login', run: loop(login, durationMs) },
    ],
    rounds,
  );
  const measured = (name: string): Measured[] => {
    const runs = results.get(name)!;
    for (const r of runs) assertNoFailures(name, r.result);
    return runs;
  };
  const bestOf = (runs: Measured[]): Measured =>
    runs.reduce((a, b) => (b.result.perSecond > a.result.perSecond ? b : a));
  const rawRuns = measured('raw');
  const loginRuns = measured('login');
  const raw = bestOf(rawRuns);
  const logins = bestOf(loginRuns);
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  const roundsOf = (runs: Measured[]) => formatRounds(runs.map((r) => r.result.perSecond)).padEnd(24);
  console.log(`\n  raw argon2id verify        ${roundsOf(rawRuns)} /s   CPU ${ms(raw.clientMs)} per verify`);
  console.log(
    `  POST /auth/login (HTTP)    ${roundsOf(loginRuns)} /s   ` +
      `ratio ${formatRatio(logins.result.perSecond / raw.result.perSecond, THROUGHPUT_TARGET)}`,
  );
  console.log(
    `  CPU per login: server ${ms(logins.serverMs)} (of which its event loop ${ms(logins.serverLoopMs)}, ` +
      `${ms(logins.serverLoopSystemMs)} of it in the kernel), ` +
      `load generator ${ms(logins.clientMs)}`,
  );

  // Event-loop check: the probe alone, then the probe during a flood.
  const probe = (ms: number) =>
    pacedLoop(readMe, { ratePerSecond: probeRate, durationMs: ms, maxInFlight: PROBE_MAX_IN_FLIGHT });
  const idle = await probe(Math.min(durationMs, 3000));
  const [flood, loaded] = await Promise.all([
    closedLoop(login, { concurrency, durationMs }),
    // Starts once the flood is under way and ends before it winds down.
    new Promise((resolve) => setTimeout(resolve, 250)).then(() => probe(Math.max(500, durationMs - 500))),
  ]);
  assertNoFailures('login flood', flood);
  console.log(`\n  GET /users/me at ${probeRate}/s (open loop), latency in ms:`);
  printProbe('idle server', idle);
  printProbe(`during a ${flood.perSecond.toFixed(1)}/s login flood`, loaded);
  const p99 = percentile(loaded.latenciesMs, 99);
  console.log(
    `  p99 during the flood: ${p99.toFixed(2)} ms (target ≤ ${P99_TARGET_MS} ms: ${p99 <= P99_TARGET_MS ? 'met' : 'MISSED'})`,
  );
  console.log(`\nDone in ${since(started)} (${machineLine()}).`);
} finally {
  await run.cleanup();
}

function printProbe(label: string, result: PacedResult): void {
  if (result.failed > 0) throw new Error(`${label}: ${result.failed} probe requests failed`);
  const l = result.latenciesMs;
  const at = (p: number) => percentile(l, p).toFixed(2).padStart(6);
  console.log(
    `  ${label.padEnd(32)} n=${String(result.completed).padStart(5)}  p50 ${at(50)}  p90 ${at(90)}  ` +
      `p99 ${at(99)}  max ${Math.max(...l)
        .toFixed(2)
        .padStart(
          6,
        )}${result.skipped ? `  (${result.skipped} ticks skipped: ${PROBE_MAX_IN_FLIGHT} in flight)` : ''}`,
  );
}
