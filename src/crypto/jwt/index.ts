export type { TokenClass, VerifiedClaims } from './claims.ts';
export { createJwtCodec, type JwtCodec, type JwtCodecOptions, type SignClaims } from './codec.ts';
export {
  importJwtKey,
  importJwtKeyRing,
  isJwtKeyError,
  JwtKeyError,
  type JwtKeyInput,
  jwkThumbprint,
} from './import-key.ts';
export { deriveJwtKey, type JwtAlgorithm, type JwtKey, type JwtVerificationKey } from './keys.ts';
export { isTokenError, TokenError, type TokenErrorReason } from './token-error.ts';
