import { type Kysely, sql } from 'kysely';
import {
  EmailTakenError,
  type NewUser,
  type User,
  type UserChanges,
  type UserRepository,
} from '../../repositories.ts';
import { constraintViolation } from '../errors.ts';
import { type DatabaseSchema, toSqlBoolean, type UserRowUpdate } from '../schema.ts';
import { eraseSessionsOf } from './erase-sessions.ts';
import { guarded } from './failures.ts';
import { toJsonArray, userFromRow } from './rows.ts';

/**
 * Users on SQL. Emails are compared as `lower(email) = lower(?)`: the left side is exactly the
 * expression the unique index `users_email_lower_uq` covers, so lookups use that index, and
 * the uniqueness the index enforces is the same case-insensitivity lookups apply.
 */
export function createUserRepository(db: Kysely<DatabaseSchema>): UserRepository {
  async function findByEmail(email: string): Promise<User | null> {
    const row = await db
      .selectFrom('users')
      .selectAll()
      .where(sql<string>`lower(email)`, '=', sql<string>`lower(${email})`)
      .executeTakeFirst();
    return row ? userFromRow(row) : null;
  }

  return {
    create: (user: NewUser) =>
      guarded(async () => {
        try {
          const row = await db
            .insertInto('users')
            .values({
              id: user.id,
              email: user.email,
              email_verified_at: user.emailVerifiedAt ?? null,
              password_hash: user.passwordHash,
              name: user.name ?? null,
              is_active: toSqlBoolean(user.isActive ?? true),
              roles: toJsonArray(user.roles ?? []),
              security_stamp: user.securityStamp,
              created_at: user.now,
              updated_at: user.now,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          return userFromRow(row);
        } catch (error) {
          // The id is unique too; only a clash on the email is the "taken" answer. Anything
          // else (a duplicate id is a bug) is rethrown as it came.
          if (constraintViolation(error) === 'unique' && (await findByEmail(user.email)) !== null)
            return null;
          throw error;
        }
      }),

    findById: (id: string) =>
      guarded(async () => {
        const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
        return row ? userFromRow(row) : null;
      }),

    findByEmail: (email: string) => guarded(() => findByEmail(email)),

    update: (id: string, changes: UserChanges, now: number) =>
      guarded(async () => {
        try {
          const row = await db
            .updateTable('users')
            .set(toRowUpdate(changes, now))
            .where('id', '=', id)
            .returningAll()
            .executeTakeFirst();
          return row ? userFromRow(row) : null;
        } catch (error) {
          // The email index is the only unique constraint an update can break (ids never change).
          if (changes.email !== undefined && constraintViolation(error) === 'unique')
            throw new EmailTakenError();
          throw error;
        }
      }),

    replacePasswordHash: (id: string, expectedHash: string | null, newHash: string, now: number) =>
      guarded(async () => {
        // Compare-and-swap in one statement: a password changed since the caller read the
        // hash no longer matches, so the stale rehash writes nothing.
        const result = await db
          .updateTable('users')
          .set({ password_hash: newHash, updated_at: now })
          .where('id', '=', id)
          .where((eb) =>
            expectedHash === null ? eb('password_hash', 'is', null) : eb('password_hash', '=', expectedHash),
          )
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      }),

    replaceTotpSecret: (id, expected, next, { securityStamp, now, lastTotpStep = null }) =>
      guarded(async () => {
        // Compare-and-swap: a second enrollment confirmed meanwhile, or 2FA turned off in
        // another tab, is never overwritten by a stale caller. A new seed brings its own mark.
        const result = await db
          .updateTable('users')
          .set({
            totp_secret: next,
            totp_last_step: lastTotpStep,
            security_stamp: securityStamp,
            updated_at: now,
          })
          .where('id', '=', id)
          .where((eb) =>
            expected === null ? eb('totp_secret', 'is', null) : eb('totp_secret', '=', expected),
          )
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      }),

    advanceTotpStep: (id: string, seedEnvelope: string, step: number) =>
      guarded(async () => {
        // Check and write in one statement: of concurrent uses of one step exactly one matches
        // the condition, and the row lock makes the others re-read the advanced mark.
        const result = await db
          .updateTable('users')
          .set({ totp_last_step: step })
          .where('id', '=', id)
          .where('totp_secret', '=', seedEnvelope)
          .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      }),

    delete: (id: string) =>
      guarded(() =>
        db.transaction().execute(async (trx) => {
          await eraseSessionsOf(trx, id);
          const result = await trx.deleteFrom('users').where('id', '=', id).executeTakeFirst();
          return result.numDeletedRows > 0n;
        }),
      ),

    count: () =>
      guarded(async () => {
        const row = await db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .executeTakeFirst();
        return Number(row?.n ?? 0);
      }),
  };
}

function toRowUpdate(changes: UserChanges, now: number): UserRowUpdate {
  const update: UserRowUpdate = { updated_at: now };
  if (changes.email !== undefined) update.email = changes.email;
  if (changes.emailVerifiedAt !== undefined) update.email_verified_at = changes.emailVerifiedAt;
  if (changes.passwordHash !== undefined) update.password_hash = changes.passwordHash;
  if (changes.name !== undefined) update.name = changes.name;
  if (changes.isActive !== undefined) update.is_active = toSqlBoolean(changes.isActive);
  if (changes.roles !== undefined) update.roles = toJsonArray(changes.roles);
  if (changes.securityStamp !== undefined) update.security_stamp = changes.securityStamp;
  if (changes.totpSecret !== undefined) {
    update.totp_secret = changes.totpSecret;
    // Only ever `null` (2FA off): the mark belongs to the seed and goes with it.
    update.totp_last_step = null;
  }
  return update;
}
