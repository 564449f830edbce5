/**
 * The delivery worker: takes due outbox rows (one attempt each, under a lease no other
 * process can take meanwhile), sends them with bounded concurrency and a timeout, and records
 * the outcome: delivered, retried later with exponential back-off and jitter, or dead after
 * the last attempt. It runs beside the requests, never in them: a request only writes the
 * outbox row and wakes the worker.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { WebhookEndpoint, WebhookOptions } from './config.ts';
import { withEmail } from './payload.ts';
import type { AttemptOutcome, ClaimedDelivery, OutboxRepository } from './repository.ts';
import { type SendOptions, type SendResult, sendWebhook } from './sender.ts';

export interface DeliveryWorkerOptions {
  readonly repository: OutboxRepository;
  readonly endpoints: readonly WebhookEndpoint[];
  readonly options: Pick<
    WebhookOptions,
    'maxAttempts' | 'retryBaseMs' | 'retryMaxMs' | 'timeoutMs' | 'concurrency' | 'pollIntervalMs'
  >;
  /** Refuse non-public target addresses (production without `allowPrivateNetworks`). */
  readonly publicOnly: boolean;
  readonly now: () => number;
  readonly logger: Logger;
  /** The user's current address, for endpoints with `personalData` (`null`: none, or erased). */
  readonly emailOf: (userId: string) => Promise<string | null>;
  /** Told of every finished attempt (metrics). */
  readonly onAttempt?: (outcome: AttemptOutcome['kind'], endpoint: string) => void;
  /**
   * Whether the outbox table exists yet (the schema is migrated): until it answers `true` the
   * worker does not poll, so a server that migrates after building logs no error.
   */
  readonly schemaReady?: () => Promise<boolean>;
  readonly send?: (options: SendOptions) => Promise<SendResult>;
  readonly random?: () => number;
}

export interface DeliveryWorker {
  /** Looks for due rows now (after an event was written). */
  wake(): void;
  /** Stops taking rows, aborts attempts in flight (their rows go back untried) and waits for them. */
  stop(): Promise<void>;
}

/**
 * The wait before attempt `attempts + 1`: base × 2^(attempts − 1), capped, then "equal
 * jitter" (half fixed, half random) so receivers coming back up are not hit in lockstep.
 */
export function retryDelayMs(
  attempts: number,
  options: { readonly retryBaseMs: number; readonly retryMaxMs: number },
  random: () => number = Math.random,
): number {
  const exponential = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/** Where a log line may name an endpoint: its origin only (a path or query may hold a token). */
function originOf(url: string): string {
  return new URL(url).origin;
}

export function createDeliveryWorker(worker: DeliveryWorkerOptions): DeliveryWorker {
  const { repository, options, logger, now } = worker;
  const send = worker.send ?? sendWebhook;
  const random = worker.random ?? Math.random;
  const endpoints = new Map(worker.endpoints.map((endpoint) => [endpoint.url, endpoint]));
  // A lease outlives the longest attempt, so it never ends while its holder is still sending.
  const leaseMs = options.timeoutMs * 2 + 5_000;
  const abort = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let pumping: Promise<void> | undefined;
  let pumpAgain = false;
  let failing = false;

  async function attempt(row: ClaimedDelivery): Promise<void> {
    const endpoint = endpoints.get(row.endpoint);
    let outcome: AttemptOutcome;
    if (!endpoint) {
      outcome = { kind: 'dead', error: 'endpoint not configured' };
    } else if (row.attempts > options.maxAttempts) {
      // Attempts of a worker that died mid-way were counted; none is left.
      outcome = { kind: 'dead', error: 'attempts exhausted' };
    } else {
      const payload =
        endpoint.personalData && row.userId !== null
          ? withEmail(row.payload, await worker.emailOf(row.userId))
          : row.payload;
      const result = await send({
        url: endpoint.url,
        secret: endpoint.secret,
        messageId: row.eventId,
        payload,
        timeoutMs: options.timeoutMs,
        publicOnly: worker.publicOnly,
        signal: abort.signal,
      });
      if (!result.ok && stopped) {
        await repository.release(row.id, row.leaseToken);
        return;
      }
      outcome = result.ok
        ? { kind: 'delivered' }
        : row.attempts >= options.maxAttempts
          ? { kind: 'dead', error: result.error }
          : { kind: 'retry', at: now() + retryDelayMs(row.attempts, options, random), error: result.error };
    }
    const recorded = await repository.finish(row.id, row.leaseToken, outcome, now());
    worker.onAttempt?.(outcome.kind, row.endpoint);
    const fields = {
      eventId: row.eventId,
      type: row.eventType,
      endpoint: originOf(row.endpoint),
      attempts: row.attempts,
    };
    if (!recorded) logger.warn(fields, 'webhook lease ended before its attempt did');
    else if (outcome.kind === 'dead')
      logger.error({ ...fields, error: outcome.error }, 'webhook dead-lettered');
    else if (outcome.kind === 'retry')
      logger.warn({ ...fields, error: outcome.error }, 'webhook attempt failed');
  }

  function start(row: ClaimedDelivery): void {
    const running: Promise<void> = attempt(row)
      .catch((error: unknown) => {
        // The database failed mid-way: the lease runs out and the row is tried again.
        logger.error({ err: error, eventId: row.eventId }, 'webhook attempt not recorded');
      })
      .finally(() => {
        inFlight.delete(running);
        if (!stopped) wake();
      });
    inFlight.add(running);
  }

  let schemaReady = worker.schemaReady === undefined;

  async function pump(): Promise<void> {
    if (!schemaReady) {
      schemaReady = (await worker.schemaReady?.()) ?? true;
      if (!schemaReady) return;
    }
    do {
      pumpAgain = false;
      const free = options.concurrency - inFlight.size;
      if (free <= 0 || stopped) return;
      const at = now();
      const claimed = await repository.claim(at, free, at + leaseMs, randomUUID());
      for (const row of claimed) start(row);
      // A full batch: more may be due.
      if (claimed.length === free) pumpAgain = true;
    } while (pumpAgain && !stopped);
  }

  function wake(): void {
    if (stopped) return;
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = pump()
      .then(
        () => {
          if (failing) logger.info('webhook outbox reachable again');
          failing = false;
        },
        (error: unknown) => {
          // Logged once per outage (the poll keeps trying), not once per poll.
          if (!failing) logger.error({ err: error }, 'webhook outbox unreadable');
          failing = true;
        },
      )
      .finally(() => {
        pumping = undefined;
      });
  }

  const timer = setInterval(wake, options.pollIntervalMs);
  // No look at start: the schema may not be migrated yet; the first poll comes soon enough.
  timer.unref();

  return {
    wake,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      abort.abort();
      await pumping;
      await Promise.allSettled([...inFlight]);
    },
  };
}
