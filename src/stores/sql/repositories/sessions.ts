import { type Kysely, sql } from 'kysely';
import type { NewSession, RotateResult, Session, SessionRepository } from '../../repositories.ts';
import { invalidArgument } from '../arguments.ts';
import type { SqlDialectName } from '../database.ts';
import type { DatabaseSchema } from '../schema.ts';
import { guarded } from './failures.ts';
import { sessionFromRow, toJsonArray } from './rows.ts';

/**
 * Sessions on SQL, with refresh rotation that has exactly one winner.
 *
 * `rotate` runs one transaction: a conditional `UPDATE … WHERE refresh_digest = :presented`
 * (plus "not revoked, not expired"), then, if it changed the row, an `INSERT` of the presented
 * digest into `session_consumed_digests`. Why only one concurrent caller can win:
 * - SQLite: transactions begin `IMMEDIATE` (the dialect's driver), so they run one after the
 *   other; every caller after the winner finds the new digest and the consumed row.
 * - PostgreSQL, READ COMMITTED (forced here, whatever the server default): the UPDATE locks the
 *   row; a concurrent UPDATE waits for the winner to commit, then re-checks its WHERE against
 *   the committed row, finds the new digest and changes nothing. The loser's next statement
 *   takes a fresh snapshot, taken after that commit, so it sees the consumed digest the winner
 *   inserted in the same transaction: the loser reports `reused`, never `invalid`.
 *
 * Outcomes for a digest that is not the session's current one, or a session that is no longer
 * live: a digest this session consumed earlier is `reused` whatever the session's state
 * (revoked or expired included), so a replayed token is always visible to the caller to audit;
 * anything else is `invalid`. The current digest of a revoked or expired session is `invalid`.
 */
/** What revoking writes besides the time and reason: no credential of the session can match. */
const revokedFields = { refresh_digest: null, access_digest: null, access_expires_at: null } as const;

export function createSessionRepository(
  db: Kysely<DatabaseSchema>,
  dialect: SqlDialectName,
): SessionRepository {
  const live = (now: number) =>
    db
      .selectFrom('sessions')
      .selectAll()
      .where('revoked_at', 'is', null)
      .where('idle_expires_at', '>', now)
      .where('absolute_expires_at', '>', now);

  async function findOwned(userId: string, sessionId: string): Promise<Session | null> {
    const row = await db
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', sessionId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row ? sessionFromRow(row) : null;
  }

  return {
    create: (session: NewSession) =>
      guarded(async () => {
        const row = await db
          .insertInto('sessions')
          .values({
            id: session.id,
            user_id: session.userId,
            kind: session.kind,
            refresh_digest: session.tokenDigest,
            created_at: session.createdAt ?? session.now,
            last_used_at: session.now,
            // The idle expiry never runs past the absolute one (as `rotate` keeps it).
            idle_expires_at: Math.min(session.idleExpiresAt, session.absoluteExpiresAt),
            absolute_expires_at: session.absoluteExpiresAt,
            ip_hash: session.ipHash,
            user_agent: session.userAgent,
            auth_methods: toJsonArray(session.authMethods),
            access_digest: session.accessDigest ?? null,
            access_expires_at: session.accessExpiresAt ?? null,
            second_factor_at: session.secondFactorAt ?? null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return sessionFromRow(row);
      }),

    findById: (id: string) =>
      guarded(async () => {
        const row = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
        return row ? sessionFromRow(row) : null;
      }),

    rotate: (sessionId, presented, next, options) => {
      // Rotating to the same digest would record the current digest as consumed: the next
      // rotation would then both match and clash with its own consumed row.
      if (presented === next) {
        return Promise.reject(
          invalidArgument(
            'rotate needs a next digest different from the presented one',
            'ERR_INVALID_ARG_VALUE',
          ),
        );
      }
      const { now, idleExpiresAt, accessDigest, accessExpiresAt } = options;
      let transaction = db.transaction();
      // Under REPEATABLE READ or SERIALIZABLE (a server default an operator may set) the
      // losers would fail with a serialization error instead of seeing `reused`.
      if (dialect === 'postgres') transaction = transaction.setIsolationLevel('read committed');
      return guarded(() =>
        transaction.execute(async (trx): Promise<RotateResult> => {
          const idle = sql<number>`cast(${idleExpiresAt} as bigint)`;
          const rotated = await trx
            .updateTable('sessions')
            .set({
              refresh_digest: next,
              last_used_at: now,
              idle_expires_at: sql<number>`case when ${idle} < absolute_expires_at then ${idle} else absolute_expires_at end`,
              ...(accessDigest === undefined
                ? {}
                : { access_digest: accessDigest, access_expires_at: accessExpiresAt ?? null }),
            })
            .where('id', '=', sessionId)
            .where('refresh_digest', '=', presented)
            .where('revoked_at', 'is', null)
            .where('idle_expires_at', '>', now)
            .where('absolute_expires_at', '>', now)
            .returningAll()
            .executeTakeFirst();
          if (rotated) {
            await trx
              .insertInto('session_consumed_digests')
              .values({ digest: presented, session_id: sessionId, consumed_at: now })
              .execute();
            return { outcome: 'rotated', session: sessionFromRow(rotated) };
          }
          const consumedBy = await trx
            .selectFrom('session_consumed_digests as consumed')
            .innerJoin('sessions', 'sessions.id', 'consumed.session_id')
            .selectAll('sessions')
            .where('consumed.digest', '=', presented)
            .where('consumed.session_id', '=', sessionId)
            .executeTakeFirst();
          return consumedBy
            ? { outcome: 'reused', session: sessionFromRow(consumedBy) }
            : { outcome: 'invalid' };
        }),
      );
    },

    listActive: (userId: string, now: number) =>
      guarded(async () => {
        const rows = await live(now)
          .where('user_id', '=', userId)
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .execute();
        return rows.map(sessionFromRow);
      }),

    revoke: (userId: string, sessionId: string, reason: string, now: number) =>
      guarded(async () => {
        // The digest goes too: a revoked session keeps no credential anything could match.
        const row = await db
          .updateTable('sessions')
          .set({ ...revokedFields, revoked_at: now, revoked_reason: reason })
          .where('id', '=', sessionId)
          .where('user_id', '=', userId)
          .where('revoked_at', 'is', null)
          .returningAll()
          .executeTakeFirst();
        // Already revoked: answered as it is, keeping the first revocation's time and reason.
        return row ? sessionFromRow(row) : findOwned(userId, sessionId);
      }),

    listRevokedSince: (since: number) =>
      guarded(async () => {
        // Both lists come from an index on `revoked_at`; the window is minutes, so it is short.
        const [revoked, deleted] = await Promise.all([
          db
            .selectFrom('sessions')
            .select(['id', 'user_id', 'revoked_at'])
            .where('revoked_at', '>', since)
            .$narrowType<{ revoked_at: number }>()
            .execute(),
          db
            .selectFrom('deleted_sessions')
            .select(['session_id as id', 'revoked_at', 'revocation_group'])
            .where('revoked_at', '>', since)
            .execute(),
        ]);
        await db.deleteFrom('deleted_sessions').where('revoked_at', '<=', since).execute();
        return [
          ...revoked.map((row) => ({
            id: row.id,
            userId: row.user_id,
            revocationGroup: null,
            revokedAt: Number(row.revoked_at),
          })),
          ...deleted.map((row) => ({
            id: row.id,
            userId: null,
            revocationGroup: row.revocation_group === null ? null : Number(row.revocation_group),
            revokedAt: Number(row.revoked_at),
          })),
        ];
      }),

    revokeAllForUser: (userId, reason, now, options = {}) =>
      guarded(async () => {
        // Every session not yet revoked, expired ones included: a session past its expiry can
        // still have an access token in flight, and the caller revokes those by session id.
        let query = db
          .updateTable('sessions')
          .set({ ...revokedFields, revoked_at: now, revoked_reason: reason })
          .where('user_id', '=', userId)
          .where('revoked_at', 'is', null);
        if (options.exceptId !== undefined) query = query.where('id', '!=', options.exceptId);
        const rows = await query.returning('id').execute();
        return rows.map((row) => row.id);
      }),

    findCredentials: (sessionId: string) =>
      guarded(async () => {
        const row = await db
          .selectFrom('sessions')
          .selectAll()
          .where('id', '=', sessionId)
          .executeTakeFirst();
        if (!row) return null;
        return {
          session: sessionFromRow(row),
          tokenDigest: row.refresh_digest,
          accessDigest: row.access_digest,
          accessExpiresAt: row.access_expires_at === null ? null : Number(row.access_expires_at),
        };
      }),

    slide: (sessionId, { now, idleExpiresAt }) =>
      guarded(async () => {
        const idle = sql<number>`cast(${idleExpiresAt} as bigint)`;
        const result = await db
          .updateTable('sessions')
          .set({
            last_used_at: now,
            idle_expires_at: sql<number>`case when ${idle} < absolute_expires_at then ${idle} else absolute_expires_at end`,
          })
          .where('id', '=', sessionId)
          .where('revoked_at', 'is', null)
          .where('idle_expires_at', '>', now)
          .where('absolute_expires_at', '>', now)
          // Two racing requests: the later clock wins, the idle expiry never moves back.
          .where('last_used_at', '<=', now)
          .executeTakeFirst();
        return Number(result.numUpdatedRows) > 0;
      }),

    markSecondFactor: (sessionId: string, at: number) =>
      guarded(async () => {
        const result = await db
          .updateTable('sessions')
          .set({ second_factor_at: at })
          .where('id', '=', sessionId)
          .where('revoked_at', 'is', null)
          .where('idle_expires_at', '>', at)
          .where('absolute_expires_at', '>', at)
          .executeTakeFirst();
        return Number(result.numUpdatedRows) > 0;
      }),

    touch: (sessionId: string, now: number) =>
      guarded(async () => {
        // Never moves backwards when two requests of one session race.
        await db
          .updateTable('sessions')
          .set({ last_used_at: now })
          .where('id', '=', sessionId)
          .where('last_used_at', '<', now)
          .execute();
      }),
  };
}
