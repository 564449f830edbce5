/**
 * Runs the features' pruning tasks: each to completion in small batches, under one lock in the
 * shared store so that only one process (of every worker and machine sharing the stores) prunes
 * at a time. The lock is the denylist's atomic compare-and-set with a TTL: taken only when
 * absent, renewed before every batch only while it still holds this run's value, so a run that
 * stalled past the TTL and lost the lock stops at its next batch instead of pruning beside the
 * new holder. The value starts with a fencing number from a shared counter (each run's is
 * higher than every earlier one's), written into logs so an operator can order runs.
 * On memory stores the lock is process-local, like the stores themselves.
 */

import type { Logger } from 'pino';
import type { MaintenanceTask } from '../feature/index.ts';
import type { Stores } from '../stores/contract.ts';

const LOCK_KEY = 'maintenance:prune:lock';
const FENCE_KEY = 'maintenance:prune:fence';
/** The lock's value once its holder let go (a TTL of 1 ms is not honoured alike by every backend). */
const RELEASED = 'released';
/** The fencing counter outlives any plausible gap between runs. */
const FENCE_TTL_MS = 366 * 24 * 3600 * 1000;

export interface PruneOptions {
  /** Rows or entries per statement. @default 1000 */
  readonly batchSize?: number;
  /** Stop a task after this many batches (a run is bounded even when rows keep coming). @default 100000 */
  readonly maxBatches?: number;
  /**
   * Pause between batches, so a large backlog leaves room for requests: with 10 ms, pruning
   * 1 000 000 sessions on PostgreSQL kept the p99 of concurrent requests within 2× (bench/
   * prune-under-load.ts; without a pause it was just over). @default 10
   */
  readonly pauseMs?: number;
  /** Told after each task. */
  readonly onTask?: (report: TaskReport) => void;
  /** Only these tasks (by name). */
  readonly only?: readonly string[];
}

export interface TaskReport {
  readonly name: string;
  readonly removed: number;
  readonly batches: number;
  readonly durationMs: number;
  /** Set when the task failed (its message); the other tasks still run. */
  readonly error?: string;
}

export type PruneOutcome =
  | { readonly ran: true; readonly fence: number; readonly tasks: readonly TaskReport[] }
  | { readonly ran: false; readonly reason: 'locked' };

export interface Maintenance {
  /** Names of every task, in feature-list order. */
  readonly tasks: readonly string[];
  /**
   * Runs every task to completion unless another process holds the prune lock
   * (`{ ran: false, reason: 'locked' }`).
   */
  prune(options?: PruneOptions): Promise<PruneOutcome>;
}

export interface MaintenanceDeps {
  readonly tasks: readonly MaintenanceTask[];
  readonly stores: Stores;
  readonly now: () => number;
  readonly logger: Logger;
  /** Lock TTL; renewed before each batch, so a batch must finish well within it. @default 120000 */
  readonly lockTtlMs?: number;
  /** Told of each task's outcome (metrics). */
  readonly observe?: (report: TaskReport) => void;
}

export function createMaintenance(deps: MaintenanceDeps): Maintenance {
  const lockTtlMs = deps.lockTtlMs ?? 120_000;
  const { denylist, counters } = deps.stores;
  return Object.freeze({
    tasks: Object.freeze(deps.tasks.map((task) => task.name)),
    async prune(options: PruneOptions = {}): Promise<PruneOutcome> {
      const batchSize = options.batchSize ?? 1000;
      const maxBatches = options.maxBatches ?? 100_000;
      const pauseMs = options.pauseMs ?? 10;
      const fence = (await counters.increment(FENCE_KEY, FENCE_TTL_MS)).value;
      const holder = `${fence}:${crypto.randomUUID()}`;
      // Free when absent (expired) or released; either swap is atomic, so one contender wins.
      const acquired =
        (await denylist.compareAndSet(LOCK_KEY, null, holder, lockTtlMs)) ||
        (await denylist.compareAndSet(LOCK_KEY, RELEASED, holder, lockTtlMs));
      if (!acquired) {
        return { ran: false, reason: 'locked' };
      }
      const renew = async (): Promise<void> => {
        if (!(await denylist.compareAndSet(LOCK_KEY, holder, holder, lockTtlMs))) throw new LockLost(fence);
      };
      const reports: TaskReport[] = [];
      const now = deps.now();
      try {
        for (const task of deps.tasks) {
          if (options.only && !options.only.includes(task.name)) continue;
          const started = performance.now();
          let removed = 0;
          let batches = 0;
          let error: string | undefined;
          try {
            for (let more = true; more && batches < maxBatches; ) {
              await renew();
              const result = await task.prune({ now, batchSize });
              batches++;
              removed += result.removed;
              more = result.more && result.removed > 0;
              if (more && pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
            }
          } catch (failure) {
            if (failure instanceof LockLost) throw failure;
            error = failure instanceof Error ? failure.message : String(failure);
          }
          const report: TaskReport = {
            name: task.name,
            removed,
            batches,
            durationMs: Math.round(performance.now() - started),
            ...(error === undefined ? {} : { error }),
          };
          reports.push(report);
          deps.observe?.(report);
          options.onTask?.(report);
          if (error === undefined) deps.logger.info({ task: task.name, removed, batches, fence }, 'pruned');
          else deps.logger.error({ task: task.name, removed, batches, fence, err: error }, 'pruning failed');
        }
      } finally {
        // Released only while still ours; a lost lock belongs to the next holder.
        await denylist.compareAndSet(LOCK_KEY, holder, RELEASED, lockTtlMs).catch(() => undefined);
      }
      return { ran: true, fence, tasks: Object.freeze(reports) };
    },
  });
}

/** The run lost the prune lock (it stalled past the TTL); another process now holds it. */
export class LockLost extends Error {
  constructor(fence: number) {
    super(`the prune lock of run ${fence} expired and was taken over`);
    this.name = 'LockLost';
  }
}

/**
 * Runs `maintenance.prune` every `intervalMs` (first run after one interval, with jitter so
 * workers started together do not all try at once); a run that finds the lock held is skipped.
 * `stop()` waits for a run in progress.
 */
export function schedulePruning(
  maintenance: Maintenance,
  options: {
    readonly intervalMs: number;
    readonly logger: Logger;
    readonly batchSize?: number;
  },
): { stop(): Promise<void> } {
  let running: Promise<unknown> | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    if (stopped) return;
    const jitter = Math.floor(Math.random() * Math.min(options.intervalMs * 0.1, 30_000));
    timer = setTimeout(run, options.intervalMs + jitter);
    timer.unref();
  };
  const run = () => {
    running = maintenance
      .prune(options.batchSize === undefined ? {} : { batchSize: options.batchSize })
      .catch((error: unknown) =>
        options.logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'prune run failed',
        ),
      )
      .finally(() => {
        running = undefined;
        arm();
      });
  };
  arm();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
