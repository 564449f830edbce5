/**
 * Opening the SQL database Gatehouse keeps durable data in, from one URL:
 * `sqlite:<path>`, `sqlite::memory:`, a plain file path, or `postgres://` / `postgresql://`.
 */
import { Kysely, type LogEvent, sql } from 'kysely';
import { StoreError } from '../contract.ts';
import { invalidArgument } from './arguments.ts';
import { createPostgresDialect, createPostgresPool, describePostgresUrl } from './postgres-dialect.ts';
import type { DatabaseSchema } from './schema.ts';
import {
  createNodeSqliteDialect,
  openSqliteFile,
  SQLITE_MEMORY,
  toKyselySqliteDatabase,
} from './sqlite-dialect.ts';

/** The SQL dialects Gatehouse runs on. */
export type SqlDialectName = 'sqlite' | 'postgres';

/** An open database, with what Gatehouse needs to run, check and release it. */
export interface Database {
  /** The Kysely instance over Gatehouse's tables. */
  readonly db: Kysely<DatabaseSchema>;
  readonly dialect: SqlDialectName;
  /**
   * For logs and `gatehouse doctor`, e.g. `sqlite (./data/gatehouse.db)` or
   * `postgres (db.internal:5432/auth)`. Never contains a user name or password.
   */
  describe(): string;
  /** Runs `select 1`; rejects with a `StoreError` (`unavailable`) when the database does not answer. */
  ping(): Promise<void>;
  /** Releases the connection(s) this object opened. Idempotent. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /**
   * `sqlite:<path>`, `sqlite::memory:`, a plain file path (SQLite), or
   * `postgres://user:password@host:port/database` (also `postgresql://`).
   */
  readonly url: string;
  /**
   * Told of every statement's duration and whether it failed (metrics); never of its SQL or
   * parameters. Must not throw.
   */
  readonly onQuery?: (event: { readonly durationMs: number; readonly failed: boolean }) => void;
  /**
   * PostgreSQL: most pooled connections.
   * @default 10
   */
  readonly poolSize?: number;
  /**
   * SQLite: how long a statement waits for another process's lock.
   * @default 5000
   */
  readonly busyTimeoutMs?: number;
  /**
   * PostgreSQL: how long opening a connection may take.
   * @default 5000
   */
  readonly connectTimeoutMs?: number;
  /**
   * PostgreSQL: server-side limit per statement.
   * @default 10000
   */
  readonly statementTimeoutMs?: number;
  /**
   * PostgreSQL: told when a pooled connection fails outside a statement, idle or lent out (it
   * is then dropped and replaced); without it such failures are ignored, never fatal.
   */
  readonly onIdleConnectionError?: (error: Error) => void;
}

/** Where a database URL points, once parsed. */
export type DatabaseTarget =
  | { readonly dialect: 'sqlite'; readonly path: string }
  | { readonly dialect: 'postgres'; readonly url: string };

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
const WINDOWS_DRIVE = /^[a-z]:[\\/]/i;

/**
 * Tells a SQLite path from a PostgreSQL URL.
 *
 * @throws TypeError for an empty string or an unsupported scheme; the message names at most
 * the scheme, never the rest of the URL (it may hold credentials).
 */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (typeof url !== 'string')
    throw invalidArgument('The database URL must be a string', 'ERR_INVALID_ARG_TYPE');
  const trimmed = url.trim();
  if (trimmed === '') throw invalidArgument('The database URL is empty', 'ERR_INVALID_ARG_VALUE');
  if (trimmed === SQLITE_MEMORY) return { dialect: 'sqlite', path: SQLITE_MEMORY };

  const scheme = WINDOWS_DRIVE.test(trimmed) ? undefined : SCHEME.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined) return { dialect: 'sqlite', path: trimmed };
  if (scheme === 'postgres' || scheme === 'postgresql') {
    describePostgresUrl(trimmed); // throws a non-echoing TypeError when unparseable
    return { dialect: 'postgres', url: trimmed };
  }
  if (scheme === 'sqlite') {
    // `sqlite:path`, `sqlite::memory:`, and the URL-ish `sqlite://path` / `sqlite:///abs/path`.
    let path = trimmed.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '') throw invalidArgument('The SQLite URL has no file path', 'ERR_INVALID_ARG_VALUE');
    return { dialect: 'sqlite', path };
  }
  throw invalidArgument(
    `Unsupported database URL scheme "${scheme}:"; use sqlite:<path>, a file path, or postgres://`,
    'ERR_INVALID_ARG_VALUE',
  );
}

/**
 * Opens the database a URL names. Async because PostgreSQL support (`pg`) is a peer dependency
 * loaded only when a PostgreSQL URL is used.
 *
 * SQLite opens the file at once (creating it and its directory), so a bad path fails here.
 * PostgreSQL connects on the first query; call `ping()` to check the server at startup.
 *
 * @throws TypeError for a malformed or unsupported URL or option (never echoing credentials);
 * Error `ERR_GATEHOUSE_MISSING_PEER` when a PostgreSQL URL is used without `pg` installed.
 * @example
 * const database = await openDatabase({ url: 'sqlite:./data/gatehouse.db' });
 * await migrateUp(database);
 * // ...
 * await database.close();
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options === null || typeof options !== 'object') {
    throw invalidArgument('openDatabase expects an options object with a url', 'ERR_INVALID_ARG_TYPE');
  }
  const target = parseDatabaseUrl(options.url);

  if (target.dialect === 'sqlite') {
    const sqlite = toKyselySqliteDatabase(
      openSqliteFile(
        target.path,
        options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs },
      ),
    );
    const db = new Kysely<DatabaseSchema>({ dialect: createNodeSqliteDialect(sqlite), ...queryLog(options) });
    return createDatabase(db, 'sqlite', {
      description: `sqlite (${target.path})`,
      // Kysely closes the file only if a query ever ran, so close it here as well (idempotent).
      release: async () => {
        await db.destroy();
        sqlite.close();
      },
    });
  }

  const pool = await createPostgresPool(target.url, {
    ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
    ...(options.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: options.statementTimeoutMs }),
    ...(options.onIdleConnectionError === undefined
      ? {}
      : { onIdleConnectionError: options.onIdleConnectionError }),
  });
  const db = new Kysely<DatabaseSchema>({ dialect: createPostgresDialect(pool), ...queryLog(options) });
  return createDatabase(db, 'postgres', {
    description: `postgres (${describePostgresUrl(target.url)})`,
    release: async () => {
      await db.destroy();
    },
  });
}

/** Kysely's `log` hook, when the caller wants statement timings. */
function queryLog(options: OpenDatabaseOptions): { log?: (event: LogEvent) => void } {
  const onQuery = options.onQuery;
  if (!onQuery) return {};
  return {
    log: (event) => onQuery({ durationMs: event.queryDurationMillis, failed: event.level === 'error' }),
  };
}

/**
 * Wraps a Kysely instance the application built itself (its own pool, dialect or plugins),
 * so Gatehouse and the migrations can use it. The application owns it: `close()` leaves it open.
 *
 * @param dialect Which SQL the instance speaks; Gatehouse's SQL must match it.
 * @example
 * const database = wrapDatabase(new Kysely({ dialect: new PostgresDialect({ pool }) }), 'postgres');
 */
// biome-ignore lint/suspicious/noExplicitAny: accepts a Kysely over any application schema, as Kysely's own Migrator does.
export function wrapDatabase(db: Kysely<any>, dialect: SqlDialectName): Database {
  // Duck-typed: the application may resolve its own copy of kysely, so `instanceof` could fail.
  const candidate = db as { selectFrom?: unknown; getExecutor?: unknown } | null;
  if (typeof candidate?.selectFrom !== 'function' || typeof candidate.getExecutor !== 'function') {
    throw invalidArgument('wrapDatabase expects a Kysely instance', 'ERR_INVALID_ARG_TYPE');
  }
  if (dialect !== 'sqlite' && dialect !== 'postgres') {
    throw invalidArgument('dialect must be "sqlite" or "postgres"', 'ERR_INVALID_ARG_VALUE');
  }
  return createDatabase(db as Kysely<DatabaseSchema>, dialect, {
    description: `${dialect} (application-provided Kysely instance)`,
    release: async () => {},
  });
}

function createDatabase(
  db: Kysely<DatabaseSchema>,
  dialect: SqlDialectName,
  options: { description: string; release: () => Promise<void> },
): Database {
  let closing: Promise<void> | undefined;
  return Object.freeze({
    db,
    dialect,
    describe: () => options.description,
    async ping(): Promise<void> {
      try {
        await sql`select 1`.execute(db);
      } catch (error) {
        // Fixed message: driver errors can carry host names and other connection details.
        throw new StoreError('unavailable', 'The SQL database did not answer', { cause: error });
      }
    },
    close(): Promise<void> {
      closing ??= options.release();
      return closing;
    },
  });
}
