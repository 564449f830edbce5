/**
 * Who is making a request, once a credential has been checked. Built by the authenticator that
 * recognised the credential (see `http/authenticator.ts`); read by guards and route handlers.
 */
export interface Principal {
  readonly userId: string;
  /** The session the credential belongs to (one login on one device). */
  readonly sessionId: string;
  readonly roles: readonly string[];
  /** Authentication methods of the session, e.g. `['pwd']` (RFC 8176 values). */
  readonly authMethods: readonly string[];
  /**
   * Id of the credential, for revoking exactly it: the `jti` of a JWT access token; for an
   * opaque access token or a cookie, the session id (the credential lives on the session).
   */
  readonly tokenId: string;
  /** When the credential stops being accepted, epoch milliseconds. */
  readonly expiresAt: number;
  /**
   * How the credential travelled: `bearer` (the Authorization header; never needs a CSRF
   * token) or `cookie` (the session cookie; unsafe methods need the CSRF token and origin).
   */
  readonly transport: 'bearer' | 'cookie';
  /**
   * Set when an API key authenticated the request: its id and effective scopes (the key's
   * scopes still allowed to its owner now). `roles` then holds only the roles among them.
   */
  readonly apiKey?: { readonly id: string; readonly scopes: readonly string[] };
  /**
   * The user's version as the credential check read it (opaque; changes after every change
   * to the user): a view of the user cached with the same version is current. Absent when the
   * check did not read it; then the user is read from the database.
   */
  readonly userVersion?: string;
}
