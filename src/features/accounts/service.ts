import { randomBytes } from 'node:crypto';
import type {
  AuditLog,
  CookieSessionStart,
  LoginGuard,
  RequestMeta,
  SecondFactorGate,
  SecurityNotices,
  SessionIssuer,
  TokenResponse,
  TwoFactorChallenge,
  VerificationSender,
} from '../../core/index.ts';
import { coreError } from '../../core/index.ts';
import { newId } from '../../crypto/ids.ts';
import type { PasswordHasher } from '../../crypto/password.ts';
import type { User, UserRepository } from '../../stores/repositories.ts';
import type { BreachGate } from './breached-passwords.ts';
import { normalizeEmail } from './email.ts';
import { accountsError } from './error-codes.ts';
import { type PasswordPolicy, passwordPolicyError } from './password-policy.ts';

export interface AccountsServiceOptions {
  readonly users: UserRepository;
  readonly hasher: PasswordHasher;
  readonly policy: PasswordPolicy;
  /** The breached-password check new passwords pass after the policy; off when absent. */
  readonly breachGate?: BreachGate;
  readonly sessions: SessionIssuer;
  readonly verification: VerificationSender;
  readonly audit: AuditLog;
  /**
   * Gate: `false` (or a throw) refuses the registration with 403 FORBIDDEN. It sees only the
   * typed address, so its answer says nothing about existing accounts.
   */
  readonly beforeRegister?: (input: {
    readonly email: string;
    readonly name: string | null;
  }) => boolean | Promise<boolean>;
  /** Failed-login lockout; `null` when turned off. */
  readonly loginGuard: LoginGuard | null;
  readonly registrationMode: 'enumeration-safe' | 'open';
  readonly requireVerifiedEmail: boolean;
  /** The second step of a login, when 2FA is available. */
  readonly secondFactor?: SecondFactorGate;
  /** Mails the owner after a change of password (in the background). */
  readonly notices: SecurityNotices;
  readonly now?: () => number;
}

export type RegisterResult =
  | { readonly mode: 'enumeration-safe' }
  | { readonly mode: 'open'; readonly user: User };

export interface AccountsService {
  register(
    input: { email: string; password: string; name?: string | undefined },
    meta: RequestMeta,
  ): Promise<RegisterResult>;
  /** Checks the credentials and starts a session; one error for every way it can fail. */
  login(
    input: { email: string; password: string },
    meta: RequestMeta,
  ): Promise<{ user: User; tokens: TokenResponse } | { user: User; challenge: TwoFactorChallenge }>;
  /** The same checks, then a cookie session (browsers) instead of a token pair. */
  loginWithCookie(
    input: { email: string; password: string; rememberMe?: boolean | undefined },
    meta: RequestMeta,
  ): Promise<{ user: User; session: CookieSessionStart } | { user: User; challenge: TwoFactorChallenge }>;
  getActiveUser(userId: string): Promise<User>;
  updateProfile(userId: string, changes: { name?: string | null | undefined }): Promise<User>;
  /** Re-verifies the current password, stores the new one, and revokes every other session. */
  changePassword(
    userId: string,
    sessionId: string,
    input: { currentPassword: string; newPassword: string },
    meta: RequestMeta,
  ): Promise<void>;
  /** Moves a cookie session to a new id after a privilege change; `null` for bearer callers. */
  renewSession(
    principal: { readonly userId: string; readonly sessionId: string; readonly transport: string },
    meta: RequestMeta,
  ): Promise<CookieSessionStart | null>;
  /** Server-side creation (admin tools, the CLI): no mail, roles and verification as given. */
  createUser(input: {
    email: string;
    password: string;
    name?: string | null;
    roles?: readonly string[];
    emailVerified?: boolean;
  }): Promise<User>;
}

const newStamp = (): string => randomBytes(16).toString('base64url');

/** A gate that throws refuses, like one that answers `false`: gates fail closed. */
async function allowedByGate(
  gate: NonNullable<AccountsServiceOptions['beforeRegister']>,
  email: string,
  name: string | null,
): Promise<boolean> {
  try {
    return (await gate({ email, name })) === true;
  } catch {
    return false;
  }
}

export function createAccountsService(options: AccountsServiceOptions): AccountsService {
  const now = options.now ?? Date.now;

  async function checkPolicy(password: string, email: string): Promise<void> {
    const reasons = options.policy.check(password, { email });
    if (reasons.length > 0) throw passwordPolicyError(reasons);
    // Only a password the local policy accepts costs a call to the range API.
    await options.breachGate?.(password);
  }

  /**
   * Checks the policy, hashes, then inserts: the hash is computed before the database is
   * touched, so no transaction or lock is ever held across argon2. `null` when the email is taken.
   */
  async function insertUser(
    email: string,
    password: string,
    extra: { name: string | null; roles?: readonly string[]; emailVerified?: boolean },
  ): Promise<User | null> {
    await checkPolicy(password, email);
    const passwordHash = await options.hasher.hash(password);
    const at = now();
    return options.users.create({
      id: newId(),
      email,
      passwordHash,
      name: extra.name,
      roles: extra.roles ?? [],
      emailVerifiedAt: extra.emailVerified ? at : null,
      securityStamp: newStamp(),
      now: at,
    });
  }

  /** Every check of a password login; one error for every way it can fail. */
  async function checkCredentials(
    input: { email: string; password: string },
    meta: RequestMeta,
  ): Promise<{ user: User }> {
    const email = normalizeEmail(input.email);
    // Locks apply to what was typed, normalised, whether or not an account has it.
    const identifier = email ?? input.email.trim().toLowerCase();
    // Paid for before the password is checked: while locked, or once every attempt of the
    // period is taken (by parallel guesses too), even the right password is refused unchecked.
    const attempt = await options.loginGuard?.reserve({ kind: 'login', identifier }, meta);
    try {
      const user = email ? await options.users.findByEmail(email) : null;
      const fail = async (reason: string) => {
        await attempt?.failed();
        await options.audit.record('login.failure', meta, {
          userId: user?.id ?? null,
          data: { reason, identifier: options.audit.identifierDigest(email ?? input.email) },
        });
        return accountsError('LOGIN_BAD_CREDENTIALS');
      };
      if (!user?.passwordHash) {
        // Same argon2 work as a real check, so response time does not tell unknown emails apart.
        await options.hasher.verifyDummy(input.password);
        throw await fail(user ? 'no_password' : 'unknown_email');
      }
      if (!(await options.hasher.verify(user.passwordHash, input.password)))
        throw await fail('wrong_password');
      // Checked after the password so every failure costs one verify.
      if (!user.isActive) throw await fail('inactive');
      if (options.requireVerifiedEmail && user.emailVerifiedAt === null) throw await fail('unverified');
      // The password was right (with 2FA it only earns a challenge; that step has its own budget).
      await attempt?.succeeded();
      if (options.hasher.needsRehash(user.passwordHash)) {
        const upgraded = await options.hasher.hash(input.password);
        // Conditional: a password changed meanwhile is never overwritten by the old one.
        await options.users.replacePasswordHash(user.id, user.passwordHash, upgraded, now());
      }
      return { user };
    } catch (error) {
      // A check that could not finish keeps its attempt spent (no-op once an outcome was reported).
      await attempt?.failed();
      throw error;
    }
  }

  /** With a second factor the password only earns a challenge. */
  async function secondFactor(
    user: User,
    meta: RequestMeta,
    start: { transport: 'bearer' | 'cookie'; rememberMe: boolean },
  ): Promise<TwoFactorChallenge | null> {
    return (await options.secondFactor?.challenge(user, meta, start)) ?? null;
  }

  async function signedIn(user: User, sessionId: string, meta: RequestMeta): Promise<void> {
    await options.verification.noticeSignIn(user, meta);
    await options.audit.record('login.success', meta, { userId: user.id, sessionId });
  }

  const service: AccountsService = {
    async register(input, meta) {
      const email = normalizeEmail(input.email);
      if (!email)
        throw coreError('VALIDATION_FAILED', {
          errors: [{ path: 'email', message: 'must be an email address' }],
        });
      if (
        options.beforeRegister &&
        !(await allowedByGate(options.beforeRegister, email, input.name ?? null))
      ) {
        await options.audit.record('user.register_refused', meta, {});
        throw coreError('FORBIDDEN');
      }
      // Hashed for a taken address too, so both paths cost the same.
      const user = await insertUser(email, input.password, { name: input.name ?? null });
      if (!user) {
        if (options.registrationMode === 'open') throw accountsError('USER_ALREADY_EXISTS');
        const owner = await options.users.findByEmail(email);
        if (owner) await options.verification.sendExistingAccountNotice(owner, meta);
        await options.audit.record('user.register_existing', meta, { userId: owner?.id ?? null });
        return { mode: 'enumeration-safe' };
      }
      await options.audit.record('user.registered', meta, { userId: user.id });
      if (options.registrationMode === 'enumeration-safe' || options.requireVerifiedEmail) {
        await options.verification.sendVerification(user, meta);
      }
      return options.registrationMode === 'open' ? { mode: 'open', user } : { mode: 'enumeration-safe' };
    },

    async login(input, meta) {
      const { user } = await checkCredentials(input, meta);
      const challenge = await secondFactor(user, meta, {
        transport: 'bearer',
        rememberMe: false,
      });
      if (challenge) return { user, challenge };
      const tokens = await options.sessions.issue(user, meta, { authMethods: ['pwd'] });
      await signedIn(user, tokens.sessionId, meta);
      return { user, tokens };
    },

    async loginWithCookie(input, meta) {
      const { user } = await checkCredentials(input, meta);
      const rememberMe = input.rememberMe === true;
      const challenge = await secondFactor(user, meta, { transport: 'cookie', rememberMe });
      if (challenge) return { user, challenge };
      const session = await options.sessions.startCookieSession(user, meta, {
        authMethods: ['pwd'],
        rememberMe,
      });
      await signedIn(user, session.sessionId, meta);
      return { user, session };
    },

    async getActiveUser(userId) {
      const user = await options.users.findById(userId);
      // A token outliving its deleted or deactivated user is not a valid credential.
      if (!user?.isActive) throw coreError('INVALID_TOKEN');
      return user;
    },

    async updateProfile(userId, changes) {
      const user = await options.users.update(
        userId,
        { ...(changes.name !== undefined ? { name: changes.name } : {}) },
        now(),
      );
      if (!user?.isActive) throw coreError('INVALID_TOKEN');
      return user;
    },

    async changePassword(userId, sessionId, input, meta) {
      const user = await service.getActiveUser(userId);
      if (!user.passwordHash || !(await options.hasher.verify(user.passwordHash, input.currentPassword))) {
        await options.audit.record('password.change_failure', meta, { userId, sessionId });
        throw accountsError('LOGIN_BAD_CREDENTIALS');
      }
      await checkPolicy(input.newPassword, user.email);
      const passwordHash = await options.hasher.hash(input.newPassword);
      await options.users.update(userId, { passwordHash, securityStamp: newStamp() }, now());
      await options.sessions.revokeAllForUser(userId, {
        exceptSessionId: sessionId,
        reason: 'password_changed',
      });
      await options.audit.record('password.changed', meta, { userId, sessionId });
      options.notices.notify(user, 'passwordChanged', meta);
    },

    renewSession: (principal, meta) => options.sessions.renewCookieSession(principal, meta),

    async createUser(input) {
      const email = normalizeEmail(input.email);
      if (!email) throw new TypeError('email must be an email address');
      const user = await insertUser(email, input.password, {
        name: input.name ?? null,
        roles: input.roles ?? [],
        emailVerified: input.emailVerified === true,
      });
      if (!user) throw accountsError('USER_ALREADY_EXISTS');
      return user;
    },
  };
  return service;
}
