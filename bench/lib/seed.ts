/**
 * Bulk seeding of users and sessions straight into the SQL tables, through Kysely, in large
 * multi-row INSERTs inside a few big transactions: a million session rows in well under the
 * time a row-at-a-time loop would take.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { newId } from '../../src/crypto/ids.ts';
import type { DatabaseSchema, NewSessionRow, NewUserRow } from '../../src/stores/sql/index.ts';

/**
 * Rows per INSERT. SQLite allows 32 766 bound parameters per statement; a session row binds 13,
 * so 2 000 rows (26 000 parameters) stay under it with room to spare, and PostgreSQL's 65 535
 * limit is further still.
 */
const ROWS_PER_STATEMENT = 2_000;
/** Rows per transaction: big enough that commits are rare, small enough to bound the WAL. */
const ROWS_PER_TRANSACTION = 100_000;
const DAY_MS = 24 * 3600 * 1000;
const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

export interface SeedOptions {
  /** PHC string every seeded user gets, so any of them can log in with the bench password. */
  readonly passwordHash: string;
  /** Called after each transaction with the rows written so far. */
  readonly onProgress?: (table: string, done: number, total: number) => void;
}

/** Inserts `rows` (made lazily by `make(i)`) in batched statements and transactions. */
async function insertInBatches<Row>(
  db: Kysely<DatabaseSchema>,
  table: 'users' | 'sessions',
  total: number,
  make: (i: number) => Row,
  onProgress?: SeedOptions['onProgress'],
): Promise<void> {
  for (let start = 0; start < total; start += ROWS_PER_TRANSACTION) {
    const end = Math.min(start + ROWS_PER_TRANSACTION, total);
    await db.transaction().execute(async (trx) => {
      for (let from = start; from < end; from += ROWS_PER_STATEMENT) {
        const to = Math.min(from + ROWS_PER_STATEMENT, end);
        const rows: Row[] = [];
        for (let i = from; i < to; i++) rows.push(make(i));
        await trx
          .insertInto(table)
          .values(rows as never)
          .execute();
        // SQLite runs synchronously: let timers and signal handlers in between statements.
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    onProgress?.(table, end, total);
  }
}

/**
 * Seeds `userCount` active, verified users and `sessionCount` bearer sessions spread over
 * them (a tenth revoked, the rest live), with realistic column contents: UUIDv7 ids, a unique
 * 43-character refresh digest each, an IP digest, a user agent, times over the last 30 days.
 *
 * @returns the ids of the seeded users, in insertion order.
 */
export async function seedUsersAndSessions(
  db: Kysely<DatabaseSchema>,
  counts: { readonly users: number; readonly sessions: number },
  options: SeedOptions,
): Promise<string[]> {
  const now = Date.now();
  const userIds = Array.from({ length: counts.users }, () => newId());
  await insertInBatches<NewUserRow>(
    db,
    'users',
    counts.users,
    (i) => ({
      id: userIds[i]!,
      email: `user-${i}@seed.example.com`,
      email_verified_at: now - DAY_MS,
      password_hash: options.passwordHash,
      name: null,
      is_active: 1,
      roles: '[]',
      totp_secret: null,
      security_stamp: randomBytes(16).toString('base64url'),
      created_at: now - 30 * DAY_MS,
      updated_at: now - 30 * DAY_MS,
    }),
    options.onProgress,
  );

  // One random block per statement's worth of digests: far cheaper than a call per row.
  let digestPool = Buffer.alloc(0);
  let digestOffset = 0;
  const nextDigest = (): string => {
    if (digestOffset + 32 > digestPool.length) {
      digestPool = randomBytes(32 * ROWS_PER_STATEMENT);
      digestOffset = 0;
    }
    const digest = digestPool.subarray(digestOffset, digestOffset + 32).toString('base64url');
    digestOffset += 32;
    return digest;
  };
  await insertInBatches<NewSessionRow>(
    db,
    'sessions',
    counts.sessions,
    (i) => {
      const createdAt = now - Math.floor(Math.random() * 30 * DAY_MS);
      const revoked = i % 10 === 0;
      return {
        id: newId(),
        user_id: userIds[i % counts.users]!,
        kind: 'bearer',
        refresh_digest: revoked ? null : nextDigest(),
        created_at: createdAt,
        last_used_at: createdAt,
        idle_expires_at: now + 7 * DAY_MS,
        absolute_expires_at: createdAt + 30 * DAY_MS,
        revoked_at: revoked ? now - 1000 : null,
        revoked_reason: revoked ? 'logout' : null,
        ip_hash: nextDigest(),
        user_agent: USER_AGENT,
        auth_methods: '["pwd"]',
      };
    },
    options.onProgress,
  );
  return userIds;
}
