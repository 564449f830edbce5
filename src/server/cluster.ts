import cluster, { type Worker } from 'node:cluster';
import { type Auth, createAuth } from '../index.ts';
import type { ServerSettings } from './env.ts';
import { type RunningServer, type StartOptions, startServer } from './start.ts';

/**
 * Set in the environment of every process the primary forks. `cluster.isWorker` alone would
 * also be true when an application runs Gatehouse in a cluster of its own; the marker says
 * this process was forked by `gatehouse serve --workers` and must follow the primary's rules
 * (never migrate, report when listening).
 */
export const CLUSTER_WORKER_ENV = 'GATEHOUSE_CLUSTER_WORKER';

type Logger = Auth['logger'];

/** The message a worker sends the primary once its server listens. */
const LISTENING_MESSAGE = 'gatehouse:listening';

/** Added to the grace period before the primary SIGKILLs workers that have not exited. */
const STOP_MARGIN_MS = 5_000;

export interface RestartLimit {
  /** Deaths tolerated within `windowMs`; one more stops the cluster. */
  readonly deaths: number;
  readonly windowMs: number;
}

/** More than 5 unexpected deaths in 10 s is a crash loop, not bad luck. */
export const DEFAULT_RESTART_LIMIT: RestartLimit = Object.freeze({ deaths: 5, windowMs: 10_000 });

export interface ClusterOptions {
  /** Worker processes to run, at least 2 (one worker is `startServer` without a cluster). */
  readonly workers: number;
  /** Migrate before forking even in production (`gatehouse serve --migrate`). */
  readonly migrate?: boolean;
  /** The workers' grace period on shutdown; the primary waits that long plus a margin. @default 10000 */
  readonly shutdownGraceMs?: number;
  /** When to give up replacing workers that keep dying. @default {@link DEFAULT_RESTART_LIMIT} */
  readonly restartLimit?: RestartLimit;
}

/** A running cluster primary. */
export interface RunningCluster {
  readonly logger: Logger;
  /** Resolves with the exit code once every worker has exited (0 after a clean stop). */
  readonly done: Promise<number>;
  /** SIGTERMs every worker, waits for them (bounded), then resolves `done`. Idempotent. */
  stop(reason: string): Promise<number>;
}

/** Whether this process is a worker forked by {@link startCluster}. */
export function isClusterWorker(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return cluster.isWorker && env[CLUSTER_WORKER_ENV] === '1';
}

/**
 * Counts unexpected deaths in a sliding window. `record` returns false when the limit is
 * exceeded: the caller stops replacing workers instead of spinning in a crash loop.
 */
export function createRestartBudget(
  limit: RestartLimit,
  options: { now?: () => number } = {},
): { record(): boolean } {
  const now = options.now ?? Date.now;
  const deaths: number[] = [];
  return {
    record(): boolean {
      const at = now();
      deaths.push(at);
      while (deaths.length > 0 && (deaths[0] as number) <= at - limit.windowMs) deaths.shift();
      return deaths.length <= limit.deaths;
    },
  };
}

/**
 * Starts the primary of `gatehouse serve --workers N`: validates the configuration (a refused
 * topology, such as production with process-local stores, throws its `ConfigError` before
 * anything is forked), migrates once when the mode says so, then forks N workers that share
 * one listening socket. Workers that die are replaced, unless they die faster than
 * `restartLimit` allows; then, as on `stop()`, every worker is stopped.
 *
 * Workers re-run the same command line with {@link CLUSTER_WORKER_ENV} set, and are expected
 * to call {@link startClusterWorker}.
 */
export async function startCluster(
  settings: ServerSettings,
  options: ClusterOptions,
): Promise<RunningCluster> {
  const { workers } = options;
  const config = { ...settings.config, workers };
  // The whole configuration is checked here, the topology included; the instance is only
  // used to migrate and for its logger (which stays usable after close()).
  const auth = await createAuth(config);
  const logger = auth.logger.child({ role: 'primary' });
  try {
    if (options.migrate || auth.config.migrations.runOnStart) {
      // Once, here: N workers migrating concurrently would race on the schema.
      const { applied } = await auth.migrate();
      if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    }
  } finally {
    await auth.close();
  }

  const grace = options.shutdownGraceMs ?? 10_000;
  const budget = createRestartBudget(options.restartLimit ?? DEFAULT_RESTART_LIMIT);
  const workerEnv = { [CLUSTER_WORKER_ENV]: '1', GATEHOUSE_WORKERS: String(workers) };
  const listening = new Set<Worker>();
  let announced = false;
  let stopping: Promise<number> | undefined;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    finish = resolve;
  });

  const fork = (): void => {
    const worker = cluster.fork(workerEnv);
    worker.on('message', (message: unknown) => {
      const { type, url } = (message ?? {}) as { type?: unknown; url?: unknown };
      if (type !== LISTENING_MESSAGE || typeof url !== 'string') return;
      listening.add(worker);
      if (!announced && listening.size === workers) {
        announced = true;
        const pids = [...listening].map((w) => w.process.pid);
        logger.info({ url, workers, pids }, 'gatehouse cluster listening');
      }
    });
    worker.on('error', (error: Error) =>
      logger.error({ err: error, workerPid: worker.process.pid }, 'worker error'),
    );
  };

  const onExit = (worker: Worker, code: number | null, signal: string | null): void => {
    const pid = worker.process.pid;
    const wasListening = listening.delete(worker);
    if (stopping) return;
    // As workerPid: `pid` on a primary's line is the primary's own.
    logger.error({ workerPid: pid, code, signal }, 'worker died');
    if (!announced && !wasListening) {
      // Before the cluster ever listened, a death is a startup failure: report it, do not retry.
      void stop('a worker failed to start', 1);
      return;
    }
    if (!budget.record()) {
      const { deaths, windowMs } = options.restartLimit ?? DEFAULT_RESTART_LIMIT;
      logger.fatal({ deaths, windowMs }, 'workers keep dying: stopping the cluster');
      void stop('crash loop', 1);
      return;
    }
    fork();
  };

  const stop = (reason: string, failureCode = 0): Promise<number> => {
    stopping ??= (async () => {
      logger.info({ reason }, 'stopping workers');
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      const exits = alive.map(
        (worker) =>
          new Promise<{ code: number | null; signal: string | null }>((resolve) => {
            if (worker.isDead())
              resolve({ code: worker.process.exitCode, signal: worker.process.signalCode });
            else
              worker.once('exit', (code: number | null, signal: string | null) => resolve({ code, signal }));
          }),
      );
      // A signal, not worker.kill(): kill() first disconnects, which closes the worker's
      // listener without its graceful drain.
      for (const worker of alive) if (!worker.isDead()) worker.process.kill('SIGTERM');
      let forced = false;
      const timer = setTimeout(() => {
        forced = true;
        logger.error({ graceMs: grace }, 'workers did not stop in time: killing them');
        for (const worker of alive) if (!worker.isDead()) worker.process.kill('SIGKILL');
      }, grace + STOP_MARGIN_MS);
      const results = await Promise.all(exits);
      clearTimeout(timer);
      cluster.off('exit', onExit);
      // A worker that our SIGTERM hit before it installed its handlers died of it: fine too.
      const failed = results.some((r) => (r.signal === null ? r.code !== 0 : r.signal !== 'SIGTERM'));
      const code = failureCode || (forced || failed ? 1 : 0);
      logger.info({ code }, 'gatehouse cluster stopped');
      finish(code);
      return code;
    })();
    return stopping;
  };

  cluster.on('exit', onExit);
  for (let index = 0; index < workers; index++) fork();
  return { logger, done, stop: (reason) => stop(reason) };
}

/**
 * Runs one worker of a cluster started by {@link startCluster}: the standalone server without
 * migrations (the primary ran them), which tells the primary once it listens. `stop()` also
 * closes the channel to the primary, so the worker exits when the server is down.
 */
export async function startClusterWorker(
  settings: ServerSettings,
  options: Omit<StartOptions, 'migrate'> = {},
): Promise<RunningServer> {
  const config = { ...settings.config, migrations: { runOnStart: false } };
  let running: RunningServer;
  try {
    running = await startServer({ ...settings, config }, { ...options, migrate: false });
  } catch (error) {
    // The channel to the primary would otherwise keep this failed process alive.
    cluster.worker?.disconnect();
    throw error;
  }
  process.send?.({ type: LISTENING_MESSAGE, url: running.url });
  return {
    ...running,
    stop: async () => {
      try {
        await running.stop();
      } finally {
        cluster.worker?.disconnect();
      }
    },
  };
}
