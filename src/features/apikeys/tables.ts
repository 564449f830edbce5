/**
 * The SQL tables the API-key repository reads, as Kysely types: its own `api_keys`, and the
 * one column of `users` it locks to serialise creations per user.
 */
import type { ColumnType } from 'kysely';

/** API keys of users; the raw key is shown once and never stored. Times are epoch milliseconds. */
export interface ApiKeysTable {
  /** The key id of `gh_<env>_<keyId>.<secret>` (128 bits, base64url). */
  id: string;
  user_id: string;
  name: string;
  env: string;
  /** JSON array of scopes. */
  scopes: ColumnType<string, string | undefined, string>;
  /** Keyed digest of the secret (plain keys). */
  secret_digest: string | null;
  /** AEAD envelope of the secret (signing keys: the verifier needs it). */
  signing_secret: string | null;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

/** A type, not an interface, so Kysely's `withTables<ApiKeyTables>()` accepts it too. */
export type ApiKeyTables = {
  api_keys: ApiKeysTable;
  /** Read only: the owner's row, locked while a key is created. */
  users: { id: string };
};
