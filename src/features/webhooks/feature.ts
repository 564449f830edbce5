import { ConfigError, type ConfigProblem } from '../../core/index.ts';
import { defineFeature } from '../../feature/index.ts';
import type { AuditEvent } from '../../stores/repositories.ts';
import type { SqlDatabaseHandle } from '../../stores/sql/kit.ts';
import { WEBHOOKS_CONFIG_KEY, type WebhookEndpoint, webhookOptionsSchema } from './config.ts';
import { ALL_EVENT_TYPES } from './event-types.ts';
import { WEBHOOK_MIGRATIONS } from './migrations.ts';
import { webhookPayload } from './payload.ts';
import { createOutboxRepository, insertOutboxRows } from './sql-repository.ts';
import type { WebhookTables } from './tables.ts';
import { isNonPublicAddress, literalAddress } from './target-guard.ts';
import { createDeliveryWorker } from './worker.ts';

/** What the webhooks feature reads of the audit feature: a writer in each event's transaction. */
interface AuditAlongsidePorts {
  readonly recordAlongside: (writer: {
    accepts(type: string): boolean;
    write(transaction: SqlDatabaseHandle, event: AuditEvent): Promise<void>;
    committed?(event: AuditEvent): void;
  }) => void;
}

const DAY_MS = 86_400_000;

/** Production checks of the endpoints (the schema checked their shape). Never echoes a value. */
function endpointProblems(
  endpoints: readonly WebhookEndpoint[],
  production: boolean,
  allowPrivateNetworks: boolean,
): ConfigProblem[] {
  if (!production) return [];
  const problems: ConfigProblem[] = [];
  endpoints.forEach((endpoint, index) => {
    const url = new URL(endpoint.url);
    if (url.protocol !== 'https:') {
      problems.push({ path: `webhooks.endpoints[${index}].url`, message: 'must be https in production' });
    }
    const literal = literalAddress(url.hostname);
    const local = url.hostname === 'localhost' || url.hostname.endsWith('.localhost');
    if (!allowPrivateNetworks && (local || (literal !== null && isNonPublicAddress(literal)))) {
      problems.push({
        path: `webhooks.endpoints[${index}].url`,
        message: 'is not a public address (set webhooks.allowPrivateNetworks to allow it)',
      });
    }
  });
  return problems;
}

function subscribes(endpoint: WebhookEndpoint, type: string): boolean {
  return endpoint.events.includes(type) || endpoint.events.includes(ALL_EVENT_TYPES);
}

/**
 * Webhooks: every audit event of a type an endpoint subscribes to becomes an outbox row,
 * written in the audit row's transaction, and a worker delivers it signed per Standard
 * Webhooks, at least once, retrying with back-off until it is dead-lettered.
 */
export const webhooksFeature = defineFeature({
  id: 'webhooks',
  requires: ['audit'],
  config: { key: WEBHOOKS_CONFIG_KEY, schema: webhookOptionsSchema },
  migrations: WEBHOOK_MIGRATIONS,
  build({ config, options, database, repositories, logger, now, port, metrics, readiness }) {
    const production = config.mode === 'production';
    const problems = endpointProblems(options.endpoints, production, options.allowPrivateNetworks);
    if (problems.length > 0) throw new ConfigError(problems);
    const repository = createOutboxRepository(database);
    const deliveries = metrics.counter({
      name: 'gatehouse_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (delivered, retry, dead).',
      labelNames: ['outcome'],
    });
    const failures = metrics.counter({
      name: 'gatehouse_webhook_failures_total',
      help: 'Webhook delivery attempts that failed (retried or dead-lettered).',
    });
    metrics.gauge({
      name: 'gatehouse_webhook_outbox_depth',
      help: 'Webhook outbox rows by state (pending, delivered, dead).',
      labelNames: ['state'],
      shared: true,
      collect: async () => {
        const counts = await repository.countByStatus();
        return ['pending', 'delivered', 'dead'].map((state) => ({
          labels: { state },
          value: counts[state] ?? 0,
        }));
      },
    });
    const maintenance = [
      {
        name: 'webhooks.delivered',
        prune: async ({ now: at, batchSize }: { now: number; batchSize: number }) => {
          const removed = await repository.pruneDelivered(
            at - options.deliveredRetentionDays * DAY_MS,
            batchSize,
          );
          return { removed, more: removed === batchSize };
        },
      },
    ];
    const onUserChange = async (userId: string, change: { readonly kind: string }): Promise<void> => {
      // Erasure reaches the outbox too: rows about the user go with the rest of their data.
      if (change.kind === 'deleting') await repository.eraseUser(userId);
    };
    const endpoints = options.endpoints;
    if (endpoints.length === 0) return { maintenance, onUserChange };

    const worker = createDeliveryWorker({
      repository,
      endpoints,
      options,
      publicOnly: production && !options.allowPrivateNetworks,
      now,
      logger,
      schemaReady: async () => {
        try {
          await readiness.find((probe) => probe.name === 'schema')?.check();
          return true;
        } catch {
          return false;
        }
      },
      emailOf: async (userId) => (await repositories.users.findById(userId))?.email ?? null,
      onAttempt: (outcome) => {
        deliveries.inc({ outcome });
        if (outcome !== 'delivered') failures.inc();
      },
    });
    port<AuditAlongsidePorts>('audit').recordAlongside({
      accepts: (type) => endpoints.some((endpoint) => subscribes(endpoint, type)),
      write: (transaction, event) =>
        insertOutboxRows(
          transaction.kysely<WebhookTables>(),
          endpoints
            .filter((endpoint) => subscribes(endpoint, event.type))
            .map((endpoint) => ({
              eventId: event.id,
              eventType: event.type,
              endpoint: endpoint.url,
              userId: event.userId,
              payload: webhookPayload(event, { personalData: endpoint.personalData }),
              createdAt: event.createdAt,
            })),
        ),
      committed: () => worker.wake(),
    });
    return { maintenance, onUserChange, close: () => worker.stop() };
  },
});
