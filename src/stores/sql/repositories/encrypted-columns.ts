import { type Kysely, sql } from 'kysely';
import { envelopeKeyId } from '../../../crypto/aead.ts';
import { integerOption, invalidArgument } from '../arguments.ts';
import { ENCRYPTED_COLUMNS, type EncryptedColumn, findEncryptedColumn } from '../encrypted-columns.ts';
import type { DatabaseSchema } from '../schema.ts';
import { guarded } from './failures.ts';

/** How many rows of one column hold envelopes under one key id. */
export interface KeyIdCount {
  readonly table: string;
  readonly column: string;
  /** The key id the envelopes name, or `null` for values that are not well-formed envelopes. */
  readonly keyId: string | null;
  readonly rows: number;
}

/** One stored encrypted value and the id of its row. */
export interface EncryptedValue {
  readonly id: string;
  readonly value: string;
}

/**
 * The encrypted columns of {@link ENCRYPTED_COLUMNS}, for key rotation. Table and column names
 * are only ever taken from that registry (anything else is a `TypeError`), so no caller string
 * reaches SQL as an identifier.
 */
export interface EncryptedColumnsRepository {
  /** Every registered column, in registry order. */
  readonly columns: readonly { readonly table: string; readonly column: string }[];
  /** Rows per key id in every registered column (non-null values only), malformed ones under `null`. */
  countByKeyId(): Promise<KeyIdCount[]>;
  /** Up to `limit` non-null values with an id greater than `afterId`, ordered by id. */
  page(
    table: string,
    column: string,
    options: { readonly afterId: string | null; readonly limit: number },
  ): Promise<EncryptedValue[]>;
  /**
   * Writes `next` only if the row still holds `expected` (compare-and-swap in one statement):
   * a value changed meanwhile, such as 2FA disabled or re-enrolled, is never overwritten.
   * `true` when the row was updated.
   */
  replace(table: string, column: string, id: string, expected: string, next: string): Promise<boolean>;
}

/** Largest page `page` serves; counting pages through the column with this size. */
export const MAX_ENCRYPTED_PAGE = 10_000;

/**
 * Encrypted columns on SQL.
 *
 * Counting per key id pages through the values and reads each key id with the same parser
 * decryption uses, instead of splitting the envelope in SQL. The split would need a different
 * function on each dialect (`instr`/`substr` on SQLite, `split_part` on PostgreSQL), and SQL
 * cannot check the rest of the envelope (base64url, nonce and tag lengths): a value such as
 * `v1.A.garbage` would be counted under key A by the status report while re-encryption refuses
 * it. Paging keeps the two in agreement on both dialects; it reads each encrypted value once,
 * a few hundred bytes per user with 2FA, in bounded pages, and only when an operator asks.
 */
export function createEncryptedColumnsRepository(db: Kysely<DatabaseSchema>): EncryptedColumnsRepository {
  const registered = (table: string, column: string): EncryptedColumn => {
    const found = findEncryptedColumn(table, column);
    if (!found) throw invalidArgument('not a registered encrypted column', 'ERR_INVALID_ARG_VALUE');
    return found;
  };

  const readPage = async (
    entry: EncryptedColumn,
    afterId: string | null,
    limit: number,
  ): Promise<EncryptedValue[]> => {
    const id = sql.ref(entry.idColumn);
    const value = sql.ref(entry.column);
    const after = afterId === null ? sql`` : sql`and ${id} > ${afterId}`;
    const result = await sql<{ id: string; value: string }>`
      select ${id} as id, ${value} as value from ${sql.table(entry.table)}
      where ${value} is not null ${after}
      order by ${id} limit ${limit}`.execute(db);
    return result.rows.map((row) => ({ id: String(row.id), value: String(row.value) }));
  };

  return {
    columns: Object.freeze(
      ENCRYPTED_COLUMNS.map((entry) => Object.freeze({ table: entry.table, column: entry.column })),
    ),

    countByKeyId: () =>
      guarded(async () => {
        const counts: KeyIdCount[] = [];
        for (const entry of ENCRYPTED_COLUMNS) {
          const perKey = new Map<string | null, number>();
          let afterId: string | null = null;
          for (;;) {
            const rows = await readPage(entry, afterId, MAX_ENCRYPTED_PAGE);
            for (const row of rows) {
              const keyId = keyIdOrNull(row.value);
              perKey.set(keyId, (perKey.get(keyId) ?? 0) + 1);
            }
            const last = rows.at(-1);
            if (last === undefined || rows.length < MAX_ENCRYPTED_PAGE) break;
            afterId = last.id;
          }
          for (const [keyId, rows] of perKey) {
            counts.push({ table: entry.table, column: entry.column, keyId, rows });
          }
        }
        return counts;
      }),

    page: (table, column, options) => {
      const entry = registered(table, column);
      const limit = integerOption('limit', options.limit, { fallback: 0, min: 1, max: MAX_ENCRYPTED_PAGE });
      if (options.afterId !== null && typeof options.afterId !== 'string') {
        throw invalidArgument('afterId must be a string or null', 'ERR_INVALID_ARG_TYPE');
      }
      return guarded(() => readPage(entry, options.afterId, limit));
    },

    replace: (table, column, id, expected, next) => {
      const entry = registered(table, column);
      for (const value of [id, expected, next]) {
        if (typeof value !== 'string')
          throw invalidArgument('ids and values must be strings', 'ERR_INVALID_ARG_TYPE');
      }
      return guarded(async () => {
        const value = sql.ref(entry.column);
        const result = await sql`
          update ${sql.table(entry.table)} set ${value} = ${next}
          where ${sql.ref(entry.idColumn)} = ${id} and ${value} = ${expected}`.execute(db);
        return (result.numAffectedRows ?? 0n) > 0n;
      });
    },
  };
}

function keyIdOrNull(value: string): string | null {
  try {
    return envelopeKeyId(value);
  } catch {
    return null;
  }
}
