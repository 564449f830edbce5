import { type Kysely, sql, type Transaction } from 'kysely';
import type { User } from '../../stores/repositories.ts';
import {
  epoch,
  eraseSessionsOf,
  fromSqlBoolean,
  guarded,
  optionalEpoch,
  type SqlDatabaseHandle,
  stringArray,
  toJsonArray,
  toSqlBoolean,
} from '../../stores/sql/kit.ts';
import type {
  AccountDeletion,
  AdminChanges,
  AdminRepository,
  ApiKeyMetadata,
  AuditPage,
  GuardedOutcome,
  UserFilter,
} from './repository.ts';
import type { AdminTables } from './tables.ts';

/** The role the last-admin rule protects. */
export const ADMIN_ROLE = 'admin';
/** PostgreSQL advisory lock serialising every change that could remove an active admin. */
const ADMIN_LOCK_KEY = 0x6761_7465; // "gate"

type Db = Kysely<AdminTables>;

function userFromRow(row: Record<string, unknown>): User {
  return {
    id: row.id as string,
    email: row.email as string,
    emailVerifiedAt: optionalEpoch(row.email_verified_at as number | null),
    passwordHash: row.password_hash as string | null,
    name: row.name as string | null,
    isActive: fromSqlBoolean(Number(row.is_active)),
    roles: stringArray(row.roles as string, 'users.roles'),
    securityStamp: row.security_stamp as string,
    totpSecret: row.totp_secret as string | null,
    createdAt: epoch(row.created_at as number),
    updatedAt: epoch(row.updated_at as number),
  };
}

/** `%` and `_` match literally in a LIKE pattern (with `ESCAPE '\'`). */
const likeLiteral = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

const isActiveAdmin = (user: User) => user.isActive && user.roles.includes(ADMIN_ROLE);

/**
 * The admin feature's SQL: the user list (keyset pagination on the UUIDv7 id, so a page never
 * shifts when users are added), the audit list, and the changes that must never leave the
 * service without an active admin. Those run in one transaction that first takes a lock every
 * such change takes (PostgreSQL: an advisory transaction lock; SQLite: `BEGIN IMMEDIATE`, one
 * writer at a time), then counts the other active admins and writes: two admins demoting each
 * other at once are serialised, and the second finds itself the last.
 */
export function createAdminRepository(database: SqlDatabaseHandle): AdminRepository {
  const db: Db = database.kysely<AdminTables>();
  const { dialect } = database;

  async function lockAdmins(trx: Transaction<AdminTables>): Promise<void> {
    if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${ADMIN_LOCK_KEY})`.execute(trx);
  }

  /** Whether removing `userId` from the active admins would leave none. */
  async function wouldLeaveNoAdmin(trx: Transaction<AdminTables>, user: User): Promise<boolean> {
    if (!isActiveAdmin(user)) return false;
    const rows = await trx
      .selectFrom('users')
      .select(['id', 'roles'])
      .where('is_active', '=', 1)
      .where('id', '<>', user.id)
      .where(sql<boolean>`roles like ${`%"${ADMIN_ROLE}"%`}`)
      .execute();
    return !rows.some((row) => stringArray(row.roles, 'users.roles').includes(ADMIN_ROLE));
  }

  async function findUser(executor: Db | Transaction<AdminTables>, id: string): Promise<User | null> {
    const row = await executor.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? userFromRow(row) : null;
  }

  /** Every row that names the user, in every table that holds a user's data. */
  async function eraseRows(trx: Transaction<AdminTables>, userId: string): Promise<void> {
    await eraseSessionsOf(trx, userId);
    await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    await trx.deleteFrom('oauth_accounts').where('user_id', '=', userId).execute();
    await trx.deleteFrom('api_keys').where('user_id', '=', userId).execute();
    await trx.deleteFrom('account_deletions').where('user_id', '=', userId).execute();
    await trx.deleteFrom('audit_events').where('user_id', '=', userId).execute();
    // Events about others that name the user (as the admin who acted) keep the fact, not the id.
    await trx
      .updateTable('audit_events')
      .set({ data: sql<string>`replace(data, ${userId}, ${'erased'})` })
      .where('data', 'like', `%${likeLiteral(userId)}%`)
      .execute();
    await trx.deleteFrom('users').where('id', '=', userId).execute();
  }

  const repository: AdminRepository = {
    findUser: (id) => guarded(() => findUser(db, id)),

    listUsers: (filter: UserFilter) =>
      guarded(async () => {
        let query = db.selectFrom('users').selectAll();
        if (filter.after !== undefined) query = query.where('id', '>', filter.after);
        if (filter.q !== undefined) {
          const prefix = `${likeLiteral(filter.q.toLowerCase())}%`;
          const anywhere = `%${likeLiteral(filter.q.toLowerCase())}%`;
          query = query.where(
            sql<boolean>`(lower(email) like ${prefix} escape '\\' or lower(coalesce(name, '')) like ${anywhere} escape '\\')`,
          );
        }
        if (filter.role !== undefined) {
          query = query.where(
            sql<boolean>`roles like ${`%${likeLiteral(JSON.stringify(filter.role))}%`} escape '\\'`,
          );
        }
        if (filter.active !== undefined) query = query.where('is_active', '=', toSqlBoolean(filter.active));
        if (filter.verified !== undefined) {
          query = query.where('email_verified_at', filter.verified ? 'is not' : 'is', null);
        }
        if (filter.twoFactor !== undefined) {
          query = query.where('totp_secret', filter.twoFactor ? 'is not' : 'is', null);
        }
        const rows = await query.orderBy('id', 'asc').limit(filter.limit).execute();
        const users = rows.map(userFromRow);
        // The role filter above is a LIKE on the JSON text: confirm it on the parsed list.
        return filter.role === undefined
          ? users
          : users.filter((u) => u.roles.includes(filter.role as string));
      }),

    duePurges: (now, limit) =>
      guarded(async () => {
        // Through the index on purge_after (0008).
        const rows = await db
          .selectFrom('account_deletions')
          .select('user_id')
          .where('purge_after', '<=', now)
          .orderBy('purge_after')
          .limit(limit)
          .execute();
        return rows.map((row) => row.user_id);
      }),

    deletionOf: (userId) =>
      guarded(async () => {
        const row = await db
          .selectFrom('account_deletions')
          .selectAll()
          .where('user_id', '=', userId)
          .executeTakeFirst();
        return row
          ? {
              deletedAt: epoch(row.deleted_at),
              purgeAfter: epoch(row.purge_after),
              requestedBy: row.requested_by,
            }
          : null;
      }),

    apiKeysOf: (userId) =>
      guarded(async () => {
        const rows = await db
          .selectFrom('api_keys')
          .select([
            'id',
            'name',
            'env',
            'scopes',
            'signing_secret',
            'created_at',
            'expires_at',
            'revoked_at',
            'last_used_at',
          ])
          .where('user_id', '=', userId)
          .orderBy('created_at', 'desc')
          .execute();
        return rows.map(
          (row): ApiKeyMetadata => ({
            id: row.id,
            prefix: `gh_${row.env}_${row.id}`,
            name: row.name,
            scopes: stringArray(row.scopes, 'api_keys.scopes'),
            signing: row.signing_secret !== null,
            createdAt: epoch(row.created_at),
            expiresAt: epoch(row.expires_at),
            revokedAt: optionalEpoch(row.revoked_at),
            lastUsedAt: optionalEpoch(row.last_used_at),
          }),
        );
      }),

    listAudit: (filter) =>
      guarded(async () => {
        let query = db.selectFrom('audit_events').selectAll();
        if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
        if (filter.types !== undefined) query = query.where('type', 'in', [...filter.types]);
        if (filter.since !== undefined) query = query.where('created_at', '>=', filter.since);
        if (filter.until !== undefined) query = query.where('created_at', '<', filter.until);
        const before = filter.before;
        if (before !== undefined) {
          query = query.where((eb) =>
            eb.or([
              eb('created_at', '<', before.createdAt),
              eb.and([eb('created_at', '=', before.createdAt), eb('id', '<', before.id)]),
            ]),
          );
        }
        const rows = await query
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .limit(filter.limit)
          .execute();
        return rows.map((row): AuditPage[number] => ({
          id: row.id,
          type: row.type,
          userId: row.user_id,
          sessionId: row.session_id,
          requestId: row.request_id,
          ipHash: row.ip_hash,
          userAgent: row.user_agent,
          data: JSON.parse(row.data) as Record<string, unknown>,
          createdAt: epoch(row.created_at),
        }));
      }),

    updateUser: (id, changes: AdminChanges, now) =>
      guarded(() =>
        db.transaction().execute(async (trx): Promise<GuardedOutcome> => {
          await lockAdmins(trx);
          const before = await findUser(trx, id);
          if (before === null) return { outcome: 'not_found' };
          const after: User = {
            ...before,
            ...(changes.roles === undefined ? {} : { roles: changes.roles }),
            ...(changes.isActive === undefined ? {} : { isActive: changes.isActive }),
          };
          if (isActiveAdmin(before) && !isActiveAdmin(after) && (await wouldLeaveNoAdmin(trx, before))) {
            return { outcome: 'last_admin' };
          }
          await trx
            .updateTable('users')
            .set({
              ...(changes.roles === undefined ? {} : { roles: toJsonArray(changes.roles) }),
              ...(changes.isActive === undefined ? {} : { is_active: toSqlBoolean(changes.isActive) }),
              ...(changes.name === undefined ? {} : { name: changes.name }),
              ...(changes.emailVerifiedAt === undefined
                ? {}
                : { email_verified_at: changes.emailVerifiedAt }),
              ...(changes.securityStamp === undefined ? {} : { security_stamp: changes.securityStamp }),
              ...(changes.totpSecret === undefined ? {} : { totp_secret: null, totp_last_step: null }),
              updated_at: now,
            })
            .where('id', '=', id)
            .execute();
          // Restored within the grace period: the account is no longer scheduled for erasure.
          if (changes.isActive === true) {
            await trx.deleteFrom('account_deletions').where('user_id', '=', id).execute();
          }
          if (changes.totpSecret === null) {
            await trx.deleteFrom('recovery_codes').where('user_id', '=', id).execute();
          }
          const updated = await findUser(trx, id);
          return { outcome: 'done', before, after: updated as User };
        }),
      ),

    softDelete: (id, deletion: AccountDeletion) =>
      guarded(() =>
        db.transaction().execute(async (trx): Promise<GuardedOutcome> => {
          await lockAdmins(trx);
          const before = await findUser(trx, id);
          if (before === null) return { outcome: 'not_found' };
          if (await wouldLeaveNoAdmin(trx, before)) return { outcome: 'last_admin' };
          await trx
            .updateTable('users')
            .set({ is_active: 0, updated_at: deletion.deletedAt })
            .where('id', '=', id)
            .execute();
          await trx.deleteFrom('account_deletions').where('user_id', '=', id).execute();
          await trx
            .insertInto('account_deletions')
            .values({
              user_id: id,
              deleted_at: deletion.deletedAt,
              purge_after: deletion.purgeAfter,
              requested_by: deletion.requestedBy,
            })
            .execute();
          return { outcome: 'done', before, after: { ...before, isActive: false } };
        }),
      ),

    erase: (id) =>
      guarded(() =>
        db.transaction().execute(async (trx) => {
          const found = (await findUser(trx, id)) !== null;
          if (found) await eraseRows(trx, id);
          return found;
        }),
      ),
  };
  return repository;
}
