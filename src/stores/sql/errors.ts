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
