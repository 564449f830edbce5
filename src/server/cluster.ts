import cluster, { type Worker } from 'node:cluster';
import { type Auth, createAuth } from '../index.ts';
import {
  type DatabaseRetries,
  firstDatabaseAttempt,
  retryDatabaseStep,
  runDatabaseStep,
} from './database-startup.ts';
import type { ServerSettings } from './env.ts';
import { checkMetricsSettings, listenForMetrics, metricsHandler, primaryMetrics } from './metrics.ts';
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

/**
 * Environment flag of workers whose primary migrates on start: they serve only once no
 * migration is pending, so a primary that could not reach the database at first can migrate
 * later without a worker serving the old schema meanwhile.
 */
export const CLUSTER_PRIMARY_MIGRATES_ENV = 'GATEHOUSE_CLUSTER_PRIMARY_MIGRATES';

export interface RestartBackoff {
  /** Wait before replacing the first worker that died after a stable run. */
  readonly initialMs: number;
  /** Longest wait; deaths in a row double the wait up to this. */
  readonly maxMs: number;
  /** A worker that lived this long was stable: the next death starts again at `initialMs`. */
  readonly stableAfterMs: number;
}

/** 100 ms, doubling for each death in a row up to 30 s; reset by a worker that lived 10 s. */
export const DEFAULT_RESTART_BACKOFF: RestartBackoff = Object.freeze({
  initialMs: 100,
  maxMs: 30_000,
  stableAfterMs: 10_000,
});

export interface ClusterOptions {
  /** Worker processes to run, at least 2 (one worker is `startServer` without a cluster). */
  readonly workers: number;
  /** Migrate before forking even in production (`gatehouse serve --migrate`). */
  readonly migrate?: boolean;
  /** The workers' grace period on shutdown; the primary waits that long plus a margin. @default 10000 */
  readonly shutdownGraceMs?: number;
  /** How long to wait before replacing workers that keep dying. @default {@link DEFAULT_RESTART_BACKOFF} */
  readonly restartBackoff?: RestartBackoff;
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
 * The wait before replacing a dead worker: exponential in the deaths in a row, capped, and
 * reset by a worker that lived `stableAfterMs`. It never refuses: a worker dying because a
 * dependency is down must come back once the dependency does, without a person.
 */
export function createRestartDelay(backoff: RestartBackoff): { next(livedMs: number): number } {
  let streak = 0;
  return {
    next(livedMs: number): number {
      if (livedMs >= backoff.stableAfterMs) streak = 0;
      const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(streak, 30));
      streak++;
      return delay;
    },
  };
}

/**
 * Starts the primary of `gatehouse serve --workers N`: validates the configuration (a refused
 * topology, such as production with process-local stores, throws its `ConfigError` before
 * anything is forked), migrates once when the mode says so, then forks N workers that share
 * one listening socket. Workers that die are replaced after a back-off that grows while they
 * keep dying ({@link createRestartDelay}); the primary never gives up on them. Only a worker
 * that dies before the cluster ever listened (a port in use) stops the cluster.
 *
 * A database that cannot be reached at start does not stop it either: the workers are forked
 * (they answer 503 until the schema is current) and the migration is retried in the
 * background; any other migration failure is still fatal.
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
    checkMetricsSettings(auth.config.mode, settings.metrics);
  } catch (error) {
    await auth.close();
    throw error;
  }
  // One scrape sees every worker: the primary aggregates (and listens when /metrics has a port).
  const metrics = settings.metrics;
  let metricsListener: Awaited<ReturnType<typeof listenForMetrics>> | undefined;
  if (metrics) {
    const handle = metricsHandler(metrics, primaryMetrics());
    if (metrics.port !== undefined) {
      try {
        metricsListener = await listenForMetrics({ ...metrics, port: metrics.port }, handle);
      } catch (error) {
        await auth.close();
        throw error;
      }
    }
  }
  const migrates = options.migrate === true || auth.config.migrations.runOnStart;
  let migrations: DatabaseRetries | undefined;
  try {
    // Once, here: N workers migrating concurrently would race on the schema.
    if (migrates && !(await firstDatabaseAttempt(auth, 'migrate', logger))) {
      migrations = retryDatabaseStep({
        attempt: () => runDatabaseStep(auth, 'migrate', logger),
        logger,
        step: 'migrate',
        onDone: () => void auth.close(),
      });
    }
  } finally {
    if (migrations === undefined) await auth.close();
  }

  const grace = options.shutdownGraceMs ?? 10_000;
  const backoff = options.restartBackoff ?? DEFAULT_RESTART_BACKOFF;
  const restartDelay = createRestartDelay(backoff);
  /** When each worker was forked, to tell a stable worker's death from a crash loop. */
  const forkedAt = new Map<Worker, number>();
  const restarts = new Set<NodeJS.Timeout>();
  const workerEnv = {
    [CLUSTER_WORKER_ENV]: '1',
    GATEHOUSE_WORKERS: String(workers),
    ...(migrates ? { [CLUSTER_PRIMARY_MIGRATES_ENV]: '1' } : {}),
  };
  const listening = new Set<Worker>();
  let announced = false;
  let stopping: Promise<number> | undefined;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    finish = resolve;
  });

  const fork = (): void => {
    const worker = cluster.fork(workerEnv);
    forkedAt.set(worker, Date.now());
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
    const livedMs = Date.now() - (forkedAt.get(worker) ?? Date.now());
    forkedAt.delete(worker);
    if (stopping) return;
    // As workerPid: `pid` on a primary's line is the primary's own.
    logger.error({ workerPid: pid, code, signal, livedMs }, 'worker died');
    if (!announced && !wasListening) {
      // Before the cluster ever listened, a death is a startup failure (a port in use, a
      // configuration only the worker refused): report it, do not retry.
      void stop('a worker failed to start', 1);
      return;
    }
    const delayMs = restartDelay.next(livedMs);
    logger.warn({ workerPid: pid, delayMs }, 'replacing the worker after a back-off');
    const timer = setTimeout(() => {
      restarts.delete(timer);
      if (!stopping) fork();
    }, delayMs);
    restarts.add(timer);
  };

  const stop = (reason: string, failureCode = 0): Promise<number> => {
    stopping ??= (async () => {
      logger.info({ reason }, 'stopping workers');
      for (const timer of restarts) clearTimeout(timer);
      restarts.clear();
      if (migrations && !migrations.isDone()) {
        migrations.stop();
        await auth.close();
      }
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
      await metricsListener?.close();
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
  const awaitSchema = process.env[CLUSTER_PRIMARY_MIGRATES_ENV] === '1';
  let running: RunningServer;
  try {
    running = await startServer(
      { ...settings, config },
      { ...options, migrate: false, awaitSchema, clusterWorker: true },
    );
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
