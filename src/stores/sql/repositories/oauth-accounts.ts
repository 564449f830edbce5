import type { Kysely, Selectable } from 'kysely';
import type { OAuthAccount, OAuthAccountRepository } from '../../repositories.ts';
import type { SqlDialectName } from '../database.ts';
import { constraintViolation } from '../errors.ts';
import type { DatabaseSchema, OAuthAccountsTable } from '../schema.ts';
import { guarded } from './failures.ts';
import { removeUnlessLastWayIn } from './last-way-in.ts';
import { epoch } from './rows.ts';

function accountFromRow(row: Selectable<OAuthAccountsTable>): OAuthAccount {
  return {
    id: row.id,
    userId: row.user_id,
    provider: row.provider,
    subject: row.subject,
    email: row.email,
    createdAt: epoch(row.created_at),
  };
}

/**
 * Provider links on SQL. `unlink` deletes in a transaction that first locks the user's row
 * (PostgreSQL `FOR UPDATE`; SQLite runs writers one at a time anyway) and rolls back when no
 * way in is left (every feature's, counted by the caller's `waysIn`), so two concurrent unlinks
 * of a password-less user's last two links leave one standing.
 */
export function createOAuthAccountRepository(
  db: Kysely<DatabaseSchema>,
  dialect: SqlDialectName,
): OAuthAccountRepository {
  return {
    findByProviderSubject: (provider, subject) =>
      guarded(async () => {
        const row = await db
          .selectFrom('oauth_accounts')
          .selectAll()
          .where('provider', '=', provider)
          .where('subject', '=', subject)
          .executeTakeFirst();
        return row ? accountFromRow(row) : null;
      }),

    listForUser: (userId) =>
      guarded(async () => {
        const rows = await db
          .selectFrom('oauth_accounts')
          .selectAll()
          .where('user_id', '=', userId)
          .orderBy('created_at')
          .orderBy('id')
          .execute();
        return rows.map(accountFromRow);
      }),

    create: (account) =>
      guarded(async () => {
        try {
          const row = await db
            .insertInto('oauth_accounts')
            .values({
              id: account.id,
              user_id: account.userId,
              provider: account.provider,
              subject: account.subject,
              email: account.email,
              access_token: account.accessToken ?? null,
              refresh_token: account.refreshToken ?? null,
              created_at: account.now,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          return accountFromRow(row);
        } catch (error) {
          // Linked already (to this user or another): the caller decides what that means.
          if (constraintViolation(error) === 'unique') return null;
          throw error;
        }
      }),

    unlink: (userId, id, waysIn) =>
      guarded(async () => {
        const outcome = await removeUnlessLastWayIn(db, userId, waysIn, async (trx) => {
          let owner = trx.selectFrom('users').select(['id']).where('id', '=', userId);
          if (dialect === 'postgres') owner = owner.forUpdate();
          if (!(await owner.executeTakeFirst())) return 'not_found';
          const deleted = await trx
            .deleteFrom('oauth_accounts')
            .where('id', '=', id)
            .where('user_id', '=', userId)
            .executeTakeFirst();
          return Number(deleted.numDeletedRows) === 0 ? 'not_found' : 'removed';
        });
        return outcome === 'removed' ? ('unlinked' as const) : outcome;
      }),
  };
}
