import type { Kysely } from 'kysely';
import type { RecoveryCodeRepository } from '../../repositories.ts';
import type { DatabaseSchema } from '../schema.ts';
import { guarded } from './failures.ts';

/**
 * Recovery codes on SQL. `consume` is one conditional UPDATE (`used_at IS NULL`), so of any
 * number of concurrent callers presenting one code exactly one changes the row: SQLite runs
 * writers one at a time, and PostgreSQL's row lock makes the losers re-check `used_at` after
 * the winner commits.
 */
export function createRecoveryCodeRepository(db: Kysely<DatabaseSchema>): RecoveryCodeRepository {
  return {
    replaceAll: (userId, digests, now) =>
      guarded(() =>
        db.transaction().execute(async (trx) => {
          await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
          if (digests.length === 0) return;
          await trx
            .insertInto('recovery_codes')
            .values(digests.map((digest) => ({ digest, user_id: userId, created_at: now, used_at: null })))
            .execute();
        }),
      ),

    consume: (userId, candidates, now) =>
      guarded(async () => {
        if (candidates.length === 0) return false;
        const result = await db
          .updateTable('recovery_codes')
          .set({ used_at: now })
          .where('user_id', '=', userId)
          .where('digest', 'in', [...candidates])
          .where('used_at', 'is', null)
          .executeTakeFirst();
        return Number(result.numUpdatedRows) > 0;
      }),

    countUnused: (userId) =>
      guarded(async () => {
        const row = await db
          .selectFrom('recovery_codes')
          .select((eb) => eb.fn.countAll<number | string>().as('count'))
          .where('user_id', '=', userId)
          .where('used_at', 'is', null)
          .executeTakeFirstOrThrow();
        return Number(row.count);
      }),

    deleteAll: (userId) =>
      guarded(async () => {
        await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      }),
  };
}
