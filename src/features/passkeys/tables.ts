/** The SQL tables the passkey repository reads, as Kysely types. Times are epoch milliseconds. */

/** WebAuthn credentials of users (public keys only: nothing here signs anything). */
export interface PasskeysTable {
  /** The credential id (base64url), unique across every user. */
  id: string;
  user_id: string;
  name: string;
  /** The COSE public key (base64url). */
  public_key: string;
  /** The signature counter last seen (0 for authenticators that do not count). */
  counter: number;
  /** JSON array of transports the authenticator reported (hints for allowCredentials). */
  transports: string;
  device_type: string;
  /** Backup eligibility (BE) and state (BS) flags: a synced passkey is eligible. */
  backup_eligible: 0 | 1;
  backed_up: 0 | 1;
  /** The authenticator model (AAGUID; all zeros under attestation `none` for many). */
  aaguid: string;
  created_at: number;
  last_used_at: number | null;
}

/** A type, not an interface, so Kysely's `withTables<PasskeyTables>()` accepts it too. */
export type PasskeyTables = {
  passkeys: PasskeysTable;
  /** Read only: the owner's row, locked while a passkey is added or removed. */
  users: { id: string; password_hash: string | null };
  /** Read only: whether the account can still sign in through a provider. */
  oauth_accounts: { id: string; user_id: string };
};
