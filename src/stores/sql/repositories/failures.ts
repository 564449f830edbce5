/**
 * What a repository throws when the database fails.
 *
 * Two kinds of failure, told apart because callers must react differently:
 * - The database cannot do the work right now (unreachable, closed, too slow, locked, out of
 *   disk or connections): a {@link StoreError}, so the HTTP layer answers 503 and the client
 *   retries. Its cause is kept for debugging: connection errors name hosts, never values.
 * - The statement itself failed (a constraint the repository did not expect, a malformed
 *   stored row): a {@link SqlRepositoryError}, a bug to fix, answered 500. Driver messages can
 *   quote submitted values (`invalid input syntax for type bigint: "…"`, a unique violation's
 *   `detail`), so it keeps only codes and schema identifiers, never the driver error itself.
 */
import { StoreError } from '../../contract.ts';
import { EmailTakenError } from '../../repositories.ts';
import { isDatabaseUnreachable } from '../errors.ts';

/**
 * A SQL statement failed for a reason other than the database being unavailable, or a stored
 * row could not be read. The message holds codes and schema names only, never values.
 */
export class SqlRepositoryError extends Error {
  override readonly name = 'SqlRepositoryError';
  /** `ERR_GATEHOUSE_SQL_STATEMENT` (the database refused it) or `ERR_GATEHOUSE_SQL_ROW` (unreadable row). */
  readonly code: 'ERR_GATEHOUSE_SQL_STATEMENT' | 'ERR_GATEHOUSE_SQL_ROW';
  /** PostgreSQL SQLSTATE or SQLite extended result code, when the database reported one. */
  readonly databaseCode: string | undefined;

  constructor(
    code: 'ERR_GATEHOUSE_SQL_STATEMENT' | 'ERR_GATEHOUSE_SQL_ROW',
    message: string,
    databaseCode?: string,
  ) {
    super(message);
    this.code = code;
    this.databaseCode = databaseCode;
  }
}

/** A stored row that cannot be turned into a domain object (corrupt JSON, unknown value). */
export function malformedRow(column: string): SqlRepositoryError {
  return new SqlRepositoryError('ERR_GATEHOUSE_SQL_ROW', `A stored row has a malformed ${column} column`);
}

/** SQLSTATEs (or their two-character classes) meaning "not now", with the store error kind. */
const POSTGRES_UNAVAILABLE: Readonly<Record<string, 'unavailable' | 'timeout' | 'full'>> = {
  '08': 'unavailable', // connection exception
  '53': 'unavailable', // insufficient resources (too many connections, out of memory)
  '53100': 'full', // disk full
  '58': 'unavailable', // system error (I/O)
  '57P01': 'unavailable', // admin shutdown
  '57P02': 'unavailable', // crash shutdown
  '57P03': 'unavailable', // cannot connect now (starting up)
  '57014': 'timeout', // statement timeout or cancelled
  '55P03': 'timeout', // lock not available
  '25P03': 'timeout', // idle-in-transaction timeout
  '40001': 'unavailable', // serialization failure: retryable
  '40P01': 'unavailable', // deadlock detected: retryable
};

/** SQLite primary result codes meaning "not now". */
const SQLITE_UNAVAILABLE: Readonly<Record<number, 'unavailable' | 'timeout' | 'full'>> = {
  5: 'timeout', // SQLITE_BUSY: the busy timeout ran out
  6: 'timeout', // SQLITE_LOCKED
  7: 'unavailable', // SQLITE_NOMEM
  8: 'unavailable', // SQLITE_READONLY
  10: 'unavailable', // SQLITE_IOERR
  11: 'unavailable', // SQLITE_CORRUPT
  13: 'full', // SQLITE_FULL
  14: 'unavailable', // SQLITE_CANTOPEN
  15: 'unavailable', // SQLITE_PROTOCOL
  26: 'unavailable', // SQLITE_NOTADB
};

const STORE_MESSAGES = {
  unavailable: 'The SQL database could not be reached or refused to work',
  timeout: 'The SQL database did not answer in time',
  full: 'The SQL database is out of space',
} as const;

/** Identifiers a PostgreSQL error may name (schema objects, never values). */
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * Turns anything a query threw into the error a repository rejects with. Errors the
 * repositories raise on purpose (`StoreError`, `EmailTakenError`, `SqlRepositoryError`) pass
 * through unchanged.
 */
export function toRepositoryError(error: unknown): Error {
  if (
    error instanceof StoreError ||
    error instanceof EmailTakenError ||
    error instanceof SqlRepositoryError
  ) {
    return error;
  }
  const { code, errcode, constraint } = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    errcode?: unknown;
    constraint?: unknown;
  };

  if (code === 'ERR_SQLITE_ERROR' && typeof errcode === 'number') {
    // Extended result codes carry the primary code in their low byte.
    const kind = SQLITE_UNAVAILABLE[errcode & 0xff];
    if (kind) return new StoreError(kind, STORE_MESSAGES[kind], { cause: error });
    return new SqlRepositoryError(
      'ERR_GATEHOUSE_SQL_STATEMENT',
      `A SQL statement failed (SQLite result code ${errcode})`,
      String(errcode),
    );
  }

  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    const kind = POSTGRES_UNAVAILABLE[code] ?? POSTGRES_UNAVAILABLE[code.slice(0, 2)];
    if (kind) return new StoreError(kind, STORE_MESSAGES[kind], { cause: error });
    const named =
      typeof constraint === 'string' && IDENTIFIER.test(constraint) ? `, constraint ${constraint}` : '';
    return new SqlRepositoryError(
      'ERR_GATEHOUSE_SQL_STATEMENT',
      `A SQL statement failed (SQLSTATE ${code}${named})`,
      code,
    );
  }

  // A connection refused, reset or cut (a restart or fast stop of the server), or a pool that
  // could not open one in time: the database is unavailable, the statement is not wrong.
  if (isDatabaseUnreachable(error)) return unavailable(error);

  // A value the driver could not convert (e.g. a bigint beyond 2^53): a data problem, not an outage.
  if (error instanceof RangeError || error instanceof TypeError) {
    return new SqlRepositoryError('ERR_GATEHOUSE_SQL_STATEMENT', `A SQL statement failed (${error.name})`);
  }

  // What is left never reached the database either: a pool or client that was closed, a
  // SQLite handle that is not open.
  return unavailable(error);
}

function unavailable(error: unknown): StoreError {
  const { code, message } = (error instanceof Error ? error : {}) as { code?: unknown; message?: string };
  const kind = /time(d)? ?out/i.test(message ?? '') || code === 'ETIMEDOUT' ? 'timeout' : 'unavailable';
  return new StoreError(kind, STORE_MESSAGES[kind], { cause: error });
}

/** Runs one repository operation, rejecting only with the errors {@link toRepositoryError} allows. */
export async function guarded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toRepositoryError(error);
  }
}
