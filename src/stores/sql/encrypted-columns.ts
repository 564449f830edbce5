/**
 * Every column that holds values encrypted with the keyring's `secret-encryption` keys. Key
 * rotation (`gatehouse keys status|reencrypt`) walks exactly this list, so a new encrypted
 * column (OAuth provider tokens, signing keys) must be added here in the same change.
 */
import { encryptedColumnAad } from '../repositories.ts';

/**
 * One encrypted column: its table, its name, and the primary key rows are paged by. The table
 * is named, not typed: a feature's own table (`api_keys`, created by the API-key feature's
 * migration) is not in the store's schema type, and this list is the only source of the
 * identifiers key rotation puts into SQL.
 */
export interface EncryptedColumn {
  readonly table: string;
  readonly column: string;
  /** A unique, non-null text column; the row id the associated data names. */
  readonly idColumn: string;
}

export const ENCRYPTED_COLUMNS: readonly EncryptedColumn[] = Object.freeze([
  Object.freeze({ table: 'users', column: 'totp_secret', idColumn: 'id' } as const),
  Object.freeze({ table: 'oauth_accounts', column: 'access_token', idColumn: 'id' } as const),
  Object.freeze({ table: 'oauth_accounts', column: 'refresh_token', idColumn: 'id' } as const),
  Object.freeze({ table: 'api_keys', column: 'signing_secret', idColumn: 'id' } as const),
]);

/**
 * The associated data of the value in `table.column` of row `rowId`:
 * `gatehouse:<table>.<column>:<rowId>`.
 */
export function aadFor(table: string, column: string, rowId: string): string {
  return encryptedColumnAad(table, column, rowId);
}

/** The registered column, or `undefined`: names never reach SQL unless they are listed here. */
export function findEncryptedColumn(table: string, column: string): EncryptedColumn | undefined {
  return ENCRYPTED_COLUMNS.find((entry) => entry.table === table && entry.column === column);
}
