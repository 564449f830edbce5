/**
 * Keeps a benchmark bounded: cleanup (servers it started, temp dirs) runs on normal exit, on
 * Ctrl-C, and when the run outlives its time budget, so no redis-server or child process is
 * left behind.
 */

const CLEANUP_GRACE_MS = 10_000;

export interface Lifecycle {
  /** Registers cleanup, run in reverse order of registration. */
  defer(cleanup: () => unknown): void;
  /** Runs every cleanup once (later calls wait for the first). */
  cleanup(): Promise<void>;
}

/**
 * Starts the budget clock. Past `budgetMs`, or on SIGINT/SIGTERM, the cleanups run and the
 * process exits with status 1.
 */
export function boundedRun(name: string, budgetMs: number): Lifecycle {
  const cleanups: (() => unknown)[] = [];
  let running: Promise<void> | undefined;

  const cleanup = (): Promise<void> => {
    running ??= (async () => {
      for (const step of cleanups.reverse()) {
        try {
          await step();
        } catch (error) {
          console.error(`${name}: cleanup failed:`, error);
        }
      }
    })();
    return running;
  };

  const abort = (why: string): void => {
    console.error(`${name}: ${why}; cleaning up`);
    // Cleanup that hangs must not keep the process alive either.
    setTimeout(() => process.exit(1), CLEANUP_GRACE_MS).unref();
    void cleanup().finally(() => process.exit(1));
  };

  setTimeout(() => abort(`exceeded its ${Math.round(budgetMs / 1000)} s budget`), budgetMs).unref();
  process.once('SIGINT', () => abort('interrupted'));
  process.once('SIGTERM', () => abort('terminated'));

  return {
    defer(step) {
      cleanups.push(step);
    },
    cleanup,
  };
}
