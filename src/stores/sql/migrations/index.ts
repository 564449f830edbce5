/**
 * The SQL store's own migrations, in order; features add theirs through their definitions'
 * `migrations` (the API-key feature declares `0005_api_keys`), and createAuth runs the merged
 * list, which Kysely applies in name order. A static list (not a folder scan) so it works the same from the
 * TypeScript sources and from the built package.
 *
 * Rules for new migrations:
 * - Name them `NNNN_description`; Kysely applies them in name order and refuses to run when
 *   an applied name is missing or out of order.
 * - Never edit an applied migration; add a new one.
 * - They run inside one transaction per `migrateUp` call on both dialects, so avoid statements
 *   that cannot (PostgreSQL `CREATE INDEX CONCURRENTLY`, SQLite `PRAGMA foreign_keys`; use
 *   `PRAGMA defer_foreign_keys` for SQLite table rebuilds).
 */
import type { Migration } from 'kysely';
import { initialMigration } from './0001_initial.ts';
import { accessTokensMigration } from './0002_access_tokens.ts';
import { twoFactorMigration } from './0003_two_factor.ts';
import { oauthAccountsMigration } from './0004_oauth_accounts.ts';
import { revocationRebuildMigration } from './0006_revocation_rebuild.ts';
import { totpLastStepMigration } from './0007_totp_last_step.ts';
import { deletedSessionsRevocationGroupMigration } from './0014_deleted_sessions_revocation_group.ts';
import type { MigrationContext } from './context.ts';

export type { MigrationContext } from './context.ts';

/** Builds the migrations for one database, keyed by name. */
export function gatehouseMigrations(context: MigrationContext): Record<string, Migration> {
  return {
    '0001_initial': initialMigration(context),
    '0002_access_tokens': accessTokensMigration(),
    '0003_two_factor': twoFactorMigration(context),
    '0004_oauth_accounts': oauthAccountsMigration(),
    '0006_revocation_rebuild': revocationRebuildMigration(),
    '0007_totp_last_step': totpLastStepMigration(),
    '0014_deleted_sessions_revocation_group': deletedSessionsRevocationGroupMigration(),
  };
}
