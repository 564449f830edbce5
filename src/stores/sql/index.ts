/**
 * `gatehouse/sql`: the SQL database for durable data (users, sessions, audit events), on
 * SQLite through `node:sqlite` (the embedded default) or PostgreSQL through `pg` (a peer
 * dependency, loaded only for a PostgreSQL URL).
 *
 * @example
 * import { createSqlRepositories, migrateUp, openDatabase } from 'gatehouse/sql';
 *
 * const database = await openDatabase({ url: process.env.DATABASE_URL ?? 'sqlite:./data/gatehouse.db' });
 * await migrateUp(database);
 * const { users, sessions, audit } = createSqlRepositories(database);
 */
export {
  type Database,
  type OpenDatabaseOptions,
  openDatabase,
  type SqlDialectName,
  wrapDatabase,
} from './database.ts';
export { isDatabaseUnreachable } from './errors.ts';
export {
  MigrationError,
  type MigrationState,
  migrateUp,
  migrationStatus,
  pendingMigrations,
} from './migrate.ts';
export { createSqlRepositories, SqlRepositoryError } from './repositories/index.ts';
export {
  type AuditEventRow,
  type AuditEventsTable,
  type ConsumedDigestRow,
  type DatabaseSchema,
  type EpochMs,
  fromSqlBoolean,
  type NewAuditEventRow,
  type NewSessionRow,
  type NewUserRow,
  type SessionConsumedDigestsTable,
  type SessionKind,
  type SessionRow,
  type SessionRowUpdate,
  type SessionsTable,
  type SqlBoolean,
  toSqlBoolean,
  type UserRow,
  type UserRowUpdate,
  type UsersTable,
} from './schema.ts';
