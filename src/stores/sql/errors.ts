/**
 * Telling constraint violations apart on both dialects, so a repository can turn "that email
 * is taken" into a domain answer without parsing driver messages.
 */

/** Which kind of integrity constraint a statement violated. */
export type ConstraintViolation = 'unique' | 'foreign_key' | 'check' | 'not_null';

/** PostgreSQL SQLSTATE codes (class 23, integrity constraint violation). */
const POSTGRES_CODES: Readonly<Record<string, ConstraintViolation>> = {
  '23505': 'unique',
  '23503': 'foreign_key',
  '23514': 'check',
  '23502': 'not_null',
};

/** SQLite extended result codes, as `node:sqlite` reports them in `errcode`. */
const SQLITE_CODES: Readonly<Record<number, ConstraintViolation>> = {
  2067: 'unique', // SQLITE_CONSTRAINT_UNIQUE
  1555: 'unique', // SQLITE_CONSTRAINT_PRIMARYKEY
  787: 'foreign_key', // SQLITE_CONSTRAINT_FOREIGNKEY
  275: 'check', // SQLITE_CONSTRAINT_CHECK
  1299: 'not_null', // SQLITE_CONSTRAINT_NOTNULL
};

/**
 * The constraint kind `error` reports, or `null` when it is not a constraint violation
 * (or comes from neither driver).
 *
 * @example
 * try { await db.insertInto('users').values(row).execute(); }
 * catch (error) { if (constraintViolation(error) === 'unique') return { taken: true }; throw error; }
 */
export function constraintViolation(error: unknown): ConstraintViolation | null {
  if (typeof error !== 'object' || error === null) return null;
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  if (code === 'ERR_SQLITE_ERROR' && typeof errcode === 'number') return SQLITE_CODES[errcode] ?? null;
  if (typeof code === 'string') return POSTGRES_CODES[code] ?? null;
  return null;
}

/** Socket failures: the server is down, restarting, or the network dropped the connection. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a connection lost or refused: class 08 (connection exception), 57P01
 * admin_shutdown (a fast stop), 57P02 crash_shutdown, 57P03 cannot_connect_now (starting or
 * shutting down), 53300 too_many_connections.
 */
const CONNECTION_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;

/** What `pg` and `pg-pool` throw, without a code, for a connection lost or never made. */
const CONNECTION_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/** How deep {@link isDatabaseUnreachable} follows `cause` (a MigrationError wraps a pg error). */
const MAX_CAUSE_DEPTH = 5;

/**
 * Whether `error` (or one of its causes) says the database could not be reached or dropped the
 * connection: refused or reset sockets, a server shutting down or starting up, a pool that
 * timed out opening a connection. These pass once the database is back; anything else (a
 * wrong password, a missing database, a failing statement) does not, and is not included.
 *
 * @example
 * try { await auth.migrate(); }
 * catch (error) { if (!isDatabaseUnreachable(error)) throw error; retryLater(); }
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH; depth++) {
    if (typeof current !== 'object' || current === null) return false;
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || CONNECTION_SQLSTATE.test(code))) return true;
    if (typeof message === 'string' && CONNECTION_MESSAGE.test(message)) return true;
    // AggregateError: a host name resolving to several addresses, each refused.
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0 && errors.every((inner) => isDatabaseUnreachable(inner)))
      return true;
    current = cause;
  }
  return false;
}
