import { z } from 'zod';
import { coreError } from '../../core/errors/index.ts';
import { defineRoute, type RouteDefinition } from '../../http/index.ts';

/** One dependency `/ready` checks; `check` rejects when the dependency cannot serve requests. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

export interface OperationsOptions {
  readonly checks: readonly ReadinessCheck[];
  /** Longest a readiness check may take before it counts as failed. @default 2000 */
  readonly checkTimeoutMs?: number;
}

const healthBody = z.strictObject({ status: z.literal('ok') });
/** 200 body; when a check fails the answer is a 503 problem with the same `checks` member. */
const readyBody = z.strictObject({
  status: z.literal('ready'),
  checks: z.record(z.string(), z.literal('ok')),
});

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<'ok' | 'failed'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('readiness check timed out')), timeoutMs);
  });
  try {
    await Promise.race([check.check(), timeout]);
    return 'ok';
  } catch {
    return 'failed';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `GET /health` (liveness: the process answers; touches no store, so a Redis outage does not
 * get healthy processes restarted) and `GET /ready` (every dependency answers: load balancers
 * stop sending traffic to a worker that would only answer 503).
 */
export function operationsRoutes(options: OperationsOptions): RouteDefinition[] {
  const timeoutMs = options.checkTimeoutMs ?? 2000;
  return [
    defineRoute({
      method: 'GET',
      path: '/health',
      operationId: 'health',
      summary: 'Liveness: the process is up',
      tags: ['operations'],
      storeFree: true,
      responses: { 200: { description: 'The process answers', schema: healthBody } },
      async handler() {
        return { status: 200, body: { status: 'ok' } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/ready',
      operationId: 'ready',
      summary: 'Readiness: the database, the shared stores and the schema are usable',
      tags: ['operations'],
      responses: { 200: { description: 'Every check passed', schema: readyBody } },
      errorCodes: ['SERVICE_UNAVAILABLE'],
      async handler() {
        const results = await Promise.all(options.checks.map((c) => runCheck(c, timeoutMs)));
        const checks = Object.fromEntries(options.checks.map((c, i) => [c.name, results[i]]));
        if (results.every((r) => r === 'ok')) return { status: 200, body: { status: 'ready', checks } };
        // Names and ok/failed only: the causes (hosts, driver messages) go to no client.
        throw coreError('SERVICE_UNAVAILABLE', { retryAfterSeconds: 5, extensions: { checks } });
      },
    }),
  ];
}
