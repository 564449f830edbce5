import type { Kysely, Transaction } from 'kysely';

/**
 * Removes a way in (a provider link, a passkey) unless it is the user's last: `remove` locks the
 * user's row and deletes inside one transaction, then every feature's ways in are counted in
 * that same transaction and none left rolls the deletion back. Two concurrent removals of a
 * user's last two ways in are serialised by the row lock (PostgreSQL) or the single writer
 * (SQLite), so they cannot both pass.
 */
export async function removeUnlessLastWayIn<Tables>(
  db: Kysely<Tables>,
  userId: string,
  waysIn: { count(userId: string, within: unknown): Promise<number> },
  remove: (trx: Transaction<Tables>) => Promise<'removed' | 'not_found'>,
): Promise<'removed' | 'not_found' | 'last_sign_in_method'> {
  const rollback = new Error('last way to sign in');
  try {
    return await db.transaction().execute(async (trx) => {
      const outcome = await remove(trx);
      if (outcome === 'removed' && (await waysIn.count(userId, trx)) === 0) throw rollback;
      return outcome;
    });
  } catch (error) {
    if (error === rollback) return 'last_sign_in_method';
    throw error;
  }
}
