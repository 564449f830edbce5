import type { Selectable } from 'kysely';
import {
  constraintViolation,
  epoch,
  fromSqlBoolean,
  guarded,
  optionalEpoch,
  removeUnlessLastWayIn,
  type SqlDatabaseHandle,
  stringArray,
  toJsonArray,
  toSqlBoolean,
} from '../../stores/sql/kit.ts';
import type { Passkey, PasskeyRepository } from './repository.ts';
import type { PasskeysTable, PasskeyTables } from './tables.ts';

function passkeyFromRow(row: Selectable<PasskeysTable>): Passkey {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    publicKey: row.public_key,
    counter: Number(row.counter),
    transports: stringArray(row.transports, 'passkeys.transports'),
    deviceType: row.device_type,
    backupEligible: fromSqlBoolean(Number(row.backup_eligible)),
    backedUp: fromSqlBoolean(Number(row.backed_up)),
    aaguid: row.aaguid,
    createdAt: epoch(row.created_at),
    lastUsedAt: optionalEpoch(row.last_used_at),
  };
}

/** Passkeys on SQL (SQLite and PostgreSQL alike). */
export function createPasskeyRepository(database: SqlDatabaseHandle): PasskeyRepository {
  const db = database.kysely<PasskeyTables>();
  const { dialect } = database;

  return {
    create: (passkey, { maxPerUser }) =>
      guarded(async () => {
        try {
          return await db.transaction().execute(async (trx) => {
            let owner = trx.selectFrom('users').select(['id']).where('id', '=', passkey.userId);
            if (dialect === 'postgres') owner = owner.forUpdate();
            if (!(await owner.executeTakeFirst())) return 'no_user' as const;
            const count = await trx
              .selectFrom('passkeys')
              .select((eb) => eb.fn.countAll<number | string>().as('count'))
              .where('user_id', '=', passkey.userId)
              .executeTakeFirstOrThrow();
            if (Number(count.count) >= maxPerUser) return 'limit' as const;
            const row = await trx
              .insertInto('passkeys')
              .values({
                id: passkey.id,
                user_id: passkey.userId,
                name: passkey.name,
                public_key: passkey.publicKey,
                counter: passkey.counter,
                transports: toJsonArray(passkey.transports),
                device_type: passkey.deviceType,
                backup_eligible: toSqlBoolean(passkey.backupEligible),
                backed_up: toSqlBoolean(passkey.backedUp),
                aaguid: passkey.aaguid,
                created_at: passkey.now,
                last_used_at: null,
              })
              .returningAll()
              .executeTakeFirstOrThrow();
            return passkeyFromRow(row);
          });
        } catch (error) {
          // The credential id is the primary key: registered already, to this user or another.
          if (constraintViolation(error) === 'unique') return 'duplicate' as const;
          throw error;
        }
      }),

    findById: (id) =>
      guarded(async () => {
        const row = await db.selectFrom('passkeys').selectAll().where('id', '=', id).executeTakeFirst();
        return row ? passkeyFromRow(row) : null;
      }),

    listForUser: (userId) =>
      guarded(async () => {
        const rows = await db
          .selectFrom('passkeys')
          .selectAll()
          .where('user_id', '=', userId)
          .orderBy('created_at')
          .orderBy('id')
          .execute();
        return rows.map(passkeyFromRow);
      }),

    rename: (userId, id, name) =>
      guarded(async () => {
        const row = await db
          .updateTable('passkeys')
          .set({ name })
          .where('id', '=', id)
          .where('user_id', '=', userId)
          .returningAll()
          .executeTakeFirst();
        return row ? passkeyFromRow(row) : null;
      }),

    recordUse: (id, use) =>
      guarded(async () => {
        const result = await db
          .updateTable('passkeys')
          .set({ counter: use.counter, backed_up: toSqlBoolean(use.backedUp), last_used_at: use.at })
          .where('id', '=', id)
          .where('counter', '=', use.expectedCounter)
          .executeTakeFirst();
        return Number(result.numUpdatedRows) === 1;
      }),

    remove: (userId, id, waysIn) =>
      guarded(() =>
        removeUnlessLastWayIn(db, userId, waysIn, async (trx) => {
          let owner = trx.selectFrom('users').select(['id']).where('id', '=', userId);
          if (dialect === 'postgres') owner = owner.forUpdate();
          if (!(await owner.executeTakeFirst())) return 'not_found';
          const deleted = await trx
            .deleteFrom('passkeys')
            .where('id', '=', id)
            .where('user_id', '=', userId)
            .executeTakeFirst();
          return Number(deleted.numDeletedRows) === 0 ? 'not_found' : 'removed';
        }),
      ),
  };
}
