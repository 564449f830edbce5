/**
 * The standalone server's operations variables: log format, the access log, the prune
 * schedule (on by default here: a server nobody prunes grows forever) and `GET /metrics`.
 */
import type { ConfigProblem } from '../index.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** Where and how `GET /metrics` is served. */
export interface MetricsSettings {
  /** A listener of its own; unset: `/metrics` on the main port. */
  readonly port?: number;
  /** Bind address of that listener. */
  readonly host: string;
  /** Bearer secret a scrape must send (`Authorization: Bearer …`). */
  readonly token?: string;
}

/** The standalone server prunes hourly unless told otherwise. */
export const SERVER_PRUNE_INTERVAL_SECONDS = 3600;

const MIN_TOKEN_LENGTH = 32;

function flag(env: Env, name: string, problems: ConfigProblem[]): boolean | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  problems.push({ path: name, message: 'must be true or false' });
  return undefined;
}

function integer(env: Env, name: string, problems: ConfigProblem[], [min, max]: [number, number]) {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    problems.push({ path: name, message: `must be an integer from ${min} to ${max}` });
    return undefined;
  }
  return value;
}

export function operationsFromEnv(
  env: Env,
  problems: ConfigProblem[],
): {
  readonly config: Record<string, unknown>;
  readonly accessLog: boolean | undefined;
  readonly metrics: MetricsSettings | undefined;
} {
  const config: Record<string, unknown> = {};
  const format = env.GATEHOUSE_LOG_FORMAT;
  if (format !== undefined && format !== '') {
    if (format === 'auto' || format === 'json' || format === 'pretty') config.logFormat = format;
    else problems.push({ path: 'GATEHOUSE_LOG_FORMAT', message: 'must be auto, json or pretty' });
  }
  const interval = integer(env, 'GATEHOUSE_PRUNE_INTERVAL_SECONDS', problems, [0, 7 * 86_400]);
  if (interval !== undefined) config.maintenance = { pruneIntervalSeconds: interval };
  const accessLog = flag(env, 'GATEHOUSE_ACCESS_LOG', problems);
  const enabled = flag(env, 'GATEHOUSE_METRICS', problems) === true;
  const port = integer(env, 'GATEHOUSE_METRICS_PORT', problems, [1, 65_535]);
  const host = env.GATEHOUSE_METRICS_HOST || '127.0.0.1';
  const token = env.GATEHOUSE_METRICS_TOKEN || undefined;
  // Never echo the token, even a short one.
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH)
    problems.push({
      path: 'GATEHOUSE_METRICS_TOKEN',
      message: `must be at least ${MIN_TOKEN_LENGTH} characters`,
    });
  if (!enabled && (port !== undefined || token !== undefined || env.GATEHOUSE_METRICS_HOST))
    problems.push({
      path: 'GATEHOUSE_METRICS',
      message: 'must be true with the other GATEHOUSE_METRICS_* variables',
    });
  const metrics = enabled
    ? { host, ...(port === undefined ? {} : { port }), ...(token === undefined ? {} : { token }) }
    : undefined;
  return { config, accessLog, metrics };
}

/** The server's configuration with its prune schedule on unless the configuration says otherwise. */
export function withPruningByDefault<C extends object>(config: C): C {
  const maintenance = (config as { maintenance?: { pruneIntervalSeconds?: number } }).maintenance;
  if (maintenance?.pruneIntervalSeconds !== undefined) return config;
  return { ...config, maintenance: { ...maintenance, pruneIntervalSeconds: SERVER_PRUNE_INTERVAL_SECONDS } };
}
