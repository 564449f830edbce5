import type { Principal, UserView } from '../core/index.ts';
import type { AdminApi } from '../features/admin/index.ts';
import type { UserChanges } from '../stores/repositories.ts';

/**
 * Server-side API for application code (no HTTP involved), assembled from the features' `api`
 * members (accounts: `users`, `unlockLogin`; sessions: `verifyAccessToken`). Users come back in
 * their public view, as in every response: the password hash, security stamp and TOTP seed
 * never leave the library, so application code cannot log, serialise or leak them.
 */
export interface AuthApi {
  /**
   * The public view of the principal's user (what a guard put on the request), or `null` for an
   * anonymous caller or a user who is gone or deactivated: handlers never query the database.
   * @example
   * app.get('/me', requireAuth(), async (req, res) => res.json(await auth.api.getUser(req.auth)));
   */
  getUser(principal: Pick<Principal, 'userId'> | null | undefined): Promise<UserView | null>;
  /**
   * The application's own account calls: they do what they are asked, without the admin rules
   * (`admin` audits every change and never removes the last active admin; use it for anything
   * an operator does).
   */
  readonly users: {
    create(input: {
      email: string;
      password: string;
      name?: string | null;
      roles?: readonly string[];
      emailVerified?: boolean;
    }): Promise<UserView>;
    get(id: string): Promise<UserView | null>;
    findByEmail(email: string): Promise<UserView | null>;
    /** Changing roles or deactivating takes effect on every session at once. */
    update(
      id: string,
      changes: Pick<UserChanges, 'name' | 'roles' | 'isActive'> & { emailVerified?: boolean },
    ): Promise<UserView | null>;
    /** Deletes the user, their sessions, and revokes their live tokens. */
    delete(id: string): Promise<boolean>;
  };
  /** Checks an access token as a route would (signature, claims, revocation). */
  verifyAccessToken(token: string): Promise<Principal>;
  /** Lifts a failed-login lock on an email (support tools; a password reset does it too). */
  unlockLogin(email: string): Promise<void>;
  /**
   * The admin service for operators' tools (`gatehouse users`, `gatehouse audit tail`): list,
   * show, create (a set-password link is mailed), update, soft or hard delete, unlock, reset
   * 2FA; the audit log. The last-admin rule holds (`LAST_ADMIN`) and each change is audited.
   */
  readonly admin: AdminApi;
}
