/**
 * Each pruning task removes exactly what is past its keeping time and nothing else, on SQLite
 * and on PostgreSQL, in batches (a batch size smaller than the backlog): expired sessions past
 * an access token's life (with their consumed refresh digests), old session tombstones, API
 * keys expired or revoked more than 30 days ago, audit events past `audit.retentionDays`, and
 * soft-deleted accounts past their grace period (erased as a hard delete erases them). Rows
 * inside their grace period, and live rows, stay.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';

const DAY = 86_400_000;
const ACCESS_GRACE = (15 * 60 + 30) * 1000;

// biome-ignore lint/suspicious/noExplicitAny: rows are written directly, across many tables
type Db = Kysely<any>;

async function ids(db: Db, table: string, key = 'id'): Promise<string[]> {
  const rows = await db.selectFrom(table).select(key).execute();
  return rows.map((row) => String(row[key])).sort();
}

for (const backend of backends()) {
  describe(`pruning tasks (${backend.name})`, () => {
    let harness: Harness;
    let db: Db;
    const now = Date.now();
    const keep: Record<string, string[]> = { sessions: [], digests: [], tombstones: [], keys: [], audit: [] };
    let owner: string;
    let purged: string;
    let graced: string;

    before(async () => {
      harness = await createHarness({
        config: { ...(await backend.config()), audit: { retentionDays: 30 } },
      });
      db = harness.auth.database.db as unknown as Db;
      const user = async () =>
        (await harness.auth.api.users.create({ email: uniqueEmail('prune'), password: GOOD_PASSWORD })).id;
      owner = await user();
      purged = await user();
      graced = await user();

      let n = 0;
      const session = async (idle: number, absolute: number, opts: { stays: boolean; digest?: boolean }) => {
        const id = `s-${++n}`;
        await db
          .insertInto('sessions')
          .values({
            id,
            user_id: owner,
            kind: 'bearer',
            refresh_digest: `r-${n}`,
            created_at: now - 40 * DAY,
            last_used_at: now - 40 * DAY,
            idle_expires_at: idle,
            absolute_expires_at: absolute,
            auth_methods: '["pwd"]',
          })
          .execute();
        if (opts.digest)
          await db
            .insertInto('session_consumed_digests')
            .values({ digest: `d-${n}`, session_id: id, consumed_at: now - DAY })
            .execute();
        if (opts.stays) {
          keep.sessions!.push(id);
          if (opts.digest) keep.digests!.push(`d-${n}`);
        }
      };
      // Past the absolute expiry by more than an access token's life: removed (5, with digests).
      for (let i = 0; i < 5; i++)
        await session(now + DAY, now - ACCESS_GRACE - 60_000, { stays: false, digest: true });
      // Past the idle expiry the same way: removed (4).
      for (let i = 0; i < 4; i++)
        await session(now - ACCESS_GRACE - 60_000, now + DAY, { stays: false, digest: true });
      // Expired, but a token issued just before could still be alive: kept (2).
      for (let i = 0; i < 2; i++) await session(now - 60_000, now + DAY, { stays: true, digest: true });
      // Live: kept (3).
      for (let i = 0; i < 3; i++) await session(now + DAY, now + 2 * DAY, { stays: true, digest: true });

      for (let i = 0; i < 6; i++) {
        const old = i < 4;
        await db
          .insertInto('deleted_sessions')
          .values({ session_id: `t-${i}`, revoked_at: old ? now - ACCESS_GRACE - 60_000 : now - 1000 })
          .execute();
        if (!old) keep.tombstones!.push(`t-${i}`);
      }

      const key = async (id: string, expires: number, revoked: number | null, stays: boolean) => {
        await db
          .insertInto('api_keys')
          .values({
            id,
            user_id: owner,
            name: id,
            env: 'live',
            scopes: '[]',
            secret_digest: `digest-${id}`,
            created_at: now - 400 * DAY,
            expires_at: expires,
            revoked_at: revoked,
          })
          .execute();
        if (stays) keep.keys!.push(id);
      };
      for (let i = 0; i < 3; i++) await key(`k-expired-${i}`, now - 31 * DAY, null, false);
      for (let i = 0; i < 2; i++) await key(`k-revoked-${i}`, now + DAY, now - 31 * DAY, false);
      for (let i = 0; i < 2; i++) await key(`k-recent-${i}`, now - 29 * DAY, null, true);
      await key('k-recently-revoked', now + DAY, now - 29 * DAY, true);
      await key('k-live', now + DAY, null, true);

      for (let i = 0; i < 8; i++) {
        const old = i < 5;
        await db
          .insertInto('audit_events')
          .values({
            id: `e-${i}`,
            type: 'login.success',
            user_id: owner,
            data: '{}',
            created_at: old ? now - 31 * DAY : now - 29 * DAY,
          })
          .execute();
        if (!old) keep.audit!.push(`e-${i}`);
      }

      await harness.auth.api.users.update(purged, { isActive: false });
      await harness.auth.api.users.update(graced, { isActive: false });
      await db
        .insertInto('account_deletions')
        .values([
          { user_id: purged, deleted_at: now - 31 * DAY, purge_after: now - DAY, requested_by: 'self' },
          { user_id: graced, deleted_at: now - DAY, purge_after: now + 29 * DAY, requested_by: 'admin' },
        ])
        .execute();
    });

    after(async () => {
      await harness?.close();
      await backend.stop();
    });

    it('removes exactly what is past its keeping time, in batches, and reports each task', async () => {
      const outcome = await harness.auth.maintenance.prune({ batchSize: 2 });
      assert.equal(outcome.ran, true);
      assert.ok(outcome.ran);
      const removed = Object.fromEntries(outcome.tasks.map((task) => [task.name, task.removed]));
      assert.equal(removed['sessions.expired'], 9);
      assert.equal(removed['sessions.tombstones'], 4);
      assert.equal(removed['apikeys.expired'], 5);
      assert.equal(removed['audit.retention'], 5);
      assert.equal(removed['admin.deleted-accounts'], 1);
      for (const task of outcome.tasks) assert.equal(task.error, undefined, `${task.name}: ${task.error}`);
      const sessions = outcome.tasks.find((task) => task.name === 'sessions.expired');
      assert.ok(sessions && sessions.batches >= 5, 'nine rows at two per batch take at least five batches');

      assert.deepEqual(await ids(db, 'sessions'), keep.sessions!.sort());
      assert.deepEqual(await ids(db, 'session_consumed_digests', 'digest'), keep.digests!.sort());
      assert.deepEqual(await ids(db, 'deleted_sessions', 'session_id'), keep.tombstones!.sort());
      assert.deepEqual(await ids(db, 'api_keys'), keep.keys!.sort());
      // Audit rows of the pruner's own erasure are new; the seeded ones past retention are gone.
      const seeded = (await ids(db, 'audit_events')).filter((id) => id.startsWith('e-'));
      assert.deepEqual(seeded, keep.audit!.sort());
      assert.equal(
        await harness.auth.api.users.get(purged),
        null,
        'the account past its grace period is erased',
      );
      assert.ok(await harness.auth.api.users.get(graced), 'the account inside its grace period stays');
      assert.ok(await harness.auth.api.users.get(owner));
      const purgeEvents = await db
        .selectFrom('audit_events')
        .selectAll()
        .where('type', '=', 'account.purged')
        .execute();
      assert.equal(purgeEvents.length, 1);
      assert.equal(purgeEvents[0]?.user_id, null);
    });

    it('a second run finds nothing more to remove, and the counts reach the metrics', async () => {
      const outcome = await harness.auth.maintenance.prune({ batchSize: 2 });
      assert.ok(outcome.ran);
      for (const task of outcome.tasks)
        if (task.name !== 'webhooks.delivered') assert.equal(task.removed, 0, task.name);
      const text = await harness.auth.metrics.render();
      assert.match(text, /^gatehouse_pruned_total\{task="sessions\.expired"\} 9$/m);
      assert.match(text, /^gatehouse_pruned_total\{task="audit\.retention"\} 5$/m);
    });
  });
}
