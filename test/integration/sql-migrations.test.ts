/**
 * Migrations and the schema they build, run on SQLite and on a real PostgreSQL server.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../src/stores/sql/database.ts';
import { openDatabase } from '../../src/stores/sql/database.ts';
import { constraintViolation } from '../../src/stores/sql/errors.ts';
import {
  MigrationError,
  migrateUp,
  migrationStatus,
  pendingMigrations,
  runMigrations,
  statusOf,
} from '../../src/stores/sql/migrate.ts';
import { gatehouseMigrations } from '../../src/stores/sql/migrations/index.ts';
import type { DatabaseSchema, NewSessionRow, NewUserRow } from '../../src/stores/sql/schema.ts';
import { type DialectTarget, forEachDialect } from '../fixtures/databases.ts';
import { FEATURE_MIGRATIONS } from '../fixtures/migrations.ts';

/**
 * The SQL store's migrations and the built-in features' (`0005_api_keys`, declared by the
 * API-key feature), merged: Kysely applies them in name order whatever list they come from, so
 * a fresh database applies them in the order it did when the store listed them all.
 */
const ALL_MIGRATIONS = [
  '0001_initial',
  '0002_access_tokens',
  '0003_two_factor',
  '0004_oauth_accounts',
  '0005_api_keys',
  '0006_revocation_rebuild',
  '0007_totp_last_step',
  '0008_account_deletions',
  '0009_webhook_outbox',
  '0010_sessions_idle_expiry_index',
  '0011_api_keys_expiry_indexes',
  '0012_audit_events_created_at_index',
  '0013_passkeys',
  '0014_deleted_sessions_revocation_group',
];
const GATEHOUSE_TABLES = [
  'account_deletions',
  'api_keys',
  'audit_events',
  'deleted_sessions',
  'oauth_accounts',
  'passkeys',
  'recovery_codes',
  'session_consumed_digests',
  'sessions',
  'users',
  'webhook_outbox',
];

let sequence = 0;
function newUser(overrides: Partial<NewUserRow> = {}): NewUserRow {
  sequence += 1;
  const now = Date.now();
  return {
    id: `user-${sequence}`,
    email: `user${sequence}@example.com`,
    security_stamp: `stamp-${sequence}`,
    created_at: now,
    updated_at: now,
    ...overrides,
  };
}

function newSession(userId: string, overrides: Partial<NewSessionRow> = {}): NewSessionRow {
  sequence += 1;
  const now = Date.now();
  return {
    id: `session-${sequence}`,
    user_id: userId,
    kind: 'bearer',
    refresh_digest: `digest-${sequence}`,
    created_at: now,
    last_used_at: now,
    idle_expires_at: now + 60_000,
    absolute_expires_at: now + 3_600_000,
    ...overrides,
  };
}

async function count(db: Kysely<DatabaseSchema>, table: keyof DatabaseSchema): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function migrated(target: DialectTarget): Promise<Database> {
  const database = await target.open();
  await migrateUp(database, FEATURE_MIGRATIONS);
  return database;
}

/** Runs `migrateUp` in two worker threads released at the same instant. */
async function migrateConcurrently(url: string, workers: number): Promise<string[][]> {
  const startFlag = new SharedArrayBuffer(4);
  const threads = Array.from(
    { length: workers },
    () =>
      new Worker(new URL('../fixtures/migrate-worker.ts', import.meta.url), {
        workerData: { url, startFlag },
      }),
  );
  const outcomes = threads.map(
    (thread) =>
      new Promise<{ type: string; applied?: string[]; message?: string; cause?: string }>(
        (resolve, reject) => {
          thread.on('message', (message: { type: string }) => {
            if (message.type !== 'ready') resolve(message);
          });
          thread.once('error', reject);
        },
      ),
  );
  await Promise.all(
    threads.map(
      (thread) =>
        new Promise<void>((resolve) => {
          thread.on('message', (message: { type: string }) => {
            if (message.type === 'ready') resolve();
          });
        }),
    ),
  );
  const flag = new Int32Array(startFlag);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  const results = await Promise.all(outcomes);
  await Promise.all(threads.map((thread) => thread.terminate()));
  return results.map((result) => {
    if (result.type !== 'done') assert.fail(`a migrator failed: ${result.message} (cause: ${result.cause})`);
    return result.applied ?? [];
  });
}

forEachDialect((target) => {
  it('migrationStatus - should list every migration as pending on a fresh database', async () => {
    const database = await target.open();
    const status = await migrationStatus(database, FEATURE_MIGRATIONS);
    assert.deepEqual(
      status,
      ALL_MIGRATIONS.map((name) => ({ name, appliedAt: null })),
    );
    assert.deepEqual(await pendingMigrations(database, FEATURE_MIGRATIONS), ALL_MIGRATIONS);
  });

  it('migrateUp - should apply every pending migration and record when', async () => {
    const database = await target.open();
    const before = Date.now();
    const { applied } = await migrateUp(database, FEATURE_MIGRATIONS);
    const after = Date.now();
    assert.deepEqual(applied, ALL_MIGRATIONS);

    const status = await migrationStatus(database, FEATURE_MIGRATIONS);
    assert.deepEqual(
      status.map((state) => state.name),
      ALL_MIGRATIONS,
    );
    for (const state of status) {
      assert.ok(state.appliedAt instanceof Date, `${state.name} has an applied time`);
      assert.ok(state.appliedAt.getTime() >= before && state.appliedAt.getTime() <= after);
    }
    assert.deepEqual(await pendingMigrations(database, FEATURE_MIGRATIONS), []);
  });

  it('migrateUp - should see nothing pending on a database the store once migrated with 0005_api_keys in its own list', async () => {
    // The list as it was before the API-key feature declared its migration: one list, 0001…0007.
    const database = await target.open();
    const { '0005_api_keys': apiKeys } = FEATURE_MIGRATIONS;
    assert.ok(apiKeys, 'the API-key feature declares 0005_api_keys');
    const storeList = Object.entries(gatehouseMigrations({ dialect: target.dialect }));
    const before = {
      ...Object.fromEntries(storeList.filter(([name]) => name <= '0007_totp_last_step')),
      '0005_api_keys': apiKeys(target),
    };
    const storeEra = ALL_MIGRATIONS.filter((name) => name <= '0007_totp_last_step');
    const later = ALL_MIGRATIONS.filter((name) => name > '0007_totp_last_step');
    assert.deepEqual((await runMigrations(database, before)).applied, storeEra);
    // The store's list and the features', merged: only the migrations added since are pending,
    // 0005_api_keys is not applied again.
    assert.deepEqual(await pendingMigrations(database, FEATURE_MIGRATIONS), later);
    assert.deepEqual(await migrateUp(database, FEATURE_MIGRATIONS), { applied: later });
    // Without the feature's migration, Kysely refuses a database that applied it.
    await assert.rejects(migrateUp(database), (error: Error) => {
      assert.ok(error instanceof MigrationError);
      assert.match(
        String((error.cause as Error).message),
        /previously executed migration 0005_api_keys is missing/,
      );
      return true;
    });
  });

  it('migrateUp - should apply nothing when the schema is current', async () => {
    const database = await migrated(target);
    const firstStatus = await migrationStatus(database, FEATURE_MIGRATIONS);
    assert.deepEqual(await migrateUp(database, FEATURE_MIGRATIONS), { applied: [] });
    assert.deepEqual(await migrationStatus(database, FEATURE_MIGRATIONS), firstStatus);
  });

  it('migrateUp - should create the tables under gatehouse_ bookkeeping names', async () => {
    const database = await migrated(target);
    const tables = (await database.db.introspection.getTables({ withInternalKyselyTables: true }))
      .map((table) => table.name)
      .sort();
    assert.deepEqual(tables, [...GATEHOUSE_TABLES, 'gatehouse_migration', 'gatehouse_migration_lock'].sort());
  });

  it('migrateUp - should apply each migration once when two processes migrate at once', async () => {
    const url = await target.freshUrl();
    const results = await migrateConcurrently(url, 2);
    assert.deepEqual(
      results.flat().sort(),
      ALL_MIGRATIONS,
      'every migration applied by exactly one migrator',
    );

    const database = await openDatabase({ url });
    try {
      const status = await migrationStatus(database, FEATURE_MIGRATIONS);
      assert.ok(status.every((state) => state.appliedAt !== null));
      const rows = await sql<{ n: number }>`select count(*) as n from gatehouse_migration`.execute(
        database.db,
      );
      assert.equal(Number(rows.rows[0]?.n), ALL_MIGRATIONS.length);
    } finally {
      await database.close();
    }
  });

  it('migrateUp - should name the failing migration and leave the schema unchanged', async () => {
    const database = await target.open();
    const migrations = {
      ...gatehouseMigrations({ dialect: target.dialect }),
      ...Object.fromEntries(
        Object.entries(FEATURE_MIGRATIONS).map(([name, build]) => [name, build({ dialect: target.dialect })]),
      ),
      '9999_broken': {
        async up(db: Kysely<unknown>) {
          await db.schema.createTable('half_done').addColumn('id', 'text').execute();
          await sql`select * from no_such_table`.execute(db);
        },
      },
    };
    const failure = await runMigrations(database, migrations).then(
      () => assert.fail('the run should fail'),
      (error: unknown) => error,
    );
    assert.ok(failure instanceof MigrationError);
    assert.equal(failure.migration, '9999_broken');
    assert.match(failure.message, /9999_broken/);
    assert.ok(failure.cause instanceof Error);

    const tables = (await database.db.introspection.getTables()).map((table) => table.name);
    assert.ok(!tables.includes('half_done'), 'the failing migration left nothing behind');
    assert.ok(!tables.includes('users'), 'the run is one transaction');
    const status = await statusOf(database, migrations);
    assert.ok(status.every((state) => state.appliedAt === null));
    // The real migrations still apply afterwards.
    assert.deepEqual((await migrateUp(database, FEATURE_MIGRATIONS)).applied, ALL_MIGRATIONS);
  });

  it('users - should reject an email that differs only in case from a stored one', async () => {
    const { db } = await migrated(target);
    await db
      .insertInto('users')
      .values(newUser({ email: 'alice@example.com' }))
      .execute();
    const error = await db
      .insertInto('users')
      .values(newUser({ email: 'ALICE@Example.COM' }))
      .execute()
      .then(
        () => assert.fail('a case variant of a stored email must be rejected'),
        (caught: unknown) => caught,
      );
    assert.equal(constraintViolation(error), 'unique');
    // Not a blanket failure: another address is accepted.
    await db
      .insertInto('users')
      .values(newUser({ email: 'bob@example.com' }))
      .execute();
    assert.equal(await count(db, 'users'), 2);
  });

  it('users - should answer lookups by lower(email) from the unique index', async () => {
    const database = await migrated(target);
    const plan = await database.db.connection().execute(async (connection) => {
      if (target.dialect === 'sqlite') {
        const result = await sql<
          Record<string, unknown>
        >`explain query plan select id from users where lower(email) = ${'a@example.com'}`.execute(
          connection,
        );
        return JSON.stringify(result.rows);
      }
      // The table is empty, so make the planner prove it can use the index at all.
      await sql`set enable_seqscan = off`.execute(connection);
      try {
        const result = await sql<
          Record<string, unknown>
        >`explain select id from users where lower(email) = ${'a@example.com'}`.execute(connection);
        return JSON.stringify(result.rows);
      } finally {
        await sql`reset enable_seqscan`.execute(connection);
      }
    });
    assert.match(plan, /users_email_lower_uq/);
  });

  it('users - should reject an is_active value other than 0 or 1', async () => {
    const { db } = await migrated(target);
    const error = await db
      .insertInto('users')
      .values(newUser({ is_active: 2 as 1 }))
      .execute()
      .then(
        () => assert.fail('is_active = 2 must be rejected'),
        (caught: unknown) => caught,
      );
    assert.equal(constraintViolation(error), 'check');
  });

  it('users - should fill defaults for is_active, roles and nullable columns', async () => {
    const { db } = await migrated(target);
    const user = newUser();
    await db.insertInto('users').values(user).execute();
    const row = await db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
    assert.equal(row.is_active, 1);
    assert.equal(row.roles, '[]');
    assert.equal(row.password_hash, null);
    assert.equal(row.email_verified_at, null);
  });

  it('sessions - should be deleted with their user, with their consumed digests', async () => {
    const { db } = await migrated(target);
    const doomed = newUser();
    const kept = newUser();
    await db.insertInto('users').values([doomed, kept]).execute();
    const doomedSessions = [newSession(doomed.id), newSession(doomed.id, { kind: 'cookie' })];
    const keptSession = newSession(kept.id);
    await db
      .insertInto('sessions')
      .values([...doomedSessions, keptSession])
      .execute();
    await db
      .insertInto('session_consumed_digests')
      .values([
        { digest: 'old-1', session_id: doomedSessions[0]!.id, consumed_at: Date.now() },
        { digest: 'old-2', session_id: doomedSessions[1]!.id, consumed_at: Date.now() },
        { digest: 'old-3', session_id: keptSession.id, consumed_at: Date.now() },
      ])
      .execute();

    await db.deleteFrom('users').where('id', '=', doomed.id).execute();

    const sessions = await db.selectFrom('sessions').select('id').execute();
    assert.deepEqual(sessions, [{ id: keptSession.id }]);
    const digests = await db.selectFrom('session_consumed_digests').select('digest').execute();
    assert.deepEqual(digests, [{ digest: 'old-3' }]);
  });

  it('sessions - should reject a session whose user does not exist', async () => {
    const { db } = await migrated(target);
    const error = await db
      .insertInto('sessions')
      .values(newSession('no-such-user'))
      .execute()
      .then(
        () => assert.fail('an orphan session must be rejected'),
        (caught: unknown) => caught,
      );
    assert.equal(constraintViolation(error), 'foreign_key');
  });

  it('sessions - should reject a second session holding the same refresh digest', async () => {
    const { db } = await migrated(target);
    const user = newUser();
    await db.insertInto('users').values(user).execute();
    await db
      .insertInto('sessions')
      .values(newSession(user.id, { refresh_digest: 'same' }))
      .execute();
    const error = await db
      .insertInto('sessions')
      .values(newSession(user.id, { refresh_digest: 'same' }))
      .execute()
      .then(
        () => assert.fail('a duplicate refresh digest must be rejected'),
        (caught: unknown) => caught,
      );
    assert.equal(constraintViolation(error), 'unique');
    // Sessions without a live credential (null digest) do not collide.
    await db
      .insertInto('sessions')
      .values([newSession(user.id, { refresh_digest: null }), newSession(user.id, { refresh_digest: null })])
      .execute();
    assert.equal(await count(db, 'sessions'), 3);
  });

  it('sessions - should reject a kind other than bearer or cookie', async () => {
    const { db } = await migrated(target);
    const user = newUser();
    await db.insertInto('users').values(user).execute();
    const error = await db
      .insertInto('sessions')
      .values(newSession(user.id, { kind: 'carrier-pigeon' as 'bearer' }))
      .execute()
      .then(
        () => assert.fail('an unknown session kind must be rejected'),
        (caught: unknown) => caught,
      );
    assert.equal(constraintViolation(error), 'check');
  });

  it('session_consumed_digests - should reject recording the same digest twice', async () => {
    const { db } = await migrated(target);
    const user = newUser();
    const session = newSession(user.id);
    await db.insertInto('users').values(user).execute();
    await db.insertInto('sessions').values(session).execute();
    const consumed = { digest: 'rotated-away', session_id: session.id, consumed_at: Date.now() };
    await db.insertInto('session_consumed_digests').values(consumed).execute();
    const error = await db
      .insertInto('session_consumed_digests')
      .values(consumed)
      .execute()
      .then(
        () => assert.fail('a digest can be consumed once'),
        (caught: unknown) => caught,
      );
    assert.equal(constraintViolation(error), 'unique');
  });

  it('audit_events - should outlive the deleted user they refer to', async () => {
    const { db } = await migrated(target);
    const user = newUser();
    await db.insertInto('users').values(user).execute();
    await db
      .insertInto('audit_events')
      .values({ id: 'event-1', type: 'user.deleted', user_id: user.id, created_at: Date.now() })
      .execute();
    await db.deleteFrom('users').where('id', '=', user.id).execute();
    const events = await db.selectFrom('audit_events').select(['id', 'user_id', 'data']).execute();
    assert.deepEqual(events, [{ id: 'event-1', user_id: user.id, data: '{}' }]);
  });

  it('bigint times - should round-trip epoch milliseconds as JS numbers', async () => {
    const { db } = await migrated(target);
    // The largest time a JS Date can hold: far beyond 32 bits, still an exact double.
    const latest = 8_640_000_000_000_000;
    const now = Date.now();
    const user = newUser({ created_at: now, updated_at: latest, email_verified_at: 0 });
    await db.insertInto('users').values(user).execute();
    const row = await db
      .selectFrom('users')
      .select(['created_at', 'updated_at', 'email_verified_at'])
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row, { created_at: now, updated_at: latest, email_verified_at: 0 });
    assert.equal(typeof row.created_at, 'number');
    // Range queries compare numerically.
    const later = await db.selectFrom('users').select('id').where('updated_at', '>', now).execute();
    assert.deepEqual(later, [{ id: user.id }]);
  });

  it('bigint values - should fail the query rather than lose precision beyond 2^53', async () => {
    const { db } = await migrated(target);
    await assert.rejects(sql`select cast(9007199254740993 as bigint) as n`.execute(db), RangeError);
    // The connection is still usable afterwards.
    const ok = await sql<{ n: number }>`select cast(9007199254740991 as bigint) as n`.execute(db);
    assert.equal(ok.rows[0]?.n, 9_007_199_254_740_991);
  });
});
