/**
 * Kysely on SQLite through Node's built-in `node:sqlite` (no native add-on to install).
 *
 * Kysely's SQLite driver is written for better-sqlite3. `node:sqlite` is close but not the
 * same: statements have no `reader` flag, and parameters are passed spread rather than as one
 * array. {@link toKyselySqliteDatabase} bridges the two, and {@link createNodeSqliteDialect}
 * reuses Kysely's SQLite query compiler, introspector and driver with two changes:
 *
 * - Transactions start with `BEGIN IMMEDIATE`, taking the write lock up front. A deferred
 *   `BEGIN` that reads and then writes fails with `SQLITE_BUSY` (no waiting) when another
 *   process wrote in between; Gatehouse's transactions are read-then-write, so they would.
 * - The adapter reports transactional DDL (SQLite has it), so Kysely's migrator runs all
 *   pending migrations in one transaction: a failed run changes nothing, and a second process
 *   migrating at the same time waits for the write lock, then finds nothing left to do.
 *
 * One process should open a SQLite file once. `node:sqlite` is synchronous: a second handle in
 * the same process waiting for the first one's write lock blocks the event loop the first one
 * needs to finish, so it waits out the busy timeout and fails. Separate processes (cluster
 * workers) are fine.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  SqliteAdapter,
  type SqliteDatabase,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type SqliteStatement,
} from 'kysely';
import { integerOption } from './arguments.ts';

/** The path `node:sqlite` understands as a private, in-memory database. */
export const SQLITE_MEMORY = ':memory:';

export interface OpenSqliteOptions {
  /**
   * How long a statement waits for another process's lock before failing with `SQLITE_BUSY`.
   * @default 5000
   */
  readonly busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) a SQLite database file set up for a server:
 * WAL journal (readers never block the writer), `synchronous = NORMAL` (no fsync per commit;
 * in WAL mode a power cut can lose the last commits but never corrupts the file), foreign keys
 * on, and a busy timeout. A missing parent directory is created (mode 0700) and a new file gets mode
 * 0600: it holds password hashes.
 *
 * @param path A file path, or `:memory:` for a private database that lives as long as the handle.
 * @example
 * const sqlite = openSqliteFile('./data/gatehouse.db', { busyTimeoutMs: 5000 });
 */
export function openSqliteFile(path: string, options: OpenSqliteOptions = {}): DatabaseSync {
  const busyTimeoutMs = integerOption('busyTimeoutMs', options.busyTimeoutMs, {
    fallback: 5000,
    min: 0,
    max: 2_147_483_647,
  });
  const inMemory = path === SQLITE_MEMORY;
  const isNewFile = !inMemory && !existsSync(path);
  if (!inMemory) mkdirSync(dirname(resolve(path)), { recursive: true, mode: 0o700 });

  const database = new DatabaseSync(path);
  try {
    // The busy timeout first: switching to WAL needs a lock another process may hold.
    database.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    database.exec('PRAGMA journal_mode = WAL');
    database.exec('PRAGMA synchronous = NORMAL');
    database.exec('PRAGMA foreign_keys = ON');
    // SQLite gives the -wal and -shm files the main file's mode, so this covers them too.
    if (isNewFile) chmodSync(path, 0o600);
  } catch (error) {
    database.close();
    throw error;
  }
  return database;
}

/**
 * Wraps a `node:sqlite` database in the shape Kysely's `SqliteDriver` expects.
 *
 * - `reader` (better-sqlite3's "returns rows" flag) is `statement.columns().length > 0`, which
 *   holds for `SELECT`, `RETURNING` and value-returning pragmas.
 * - Booleans are bound as 1/0 (`node:sqlite` refuses to bind them).
 * - Rows are plain objects, as `pg` returns them.
 * - `close()` is idempotent.
 *
 * Prepared statements are cached by SQL text (preparing costs most of a simple query). SQLite
 * re-prepares a cached statement by itself after a schema change (ours or another process's
 * migration), and `node:sqlite` names a row's columns as each row is read, so a cached
 * `select *` returns the new columns (sqlite-dialect.test.ts). Nothing is
 * checked before each query (a `PRAGMA schema_version` read there cost more than the user read
 * it guarded); a statement that fails is dropped from the cache, so the next call prepares it
 * afresh. Streaming (`iterate`) uses a statement of its own, so two interleaved streams never
 * share one.
 */
export function toKyselySqliteDatabase(database: DatabaseSync): SqliteDatabase {
  const cache = new Map<string, { statement: StatementSync; reader: boolean }>();

  function cached(sql: string): { statement: StatementSync; reader: boolean } {
    let entry = cache.get(sql);
    if (!entry) {
      const statement = database.prepare(sql);
      entry = { statement, reader: statement.columns().length > 0 };
      // Bounded: generated SQL has few shapes, but an app's own queries could have many.
      if (cache.size >= MAX_CACHED_STATEMENTS) cache.clear();
      cache.set(sql, entry);
    }
    return entry;
  }

  /** A failed statement (a constraint, or a schema it no longer fits) is prepared afresh next time. */
  function forgetOnFailure<T>(sql: string, run: () => T): T {
    try {
      return run();
    } catch (error) {
      cache.delete(sql);
      throw error;
    }
  }

  return {
    prepare(sql: string): SqliteStatement {
      const { statement, reader } = cached(sql);
      return {
        reader,
        all: (parameters) =>
          forgetOnFailure(sql, () => statement.all(...bindable(parameters)).map(toPlainObject)),
        run: (parameters) => forgetOnFailure(sql, () => statement.run(...bindable(parameters))),
        *iterate(parameters) {
          const own = database.prepare(sql);
          for (const row of own.iterate(...bindable(parameters))) yield toPlainObject(row);
        },
      };
    },
    close(): void {
      cache.clear();
      if (database.isOpen) database.close();
    },
  };
}

const MAX_CACHED_STATEMENTS = 512;

/**
 * `node:sqlite` returns null-prototype rows; `pg` and better-sqlite3 return plain objects.
 * Copy (spread defines own data properties, so even a `__proto__` column stays a column) so
 * that rows compare and behave the same on both dialects.
 */
function toPlainObject(row: Record<string, unknown>): Record<string, unknown> {
  return { ...row };
}

function bindable(parameters: ReadonlyArray<unknown>): SQLInputValue[] {
  return parameters.map((value) => (typeof value === 'boolean' ? (value ? 1 : 0) : (value as SQLInputValue)));
}

/** Kysely's SQLite driver, with write transactions that take the write lock when they begin. */
class ImmediateTransactionSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/** Kysely's SQLite adapter, telling the migrator that DDL can run inside a transaction. */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/**
 * A Kysely dialect over a `node:sqlite` database (see the module comment for how it differs
 * from Kysely's `SqliteDialect`). `Kysely#destroy()` closes the database.
 *
 * @example
 * const db = new Kysely<DatabaseSchema>({
 *   dialect: createNodeSqliteDialect(openSqliteFile('./data/gatehouse.db')),
 * });
 */
export function createNodeSqliteDialect(database: DatabaseSync | SqliteDatabase): Dialect {
  const adapted = database instanceof DatabaseSync ? toKyselySqliteDatabase(database) : database;
  return {
    createDriver: (): Driver => new ImmediateTransactionSqliteDriver({ database: adapted }),
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createAdapter: () => new TransactionalDdlSqliteAdapter(),
    createIntrospector: (db: Kysely<unknown>) => new SqliteIntrospector(db),
  };
}
