/**
 * The Gatehouse instance a CLI command works with: configured from the environment like the
 * server, with its log lines on stderr (JSON, or readable at a terminal), so a command's human
 * output on stdout is never interleaved with log lines and pipes cleanly into other tools.
 */
import pino from 'pino';
import pinoPretty from 'pino-pretty';
import { type Auth, type AuthConfigInput, createAuth } from '../index.ts';
import { settingsFromEnv } from '../server/index.ts';
import type { CliIo } from './output.ts';

/** Log lines of commands never carry these, wherever they appear. */
const REDACT = ['password', '*.password', 'secret', '*.secret', 'token', '*.token'];

export function stderrLogger(level: string): pino.Logger {
  const options = { name: 'gatehouse', level, redact: { paths: REDACT, censor: '[redacted]' } };
  return process.stderr.isTTY
    ? pino(options, pinoPretty({ destination: 2, colorize: true, ignore: 'pid,hostname', sync: true }))
    : pino(options, pino.destination({ dest: 2, sync: true }));
}

/** The instance of the environment's configuration, never migrating and never pruning on its own. */
export async function commandAuth(io: CliIo, overrides: AuthConfigInput = {}): Promise<Auth> {
  const { config } = settingsFromEnv(io.env);
  return createAuth({
    ...config,
    logger: stderrLogger((config as { logLevel?: string }).logLevel ?? 'warn'),
    migrations: { runOnStart: false },
    maintenance: { pruneIntervalSeconds: 0 },
    ...overrides,
  });
}
