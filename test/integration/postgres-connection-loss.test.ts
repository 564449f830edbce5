/**
 * A PostgreSQL connection lost under the pool, on a real server that is fast-stopped
 * (`pg_ctl -m fast stop`: open transactions rolled back, every connection terminated with
 * `57P01 admin_shutdown`). Threats: a connection checked out of the pool whose termination is
 * emitted with no listener and ends the process; a lost connection answered as a bug (500)
 * instead of "unavailable" (503); a transaction cut half way leaving half its rows; a bad
 * configuration (a missing database) mistaken for an outage and retried forever.
 *
 * Invariant: connection loss is reported, never fatal, maps to a `StoreError`, writes nothing
 * half way, and the pool serves again once the server is back.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { StoreError } from '../../src/stores/contract.ts';
import { openDatabase } from '../../src/stores/sql/database.ts';
import { isDatabaseUnreachable } from '../../src/stores/sql/errors.ts';
import { MigrationError } from '../../src/stores/sql/migrate.ts';
import { createPostgresPool } from '../../src/stores/sql/postgres-dialect.ts';
import { SqlRepositoryError, toRepositoryError } from '../../src/stores/sql/repositories/failures.ts';
import { findFreePort } from '../fixtures/free-port.ts';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';

/** Bounded wait for a condition the server's shutdown brings about. */
async function until(condition: () => boolean, label: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`${label} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let postgres: PostgresServer;
before(async () => {
  postgres = await startPostgres();
});
after(async () => {
  await postgres?.stop();
});

describe('PostgreSQL fast stop under the pool', () => {
  it('checked-out connection terminated - should be reported to the listener, not crash the process, and the pool should serve after restart', async () => {
    const reported: Error[] = [];
    const pool = await createPostgresPool(await postgres.createDatabase(), {
      onIdleConnectionError: (error) => reported.push(error),
    });
    try {
      // One client lent out and sitting between statements, one idle in the pool.
      const [lent, idle] = await Promise.all([pool.connect(), pool.connect()]);
      idle.release();
      await lent.query('select 1');
      await postgres.halt('fast');
      await until(() => reported.length >= 2, 'both terminations reported');
      assert.ok(reported.every((error) => isDatabaseUnreachable(error)));
      assert.ok(reported.some((error) => (error as { code?: string }).code === '57P01'));
      await assert.rejects(lent.query('select 1'), (error) => toRepositoryError(error) instanceof StoreError);
      lent.release(true);
      await assert.rejects(pool.query('select 1'), (error) => {
        assert.ok(isDatabaseUnreachable(error), String(error));
        return toRepositoryError(error) instanceof StoreError;
      });
      await postgres.resume();
      const { rows } = await pool.query('select 1 as one');
      assert.deepEqual(rows, [{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it('transaction cut half way - should roll back: neither of its rows is kept', async () => {
    const database = await openDatabase({ url: await postgres.createDatabase() });
    try {
      await sql`create table writes (id integer primary key)`.execute(database.db);
      const failure = await database.db
        .transaction()
        .execute(async (trx) => {
          await sql`insert into writes values (1)`.execute(trx);
          await postgres.halt('fast');
          await sql`insert into writes values (2)`.execute(trx);
        })
        .then(
          () => assert.fail('the transaction committed across a fast stop'),
          (error: unknown) => error,
        );
      assert.ok(toRepositoryError(failure) instanceof StoreError, String(failure));
      await postgres.resume();
      const { rows } = await sql<{ id: number }>`select id from writes`.execute(database.db);
      assert.deepEqual(rows, [], 'a row of the cut transaction was kept');
    } finally {
      await database.close();
    }
  });
});

describe('isDatabaseUnreachable', () => {
  it('refused connection and a pool connect timeout - should count as unreachable, directly and under a MigrationError', async () => {
    const closedPort = await findFreePort();
    const refused = await openDatabase({ url: `postgres://postgres@127.0.0.1:${closedPort}/none` });
    try {
      const error = await refused.ping().then(
        () => assert.fail('a closed port answered'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof StoreError);
      assert.ok(isDatabaseUnreachable(error));
      assert.ok(isDatabaseUnreachable(new MigrationError(null, { cause: (error as Error).cause })));
    } finally {
      await refused.close();
    }
    const timedOut = new Error('timeout exceeded when trying to connect');
    assert.ok(isDatabaseUnreachable(timedOut));
    assert.ok(toRepositoryError(timedOut) instanceof StoreError);
  });

  it('missing database, a failed statement or a plain bug - should not count as unreachable (a bad configuration still fails at start)', async () => {
    const missing = await openDatabase({ url: `postgres://postgres@127.0.0.1:${postgres.port}/no_such_db` });
    try {
      const error = await missing.db
        .selectFrom('users')
        .selectAll()
        .execute()
        .then(
          () => assert.fail('a missing database answered'),
          (caught: unknown) => caught,
        );
      assert.equal((error as { code?: string }).code, '3D000');
      assert.equal(isDatabaseUnreachable(error), false);
    } finally {
      await missing.close();
    }
    assert.equal(
      isDatabaseUnreachable(Object.assign(new Error('relation missing'), { code: '42P01' })),
      false,
    );
    assert.equal(
      isDatabaseUnreachable(new SqlRepositoryError('ERR_GATEHOUSE_SQL_STATEMENT', 'x', '23505')),
      false,
    );
    assert.equal(isDatabaseUnreachable(new TypeError('undefined is not a function')), false);
    assert.equal(isDatabaseUnreachable(null), false);
  });
});
