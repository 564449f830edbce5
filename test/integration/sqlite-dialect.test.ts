/**
 * The `node:sqlite` dialect: connection settings, the better-sqlite3-shaped adapter Kysely's
 * driver needs, and transactions.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { type Generated, Kysely, sql } from 'kysely';
import { type Database, openDatabase } from '../../src/stores/sql/database.ts';
import { migrateUp } from '../../src/stores/sql/migrate.ts';
import { createNodeSqliteDialect, openSqliteFile } from '../../src/stores/sql/sqlite-dialect.ts';
import { FEATURE_MIGRATIONS, MIGRATION_NAMES } from '../fixtures/migrations.ts';

/** A table the tests create by hand (not part of Gatehouse's schema). */
interface ScratchSchema {
  scratch: { id: Generated<number>; label: string };
}

let dir = '';
let fileCount = 0;
const opened: Database[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-sqlite-dialect-'));
});
after(async () => {
  await Promise.all(opened.map((database) => database.close()));
  await rm(dir, { recursive: true, force: true });
});

/** File descriptors this process holds on `path` (Linux `/proc`; the tests run on Linux). */
function openHandlesTo(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false; // the descriptor readdir itself used is already closed
    }
  }).length;
}

function freshPath(): string {
  fileCount += 1;
  return join(dir, `db-${fileCount}.db`);
}

async function open(url: string, options: { busyTimeoutMs?: number } = {}): Promise<Database> {
  const database = await openDatabase({ url, ...options });
  opened.push(database);
  return database;
}

async function pragma(database: Database, name: string): Promise<unknown> {
  const result = await sql<Record<string, unknown>>`${sql.raw(`pragma ${name}`)}`.execute(database.db);
  return Object.values(result.rows[0] ?? {})[0];
}

async function withScratchTable(database: Database): Promise<void> {
  await sql`create table scratch (id integer primary key, label text not null)`.execute(database.db);
}

describe('openDatabase (sqlite)', () => {
  it('openDatabase - should put a file database in WAL mode with synchronous NORMAL', async () => {
    const path = freshPath();
    const database = await open(`sqlite:${path}`);
    assert.equal(await pragma(database, 'journal_mode'), 'wal');
    assert.equal(await pragma(database, 'synchronous'), 1); // NORMAL
    await withScratchTable(database);
    assert.ok(existsSync(`${path}-wal`), 'writes go to the write-ahead log');
  });

  it('openDatabase - should enforce foreign keys', async () => {
    for (const url of ['sqlite::memory:', `sqlite:${freshPath()}`]) {
      const database = await open(url);
      assert.equal(await pragma(database, 'foreign_keys'), 1, url);
    }
  });

  it('openDatabase - should set the busy timeout (5000 ms unless configured)', async () => {
    assert.equal(await pragma(await open(`sqlite:${freshPath()}`), 'busy_timeout'), 5000);
    assert.equal(
      await pragma(await open(`sqlite:${freshPath()}`, { busyTimeoutMs: 1234 }), 'busy_timeout'),
      1234,
    );
  });

  it('openDatabase - should reject a negative or fractional busy timeout', async () => {
    for (const busyTimeoutMs of [-1, 1.5, Number.NaN]) {
      await assert.rejects(openDatabase({ url: 'sqlite::memory:', busyTimeoutMs }), {
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_VALUE',
      });
    }
  });

  it('openDatabase - should create missing parent directories, private to the owner', async () => {
    const parent = join(dir, 'nested', 'deeper');
    const path = join(parent, 'gatehouse.db');
    assert.ok(!existsSync(parent));
    const database = await open(path);
    await withScratchTable(database);
    assert.ok(existsSync(path));
    if (process.platform !== 'win32') {
      assert.equal(statSync(parent).mode & 0o777, 0o700);
      assert.equal(statSync(path).mode & 0o777, 0o600, 'the file holds password hashes');
    }
  });

  it('openDatabase - should accept sqlite:, sqlite:// and bare paths for the same file', async () => {
    const path = freshPath();
    const first = await open(path);
    await withScratchTable(first);
    await first.db
      .insertInto('scratch' as never)
      .values({ label: 'shared' } as never)
      .execute();
    await first.close();
    for (const url of [`sqlite:${path}`, `sqlite://${path}`]) {
      const again = await open(url);
      const rows = await sql<{ label: string }>`select label from scratch`.execute(again.db);
      assert.deepEqual(rows.rows, [{ label: 'shared' }], url);
      await again.close();
    }
  });

  it('openDatabase - should give every :memory: database its own private store', async () => {
    const first = await open('sqlite::memory:');
    const second = await open(':memory:');
    await withScratchTable(first);
    await assert.rejects(sql`select * from scratch`.execute(second.db), /no such table/);
    assert.equal(first.describe(), 'sqlite (:memory:)');
  });
});

describe('node:sqlite adapter', () => {
  it('prepare - should return rows for statements with result columns and counts for the rest', async () => {
    const database = await open('sqlite::memory:');
    await withScratchTable(database);
    const db = database.db as unknown as Kysely<ScratchSchema>;

    const inserted = await db.insertInto('scratch').values({ label: 'a' }).executeTakeFirst();
    assert.equal(inserted.numInsertedOrUpdatedRows, 1n);
    assert.equal(inserted.insertId, 1n);

    const returned = await db
      .insertInto('scratch')
      .values({ label: 'b' })
      .returning(['id', 'label'])
      .execute();
    assert.deepEqual(returned, [{ id: 2, label: 'b' }]);

    // A SELECT that matches nothing still reads (an empty list, not a write result).
    assert.deepEqual(await db.selectFrom('scratch').selectAll().where('label', '=', 'none').execute(), []);

    const updated = await db
      .updateTable('scratch')
      .set({ label: 'c' })
      .where('id', '<=', 2)
      .executeTakeFirst();
    assert.equal(updated.numUpdatedRows, 2n);
    const deleted = await db.deleteFrom('scratch').where('id', '=', 1).executeTakeFirst();
    assert.equal(deleted.numDeletedRows, 1n);

    const rows = await db.selectFrom('scratch').selectAll().execute();
    assert.deepEqual(rows, [{ id: 2, label: 'c' }]);
    assert.equal(Object.getPrototypeOf(rows[0]), Object.prototype, 'plain objects, as pg returns');
  });

  it('prepare - should bind booleans as 1 and 0', async () => {
    const database = await open('sqlite::memory:');
    const result = await sql<{ yes: number; no: number }>`select ${true} as yes, ${false} as no`.execute(
      database.db,
    );
    assert.deepEqual(result.rows, [{ yes: 1, no: 0 }]);
  });

  it('prepare - should see schema changes made after an identical query ran', async () => {
    const database = await open('sqlite::memory:');
    await withScratchTable(database);
    const select = () => sql<Record<string, unknown>>`select * from scratch`.execute(database.db);
    await sql`insert into scratch (label) values ('x')`.execute(database.db);
    assert.deepEqual((await select()).rows, [{ id: 1, label: 'x' }]);
    await sql`alter table scratch add column extra text default 'added'`.execute(database.db);
    assert.deepEqual((await select()).rows, [{ id: 1, label: 'x', extra: 'added' }]);
  });

  it('stream - should iterate rows one by one', async () => {
    const database = await open('sqlite::memory:');
    await withScratchTable(database);
    const db = database.db as unknown as Kysely<ScratchSchema>;
    await db
      .insertInto('scratch')
      .values([{ label: 'a' }, { label: 'b' }, { label: 'c' }])
      .execute();
    const labels: string[] = [];
    for await (const row of db.selectFrom('scratch').select('label').orderBy('id').stream())
      labels.push(row.label);
    assert.deepEqual(labels, ['a', 'b', 'c']);
    // Stopping a stream early leaves later queries unaffected.
    for await (const _row of db.selectFrom('scratch').select('label').orderBy('id').stream()) break;
    assert.equal((await db.selectFrom('scratch').select('label').orderBy('id').execute()).length, 3);
  });
});

describe('transactions (sqlite)', () => {
  it('transaction - should commit every statement when the callback resolves', async () => {
    const database = await open('sqlite::memory:');
    await withScratchTable(database);
    await database.db.transaction().execute(async (trx) => {
      await sql`insert into scratch (label) values ('one')`.execute(trx);
      await sql`insert into scratch (label) values ('two')`.execute(trx);
    });
    const rows = await sql<{ label: string }>`select label from scratch order by id`.execute(database.db);
    assert.deepEqual(rows.rows, [{ label: 'one' }, { label: 'two' }]);
  });

  it('transaction - should roll back every statement when the callback throws', async () => {
    const database = await open('sqlite::memory:');
    await withScratchTable(database);
    await assert.rejects(
      database.db.transaction().execute(async (trx) => {
        await sql`insert into scratch (label) values ('doomed')`.execute(trx);
        throw new Error('abort');
      }),
      /abort/,
    );
    const rows = await sql`select * from scratch`.execute(database.db);
    assert.deepEqual(rows.rows, []);
    // The connection is usable again (no transaction left open).
    await sql`insert into scratch (label) values ('after')`.execute(database.db);
  });

  it('transaction - should take the write lock when it begins, before its first write', async () => {
    const path = freshPath();
    const database = await open(path);
    await withScratchTable(database);
    const other = new DatabaseSync(path);
    try {
      other.exec('pragma busy_timeout = 0');
      await database.db.transaction().execute(async (trx) => {
        await sql`select count(*) from scratch`.execute(trx); // reads only, so far
        assert.throws(() => other.exec('begin immediate'), /locked|busy/i, 'another writer must wait');
      });
      other.exec('begin immediate');
      other.exec('rollback');
    } finally {
      other.close();
    }
  });
});

describe('close (sqlite)', () => {
  it('close - should release the file, be idempotent, and fail later queries', async () => {
    const database = await open(`sqlite:${freshPath()}`);
    await database.ping();
    await database.close();
    await database.close();
    await assert.rejects(sql`select 1`.execute(database.db));
  });

  it('close - should close a database that never ran a query', async () => {
    const path = freshPath();
    const database = await open(path);
    assert.ok(openHandlesTo(path) > 0, 'opening holds the file');
    await database.close();
    assert.equal(openHandlesTo(path), 0);
  });
});

describe('createNodeSqliteDialect', () => {
  it('createNodeSqliteDialect - should run the migrations through a Kysely the caller builds', async () => {
    const db = new Kysely<unknown>({ dialect: createNodeSqliteDialect(openSqliteFile(':memory:')) });
    try {
      const { wrapDatabase } = await import('../../src/stores/sql/database.ts');
      const { applied } = await migrateUp(wrapDatabase(db, 'sqlite'), FEATURE_MIGRATIONS);
      assert.deepEqual(applied, MIGRATION_NAMES);
    } finally {
      await db.destroy();
    }
  });
});
