import {
  isClusterWorker,
  type RunningServer,
  type ServerSettings,
  settingsFromEnv,
  startCluster,
  startClusterWorker,
  startServer,
} from '../server/index.ts';
import { type CliIo, UsageError } from './output.ts';

const MAX_WORKERS = 1024;
/** Should a stray handle linger after everything is closed, do not hang the orchestrator. */
const EXIT_FALLBACK_MS = 2_000;

interface ServeArgs {
  readonly migrate: boolean;
  /** From `--workers`; unset: `GATEHOUSE_WORKERS`, else 1. */
  readonly workers?: number;
}

function parseWorkers(raw: string | undefined): number {
  // The value is not echoed: usage errors never repeat what was typed.
  if (raw === undefined || !/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_WORKERS) {
    throw new UsageError(`--workers must be an integer from 1 to ${MAX_WORKERS}`);
  }
  return Number(raw);
}

function parseArgs(args: readonly string[]): ServeArgs {
  let migrate = false;
  let workers: number | undefined;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] as string;
    if (arg === '--migrate') migrate = true;
    else if (arg === '--workers') workers = parseWorkers(args[++index]);
    else if (arg.startsWith('--workers=')) workers = parseWorkers(arg.slice('--workers='.length));
    else throw new UsageError('serve takes only --migrate and --workers <n>');
  }
  return { migrate, ...(workers === undefined ? {} : { workers }) };
}

/** Resolves with `code` once the process received SIGTERM or SIGINT and `stop` finished. */
function untilSignalled(
  stop: (signal: NodeJS.Signals) => Promise<number>,
  onSignal: (signal: NodeJS.Signals) => void,
): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: NodeJS.Signals): void => {
      // A terminal's Ctrl-C may be followed by the orchestrator's SIGTERM: one shutdown.
      if (stopping) return;
      stopping = true;
      onSignal(signal);
      void stop(signal).then((code) => {
        process.off('SIGTERM', shutdown);
        process.off('SIGINT', shutdown);
        setTimeout(() => process.exit(code), EXIT_FALLBACK_MS).unref();
        resolve(code);
      });
    };
    process.on('SIGTERM', shutdown);
    process.on('SIGINT', shutdown);
  });
}

function serveUntilSignalled(running: RunningServer): Promise<number> {
  const { logger } = running.auth;
  return untilSignalled(
    () =>
      running.stop().then(
        () => 0,
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          return 1;
        },
      ),
    (signal) => logger.info({ signal }, 'shutting down'),
  );
}

async function serveCluster(settings: ServerSettings, args: ServeArgs, workers: number): Promise<number> {
  const running = await startCluster(settings, {
    workers,
    migrate: args.migrate,
    ...(settings.shutdownGraceMs === undefined ? {} : { shutdownGraceMs: settings.shutdownGraceMs }),
  });
  const signalled = untilSignalled(
    (signal) => running.stop(signal),
    (signal) => running.logger.info({ signal }, 'shutting down'),
  );
  // The cluster also ends by itself when its workers keep dying.
  const code = await Promise.race([signalled, running.done]);
  setTimeout(() => process.exit(code), EXIT_FALLBACK_MS).unref();
  return code;
}

/**
 * `gatehouse serve [--migrate] [--workers <n>]`: runs the standalone server until SIGTERM or
 * SIGINT, then stops accepting, lets in-flight requests finish (bounded) and closes pools
 * before exiting 0. With more than one worker (`--workers`, else `GATEHOUSE_WORKERS`), this
 * process validates the configuration, migrates when told, and supervises that many worker
 * processes sharing one port; a signal to it stops them all.
 */
export async function serveCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArgs(args);
  const fromEnv = settingsFromEnv(io.env);
  const workers = parsed.workers ?? fromEnv.config.workers ?? 1;
  // Every process checks the same topology, so each worker's configuration declares them all.
  const settings: ServerSettings = { ...fromEnv, config: { ...fromEnv.config, workers } };
  const grace = settings.shutdownGraceMs === undefined ? {} : { shutdownGraceMs: settings.shutdownGraceMs };

  if (isClusterWorker(io.env)) return serveUntilSignalled(await startClusterWorker(settings, grace));
  if (workers > 1) return serveCluster(settings, parsed, workers);
  return serveUntilSignalled(await startServer(settings, { migrate: parsed.migrate, ...grace }));
}
