/**
 * Log output: readable lines (pino-pretty) for a person at a terminal in development, JSON for
 * everything else (a collector, a pipe, production); and the optional access log, one line per
 * request built only from what is safe to log: method, route template (never the path as sent,
 * which can carry an id or a token), status, duration and request id. No header, cookie,
 * query string or body ever reaches it.
 */

import type { Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import type { ResolvedConfig } from '../core/index.ts';
import type { RequestRecord } from '../http/index.ts';
import type { CoreMetrics } from './metrics.ts';

/** Whether the logger Gatehouse builds writes pino-pretty lines. */
export function prettyLogs(
  config: Pick<ResolvedConfig, 'logFormat' | 'mode'>,
  stdoutIsTerminal: boolean = process.stdout.isTTY === true,
): boolean {
  if (config.logFormat === 'pretty') return true;
  if (config.logFormat === 'json') return false;
  return config.mode === 'development' && stdoutIsTerminal;
}

/** pino-pretty written synchronously to stdout (development only: a person reads it). */
export function prettyStream(): NodeJS.WritableStream {
  return pinoPretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true });
}

/** Feeds each finished request to the metrics and, when on, to the access log. */
export function requestObserver(
  metrics: CoreMetrics,
  accessLog: Logger | null,
): (record: RequestRecord) => void {
  return (record) => {
    metrics.observeRequest(record);
    accessLog?.info(
      {
        method: record.method,
        route: record.route,
        status: record.status,
        durationMs: Math.round(record.durationMs * 10) / 10,
        requestId: record.requestId,
      },
      'request',
    );
  };
}
