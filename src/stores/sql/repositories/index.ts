/**
 * The durable repositories (users, sessions, recovery codes, audit events) over one SQL database, written once
 * for SQLite and PostgreSQL.
 */
import type { Repositories } from '../../repositories.ts';
import { invalidArgument } from '../arguments.ts';
import type { Database } from '../database.ts';
import { createAuditRepository } from './audit.ts';
import { createOAuthAccountRepository } from './oauth-accounts.ts';
import { createRecoveryCodeRepository } from './recovery-codes.ts';
import { createSessionRepository } from './sessions.ts';
import { createUserRepository } from './users.ts';

export { MAX_AUDIT_LIST_LIMIT } from './audit.ts';
export { SqlRepositoryError } from './failures.ts';

/**
 * Builds every repository over an open, migrated database. The repositories share its
 * connection (SQLite) or pool (PostgreSQL) and open nothing of their own.
 *
 * Failures: a database that cannot do the work (unreachable, closed, timed out, locked, full)
 * rejects with a `StoreError`; a statement that fails for another reason, or a stored row that
 * cannot be read, rejects with a {@link SqlRepositoryError}. Neither message holds SQL or values.
 *
 * @example
 * const database = await openDatabase({ url: 'sqlite:./data/gatehouse.db' });
 * await migrateUp(database);
 * const repositories = createSqlRepositories(database);
 * const user = await repositories.users.findByEmail('ada@example.com');
 */
export function createSqlRepositories(database: Database): Repositories {
  if (database === null || typeof database !== 'object' || database.db === undefined) {
    throw invalidArgument('createSqlRepositories expects an open Database', 'ERR_INVALID_ARG_TYPE');
  }
  return Object.freeze({
    users: Object.freeze(createUserRepository(database.db)),
    sessions: Object.freeze(createSessionRepository(database.db, database.dialect)),
    recoveryCodes: Object.freeze(createRecoveryCodeRepository(database.db)),
    oauthAccounts: Object.freeze(createOAuthAccountRepository(database.db, database.dialect)),
    audit: Object.freeze(createAuditRepository(database.db)),
  });
}
