/**
 * Applying Gatehouse's schema migrations (Kysely's `Migrator` over a static list).
 *
 * Safe to run from many processes at once: on PostgreSQL Kysely holds an advisory lock for the
 * run; on SQLite (our dialect) the run is one `BEGIN IMMEDIATE` transaction, so a second
 * process waits for the first and then finds nothing pending. Either way each migration is
 * applied exactly once, and a failed run leaves the schema as it was.
 */
import { type Kysely, type Migration, Migrator, sql } from 'kysely';
import type { Database } from './database.ts';
import { gatehouseMigrations } from './migrations/index.ts';
import { type DatabaseSchema, MIGRATION_LOCK_TABLE, MIGRATION_TABLE } from './schema.ts';

/** A migration run failed; nothing of the failing migration was kept. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  readonly code = 'ERR_GATEHOUSE_MIGRATION_FAILED';
  /** The migration that failed, or `null` when the run failed before reaching one. */
  readonly migration: string | null;

  constructor(migration: string | null, options: { cause: unknown }) {
    super(
      migration === null
        ? 'Could not run the Gatehouse migrations (see cause)'
        : `Gatehouse migration "${migration}" failed and was rolled back (see cause)`,
      { cause: options.cause },
    );
    this.migration = migration;
  }
}

/** One migration and when it was applied (`null` while pending). */
export interface MigrationState {
  readonly name: string;
  readonly appliedAt: Date | null;
}

/** Migrations of the application's features, by name, built for the database's dialect. */
export type ExtraMigrations = Readonly<
  Record<string, (context: { readonly dialect: 'sqlite' | 'postgres' }) => Migration>
>;

/** Gatehouse's migrations followed by `extra` (features' own); a name used twice is refused. */
function allMigrations(database: Database, extra: ExtraMigrations = {}): Record<string, Migration> {
  const context = { dialect: database.dialect };
  const migrations = gatehouseMigrations(context);
  for (const [name, build] of Object.entries(extra)) {
    if (Object.hasOwn(migrations, name)) throw new TypeError(`migration ${name} is declared twice`);
    migrations[name] = build(context);
  }
  return migrations;
}

/**
 * Applies every pending migration, in name order (with `extra`, the features' own migrations).
 *
 * @returns the names applied by this call (empty when the schema was already current).
 * @throws MigrationError naming the failing migration (the underlying error is its `cause`).
 * @example
 * const { applied } = await migrateUp(database);
 */
export async function migrateUp(database: Database, extra?: ExtraMigrations): Promise<{ applied: string[] }> {
  return runMigrations(database, allMigrations(database, extra));
}

/** Every known migration, in order, with when it was applied. */
export async function migrationStatus(
  database: Database,
  extra?: ExtraMigrations,
): Promise<MigrationState[]> {
  return statusOf(database, allMigrations(database, extra));
}

/** Names of the migrations not applied yet, in the order `migrateUp` would apply them. */
export async function pendingMigrations(database: Database, extra?: ExtraMigrations): Promise<string[]> {
  const states = await migrationStatus(database, extra);
  return states.filter((state) => state.appliedAt === null).map((state) => state.name);
}

/**
 * {@link migrateUp} over a given set of migrations (tests use it to inject a failing one).
 * @internal
 */
export async function runMigrations(
  database: Database,
  migrations: Record<string, Migration>,
): Promise<{ applied: string[] }> {
  const outcome = await database.db.connection().execute(async (connection) => {
    // A schema change on a large table, or waiting for another process's migration lock, can
    // outlast the pool's per-statement limit; lift it on this connection only.
    if (database.dialect === 'postgres') await sql`set statement_timeout = 0`.execute(connection);
    try {
      return await createMigrator(connection, atomicMigrations(migrations)).migrateToLatest();
    } finally {
      if (database.dialect === 'postgres') {
        // A failure here means the connection is broken, and the pool discards broken ones.
        await sql`reset statement_timeout`.execute(connection).catch(() => {});
      }
    }
  });

  if (outcome.error !== undefined) {
    const failed = outcome.results?.find((result) => result.status === 'Error')?.migrationName ?? null;
    throw new MigrationError(failed, { cause: outcome.error });
  }
  return {
    applied: (outcome.results ?? [])
      .filter((result) => result.status === 'Success')
      .map((result) => result.migrationName),
  };
}

/** {@link migrationStatus} over a given set of migrations. @internal */
export async function statusOf(
  database: Database,
  migrations: Record<string, Migration>,
): Promise<MigrationState[]> {
  const infos = await createMigrator(database.db, migrations).getMigrations();
  return infos.map((info) => ({ name: info.name, appliedAt: info.executedAt ?? null }));
}

function createMigrator(db: Kysely<DatabaseSchema>, migrations: Record<string, Migration>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}

/**
 * Our dialects run the whole migration run in one transaction. An application-provided SQLite
 * Kysely (e.g. Kysely's better-sqlite3 dialect) does not, so give each migration its own
 * transaction there: a failing migration then never leaves half its changes behind.
 */
function atomicMigrations(migrations: Record<string, Migration>): Record<string, Migration> {
  const inTransaction =
    (step: (db: Kysely<unknown>) => Promise<void>) =>
    (db: Kysely<unknown>): Promise<void> =>
      db.isTransaction ? step(db) : db.transaction().execute((trx) => step(trx));
  return Object.fromEntries(
    Object.entries(migrations).map(([name, migration]) => [
      name,
      {
        up: inTransaction((db) => migration.up(db)),
        ...(migration.down === undefined ? {} : { down: inTransaction((db) => migration.down!(db)) }),
      },
    ]),
  );
}
