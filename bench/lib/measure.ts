/**
 * Measuring helpers shared by the benchmarks: a bounded closed loop (N workers, each starting
 * its next call when the previous one settles, until a deadline), interleaved rounds, and the
 * few statistics the scripts print.
 */
import { availableParallelism, loadavg } from 'node:os';

/** What one closed-loop run did. */
export interface LoopResult {
  /** Calls that finished (fulfilled) before the deadline. */
  readonly completed: number;
  /** Calls that rejected; a benchmark with failures is not a measurement. */
  readonly failed: number;
  readonly elapsedMs: number;
  /** `completed` per second of `elapsedMs`. */
  readonly perSecond: number;
  /** Latency of every completed call, in milliseconds (only when asked for). */
  readonly latenciesMs: readonly number[];
}

export interface LoopOptions {
  /** Calls in flight at once. */
  readonly concurrency: number;
  /** Workers stop starting new calls after this long; calls in flight are awaited. */
  readonly durationMs: number;
  /** Record each call's latency (costs an array push per call). @default false */
  readonly recordLatencies?: boolean;
  /** Stop early once this many calls have been started. @default Infinity */
  readonly maxCalls?: number;
}

/** Each closed-loop worker yields to the event loop this often. */
const YIELD_EVERY_CALLS = 256;

/**
 * Runs `call` from `concurrency` workers until `durationMs` has passed, and counts what
 * finished. A rejected call is counted as failed and the loop goes on, so one error does not
 * hide the rest of the run; callers check `failed` and refuse to report a rate with failures.
 */
export async function closedLoop(call: () => Promise<unknown>, options: LoopOptions): Promise<LoopResult> {
  const { concurrency, durationMs } = options;
  const maxCalls = options.maxCalls ?? Number.POSITIVE_INFINITY;
  const record = options.recordLatencies ?? false;
  const latenciesMs: number[] = [];
  let completed = 0;
  let failed = 0;
  let started = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  const worker = async (): Promise<void> => {
    let sinceYield = 0;
    while (performance.now() < deadline && started < maxCalls) {
      // Calls that settle in microtasks alone (memory stores) would otherwise starve timers and
      // signal handlers for the whole run, including the budget that stops a hung benchmark.
      if (++sinceYield === YIELD_EVERY_CALLS) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
      started++;
      const callStart = record ? performance.now() : 0;
      try {
        await call();
        completed++;
        if (record) latenciesMs.push(performance.now() - callStart);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - start;
  return { completed, failed, elapsedMs, perSecond: completed / (elapsedMs / 1000), latenciesMs };
}

/** Throws when a run had failures: a rate measured over errors would flatter the contender. */
export function assertNoFailures(name: string, result: LoopResult): void {
  if (result.failed > 0) {
    throw new Error(`${name}: ${result.failed} of ${result.completed + result.failed} calls failed`);
  }
}

/**
 * Runs every contender once per round, in the same order each round, and returns each one's
 * results. Interleaving makes drift in machine load (another process, thermal throttling)
 * hit every contender alike instead of whichever ran last.
 */
export async function interleavedRounds<T>(
  contenders: readonly { readonly name: string; readonly run: () => Promise<T> }[],
  rounds: number,
): Promise<Map<string, T[]>> {
  const results = new Map<string, T[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const contender of contenders) results.get(contender.name)!.push(await contender.run());
  }
  return results;
}

/** The value below which `p` (0–100) percent of `values` fall (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** `12,345` style, for requests per second. */
export function formatRate(perSecond: number): string {
  return Math.round(perSecond).toLocaleString('en-US');
}

/** A ratio with three decimals (so 0.897 never prints as a passing 0.90), and whether it meets `target`. */
export function formatRatio(ratio: number, target: number): string {
  return `${ratio.toFixed(3)} (target ≥ ${target}: ${ratio >= target ? 'met' : 'MISSED'})`;
}

/** `best (min–max)` of per-round rates, so the spread between rounds shows how noisy a run was. */
export function formatRounds(rates: readonly number[]): string {
  const best = Math.max(...rates);
  return `${formatRate(best)} (rounds ${formatRate(Math.min(...rates))}–${formatRate(best)})`;
}

/**
 * Reads `--name=value` from the command line, as a number; `fallback` when absent.
 * @throws Error for a value that is not a positive number.
 */
export function numberArg(name: string, fallback: number): number {
  const prefix = `--${name}=`;
  const raw = process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
  if (raw === undefined) return fallback;
  const value = Number(raw.replaceAll('_', ''));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

/** Milliseconds since `start` (a `performance.now()` reading), rounded for printing. */
export function since(start: number): string {
  return `${((performance.now() - start) / 1000).toFixed(1)} s`;
}

/** What one paced (open-loop) run did. */
export interface PacedResult {
  readonly completed: number;
  readonly failed: number;
  /** Ticks that found `maxInFlight` calls still running and started nothing. */
  readonly skipped: number;
  readonly latenciesMs: readonly number[];
}

/**
 * Starts `call` at a fixed rate for `durationMs` whatever the previous calls are doing (an open
 * loop, like independent clients), and records each call's latency. Unlike a closed loop, a
 * stalled server cannot slow the probe down and hide its own stall; at most `maxInFlight`
 * calls run at once so a dead server cannot pile up sockets.
 */
export async function pacedLoop(
  call: () => Promise<unknown>,
  options: { ratePerSecond: number; durationMs: number; maxInFlight?: number },
): Promise<PacedResult> {
  const maxInFlight = options.maxInFlight ?? 64;
  const intervalMs = 1000 / options.ratePerSecond;
  const latenciesMs: number[] = [];
  const pending = new Set<Promise<void>>();
  let completed = 0;
  let failed = 0;
  let skipped = 0;
  const start = performance.now();
  let nextAt = start;
  while (nextAt < start + options.durationMs) {
    const wait = nextAt - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    nextAt += intervalMs;
    if (pending.size >= maxInFlight) {
      skipped++;
      continue;
    }
    const callStart = performance.now();
    const running: Promise<void> = call().then(
      () => {
        completed++;
        latenciesMs.push(performance.now() - callStart);
      },
      () => {
        failed++;
      },
    );
    pending.add(running);
    void running.finally(() => pending.delete(running));
  }
  await Promise.all(pending);
  return { completed, failed, skipped, latenciesMs };
}

/**
 * Node version, CPU count and the 1-minute load average: a benchmark run on a machine already
 * busy with other work measures that work too, so every run says how busy it was.
 */
export function machineLine(): string {
  const load = loadavg()[0] ?? 0;
  return `node ${process.version}, ${availableParallelism()} CPUs, load average ${load.toFixed(2)}`;
}

/** One thing to measure: a name and one request. */
export interface Contender {
  readonly name: string;
  readonly call: () => Promise<void>;
}

/**
 * Measures every contender side by side: a short warm-up that must not fail, then `rounds`
 * interleaved rounds of closed loops, each contender's rates printed. Answers each one's best
 * round, for ratios measured in the same run.
 */
export async function compareContenders(
  label: string,
  contenders: readonly Contender[],
  options: { readonly concurrency: number; readonly durationMs: number; readonly rounds: number },
): Promise<(name: string) => number> {
  const loopOf = (call: () => Promise<void>, ms: number) => () =>
    closedLoop(call, { concurrency: options.concurrency, durationMs: ms });
  console.log(
    `${label}: ${machineLine()}, concurrency ${options.concurrency}, ` +
      `${options.rounds} interleaved rounds of ${options.durationMs} ms, best round reported`,
  );
  for (const c of contenders) assertNoFailures(c.name, await loopOf(c.call, 500)());
  const results = await interleavedRounds(
    contenders.map((c) => ({ name: c.name, run: loopOf(c.call, options.durationMs) })),
    options.rounds,
  );
  const rates = (name: string): number[] => {
    const runs: LoopResult[] = results.get(name) ?? [];
    for (const r of runs) assertNoFailures(name, r);
    return runs.map((r) => r.perSecond);
  };
  console.log('');
  for (const c of contenders) console.log(`  ${c.name.padEnd(30)} ${formatRounds(rates(c.name))} req/s`);
  console.log('');
  return (name) => Math.max(...rates(name));
}
