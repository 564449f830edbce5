export { bearerAuthenticator, cookieAuthenticator } from './authenticators.ts';
export { type CookieSessions, type CookieSettings, createCookieSessions } from './cookie-sessions.ts';
export { type CredentialCache, createCredentialCache } from './credential-cache.ts';
export { SESSIONS_ERROR_CODES, sessionsError } from './error-codes.ts';
export { SESSIONS_KEY_PURPOSES, type SessionsPorts, sessionsFeature } from './feature.ts';
export { SESSIONS_RATE_LIMITS } from './rate-limits.ts';
export { createSessionRevocation, type SessionRevocation } from './revocation.ts';
export { type SessionsRoutesOptions, sessionsRoutes, tokenBody, tokenResponseSchema } from './routes.ts';
export { createTokenService, type TokenService, type TokenServiceOptions } from './token-service.ts';
