export type { TokenClass, VerifiedClaims } from './claims.ts';
export { createJwtCodec, type JwtCodec, type JwtCodecOptions, type SignClaims } from './codec.ts';
export { deriveJwtKey, type JwtAlgorithm, type JwtKey } from './keys.ts';
export { isTokenError, TokenError, type TokenErrorReason } from './token-error.ts';
