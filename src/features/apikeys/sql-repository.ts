import type { Selectable } from 'kysely';
import {
  epoch,
  guarded,
  optionalEpoch,
  type SqlDatabaseHandle,
  stringArray,
  toJsonArray,
} from '../../stores/sql/kit.ts';
import type { ApiKey, ApiKeyRepository } from './repository.ts';
import type { ApiKeysTable, ApiKeyTables } from './tables.ts';

function keyFromRow(row: Selectable<ApiKeysTable>): ApiKey {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    env: row.env,
    scopes: stringArray(row.scopes, 'api_keys.scopes'),
    signing: row.signing_secret !== null,
    createdAt: epoch(row.created_at),
    expiresAt: epoch(row.expires_at),
    revokedAt: optionalEpoch(row.revoked_at),
    lastUsedAt: optionalEpoch(row.last_used_at),
  };
}

/**
 * API keys on SQL. `create` counts the user's live keys and inserts in one transaction that
 * first locks the user's row (PostgreSQL `FOR UPDATE`; SQLite runs writers one at a time), so
 * concurrent creations cannot pass the per-user cap together.
 */
export function createApiKeyRepository(database: SqlDatabaseHandle): ApiKeyRepository {
  const db = database.kysely<ApiKeyTables>();
  const { dialect } = database;
  const owned = (userId: string, id: string) =>
    db.selectFrom('api_keys').selectAll().where('id', '=', id).where('user_id', '=', userId);

  return {
    create: (key, { maxActive }) =>
      guarded(() =>
        db.transaction().execute(async (trx) => {
          let owner = trx.selectFrom('users').select(['id']).where('id', '=', key.userId);
          if (dialect === 'postgres') owner = owner.forUpdate();
          if (!(await owner.executeTakeFirst())) return null;
          const live = await trx
            .selectFrom('api_keys')
            .select((eb) => eb.fn.countAll<number | string>().as('count'))
            .where('user_id', '=', key.userId)
            .where('revoked_at', 'is', null)
            .where('expires_at', '>', key.now)
            .executeTakeFirstOrThrow();
          if (Number(live.count) >= maxActive) return null;
          const row = await trx
            .insertInto('api_keys')
            .values({
              id: key.id,
              user_id: key.userId,
              name: key.name,
              env: key.env,
              scopes: toJsonArray(key.scopes),
              secret_digest: key.secretDigest,
              signing_secret: key.signingSecret,
              created_at: key.now,
              expires_at: key.expiresAt,
              revoked_at: null,
              last_used_at: null,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          return keyFromRow(row);
        }),
      ),

    findCredential: (id) =>
      guarded(async () => {
        const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) return null;
        return { key: keyFromRow(row), secretDigest: row.secret_digest, signingSecret: row.signing_secret };
      }),

    listForUser: (userId) =>
      guarded(async () => {
        const rows = await db
          .selectFrom('api_keys')
          .selectAll()
          .where('user_id', '=', userId)
          .orderBy('created_at', 'desc')
          .orderBy('id')
          .execute();
        return rows.map(keyFromRow);
      }),

    findForUser: (userId, id) =>
      guarded(async () => {
        const row = await owned(userId, id).executeTakeFirst();
        return row ? keyFromRow(row) : null;
      }),

    update: (userId, id, changes) =>
      guarded(async () => {
        const set: { name?: string; scopes?: string } = {};
        if (changes.name !== undefined) set.name = changes.name;
        if (changes.scopes !== undefined) set.scopes = toJsonArray(changes.scopes);
        if (Object.keys(set).length > 0) {
          await db
            .updateTable('api_keys')
            .set(set)
            .where('id', '=', id)
            .where('user_id', '=', userId)
            .execute();
        }
        const row = await owned(userId, id).executeTakeFirst();
        return row ? keyFromRow(row) : null;
      }),

    revoke: (userId, id, now) =>
      guarded(async () => {
        await db
          .updateTable('api_keys')
          .set({ revoked_at: now })
          .where('id', '=', id)
          .where('user_id', '=', userId)
          .where('revoked_at', 'is', null)
          .execute();
        const row = await owned(userId, id).executeTakeFirst();
        return row ? keyFromRow(row) : null;
      }),

    touch: (id, now) =>
      guarded(async () => {
        await db
          .updateTable('api_keys')
          .set({ last_used_at: now })
          .where('id', '=', id)
          .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', now)]))
          .execute();
      }),
  };
}
