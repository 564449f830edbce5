import type { Principal, UserView } from '../core/index.ts';
import type { UserChanges } from '../stores/repositories.ts';

/**
 * Server-side API for application code (no HTTP involved), assembled from the features' `api`
 * members (accounts: `users`, `unlockLogin`; sessions: `verifyAccessToken`). Users come back in
 * their public view, as in every response: the password hash, security stamp and TOTP seed
 * never leave the library, so application code cannot log, serialise or leak them.
 */
export interface AuthApi {
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
}
