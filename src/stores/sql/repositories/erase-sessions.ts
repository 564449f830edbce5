import { sql, type Transaction } from 'kysely';
import { revocationGroupOf } from '../../../crypto/revocation-group.ts';

/** The columns this function touches; any schema that has them (the core's, a feature's narrower view) may call it. */
type SessionTables = {
  sessions: { id: string; user_id: string; revoked_at: number | null };
  deleted_sessions: { session_id: string; revoked_at: number; revocation_group: number | null };
  session_consumed_digests: { session_id: string };
};

/**
 * Removes a user's sessions inside the caller's transaction, leaving a tombstone for each
 * revoked one. The one rule for every way a user is erased (the users repository's delete, an
 * admin's hard delete): after Redis loses its data, the denylist is rebuilt from SQL, and the
 * revoked sessions' access tokens must stay refused until they expire. A tombstone holds the
 * session id, the time and the revocation group (0-1023), nothing of the user.
 */
export async function eraseSessionsOf<DB extends SessionTables>(
  transaction: Transaction<DB>,
  userId: string,
): Promise<void> {
  // Kysely's schema parameter is invariant; DB has at least these columns, which is all used here.
  const trx = transaction as unknown as Transaction<SessionTables>;
  const sessionIds = trx.selectFrom('sessions').select('id').where('user_id', '=', userId);
  await trx
    .insertInto('deleted_sessions')
    .columns(['session_id', 'revoked_at', 'revocation_group'])
    .expression(
      trx
        .selectFrom('sessions')
        .select(['id', 'revoked_at', sql.lit(revocationGroupOf(userId)).as('revocation_group')])
        .where('user_id', '=', userId)
        .where('revoked_at', 'is not', null)
        .$narrowType<{ revoked_at: number }>(),
    )
    .onConflict((conflict) => conflict.column('session_id').doNothing())
    .execute();
  await trx.deleteFrom('session_consumed_digests').where('session_id', 'in', sessionIds).execute();
  // The foreign keys cascade this, but a SQLite connection the application opened itself may
  // have foreign keys off; a deleted user's sessions must not live on.
  await trx.deleteFrom('sessions').where('user_id', '=', userId).execute();
}
