/**
 * Two `gatehouse serve` processes on one PostgreSQL database, both delivering webhooks to one
 * receiver that verifies signatures: every event is delivered exactly once, whichever process
 * wrote it and however often both poll — the claims (`FOR UPDATE SKIP LOCKED` under a lease)
 * never hand one row to both. Development mode: the receiver is plain http on loopback, which
 * production refuses.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { generateSecret } from '../../src/index.ts';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';
import { jsonCall } from '../fixtures/production-server.ts';
import { type ServerProcess, spawnServer } from '../fixtures/spawn-server.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../fixtures/webhook-receiver.ts';

const EVENTS = 40;

let postgres: PostgresServer;
let receiver: WebhookReceiver;
let dataDir = '';
let databaseUrl = '';
const workers: ServerProcess[] = [];

before(async () => {
  [postgres, receiver] = await Promise.all([startPostgres(), startWebhookReceiver()]);
  databaseUrl = await postgres.createDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-webhooks-two-'));
  const env = {
    GATEHOUSE_MODE: 'development',
    GATEHOUSE_DATABASE_URL: databaseUrl,
    GATEHOUSE_SECRETS: `k1:${generateSecret()}`,
    GATEHOUSE_BASE_URL: 'http://127.0.0.1',
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_LOG_LEVEL: 'info',
    GATEHOUSE_MAIL_URL: `file://${join(dataDir, 'mail')}`,
    GATEHOUSE_RATE_LIMITS: '{"enabled":false}',
    GATEHOUSE_PRUNE_INTERVAL_SECONDS: '0',
    GATEHOUSE_WEBHOOKS: JSON.stringify({
      endpoints: [{ url: receiver.url, secret: receiver.secret, events: ['user.registered'] }],
      // Both processes look often, so they compete for the same rows.
      pollIntervalMs: 10,
      concurrency: 8,
      retryBaseMs: 50,
      retryMaxMs: 200,
    }),
    PORT: '0',
  };
  // One after the other: each migrates on start in development.
  workers.push(await spawnServer({ env }));
  workers.push(await spawnServer({ env }));
});

after(async () => {
  await Promise.all(workers.map((worker) => worker.kill()));
  await Promise.all([postgres?.stop(), receiver?.close()]);
  await rm(dataDir, { recursive: true, force: true });
});

describe('webhooks with two server processes on PostgreSQL', () => {
  it(`${EVENTS} events written through both processes are each delivered exactly once`, async () => {
    const replies = await Promise.all(
      Array.from({ length: EVENTS }, (_, index) =>
        jsonCall(workers[index % 2]!.url, 'POST', '/auth/register', {
          body: { email: `two-${index}@example.test`, password: 'amber-Lighthouse-quiet-58' },
        }),
      ),
    );
    assert.ok(replies.every((reply) => reply.status === 201 || reply.status === 202));
    await receiver.waitFor(() => receiver.delivered().length >= EVENTS, 30_000);
    // Time for a duplicate to show up, would there be one.
    await new Promise((resolve) => setTimeout(resolve, 500));

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows: events } = await client.query<{ id: string }>(
        `select id from audit_events where type = 'user.registered'`,
      );
      const { rows: outbox } = await client.query<{ status: string; attempts: number }>(
        'select status, attempts from webhook_outbox',
      );
      assert.equal(events.length, EVENTS);
      assert.equal(outbox.length, EVENTS);
      assert.ok(outbox.every((row) => row.status === 'delivered' && Number(row.attempts) === 1));
      const perId = new Map<string, number>();
      for (const entry of receiver.received) perId.set(entry.id, (perId.get(entry.id) ?? 0) + 1);
      assert.ok(
        receiver.received.every((entry) => entry.verified),
        'every signature verifies',
      );
      assert.deepEqual([...perId.keys()].sort(), events.map((event) => event.id).sort());
      assert.deepEqual(
        [...perId.entries()].filter(([, count]) => count !== 1),
        [],
        'no event delivered twice',
      );
    } finally {
      await client.end();
    }
  });
});
