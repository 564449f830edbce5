/**
 * What the API-key feature keeps durably: a key's metadata, what its secret is checked
 * against, and the repository the service uses. The SQL implementation is `sql-repository.ts`
 * over the table `migrations.ts` creates.
 */

/** An API key's metadata (never its secret). */
export interface ApiKey {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  /** The `<env>` of `gh_<env>_…`, e.g. `live` or `test`. */
  readonly env: string;
  readonly scopes: readonly string[];
  /** Requests must be signed (the secret is kept encrypted, not digested). */
  readonly signing: boolean;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  readonly lastUsedAt: number | null;
}

/** A key with what its secret is checked against. */
export interface ApiKeyCredential {
  readonly key: ApiKey;
  /** Keyed digest of the secret (plain keys). */
  readonly secretDigest: string | null;
  /** AEAD envelope of the secret (signing keys). */
  readonly signingSecret: string | null;
}

export interface NewApiKey {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly env: string;
  readonly scopes: readonly string[];
  readonly secretDigest: string | null;
  readonly signingSecret: string | null;
  readonly expiresAt: number;
  readonly now: number;
}

export interface ApiKeyRepository {
  /**
   * Inserts the key unless the user already holds `maxActive` live keys (not revoked, not
   * expired at `now`); `null` at the cap. Serialised per user, so concurrent creations cannot
   * pass the cap together.
   */
  create(key: NewApiKey, options: { readonly maxActive: number }): Promise<ApiKey | null>;
  findCredential(id: string): Promise<ApiKeyCredential | null>;
  listForUser(userId: string): Promise<ApiKey[]>;
  /** One of the user's keys; `null` when unknown or someone else's. */
  findForUser(userId: string, id: string): Promise<ApiKey | null>;
  update(
    userId: string,
    id: string,
    changes: { readonly name?: string; readonly scopes?: readonly string[] },
  ): Promise<ApiKey | null>;
  /** Revokes (soft, idempotent: the first `revokedAt` is kept); `null` when unknown or someone else's. */
  revoke(userId: string, id: string, now: number): Promise<ApiKey | null>;
  /** Records use; never moves backwards. */
  touch(id: string, now: number): Promise<void>;
}
