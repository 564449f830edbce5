/**
 * Webhook delivery against a real receiver on loopback that verifies each request with the
 * `standardwebhooks` package: every subscribed audit event is delivered, signed, with the
 * audit event's id as its stable `webhook-id`; a receiver that answers 500, is down or hangs
 * gets the event again later (back-off), and Gatehouse's own requests do not wait for it; after
 * `maxAttempts` the row is dead-lettered; the outbox row shares the audit row's transaction.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { signedInAdmin, signedInWithRoles } from '../fixtures/admin.ts';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../fixtures/webhook-receiver.ts';

/** Fast retries for tests: the defaults wait seconds to an hour. */
const FAST = { retryBaseMs: 50, retryMaxMs: 200, pollIntervalMs: 20, timeoutMs: 400 } as const;

interface OutboxRow {
  event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  last_error: string | null;
}

// biome-ignore lint/suspicious/noExplicitAny: the test reads the feature's table directly.
const outbox = (h: Harness) => h.auth.database.db as unknown as Kysely<any>;

async function outboxRows(h: Harness): Promise<OutboxRow[]> {
  return (await outbox(h)
    .selectFrom('webhook_outbox')
    .selectAll()
    .orderBy('created_at')
    .execute()) as OutboxRow[];
}

async function auditIds(h: Harness, type: string): Promise<string[]> {
  const events = await h.auth.repositories.audit.list({ type, limit: 100 });
  return events.map((event) => event.id);
}

async function harnessFor(
  receiver: WebhookReceiver,
  overrides: Record<string, unknown> = {},
  events: string[] = ['user.registered', 'user.email_verified'],
): Promise<Harness> {
  return createHarness({
    config: {
      webhooks: {
        endpoints: [{ url: receiver.url, secret: receiver.secret, events }],
        ...FAST,
        ...overrides,
      },
    },
  });
}

describe('webhooks: delivery to a real receiver (SQLite)', () => {
  let receiver: WebhookReceiver;
  before(async () => {
    receiver = await startWebhookReceiver();
  });
  after(async () => {
    await receiver?.close();
  });

  it('delivers each subscribed event once, signed, with the audit event id as webhook-id', async () => {
    receiver.setMode('ok');
    const h = await harnessFor(receiver);
    try {
      const start = receiver.received.length;
      const email = uniqueEmail('hook');
      const { userId } = await h.register(email);
      await receiver.waitFor(() => receiver.received.length - start >= 2);
      // A moment more: a duplicate would show up now.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const mine = receiver.received.slice(start);
      assert.equal(mine.length, 2, 'one request per event');
      assert.ok(
        mine.every((entry) => entry.verified),
        'every signature verifies',
      );
      const registered = mine.find((entry) => entry.payload.type === 'user.registered');
      assert.ok(registered);
      assert.deepEqual([registered.id], await auditIds(h, 'user.registered'));
      assert.equal(registered.payload.data.eventId, registered.id);
      assert.equal(registered.payload.data.userId, userId);
      assert.match(registered.payload.timestamp, /^\d{4}-\d\d-\d\dT/);
      assert.ok(!registered.body.includes(email), 'no email address without the opt-in');
      // login.success is not subscribed: no row, no request.
      await h.login(email);
      const rows = await outboxRows(h);
      assert.deepEqual(rows.map((row) => row.status).sort(), ['delivered', 'delivered']);
      assert.ok(rows.every((row) => row.attempts === 1));
      const scrape = await h.auth.metrics.render();
      assert.match(scrape, /gatehouse_webhook_deliveries_total\{outcome="delivered"\} 2\b/);
      assert.match(scrape, /gatehouse_webhook_outbox_depth\{state="delivered"\} 2\b/);
      assert.match(scrape, /gatehouse_webhook_outbox_depth\{state="pending"\} 0\b/);
    } finally {
      await h.close();
    }
  });

  it('retries after 500 answers until the receiver accepts', async () => {
    receiver.setMode('error');
    const h = await harnessFor(receiver, { maxAttempts: 10 });
    try {
      const start = receiver.received.length;
      await h.register(uniqueEmail('retry500'), { verify: false });
      await receiver.waitFor(() => receiver.received.length - start >= 2);
      receiver.setMode('ok');
      const [eventId] = await auditIds(h, 'user.registered');
      await receiver.waitFor(() => receiver.delivered().some((entry) => entry.id === eventId));
      const attempts = receiver.received.slice(start).filter((entry) => entry.id === eventId);
      assert.ok(attempts.length >= 3, `retried (${attempts.length} requests)`);
      assert.ok(attempts.every((entry) => entry.verified));
      await waitForStatus(h, eventId!, 'delivered');
    } finally {
      await h.close();
    }
  });

  it('delivers after the receiver was down and came back', async () => {
    receiver.setMode('ok');
    await receiver.down();
    const h = await harnessFor(receiver, { maxAttempts: 20 });
    try {
      await h.register(uniqueEmail('down'), { verify: false });
      const [eventId] = await auditIds(h, 'user.registered');
      await waitFor(async () => ((await outboxRows(h))[0]?.attempts ?? 0) >= 2);
      const [failed] = await outboxRows(h);
      assert.equal(failed?.status, 'pending');
      assert.equal(failed?.last_error, 'ECONNREFUSED');
      await receiver.up();
      await receiver.waitFor(() => receiver.delivered().some((entry) => entry.id === eventId));
      await waitForStatus(h, eventId!, 'delivered');
    } finally {
      await h.close();
      await receiver.up().catch(() => {});
    }
  });

  it('dead-letters an event after maxAttempts failures, and tries no more', async () => {
    receiver.setMode('error');
    const h = await harnessFor(receiver, { maxAttempts: 3 });
    try {
      const start = receiver.received.length;
      await h.register(uniqueEmail('dead'), { verify: false });
      const [eventId] = await auditIds(h, 'user.registered');
      await waitForStatus(h, eventId!, 'dead');
      await new Promise((resolve) => setTimeout(resolve, 400));
      const attempts = receiver.received.slice(start).filter((entry) => entry.id === eventId);
      assert.equal(attempts.length, 3);
      const row = (await outboxRows(h)).find((entry) => entry.event_id === eventId);
      assert.equal(row?.attempts, 3);
      assert.equal(row?.last_error, 'HTTP 500');
      const scrape = await h.auth.metrics.render();
      assert.match(scrape, /gatehouse_webhook_failures_total 3\b/);
      assert.match(scrape, /gatehouse_webhook_deliveries_total\{outcome="dead"\} 1\b/);
      assert.match(scrape, /gatehouse_webhook_outbox_depth\{state="dead"\} 1\b/);
    } finally {
      await h.close();
      receiver.setMode('ok');
    }
  });

  it('a hanging receiver times out and is retried; requests to Gatehouse do not wait for it', async () => {
    receiver.setMode('ok');
    const h = await harnessFor(receiver, { timeoutMs: 300, maxAttempts: 20, concurrency: 2 }, [
      'login.success',
    ]);
    try {
      // Signing in writes a subscribed event (login.success): outbox row, worker woken.
      const email = uniqueEmail('hang');
      await h.register(email);
      const timed = async (rounds: number): Promise<number[]> => {
        const times: number[] = [];
        for (let i = 0; i < rounds; i += 1) {
          const started = performance.now();
          const response = await h.post('/auth/login', { email, password: GOOD_PASSWORD });
          assert.equal(response.status, 200);
          times.push(performance.now() - started);
        }
        return times.sort((a, b) => a - b);
      };
      const median = (times: number[]) => times[Math.floor(times.length / 2)]!;
      const without = median(await timed(40));

      receiver.setMode('hang');
      const start = receiver.received.length;
      await h.login(email);
      await receiver.waitFor(() => receiver.received.length - start >= 1);
      const during = median(await timed(40));
      // Timed out and tried again while hanging.
      await waitFor(async () =>
        (await outboxRows(h)).some((row) => row.attempts >= 2 && row.last_error === 'timeout'),
      );
      receiver.setMode('ok');
      const ids = await auditIds(h, 'login.success');
      await receiver.waitFor(
        () => ids.every((id) => receiver.delivered().some((entry) => entry.id === id)),
        20_000,
      );
      console.log(
        `POST /auth/login median: ${without.toFixed(2)} ms without, ${during.toFixed(2)} ms while the receiver hangs`,
      );
      // Generous (a shared machine); a login waiting on the hung receiver would take ≥ 300 ms.
      assert.ok(
        during < Math.max(without * 3, without + 50),
        `median ${during} ms during vs ${without} ms without`,
      );
    } finally {
      await h.close();
      receiver.setMode('ok');
    }
  });

  it('the outbox row and its audit row commit together: a failing audit write rolls the outbox row back, and the reverse', async () => {
    receiver.setMode('ok');
    const h = await harnessFor(receiver);
    try {
      const db = outbox(h);
      await sql`create trigger refuse_audit before insert on audit_events when new.type = 'user.registered' begin select raise(abort, 'refused'); end`.execute(
        db,
      );
      await h.register(uniqueEmail('rollback'), { verify: false });
      assert.deepEqual(await auditIds(h, 'user.registered'), [], 'the audit write failed');
      assert.deepEqual(await outboxRows(h), [], 'so no outbox row was committed');
      await sql`drop trigger refuse_audit`.execute(db);

      await sql`create trigger refuse_outbox before insert on webhook_outbox begin select raise(abort, 'refused'); end`.execute(
        db,
      );
      await h.register(uniqueEmail('rollback'), { verify: false });
      assert.deepEqual(
        await auditIds(h, 'user.registered'),
        [],
        'a failing outbox write takes the audit row with it',
      );
      await sql`drop trigger refuse_outbox`.execute(db);

      const start = receiver.received.length;
      await h.register(uniqueEmail('rollback'), { verify: false });
      assert.equal((await auditIds(h, 'user.registered')).length, 1);
      await receiver.waitFor(() => receiver.received.length > start);
      assert.equal((await outboxRows(h)).length, 1);
    } finally {
      await h.close();
    }
  });

  it("a hard delete erases the user's outbox rows; the pruner removes delivered rows past retention, not dead or pending ones", async () => {
    receiver.setMode('ok');
    const h = await harnessFor(receiver, { deliveredRetentionDays: 7, maxAttempts: 1 }, ['*']);
    const clocked = await harnessFor(receiver, { deliveredRetentionDays: 7 }, ['user.registered']);
    try {
      const admin = await signedInAdmin(h);
      // The user to erase is an admin too and acts on someone else: their id lands in that event.
      const erasedAdmin = await signedInWithRoles(h, ['admin'], 'erased');
      const userId = erasedAdmin.userId;
      const bystander = await signedInWithRoles(h, [], 'bystander');
      const acted = await h.request('PATCH', `/admin/users/${bystander.userId}`, {
        token: erasedAdmin.accessToken,
        body: { name: 'Seen' },
      });
      assert.equal(acted.status, 200, acted.text);
      await waitFor(async () => (await outboxRows(h)).every((row) => row.status === 'delivered'));
      const naming = await outbox(h)
        .selectFrom('webhook_outbox')
        .select('id')
        .where('payload', 'like', `%${userId}%`)
        .where('user_id', '!=', userId)
        .execute();
      assert.ok(naming.length >= 1, 'an event about someone else names the user');
      const mine = async () =>
        outbox(h).selectFrom('webhook_outbox').select('id').where('user_id', '=', userId).execute();
      assert.ok((await mine()).length >= 1, 'rows are about the user before');
      const erased = await h.request('DELETE', `/admin/users/${userId}?hard=true`, {
        token: admin.accessToken,
      });
      assert.equal(erased.status, 204, erased.text);
      assert.deepEqual(await mine(), []);
      const left = await outbox(h).selectFrom('webhook_outbox').select('payload').execute();
      assert.ok(
        left.every((row) => !String(row.payload).includes(userId)),
        'no payload names the user',
      );
    } finally {
      await h.close();
    }
    try {
      await clocked.register(uniqueEmail('prune'), { verify: false });
      await waitFor(async () => (await outboxRows(clocked)).some((row) => row.status === 'delivered'));
      const db = outbox(clocked);
      // Two more rows, far in the past: one dead, one pending; and the delivered one aged.
      const old = Date.now() - 30 * 86_400_000;
      await db.updateTable('webhook_outbox').set({ finished_at: old }).execute();
      for (const status of ['dead', 'pending'])
        await db
          .insertInto('webhook_outbox')
          .values({
            id: `${status}-row`,
            event_id: `${status}-event`,
            event_type: 'user.registered',
            endpoint: 'https://gone.example/hooks',
            user_id: null,
            payload: '{}',
            status,
            attempts: 1,
            next_attempt_at: Date.now() + 3_600_000,
            created_at: old,
            finished_at: old,
          })
          .execute();
      const outcome = await clocked.auth.maintenance.prune({ only: ['webhooks.delivered'], batchSize: 1 });
      assert.equal(outcome.ran, true);
      assert.deepEqual(
        (await outboxRows(clocked)).map((row) => row.status).sort(),
        ['dead', 'pending'],
        'only the delivered row past retention went',
      );
    } finally {
      await clocked.close();
    }
  });

  async function waitForStatus(h: Harness, eventId: string, status: string): Promise<void> {
    await waitFor(async () =>
      (await outboxRows(h)).some((row) => row.event_id === eventId && row.status === status),
    );
  }
});

async function waitFor(predicate: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
