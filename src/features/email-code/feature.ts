import type { z } from 'zod';
import type {
  AuditLog,
  RequestMeta,
  SecondFactorGate,
  SessionIssuer,
  TokenResponse,
} from '../../core/index.ts';
import { defineFeature } from '../../feature/index.ts';
import { EMAIL_CODE_CONFIG_KEY, emailCodeOptionsSchema } from './config.ts';
import { EMAIL_CODE_ERROR_CODES } from './error-codes.ts';
import { createEmailCodeMailer } from './mail.ts';
import { EMAIL_CODE_RATE_LIMITS } from './rate-limits.ts';
import { emailCodeRoutes } from './routes.ts';
import { createEmailCodeService } from './service.ts';

/** Purpose labels of the keys this feature derives from the master secrets. */
export const EMAIL_CODE_KEY_PURPOSES = Object.freeze({ emailCode: 'email-code' });

interface SessionsPorts {
  readonly tokens: SessionIssuer;
  readonly tokenBody: (tokens: TokenResponse) => object;
  readonly tokenResponseSchema: z.ZodType;
  readonly allowedOrigins: ReadonlySet<string>;
}
interface AccountsPorts {
  readonly normalizeEmail: (input: string) => string | null;
  readonly userView: z.ZodType;
  readonly twoFactorChallenge: z.ZodType;
}
interface VerificationPorts {
  readonly verification: {
    noticeSignIn(user: { readonly id: string; readonly email: string }, meta: RequestMeta): Promise<void>;
  };
}
interface RateLimitPorts {
  readonly enforcer: {
    readonly hook: (
      slot: string,
      subject: { clientIp: string; identifier: string | null },
    ) => Promise<{ readonly retryAfterSeconds: number | null }>;
  } | null;
}

/**
 * Sign-in by a code (and link) mailed to the address: opt-in (`emailCode.enabled`), no routes
 * without it. Email becomes a way in, so it is only as strong as the mailbox (docs/EMAIL-CODES.md).
 */
export const emailCodeFeature = defineFeature({
  id: 'email-code',
  requires: ['audit', 'sessions', 'accounts', 'verification', 'two-factor', 'ratelimit'],
  errors: EMAIL_CODE_ERROR_CODES,
  rateLimits: EMAIL_CODE_RATE_LIMITS,
  keyPurposes: EMAIL_CODE_KEY_PURPOSES,
  config: { key: EMAIL_CODE_CONFIG_KEY, schema: emailCodeOptionsSchema },
  build({ config, options, keys, stores, repositories, mail, logger, now, port }) {
    if (!options.enabled) return {};
    const { audit } = port<{ audit: AuditLog }>('audit');
    const sessions = port<SessionsPorts>('sessions');
    const accounts = port<AccountsPorts>('accounts');
    const { verification } = port<VerificationPorts>('verification');
    const { twoFactor } = port<{ twoFactor: SecondFactorGate }>('two-factor');
    const { enforcer } = port<RateLimitPorts>('ratelimit');
    // Mail links open the pages, which may live on another origin than this server.
    const linkBase = (config.mail.linkBase ?? config.baseUrl).replace(/\/+$/, '');
    const service = createEmailCodeService({
      users: repositories.users,
      keyValue: stores.keyValue,
      once: stores.once,
      counters: stores.counters,
      digests: keys.digester(EMAIL_CODE_KEY_PURPOSES.emailCode),
      sessions: sessions.tokens,
      secondFactor: twoFactor,
      audit,
      sendMail: createEmailCodeMailer(mail, logger),
      noticeSignIn: (user, meta) => verification.noticeSignIn(user, meta),
      appName: config.appName,
      linkUrl: `${linkBase}${options.linkPath}`,
      codeLength: options.codeLength,
      ttlMs: options.ttlSeconds * 1000,
      maxAttempts: options.maxAttempts,
      now,
    });
    const secure = config.cookies.secure;
    return {
      // With codes on, the account's address is a way in by itself (a code mailed to it signs
      // in), so no removal of another way in leaves the account without one.
      signInMethods: [{ method: 'email-code', count: async () => 1 }],
      routes: emailCodeRoutes({
        service,
        normalizeEmail: accounts.normalizeEmail,
        tokenBody: sessions.tokenBody,
        tokenSchema: sessions.tokenResponseSchema,
        userSchema: accounts.userView,
        challengeSchema: accounts.twoFactorChallenge,
        allowedOrigins: sessions.allowedOrigins,
        countIp: async (slot, clientIp) =>
          enforcer ? (await enforcer.hook(slot, { clientIp, identifier: null })).retryAfterSeconds : null,
        cookie: {
          // `__Host-` with Secure: no sibling subdomain can plant one.
          name: secure ? '__Host-gh_email_code' : 'gh_email_code',
          secure,
          sameSite: config.cookies.sameSite,
          maxAgeSeconds: options.ttlSeconds,
        },
      }),
    };
  },
});
