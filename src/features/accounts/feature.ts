import type {
  AuditLog,
  LoginGuard,
  RequestMeta,
  SecondFactorGate,
  SecurityNotices,
  SessionIssuer,
  UserView,
  VerificationSender,
} from '../../core/index.ts';
import { coreError, toUserView } from '../../core/index.ts';
import { createPasswordHasher, type PasswordHasher } from '../../crypto/password.ts';
import { defineFeature } from '../../feature/index.ts';
import type { User } from '../../stores/repositories.ts';
import { createBreachedPasswordCheck, createBreachGate } from './breached-passwords.ts';
import { ACCOUNTS_CONFIG_KEY, type AccountsOptions, accountsOptionsSchema } from './config.ts';
import { normalizeEmail } from './email.ts';
import { ACCOUNTS_ERROR_CODES, accountsError } from './error-codes.ts';
import { createArgon2Pool } from './hashing-pool.ts';
import { createPasswordPolicy, passwordPolicyError } from './password-policy.ts';
import { ACCOUNTS_RATE_LIMITS } from './rate-limits.ts';
import { accountsRoutes, twoFactorChallenge, userView } from './routes.ts';
import { createAccountsService } from './service.ts';
import { passwordSignInMethod } from './sign-in-method.ts';
import { timedHasher } from './timed-hasher.ts';
import { createUserViewCache } from './user-view-cache.ts';

/**
 * Users whose view this process keeps, and for how long at most (the sessions feature keeps a
 * user's version in the store for a day, far longer).
 */
const USER_VIEWS = Object.freeze({ maxEntries: 10_000, maxAgeMs: 10 * 60 * 1000 });

/** What other features use of accounts. */
export interface AccountsPorts {
  readonly hasher: PasswordHasher;
  /** The password policy, then the breached-password check: throws the policy's 422. */
  readonly checkNewPassword: (password: string, email: string) => Promise<void>;
  /** `LOGIN_BAD_CREDENTIALS`, for every check of a password outside login. */
  readonly badCredentials: () => Error;
  readonly normalizeEmail: typeof normalizeEmail;
  readonly userView: typeof userView;
  readonly twoFactorChallenge: typeof twoFactorChallenge;
  /** `USER_ALREADY_EXISTS`, for an account created other than by registration (admins). */
  readonly userExists: () => Error;
  /** How an account is deleted (`accounts.deletion`). */
  readonly deletion: AccountsOptions['deletion'];
}

interface SessionsPorts {
  readonly tokens: SessionIssuer;
  readonly tokenBody: Parameters<typeof accountsRoutes>[0]['tokenBody'];
  readonly tokenResponseSchema: Parameters<typeof accountsRoutes>[0]['tokenSchema'];
  readonly allowedOrigins: ReadonlySet<string>;
}

const viewOf = (user: User | null): UserView | null => (user ? toUserView(user) : null);

/** Changes made through `auth.api` are recorded as the server's, not a request's. */
const SYSTEM_META: RequestMeta = Object.freeze({
  requestId: 'server-api',
  clientIp: 'unknown',
  userAgent: null,
});

/**
 * Accounts: registration, login and the password (policy, breached-password check, hashing),
 * the account routes, and `auth.api.users` / `auth.api.unlockLogin`.
 */
export const accountsFeature = defineFeature({
  id: 'accounts',
  requires: ['audit', 'sessions', 'lockout'],
  // Registration mails a verification link and login asks for a second factor: both are built
  // after accounts (they check passwords with it) and called at request time only.
  uses: ['verification', 'two-factor'],
  errors: ACCOUNTS_ERROR_CODES,
  rateLimits: ACCOUNTS_RATE_LIMITS,
  config: { key: ACCOUNTS_CONFIG_KEY, schema: accountsOptionsSchema },
  build({ config, options, repositories, logger, metrics, now, port, later, userChanged }) {
    const { audit } = port<{ audit: AuditLog }>('audit');
    const sessions = port<SessionsPorts>('sessions');
    const { loginGuard } = port<{ loginGuard: LoginGuard | null }>('lockout');
    const mail = later<{ verification: VerificationSender; notices: SecurityNotices }>('verification');
    const twoFactor = later<{ twoFactor: SecondFactorGate }>('two-factor');

    // Hashing threads below the event loop's priority, behind a capped queue: a sign-up or
    // login flood neither starves authenticated reads nor queues without end (503 when full).
    const { threads, maxQueued, niceIncrement } = config.passwords.hashing;
    const argon2Pool = createArgon2Pool({
      ...(threads === undefined ? {} : { threads }),
      ...(maxQueued === undefined ? {} : { maxQueued }),
      niceIncrement,
    });
    const hasher = timedHasher(
      createPasswordHasher(config.passwords.argon2, argon2Pool),
      metrics,
      argon2Pool,
    );
    const policy = createPasswordPolicy({
      minLength: config.passwords.minLength,
      maxLength: config.passwords.maxLength,
      // The service's own names are context words (NIST SP 800-63B-4 §3.1.1.2), beside the configured ones.
      contextWords: [
        config.appName,
        ...(config.twoFactor.issuer ? [config.twoFactor.issuer] : []),
        ...config.passwords.contextWords,
      ],
    });
    const breachCheck = config.passwords.breachCheck;
    const breachGate = breachCheck
      ? createBreachGate({
          check: createBreachedPasswordCheck({ url: breachCheck.url, timeoutMs: breachCheck.timeoutMs }),
          onError: breachCheck.onError,
          warn: (error) =>
            logger.warn({ err: error }, 'breached-password check unavailable; password accepted'),
        })
      : undefined;
    const { beforeRegister } = config.hooks;
    const enumerationSafe = config.registration.mode === 'enumeration-safe';
    const accounts = createAccountsService({
      users: repositories.users,
      hasher,
      policy,
      ...(breachGate ? { breachGate } : {}),
      sessions: sessions.tokens,
      verification: {
        sendVerification: (...args) => mail().verification.sendVerification(...args),
        sendExistingAccountNotice: (...args) => mail().verification.sendExistingAccountNotice(...args),
        noticeSignIn: (...args) => mail().verification.noticeSignIn(...args),
      },
      audit,
      loginGuard,
      ...(beforeRegister ? { beforeRegister } : {}),
      registrationMode: config.registration.mode,
      secondFactor: { challenge: (...args) => twoFactor().twoFactor.challenge(...args) },
      notices: { notify: (...args) => mail().notices.notify(...args) },
      now,
      requireVerifiedEmail: enumerationSafe || config.registration.requireVerifiedEmail === true,
    });

    // The signed-in user's view without SQL while the version the credential check read
    // matches the one the view was read under (user-view-cache.ts).
    const views = createUserViewCache(USER_VIEWS);
    const activeView = async (principal: {
      readonly userId: string;
      readonly userVersion?: string | undefined;
    }): Promise<UserView | null> => {
      const cached = views.get(principal.userId, principal.userVersion);
      if (cached) return cached;
      const user = await repositories.users.findById(principal.userId);
      if (!user?.isActive) return null;
      const view = toUserView(user);
      views.set(principal.userId, principal.userVersion, view);
      return view;
    };

    const ports: AccountsPorts = {
      hasher,
      async checkNewPassword(password, email) {
        const reasons = policy.check(password, { email });
        if (reasons.length > 0) throw passwordPolicyError(reasons);
        await breachGate?.(password);
      },
      badCredentials: () => accountsError('LOGIN_BAD_CREDENTIALS'),
      normalizeEmail,
      userView,
      twoFactorChallenge,
      userExists: () => accountsError('USER_ALREADY_EXISTS'),
      deletion: options.deletion,
    };
    return {
      ports,
      signInMethods: [passwordSignInMethod],
      close: () => argon2Pool.close(),
      routes: accountsRoutes({
        accounts,
        async currentUser(principal) {
          // A token outliving its deleted or deactivated user is not a valid credential.
          const view = await activeView(principal);
          if (!view) throw coreError('INVALID_TOKEN');
          return view;
        },
        tokenBody: sessions.tokenBody,
        tokenSchema: sessions.tokenResponseSchema,
        allowedOrigins: sessions.allowedOrigins,
      }),
      api: {
        // The caller's own public view, for handlers behind a guard: no database query by hand.
        // An inactive or deleted user is null, as their credential would be refused next time.
        getUser: async (
          principal: { readonly userId: string; readonly userVersion?: string } | null | undefined,
        ) => (principal ? activeView(principal) : null),
        users: {
          create: async (user: Parameters<typeof accounts.createUser>[0]) =>
            toUserView(await accounts.createUser(user)),
          get: async (id: string) => viewOf(await repositories.users.findById(id)),
          findByEmail: async (email: string) => {
            const normalised = normalizeEmail(email);
            return normalised ? viewOf(await repositories.users.findByEmail(normalised)) : null;
          },
          async update(
            id: string,
            changes: {
              name?: string | null;
              roles?: readonly string[];
              isActive?: boolean;
              emailVerified?: boolean;
            },
          ) {
            const { emailVerified, ...rest } = changes;
            const at = now();
            const user = await repositories.users.update(
              id,
              {
                ...rest,
                ...(emailVerified === undefined ? {} : { emailVerifiedAt: emailVerified ? at : null }),
              },
              at,
            );
            // Roles travel inside access tokens, and API keys re-read their owner: every
            // feature that holds the user's credentials ends or forgets them at once.
            if (user && (changes.roles !== undefined || changes.isActive !== undefined)) {
              await userChanged(id, {
                kind: 'updated',
                rolesChanged: changes.roles !== undefined,
                isActive: changes.isActive,
              });
            }
            return viewOf(user);
          },
          async delete(id: string) {
            // Before the rows go: every feature ends or forgets what the user holds.
            await userChanged(id, { kind: 'deleting' });
            const deleted = await repositories.users.delete(id);
            if (deleted) await audit.record('user.deleted', SYSTEM_META, { userId: id });
            return deleted;
          },
        },
        async unlockLogin(email: string) {
          await loginGuard?.clear(normalizeEmail(email) ?? email.trim().toLowerCase());
        },
      },
    };
  },
});
