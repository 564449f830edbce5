import type { z } from 'zod';
import type { AuditLog, LoginGuard, SecurityNotices, SessionIssuer } from '../../core/index.ts';
import type { PasswordHasher } from '../../crypto/password.ts';
import { defineFeature } from '../../feature/index.ts';
import { createEmailChange } from './email-change.ts';
import { VERIFICATION_ERROR_CODES } from './error-codes.ts';
import { createPasswordReset, type PasswordReset } from './password-reset.ts';
import { VERIFICATION_RATE_LIMITS } from './rate-limits.ts';
import { verificationRoutes } from './routes.ts';
import { createSecurityNotices } from './security-notices.ts';
import { createVerificationService, type VerificationService } from './service.ts';
import { createMailer, type Mailer, type MailTemplate } from './templates.ts';

/** Purpose labels of the keys verification derives from the master secrets. */
export const VERIFICATION_KEY_PURPOSES = Object.freeze({
  verifyToken: 'verify-token',
  emailBinding: 'email-binding',
  resetToken: 'reset-token',
  emailChangeToken: 'email-change-token',
});

/** Token classes (`typ`): no token of one flow can pass for another's, or for an access token. */
const VERIFY_TYP = 'gh-verify+jwt';
const RESET_TYP = 'gh-reset+jwt';
const EMAIL_CHANGE_TYP = 'gh-email-change+jwt';

/** What other features use: the mailer, security notices, and the sign-in notice. */
export interface VerificationPorts {
  readonly mailer: Mailer;
  readonly notices: SecurityNotices;
  readonly verification: VerificationService;
  /** The reset link, also an account's first set-password link when an admin created it. */
  readonly passwordReset: PasswordReset;
}

interface AccountsPorts {
  readonly hasher: PasswordHasher;
  readonly checkNewPassword: (password: string, email: string) => Promise<void>;
  readonly badCredentials: () => Error;
  readonly normalizeEmail: (input: string) => string | null;
  readonly userView: z.ZodType;
}

/**
 * Mail and what it verifies: email verification, password reset, change of email, security
 * notices to the owner, and the templates they render.
 */
export const verificationFeature = defineFeature({
  id: 'verification',
  requires: ['audit', 'sessions', 'lockout', 'accounts'],
  errors: VERIFICATION_ERROR_CODES,
  rateLimits: VERIFICATION_RATE_LIMITS,
  keyPurposes: VERIFICATION_KEY_PURPOSES,
  build({ config, keys, stores, repositories, mail, logger, now, port }) {
    const { audit } = port<{ audit: AuditLog }>('audit');
    const { tokens } = port<{ tokens: SessionIssuer }>('sessions');
    const { loginGuard } = port<{ loginGuard: LoginGuard | null }>('lockout');
    const accounts = port<AccountsPorts>('accounts');
    const issuer = config.tokens.issuer ?? config.baseUrl;
    // Mail links open the pages, which may live on another origin than this server.
    const linkBase = (config.mail.linkBase ?? config.baseUrl).replace(/\/+$/, '');
    const leeway = config.tokens.leewaySeconds;
    // Verification tokens are only ever checked by this app: HS256 with their own key.
    const jwtFor = (purpose: string) => keys.jwt(purpose, 'HS256', issuer, leeway);

    const mailer = createMailer({
      transport: mail,
      templates: config.mail.templates as Partial<Record<string, MailTemplate>> | undefined,
      logger,
    });
    // Security notices to the owner (2FA on/off, recovery codes, password, API keys, a 2FA lock).
    const notices = createSecurityNotices({
      users: repositories.users,
      mailer,
      audit,
      appName: config.appName,
      logger,
    });
    const emailDigester = keys.digester(VERIFICATION_KEY_PURPOSES.emailBinding);
    const verification = createVerificationService({
      users: repositories.users,
      once: stores.once,
      keyValue: stores.keyValue,
      notifyNewSignIn: config.mail.notifyNewSignIn,
      jwt: jwtFor(VERIFICATION_KEY_PURPOSES.verifyToken),
      tokenClass: {
        typ: VERIFY_TYP,
        audience: `${issuer}#verify-email`,
        lifetimeSeconds: config.tokens.verifyTokenTtlSeconds,
      },
      emailDigest: (email) => emailDigester.digest(email),
      mailer,
      audit,
      appName: config.appName,
      verifyUrl: `${linkBase}${config.mail.links.verifyEmail}`,
      now,
    });
    const resetDigester = keys.digester(VERIFICATION_KEY_PURPOSES.resetToken);
    const passwordReset = createPasswordReset({
      users: repositories.users,
      once: stores.once,
      keyValue: stores.keyValue,
      jwt: jwtFor(VERIFICATION_KEY_PURPOSES.resetToken),
      tokenClass: {
        typ: RESET_TYP,
        audience: `${issuer}#reset-password`,
        lifetimeSeconds: config.tokens.resetTokenTtlSeconds,
      },
      digest: (value) => resetDigester.digest(value),
      hasher: accounts.hasher,
      checkPolicy: accounts.checkNewPassword,
      sessions: tokens,
      loginGuard,
      mailer,
      audit,
      appName: config.appName,
      resetUrl: `${linkBase}${config.mail.links.resetPassword}`,
      now,
    });
    const emailChangeDigester = keys.digester(VERIFICATION_KEY_PURPOSES.emailChangeToken);
    const emailChange = createEmailChange({
      users: repositories.users,
      once: stores.once,
      jwt: jwtFor(VERIFICATION_KEY_PURPOSES.emailChangeToken),
      tokenClass: {
        typ: EMAIL_CHANGE_TYP,
        audience: `${issuer}#confirm-email`,
        lifetimeSeconds: config.tokens.verifyTokenTtlSeconds,
      },
      digest: (value) => emailChangeDigester.digest(value),
      hasher: accounts.hasher,
      badCredentials: accounts.badCredentials,
      mailer,
      audit,
      appName: config.appName,
      confirmUrl: `${linkBase}${config.mail.links.confirmEmail}`,
      now,
    });
    const ports: VerificationPorts = { mailer, notices, verification, passwordReset };
    return {
      ports,
      // A deleted account's pending reset link dies with it, and its marker leaves the store.
      async onUserChange(userId, change) {
        if (change.kind === 'deleting') await passwordReset.forgetUser(userId);
      },
      routes: verificationRoutes({
        verification,
        passwordReset,
        emailChange,
        normalizeEmail: accounts.normalizeEmail,
        userSchema: accounts.userView,
      }),
    };
  },
});
