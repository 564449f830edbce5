export { SESSIONS_ERROR_CODES, sessionsError } from './error-codes.ts';
export { type SessionsRoutesOptions, sessionsRoutes, tokenBody, tokenResponseSchema } from './routes.ts';
export { createTokenService, type TokenService, type TokenServiceOptions } from './token-service.ts';
