/**
 * Bringing the database into service when a server starts. A database that cannot be reached
 * (down, restarting, still starting up) is not a reason to exit: the server listens anyway,
 * answers `/health` 200 and everything else 503 with `Retry-After`, and retries the start-up
 * step in the background with a capped back-off until it passes. Every other failure (a wrong
 * password, a missing database, a migration that fails) is still fatal at start.
 */
import type { Auth } from '../index.ts';
import { ERROR_CATALOGUE } from '../index.ts';
import { isDatabaseUnreachable } from '../stores/sql/index.ts';

type Logger = Auth['logger'];

/**
 * What the server does with the database before serving:
 * - `migrate`: apply pending migrations (development, `--migrate`, `GATEHOUSE_MIGRATE_ON_START`);
 * - `await-schema`: wait until nothing is pending (a cluster worker whose primary migrates);
 * - `check`: read the migration status once and log what is pending (production, by default).
 */
export type DatabaseStartStep = 'migrate' | 'await-schema' | 'check';

/** Back-off between start-up attempts; short, so a returning database is used within seconds. */
export const DATABASE_RETRY = Object.freeze({ initialMs: 200, maxMs: 2_000 });

/** Seconds a client refused during start-up is told to wait. */
const STARTUP_RETRY_AFTER_SECONDS = 2;

/**
 * Runs the step once. Resolves `true` when it is done, `false` when the database answered but
 * the step cannot finish yet (`await-schema` while migrations are pending); rejects otherwise.
 */
export async function runDatabaseStep(auth: Auth, step: DatabaseStartStep, logger: Logger): Promise<boolean> {
  if (step === 'migrate') {
    const { applied } = await auth.migrate();
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    return true;
  }
  const pending = (await auth.migrationStatus()).filter((m) => m.appliedAt === null);
  if (step === 'await-schema') return pending.length === 0;
  if (pending.length > 0) {
    // /ready reports it too; the log says how to fix it.
    logger.error({ pending: pending.map((m) => m.name) }, 'migrations pending: run `gatehouse migrate up`');
  }
  return true;
}

/** The outcome of a first attempt: done, to be retried, or a fatal error (rethrown). */
export async function firstDatabaseAttempt(
  auth: Auth,
  step: DatabaseStartStep,
  logger: Logger,
): Promise<boolean> {
  try {
    const done = await runDatabaseStep(auth, step, logger);
    if (!done) logger.info({ step }, 'waiting for the primary to migrate: serving 503 until then');
    return done;
  } catch (error) {
    if (!isDatabaseUnreachable(error)) throw error;
    logger.warn(
      { step, code: errorCode(error) },
      'database unreachable at start: serving 503 and retrying in the background',
    );
    return false;
  }
}

/** Retries a start-up step in the background until it passes. */
export interface DatabaseRetries {
  /** Whether the step has passed. */
  isDone(): boolean;
  /** Attempts now (joining an attempt already running); resolves with {@link isDone}. */
  attemptNow(): Promise<boolean>;
  /** Stops retrying. Idempotent. */
  stop(): void;
}

/**
 * Retries `attempt` with a back-off from {@link DATABASE_RETRY} (doubling, capped) until it
 * resolves `true`, then calls `onDone`. Failures are logged (warn while the database is
 * unreachable, error otherwise) and retried all the same: an operator who fixes the database
 * gets a server that recovers without a restart.
 */
export function retryDatabaseStep(options: {
  readonly attempt: () => Promise<boolean>;
  readonly logger: Logger;
  readonly step: DatabaseStartStep;
  readonly onDone?: () => void;
  readonly initialMs?: number;
  readonly maxMs?: number;
}): DatabaseRetries {
  const maxMs = options.maxMs ?? DATABASE_RETRY.maxMs;
  let delayMs = options.initialMs ?? DATABASE_RETRY.initialMs;
  let done = false;
  let stopped = false;
  let attempts = 0;
  let running: Promise<boolean> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const schedule = (): void => {
    if (done || stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void attemptNow(), delayMs);
    timer.unref();
    delayMs = Math.min(delayMs * 2, maxMs);
  };

  const attemptOnce = async (): Promise<boolean> => {
    attempts++;
    try {
      if (await options.attempt()) {
        if (!done && !stopped) {
          done = true;
          clearTimeout(timer);
          options.logger.info({ step: options.step, attempts }, 'database ready: serving requests');
          options.onDone?.();
        }
        return true;
      }
    } catch (error) {
      const unreachable = isDatabaseUnreachable(error);
      const fields = { step: options.step, attempts, code: errorCode(error), retryInMs: delayMs };
      if (unreachable) options.logger.warn(fields, 'database still unreachable');
      else options.logger.error({ ...fields, err: error }, 'database start-up step failed');
    }
    return false;
  };

  const attemptNow = (): Promise<boolean> => {
    if (done) return Promise.resolve(true);
    if (stopped) return Promise.resolve(false);
    running ??= attemptOnce().finally(() => {
      running = undefined;
      schedule();
    });
    return running;
  };

  schedule();
  return {
    isDone: () => done,
    attemptNow,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** The 503 every route but `/health` and `/ready` answers until the database step passed. */
export function startupUnavailableResponse(): Response {
  const code = 'SERVICE_UNAVAILABLE';
  const body = {
    type: `urn:gatehouse:error:${code.toLowerCase().replaceAll('_', '-')}`,
    title: ERROR_CATALOGUE[code]?.title ?? 'Service unavailable',
    status: 503,
    code,
  };
  return new Response(JSON.stringify(body), {
    status: 503,
    headers: {
      'Content-Type': 'application/problem+json',
      'Retry-After': String(STARTUP_RETRY_AFTER_SECONDS),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    },
  });
}

/** The error's `code` (a SQLSTATE or a socket code) for logs; messages may name hosts. */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string' && !code.startsWith('ERR_GATEHOUSE')) return code;
    current = cause;
  }
  return undefined;
}
