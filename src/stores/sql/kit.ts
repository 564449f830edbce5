/**
 * The SQL kit a feature builds its own repository on: the database handle (the open Kysely
 * instance and its dialect, typed by the tables the feature names), the error mapping every
 * repository uses (unreachable or out of resources → `StoreError`, answered 503; any other
 * statement failure or an unreadable row → `SqlRepositoryError`, answered 500, with codes and
 * schema names only), and the row helpers the repositories share (epoch times, JSON lists,
 * 0/1 booleans). It is the one file of the SQL store that features may import: a feature owns
 * its tables and migrations without reaching into the store's own repositories.
 */
import type { Kysely } from 'kysely';
import type { Database, SqlDialectName } from './database.ts';

/**
 * The open database as a feature sees it. `kysely<Tables>()` is the shared connection (SQLite)
 * or pool (PostgreSQL) typed by the tables the caller declares: the feature's own, and the
 * columns it reads of another table (e.g. `users.id`), nothing more.
 *
 * @example
 * interface WidgetTables { widgets: { id: string; created_at: number } }
 * const db = context.database.kysely<WidgetTables>();
 * await guarded(() => db.insertInto('widgets').values({ id, created_at: now }).execute());
 */
export interface SqlDatabaseHandle {
  /** Which SQL the database speaks, for the rare statement that differs (`FOR UPDATE`). */
  readonly dialect: SqlDialectName;
  kysely<Tables>(): Kysely<Tables>;
}

/** The handle over an open database (createAuth builds one and passes it to every feature). */
export function sqlDatabaseHandle(database: Database): SqlDatabaseHandle {
  const db = database.db as unknown;
  return Object.freeze({
    dialect: database.dialect,
    kysely: <Tables>() => db as Kysely<Tables>,
  });
}

/** A removal's transaction as a sign-in method source reads it: typed by the source's own tables. */
export function transactionOf<Tables>(within: unknown): Kysely<Tables> {
  return within as unknown as Kysely<Tables>;
}

export type { SqlDialectName } from './database.ts';
export { type ConstraintViolation, constraintViolation } from './errors.ts';
export { deleteBatch, type PruneBatchSpec } from './prune-batch.ts';
export { eraseSessionsOf } from './repositories/erase-sessions.ts';
export { guarded, malformedRow, SqlRepositoryError, toRepositoryError } from './repositories/failures.ts';
export { removeUnlessLastWayIn } from './repositories/last-way-in.ts';
export { epoch, optionalEpoch, stringArray, toJsonArray } from './repositories/rows.ts';
export { type EpochMs, fromSqlBoolean, type SqlBoolean, toSqlBoolean } from './schema.ts';
