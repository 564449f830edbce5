/** What the passkey feature keeps of a credential, and the repository contract it uses. */
import type { SignInMethods } from '../../core/index.ts';

/** A registered passkey (its public key and flags; never anything secret). */
export interface Passkey {
  /** The credential id, base64url. */
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  /** The COSE public key, base64url. */
  readonly publicKey: string;
  readonly counter: number;
  readonly transports: readonly string[];
  /** `singleDevice` or `multiDevice` (synced), from the backup-eligibility flag. */
  readonly deviceType: string;
  readonly backupEligible: boolean;
  readonly backedUp: boolean;
  readonly aaguid: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
}

export type NewPasskey = Omit<Passkey, 'createdAt' | 'lastUsedAt'> & { readonly now: number };

export interface PasskeyRepository {
  /**
   * Adds a passkey unless the account has `maxPerUser` already (`limit`), the owner is gone
   * (`no_user`) or the credential id is registered to anyone (`duplicate`); the count and the
   * insert run in one transaction that locks the owner's row.
   */
  create(
    passkey: NewPasskey,
    limits: { readonly maxPerUser: number },
  ): Promise<Passkey | 'limit' | 'no_user' | 'duplicate'>;
  findById(id: string): Promise<Passkey | null>;
  listForUser(userId: string): Promise<Passkey[]>;
  rename(userId: string, id: string, name: string): Promise<Passkey | null>;
  /**
   * Records a sign-in: the new counter and backup state, only while the stored counter is still
   * `expectedCounter` (two sign-ins racing with one counter value cannot both move it).
   */
  recordUse(
    id: string,
    use: {
      readonly expectedCounter: number;
      readonly counter: number;
      readonly backedUp: boolean;
      readonly at: number;
    },
  ): Promise<boolean>;
  /**
   * Removes one of the user's passkeys, unless it is their last way to sign in (`waysIn`
   * counts every feature's after the deletion), in one transaction that locks the owner's row.
   */
  remove(
    userId: string,
    id: string,
    waysIn: SignInMethods,
  ): Promise<'removed' | 'not_found' | 'last_sign_in_method'>;
}
