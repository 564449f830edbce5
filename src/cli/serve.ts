import { settingsFromEnv, startServer } from '../server/index.ts';
import { type CliIo, UsageError } from './output.ts';

/**
 * `gatehouse serve [--migrate]`: runs the standalone server until SIGTERM or SIGINT, then
 * stops accepting, lets in-flight requests finish (bounded) and closes pools before exiting 0.
 */
export async function serveCommand(args: readonly string[], io: CliIo): Promise<number> {
  const unknown = args.filter((a) => a !== '--migrate');
  if (unknown.length > 0) throw new UsageError('serve takes only --migrate');
  const settings = settingsFromEnv(io.env);
  const running = await startServer(settings, {
    migrate: args.includes('--migrate'),
    ...(settings.shutdownGraceMs === undefined ? {} : { shutdownGraceMs: settings.shutdownGraceMs }),
  });
  return new Promise<number>((resolve) => {
    const shutdown = (signal: NodeJS.Signals) => {
      running.auth.logger.info({ signal }, 'shutting down');
      running.stop().then(
        () => {
          // Everything is closed; should a stray handle linger, do not hang the orchestrator.
          setTimeout(() => process.exit(0), 2000).unref();
          resolve(0);
        },
        (error: unknown) => {
          running.auth.logger.error({ err: error }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  });
}
