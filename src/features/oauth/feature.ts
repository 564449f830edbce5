import type { z } from 'zod';
import type { AuditLog, SecondFactorGate, SessionIssuer } from '../../core/index.ts';
import { defineFeature } from '../../feature/index.ts';
import { encryptedColumnAad } from '../../stores/repositories.ts';
import { OAUTH_ERROR_CODES } from './error-codes.ts';
import { createFlowCookies } from './flow-cookie.ts';
import { createProviderClient } from './providers/client.ts';
import type { ProviderConfig } from './providers/config.ts';
import { OAUTH_RATE_LIMITS } from './rate-limits.ts';
import { oauthRoutes } from './routes.ts';
import { createOAuthService } from './service.ts';
import { oauthSignInMethod } from './sign-in-method.ts';

/** An authorization request may take this long at the provider (the flow cookie's life). */
const OAUTH_FLOW_TTL_SECONDS = 600;
/** A one-time exchange code (SPA and mobile sign-in) lives this long. */
const OAUTH_EXCHANGE_TTL_MS = 60_000;

interface SessionsPorts {
  readonly tokens: SessionIssuer;
  readonly tokenBody: Parameters<typeof oauthRoutes>[0]['tokenBody'];
  readonly tokenResponseSchema: z.ZodType;
}
interface AccountsPorts {
  readonly normalizeEmail: (input: string) => string | null;
  readonly userView: z.ZodType;
  readonly twoFactorChallenge: z.ZodType;
}

/** OAuth / OIDC sign-in: no routes at all without a configured provider. */
export const oauthFeature = defineFeature({
  id: 'oauth',
  requires: ['audit', 'sessions', 'accounts', 'two-factor'],
  errors: OAUTH_ERROR_CODES,
  rateLimits: OAUTH_RATE_LIMITS,
  build({ config, keys, stores, repositories, now, port, signInMethods }) {
    const configured = Object.entries(config.oauth.providers);
    if (configured.length === 0) return {};
    const { audit } = port<{ audit: AuditLog }>('audit');
    const sessions = port<SessionsPorts>('sessions');
    const accounts = port<AccountsPorts>('accounts');
    const { twoFactor } = port<{ twoFactor: SecondFactorGate }>('two-factor');
    const secrets = keys.storedSecrets;
    const { beforeRegister } = config.hooks;
    const callbackBase = `${config.baseUrl}${config.http.basePath}/auth/oauth`;
    const providers = new Map(
      configured.map(([name, provider]) => [
        name,
        createProviderClient(name, provider as ProviderConfig, {
          redirectUri: `${callbackBase}/${name}/callback`,
          fetchTimeoutMs: config.oauth.fetchTimeoutMs,
          allowInsecureLoopback: config.oauth.allowInsecureLoopback,
        }),
      ]),
    );
    const oauth = createOAuthService({
      providers,
      signInMethods,
      flows: createFlowCookies({
        seal: (plaintext, aad) => secrets.encrypt(plaintext, aad),
        open: (envelope, aad) => secrets.decrypt(envelope, aad).toString('utf8'),
        secure: config.cookies.secure,
        now,
      }),
      users: repositories.users,
      accounts: repositories.oauthAccounts,
      once: stores.once,
      keyValue: stores.keyValue,
      sessions: sessions.tokens,
      secondFactor: twoFactor,
      audit,
      redirects: { baseUrl: config.baseUrl, allowedOrigins: config.oauth.redirectOrigins },
      normalizeEmail: accounts.normalizeEmail,
      linkByVerifiedEmail: config.oauth.linkByVerifiedEmail,
      allowUnverifiedEmail: config.oauth.allowUnverifiedEmail,
      sealProviderToken: config.oauth.storeProviderTokens
        ? (accountId, column, token) =>
            secrets.encrypt(token, encryptedColumnAad('oauth_accounts', column, accountId))
        : null,
      mayRegister: async (email, name) => {
        if (!beforeRegister) return true;
        try {
          return (await beforeRegister({ email, name })) === true;
        } catch {
          // A gate that throws refuses: gates fail closed.
          return false;
        }
      },
      flowTtlSeconds: OAUTH_FLOW_TTL_SECONDS,
      exchangeTtlMs: OAUTH_EXCHANGE_TTL_MS,
      now,
    });
    return {
      signInMethods: [oauthSignInMethod(configured.map(([name]) => name))],
      routes: oauthRoutes({
        oauth,
        tokenBody: sessions.tokenBody,
        tokenSchema: sessions.tokenResponseSchema,
        userSchema: accounts.userView,
        challengeSchema: accounts.twoFactorChallenge,
      }),
    };
  },
});
