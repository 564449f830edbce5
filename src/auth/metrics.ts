/**
 * Gatehouse's own metrics, beside those the features declare through `context.metrics`:
 * requests by route template and status with their latency, store and database round trips
 * (latency and errors), and the prune runs. Sign-ins, lockouts and 429s are counted by the
 * features that decide them (audit, ratelimit).
 */

import type { Metrics } from '../core/index.ts';
import type { RequestRecord } from '../http/index.ts';
import type { MailTransport } from '../mail/index.ts';
import type { Stores } from '../stores/contract.ts';
import type { TaskReport } from './maintenance.ts';

export interface CoreMetrics {
  observeRequest(record: RequestRecord): void;
  observeQuery(event: { readonly durationMs: number; readonly failed: boolean }): void;
  observePrune(report: TaskReport): void;
}

export function registerCoreMetrics(metrics: Metrics): CoreMetrics {
  const requests = metrics.counter({
    name: 'gatehouse_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'],
  });
  const latency = metrics.histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method and route template',
    labelNames: ['method', 'route'],
  });
  const queries = metrics.histogram({
    name: 'gatehouse_db_query_duration_seconds',
    help: 'SQL statement round trips',
  });
  const queryErrors = metrics.counter({
    name: 'gatehouse_db_query_errors_total',
    help: 'SQL statements that failed (unreachable database, timeout, constraint)',
  });
  const pruned = metrics.counter({
    name: 'gatehouse_pruned_total',
    help: 'Rows or entries removed by pruning, by task',
    labelNames: ['task'],
  });
  const pruneErrors = metrics.counter({
    name: 'gatehouse_prune_errors_total',
    help: 'Pruning tasks that failed, by task',
    labelNames: ['task'],
  });
  return {
    observeRequest(record) {
      requests.inc({ method: record.method, route: record.route, status: record.status });
      latency.observe({ method: record.method, route: record.route }, record.durationMs / 1000);
    },
    observeQuery(event) {
      queries.observe({}, event.durationMs / 1000);
      if (event.failed) queryErrors.inc();
    },
    observePrune(report) {
      pruned.inc({ task: report.name }, report.removed);
      if (report.error !== undefined) pruneErrors.inc({ task: report.name });
    },
  };
}

/** The methods of each store that go to the backend (everything but `capabilities`). */
const STORE_PARTS = ['keyValue', 'once', 'counters', 'denylist', 'rateLimiter'] as const;

/**
 * The same stores, each call timed (`gatehouse_store_duration_seconds{store,op}`) and its
 * failures counted (`gatehouse_store_errors_total{store,op}`). Wrapping keeps the store
 * backends free of metrics.
 */
export function instrumentStores(stores: Stores, metrics: Metrics): Stores {
  const duration = metrics.histogram({
    name: 'gatehouse_store_duration_seconds',
    help: 'Shared-store round trips (memory or Redis), by store and operation',
    labelNames: ['store', 'op'],
  });
  const errors = metrics.counter({
    name: 'gatehouse_store_errors_total',
    help: 'Shared-store calls that failed (unreachable, timeout, full), by store and operation',
    labelNames: ['store', 'op'],
  });
  const wrap = (part: string, target: object): object => {
    const wrapped: Record<string, unknown> = {};
    for (const name of memberNames(target)) {
      const value = (target as Record<string, unknown>)[name];
      if (typeof value !== 'function') {
        wrapped[name] = value;
        continue;
      }
      wrapped[name] = async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (error) {
          errors.inc({ store: part, op: name });
          throw error;
        } finally {
          duration.observe({ store: part, op: name }, (performance.now() - started) / 1000);
        }
      };
    }
    return Object.freeze(wrapped);
  };
  const result: Record<string, unknown> = {};
  for (const name of memberNames(stores)) {
    const value = (stores as unknown as Record<string, unknown>)[name];
    result[name] = typeof value === 'function' ? value.bind(stores) : value;
  }
  for (const part of STORE_PARTS) result[part] = wrap(part, stores[part]);
  return Object.freeze(result) as unknown as Stores;
}

/** Own and inherited members of an object or class instance (not Object's). */
function memberNames(target: object): string[] {
  const names = new Set<string>();
  for (
    let proto: object | null = target;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) if (name !== 'constructor') names.add(name);
  }
  return [...names];
}

/** The same transport, its sends counted by outcome (`gatehouse_mail_sent_total`, `gatehouse_mail_failures_total`). */
export function instrumentMail(mail: MailTransport, metrics: Metrics): MailTransport {
  const sent = metrics.counter({ name: 'gatehouse_mail_sent_total', help: 'Mail handed to the transport' });
  const failures = metrics.counter({
    name: 'gatehouse_mail_failures_total',
    help: 'Mail the transport failed to send (the request that caused it still answered)',
  });
  const send: MailTransport['send'] = async (message) => {
    try {
      await mail.send(message);
      sent.inc();
    } catch (error) {
      failures.inc();
      throw error;
    }
  };
  // Everything else (kind, a test transport's inbox) is read through to the transport itself;
  // its methods keep it as `this`.
  const wrapped = Object.create(mail) as MailTransport;
  Object.defineProperty(wrapped, 'send', { value: send, enumerable: true });
  for (const name of ['verify', 'close'] as const) {
    const method = mail[name];
    if (typeof method === 'function')
      Object.defineProperty(wrapped, name, { value: method.bind(mail), enumerable: true });
  }
  return wrapped;
}
