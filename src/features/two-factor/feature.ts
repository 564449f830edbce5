import type { z } from 'zod';
import type { AuditLog, LoginGuard, RequestMeta, SecurityNotices, SessionIssuer } from '../../core/index.ts';
import type { PasswordHasher } from '../../crypto/password.ts';
import { defineFeature } from '../../feature/index.ts';
import { encryptedColumnAad } from '../../stores/repositories.ts';
import { STEP_UP_ERROR_CODES, TWO_FACTOR_ERROR_CODES } from './error-codes.ts';
import { TWO_FACTOR_RATE_LIMITS } from './rate-limits.ts';
import { twoFactorRoutes } from './routes.ts';
import { createTwoFactor, STEP_UP_CODE_HEADER, type TwoFactor } from './service.ts';

/** Purpose labels of the keys two-factor derives from the master secrets. */
export const TWO_FACTOR_KEY_PURPOSES = Object.freeze({
  twoFactorPending: 'two-factor-pending',
  twoFactorBinding: 'two-factor-binding',
  twoFactorEnrollment: 'two-factor-enrollment',
  recoveryCode: 'recovery-code',
});

/** The pending-login token class: only the second step of a login accepts it. */
const TWO_FACTOR_PENDING_TYP = 'gh-2fa-pending+jwt';

/** What other features use: the second factor (login challenge, step-up, recent authentication). */
export interface TwoFactorPorts {
  readonly twoFactor: TwoFactor;
}

interface SessionsPorts {
  readonly tokens: SessionIssuer;
  readonly tokenBody: Parameters<typeof twoFactorRoutes>[0]['tokenBody'];
  readonly tokenResponseSchema: z.ZodType;
  readonly allowedOrigins: ReadonlySet<string>;
}
interface AccountsPorts {
  readonly hasher: PasswordHasher;
  readonly badCredentials: () => Error;
  readonly userView: z.ZodType;
}
interface VerificationPorts {
  readonly mailer: {
    send(kind: 'recoveryCodeUsed', to: string, data: { appName: string }, meta: RequestMeta): Promise<void>;
  };
  readonly notices: SecurityNotices;
  readonly verification: {
    noticeSignIn(user: { readonly id: string; readonly email: string }, meta: RequestMeta): Promise<void>;
  };
}

/** TOTP second factor: enrollment, the pending-login step, recovery codes and step-up. */
export const twoFactorFeature = defineFeature({
  id: 'two-factor',
  requires: ['audit', 'sessions', 'lockout', 'accounts', 'verification'],
  errors: TWO_FACTOR_ERROR_CODES,
  rateLimits: TWO_FACTOR_RATE_LIMITS,
  keyPurposes: TWO_FACTOR_KEY_PURPOSES,
  stepUp: { errorCodes: STEP_UP_ERROR_CODES, codeHeader: STEP_UP_CODE_HEADER },
  build({ config, keys, stores, repositories, now, port }) {
    const { audit } = port<{ audit: AuditLog }>('audit');
    const sessions = port<SessionsPorts>('sessions');
    const { loginGuard } = port<{ loginGuard: LoginGuard | null }>('lockout');
    const accounts = port<AccountsPorts>('accounts');
    const { mailer, notices, verification } = port<VerificationPorts>('verification');
    const issuer = config.tokens.issuer ?? config.baseUrl;
    const seeds = keys.storedSecrets;
    const seedAad = (userId: string) => encryptedColumnAad('users', 'totp_secret', userId);
    // Pending enrollments live in the store, encrypted too and bound to their user.
    const pendingAad = (userId: string) => `gatehouse:2fa-enrollment:${userId}`;
    const recoveryDigester = keys.digester(TWO_FACTOR_KEY_PURPOSES.recoveryCode);
    const recoveryPerKey = keys.digestersPerKey(TWO_FACTOR_KEY_PURPOSES.recoveryCode);
    const twoFactor = createTwoFactor({
      users: repositories.users,
      sessions: repositories.sessions,
      recoveryCodes: repositories.recoveryCodes,
      keyValue: stores.keyValue,
      once: stores.once,
      seeds: {
        seal: (userId, seed) => seeds.encrypt(seed, seedAad(userId)),
        open: (userId, envelope) => seeds.decrypt(envelope, seedAad(userId)),
        sealPending: (userId, seed) => seeds.encrypt(seed, pendingAad(userId)),
        openPending: (userId, envelope) => seeds.decrypt(envelope, pendingAad(userId)),
      },
      hasher: accounts.hasher,
      pendingTokens: {
        jwt: keys.jwt(TWO_FACTOR_KEY_PURPOSES.twoFactorPending, 'HS256', issuer, config.tokens.leewaySeconds),
        tokenClass: {
          typ: TWO_FACTOR_PENDING_TYP,
          audience: `${issuer}#2fa-pending`,
          lifetimeSeconds: config.twoFactor.pendingLoginTtlSeconds,
        },
      },
      binding: keys.digester(TWO_FACTOR_KEY_PURPOSES.twoFactorBinding),
      recoveryDigests: {
        digest: (code) => recoveryDigester.digest(code),
        candidates: (code) => recoveryPerKey.map((d) => d.digest(code)),
      },
      enrollmentDigests: keys.digester(TWO_FACTOR_KEY_PURPOSES.twoFactorEnrollment),
      guard: loginGuard,
      sessionIssuer: sessions.tokens,
      audit,
      notifyRecoveryCodeUsed: (user, meta) =>
        mailer.send('recoveryCodeUsed', user.email, { appName: config.appName }, meta),
      notices,
      onEnable: config.twoFactor.onEnable,
      badCredentials: accounts.badCredentials,
      totp: config.twoFactor.totp,
      issuer: config.twoFactor.issuer ?? config.appName,
      stepUpWindowMs: config.twoFactor.stepUpWindowSeconds * 1000,
      enrollmentTtlMs: config.twoFactor.enrollmentTtlSeconds * 1000,
      now,
    });
    const ports: TwoFactorPorts = { twoFactor };
    return {
      ports,
      // A deleted account's pending enrollment (its seed, encrypted) leaves the store too.
      async onUserChange(userId, change) {
        if (change.kind === 'deleting') await twoFactor.forgetUser(userId);
      },
      routes: twoFactorRoutes({
        twoFactor,
        sessions: sessions.tokens,
        tokenBody: sessions.tokenBody,
        tokenSchema: sessions.tokenResponseSchema,
        userSchema: accounts.userView,
        allowedOrigins: sessions.allowedOrigins,
        async signedIn(user, sessionId, meta, authMethods) {
          await verification.noticeSignIn(user, meta);
          await audit.record('login.success', meta, {
            userId: user.id,
            sessionId,
            data: { methods: authMethods },
          });
        },
        now,
      }),
      stepUp: (principal, request, context) =>
        twoFactor.assertStepUp(principal, request, {
          requestId: context.requestId,
          clientIp: context.clientIp,
          userAgent: request.headers.get('user-agent'),
        }),
    };
  },
});
