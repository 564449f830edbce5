/**
 * The environment the HTTP benchmarks start `gatehouse serve` with: development mode on a
 * loopback port, the given data dir, database and secret, mail to files, quiet logs, and rate
 * limits, lockout and pruning off (the peer they are measured against has none of them, and a
 * flood from one address is what the limits exist to refuse).
 */
import { join } from 'node:path';

export interface ServeEnvOptions {
  readonly port: number;
  readonly dir: string;
  readonly databaseUrl: string;
  readonly secret: string;
  readonly workers?: number | undefined;
  readonly redisUrl?: string | undefined;
}

export function serveEnv(options: ServeEnvOptions): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: String(options.port),
    HOST: '127.0.0.1',
    GATEHOUSE_MODE: 'development',
    GATEHOUSE_BASE_URL: `http://127.0.0.1:${options.port}`,
    GATEHOUSE_DATA_DIR: options.dir,
    GATEHOUSE_DATABASE_URL: options.databaseUrl,
    GATEHOUSE_SECRETS: `bench:${options.secret}`,
    GATEHOUSE_MAIL_URL: `file://${join(options.dir, 'mail')}`,
    GATEHOUSE_LOG_LEVEL: 'warn',
    GATEHOUSE_RATE_LIMITS: JSON.stringify({ enabled: false, lockout: { enabled: false } }),
    GATEHOUSE_PRUNE_INTERVAL_SECONDS: '0',
    GATEHOUSE_WORKERS: String(options.workers ?? 1),
    ...(options.redisUrl ? { GATEHOUSE_REDIS_URL: options.redisUrl } : {}),
  };
}
