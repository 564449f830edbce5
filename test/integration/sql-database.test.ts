/**
 * Opening databases from URLs, wrapping application-provided Kysely instances, and checking
 * them, on SQLite and on a real PostgreSQL server.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Kysely, sql } from 'kysely';
import pg from 'pg';
import { StoreError } from '../../src/stores/contract.ts';
import { openDatabase, parseDatabaseUrl, wrapDatabase } from '../../src/stores/sql/database.ts';
import { migrateUp, pendingMigrations } from '../../src/stores/sql/migrate.ts';
import { loadPg, parseInt8 } from '../../src/stores/sql/postgres-dialect.ts';
import { createNodeSqliteDialect, openSqliteFile } from '../../src/stores/sql/sqlite-dialect.ts';
import { forEachDialect } from '../fixtures/databases.ts';
import { FEATURE_MIGRATIONS, MIGRATION_NAMES } from '../fixtures/migrations.ts';

describe('parseDatabaseUrl', () => {
  it('parseDatabaseUrl - should read SQLite paths in every accepted form', () => {
    const cases: [string, string][] = [
      ['sqlite::memory:', ':memory:'],
      [':memory:', ':memory:'],
      ['sqlite:./data/gatehouse.db', './data/gatehouse.db'],
      ['sqlite:///var/lib/gatehouse.db', '/var/lib/gatehouse.db'],
      ['sqlite://data/gatehouse.db', 'data/gatehouse.db'],
      ['./data/gatehouse.db', './data/gatehouse.db'],
      ['/var/lib/gatehouse.db', '/var/lib/gatehouse.db'],
      ['gatehouse.db', 'gatehouse.db'],
      ['C:\\data\\gatehouse.db', 'C:\\data\\gatehouse.db'],
    ];
    for (const [url, path] of cases)
      assert.deepEqual(parseDatabaseUrl(url), { dialect: 'sqlite', path }, url);
  });

  it('parseDatabaseUrl - should read postgres:// and postgresql:// as PostgreSQL', () => {
    for (const url of [
      'postgres://u:p@db.internal:5433/auth',
      'postgresql://db.internal/auth',
      'POSTGRES://h/d',
    ]) {
      assert.deepEqual(parseDatabaseUrl(url), { dialect: 'postgres', url }, url);
    }
  });

  it('parseDatabaseUrl - should reject empty, non-string and unsupported URLs with a TypeError', () => {
    assert.throws(() => parseDatabaseUrl(''), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => parseDatabaseUrl('   '), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => parseDatabaseUrl('sqlite:'), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => parseDatabaseUrl(42 as unknown as string), {
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE',
    });
    assert.throws(() => parseDatabaseUrl('mysql://h/d'), {
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_VALUE',
      message: /Unsupported database URL scheme "mysql:"/,
    });
  });
});

describe('postgres options', () => {
  it('openDatabase - should reject a pool size that is not a positive integer', async () => {
    for (const poolSize of [0, -1, 2.5]) {
      await assert.rejects(openDatabase({ url: 'postgres://127.0.0.1/x', poolSize }), {
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_VALUE',
      });
    }
  });

  it('loadPg - should explain how to install a missing pg package', async () => {
    await assert.rejects(loadPg('gatehouse-test-no-such-package'), {
      code: 'ERR_GATEHOUSE_MISSING_PEER',
      message: /npm install pg/,
    });
  });

  it('parseInt8 - should parse safe integers and refuse to round larger ones', () => {
    assert.equal(parseInt8('1795357083960'), 1_795_357_083_960);
    assert.equal(parseInt8('-42'), -42);
    assert.equal(parseInt8('9007199254740991'), Number.MAX_SAFE_INTEGER);
    assert.throws(() => parseInt8('9007199254740993'), RangeError);
  });
});

forEachDialect((target) => {
  it('ping - should resolve while the database answers and fail with a StoreError once closed', async () => {
    const database = await openDatabase({ url: await target.freshUrl() });
    await database.ping();
    await database.close();
    await assert.rejects(database.ping(), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.equal(error.kind, 'unavailable');
      return true;
    });
  });

  it('describe - should name the dialect and where the data lives', async () => {
    const url = await target.freshUrl();
    const database = await openDatabase({ url });
    try {
      assert.equal(database.dialect, target.dialect);
      const where =
        target.dialect === 'sqlite' ? url.slice('sqlite:'.length) : url.slice(url.lastIndexOf('@') + 1);
      assert.equal(database.describe(), `${target.dialect} (${where})`);
    } finally {
      await database.close();
    }
  });

  it('wrapDatabase - should run migrations through an application-provided Kysely and leave it open', async () => {
    const owner = await target.open();
    const wrapped = wrapDatabase(owner.db, target.dialect);
    assert.equal(wrapped.describe(), `${target.dialect} (application-provided Kysely instance)`);
    assert.deepEqual((await migrateUp(wrapped, FEATURE_MIGRATIONS)).applied, MIGRATION_NAMES);
    assert.deepEqual(await pendingMigrations(owner, FEATURE_MIGRATIONS), []);
    await wrapped.ping();
    await wrapped.close();
    // Still usable: the application owns it.
    await sql`select 1`.execute(owner.db);
  });

  it('bigint - should read int8 as a number without changing pg global parsers', async () => {
    const database = await target.open();
    const result = await sql<{ n: unknown }>`select cast(1795357083960 as bigint) as n`.execute(database.db);
    assert.equal(result.rows[0]?.n, 1_795_357_083_960);
    // pg's own default for int8 is a string; the host application's pg keeps it.
    assert.equal(pg.types.getTypeParser(20, 'text')('123'), '123');
  });

  it('migrateUp - should leave the usual per-connection limits in place afterwards', async () => {
    const database = await target.open({ poolSize: 1 });
    await migrateUp(database);
    const setting = target.dialect === 'postgres' ? 'show statement_timeout' : 'pragma busy_timeout';
    const result = await sql<Record<string, unknown>>`${sql.raw(setting)}`.execute(database.db);
    assert.deepEqual(Object.values(result.rows[0] ?? {}), [target.dialect === 'postgres' ? '10s' : 5000]);
  });

  if (target.dialect === 'postgres') {
    it('statementTimeoutMs - should cancel a statement that runs longer', async () => {
      const database = await target.open({ statementTimeoutMs: 100 });
      await assert.rejects(sql`select pg_sleep(5)`.execute(database.db), { code: '57014' }); // query_canceled
      await sql`select 1`.execute(database.db);
    });

    it('poolSize - should never open more connections than configured', async () => {
      const database = await target.open({ poolSize: 2 });
      const pids = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const result = await sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.05)`.execute(
            database.db,
          );
          return result.rows[0]?.pid;
        }),
      );
      assert.equal(new Set(pids).size, 2);
    });
  }

  it('close - should be idempotent', async () => {
    const database = await openDatabase({ url: await target.freshUrl() });
    await database.ping();
    await Promise.all([database.close(), database.close()]);
    await database.close();
  });
});

describe('wrapDatabase arguments', () => {
  it('wrapDatabase - should reject something that is not a Kysely instance or an unknown dialect', () => {
    assert.throws(() => wrapDatabase({} as never, 'sqlite'), { name: 'TypeError' });
    const db = new Kysely<unknown>({ dialect: createNodeSqliteDialect(openSqliteFile(':memory:')) });
    try {
      assert.throws(() => wrapDatabase(db, 'mysql' as 'sqlite'), {
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_VALUE',
      });
    } finally {
      void db.destroy();
    }
  });
});
