import type {
  AuditLog,
  LoginGuard,
  Principal,
  RequestMeta,
  SecurityNotices,
  SessionIssuer,
} from '../../core/index.ts';
import type { PasswordHasher } from '../../crypto/password.ts';
import { defineFeature } from '../../feature/index.ts';
import { ADMIN_ERROR_CODES } from './error-codes.ts';
import { adminLibraryApi } from './library-api.ts';
import { ADMIN_MIGRATIONS } from './migrations.ts';
import { adminRoutes } from './routes.ts';
import { createAdminService } from './service.ts';
import { createAdminRepository } from './sql-repository.ts';

/** What the admin feature reads of accounts. */
interface AccountsPorts {
  readonly hasher: PasswordHasher;
  readonly badCredentials: () => Error;
  readonly userExists: () => Error;
  readonly normalizeEmail: (input: string) => string | null;
  readonly deletion: { readonly mode: 'soft' | 'hard'; readonly graceDays: number };
}
/** What it reads of verification: the reset link, and the mailer for its two notices. */
interface VerificationPorts {
  readonly passwordReset: { requestReset(email: string, meta: RequestMeta): Promise<void> };
  readonly mailer: {
    send(
      kind: 'accountDeleted' | 'twoFactorReset',
      to: string,
      data: { appName: string },
      meta: RequestMeta,
    ): void;
  };
  readonly notices: SecurityNotices;
}
/** What admin writes ask of two-factor at request time (a fresh factor, with or without 2FA). */
interface RecentAuthentication {
  readonly twoFactor: {
    assertRecentAuthentication(principal: Principal, request: Request, meta: RequestMeta): Promise<void>;
  };
}

/**
 * The admin API (users, their sessions, 2FA, locks; the audit log) and the owner's account
 * lifecycle (deletion, export, activity). Built only on the feature definition and ports.
 */
export const adminFeature = defineFeature({
  id: 'admin',
  requires: ['audit', 'sessions', 'accounts', 'verification', 'lockout'],
  uses: ['two-factor'],
  errors: ADMIN_ERROR_CODES,
  migrations: ADMIN_MIGRATIONS,
  build({ config, repositories, database, now, port, later, userChanged }) {
    const { audit } = port<{ audit: AuditLog }>('audit');
    const { tokens } = port<{ tokens: SessionIssuer }>('sessions');
    const accounts = port<AccountsPorts>('accounts');
    const verification = port<VerificationPorts>('verification');
    const { loginGuard } = port<{ loginGuard: LoginGuard | null }>('lockout');
    const twoFactor = later<RecentAuthentication>('two-factor');
    const admin = createAdminService({
      repository: createAdminRepository(database),
      users: repositories.users,
      listSessions: (userId) => repositories.sessions.listActive(userId, now()),
      listOAuthAccounts: (userId) => repositories.oauthAccounts.listForUser(userId),
      countRecoveryCodes: (userId) => repositories.recoveryCodes.countUnused(userId),
      revokeAllSessions: (userId, reason) => tokens.revokeAllForUser(userId, { reason }),
      userChanged,
      audit,
      normalizeEmail: accounts.normalizeEmail,
      verifyPassword: (hash, password) => accounts.hasher.verify(hash, password),
      badCredentials: accounts.badCredentials,
      userExists: accounts.userExists,
      sendPasswordReset: (email, meta) => verification.passwordReset.requestReset(email, meta),
      mail: (kind, to, meta) => verification.mailer.send(kind, to, { appName: config.appName }, meta),
      lock: {
        // Locked: the address's sign-ins, or the user's second-factor checks.
        isLocked: async (user) => {
          if (!loginGuard) return false;
          const [login, secondFactor] = await Promise.all([
            loginGuard.isLocked({ kind: 'login', identifier: user.email }),
            loginGuard.isLocked({ kind: 'second-factor', userId: user.id }),
          ]);
          return login || secondFactor;
        },
        clear: async (user) => {
          await loginGuard?.clear(user.email);
          await loginGuard?.clearSecondFactor(user.id);
        },
      },
      deletion: accounts.deletion,
      now,
    });
    return {
      // Soft-deleted accounts past their grace period, erased as a hard delete erases them.
      api: { admin: adminLibraryApi(admin) },
      maintenance: [
        { name: 'admin.deleted-accounts', prune: ({ now: at, batchSize }) => admin.purgeDue(at, batchSize) },
      ],
      routes: adminRoutes({
        admin,
        requireRecentAuthentication: (principal, request, meta) =>
          twoFactor().twoFactor.assertRecentAuthentication(principal, request, meta),
      }),
    };
  },
});
