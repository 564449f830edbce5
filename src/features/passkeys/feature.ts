import type { z } from 'zod';
import {
  type AuditLog,
  ConfigError,
  type RequestMeta,
  type SecondFactorGate,
  type SecurityNotices,
  type SessionIssuer,
  type TokenResponse,
} from '../../core/index.ts';
import { defineFeature } from '../../feature/index.ts';
import { createCeremony } from './ceremony.ts';
import { PASSKEY_CHALLENGE_TTL_SECONDS, PASSKEY_CONFIG_KEY, passkeyOptionsSchema } from './config.ts';
import { PASSKEY_ERROR_CODES } from './error-codes.ts';
import { PASSKEY_MIGRATIONS } from './migrations.ts';
import { PASSKEY_RATE_LIMITS } from './rate-limits.ts';
import { passkeyRoutes } from './routes.ts';
import { createPasskeyService } from './service.ts';
import { passkeySignInMethod } from './sign-in-method.ts';
import { createPasskeyRepository } from './sql-repository.ts';

/** Purpose labels of the keys this feature derives from the master secrets. */
export const PASSKEY_KEY_PURPOSES = Object.freeze({ passkeyDecoy: 'passkey-decoy' });

interface SessionsPorts {
  readonly tokens: Pick<SessionIssuer, 'issue' | 'startCookieSession' | 'renewCookieSession'>;
  readonly tokenBody: (tokens: TokenResponse) => unknown;
  readonly tokenResponseSchema: z.ZodType;
  readonly allowedOrigins: ReadonlySet<string>;
}
interface AccountsPorts {
  readonly normalizeEmail: (input: string) => string | null;
  readonly userView: z.ZodType;
  readonly twoFactorChallenge: z.ZodType;
}
interface VerificationPorts {
  readonly notices: SecurityNotices;
  readonly verification: {
    noticeSignIn(user: { readonly id: string; readonly email: string }, meta: RequestMeta): Promise<void>;
  };
}

/** Whether `host` is the RP ID or a subdomain of it (WebAuthn's registrable-suffix rule). */
export function rpIdCovers(rpId: string, host: string): boolean {
  return host === rpId || host.endsWith(`.${rpId}`);
}

/**
 * Passkeys (WebAuthn Level 3): registration after a step-up, usernameless and email-first
 * sign-in, step-up with a user-verified passkey, and managing one's passkeys.
 */
export const passkeysFeature = defineFeature({
  id: 'passkeys',
  requires: ['audit', 'sessions', 'accounts', 'two-factor', 'verification'],
  errors: PASSKEY_ERROR_CODES,
  rateLimits: PASSKEY_RATE_LIMITS,
  keyPurposes: PASSKEY_KEY_PURPOSES,
  migrations: PASSKEY_MIGRATIONS,
  config: { key: PASSKEY_CONFIG_KEY, schema: passkeyOptionsSchema },
  build({ config, options, keys, stores, repositories, database, now, port, signInMethods }) {
    if (!options.enabled) return {};
    const base = new URL(config.baseUrl);
    const rpId = options.rpId ?? base.hostname;
    // A credential is scoped to its RP ID for good: a mismatch with the public host would
    // register passkeys no page of ours can use (or scope them to someone else's domain).
    if (config.mode === 'production' && !rpIdCovers(rpId, base.hostname)) {
      throw new ConfigError([
        {
          path: 'passkeys.rpId',
          message: `must be the host of baseUrl (${base.hostname}) or a parent domain of it`,
        },
      ]);
    }
    const { audit } = port<{ audit: AuditLog }>('audit');
    const sessions = port<SessionsPorts>('sessions');
    const accounts = port<AccountsPorts>('accounts');
    const { twoFactor } = port<{ twoFactor: SecondFactorGate }>('two-factor');
    const { notices, verification } = port<VerificationPorts>('verification');
    const decoys = keys.digester(PASSKEY_KEY_PURPOSES.passkeyDecoy);
    const challengeTtlMs = PASSKEY_CHALLENGE_TTL_SECONDS * 1000;
    const passkeys = createPasskeyService({
      passkeys: createPasskeyRepository(database),
      signInMethods,
      users: repositories.users,
      sessions: repositories.sessions,
      keyValue: stores.keyValue,
      once: stores.once,
      ceremony: createCeremony({
        id: rpId,
        name: options.rpName ?? config.appName,
        origins: options.origins ?? [base.origin],
        requireUserVerification: options.userVerification === 'required',
        timeoutMs: challengeTtlMs,
      }),
      issuer: sessions.tokens,
      secondFactor: twoFactor,
      audit,
      notices,
      signedIn: (user, meta) => verification.noticeSignIn(user, meta),
      normalizeEmail: accounts.normalizeEmail,
      // The HMAC of a keyed digest (32 bytes, base64url): looks like a credential id, and is the
      // same for an address every time (`<keyId>.<mac>`: the key id is left out).
      decoyCredentialId: (email) => decoys.digest(`decoy:${email}`).split('.').at(-1) ?? '',
      counterRegression: options.counterRegression,
      maxPerUser: options.maxPerUser,
      challengeTtlMs,
      now,
    });
    return {
      signInMethods: [passkeySignInMethod],
      routes: passkeyRoutes({
        passkeys,
        tokenBody: sessions.tokenBody,
        tokenSchema: sessions.tokenResponseSchema,
        userSchema: accounts.userView,
        challengeSchema: accounts.twoFactorChallenge,
        allowedOrigins: sessions.allowedOrigins,
      }),
    };
  },
});
