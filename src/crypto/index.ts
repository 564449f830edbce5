export { derivePurposeKey } from './derive-key.ts';
export {
  constantTimeEqual,
  createDigester,
  type Digester,
  type DigestKey,
  type DigestKeys,
} from './digest.ts';
export { newId } from './ids.ts';
export {
  createJwtCodec,
  deriveJwtKey,
  isTokenError,
  type JwtAlgorithm,
  type JwtCodec,
  type JwtCodecOptions,
  type JwtKey,
  type SignClaims,
  type TokenClass,
  TokenError,
  type TokenErrorReason,
  type VerifiedClaims,
} from './jwt/index.ts';
export { newOpaqueToken, type OpaqueToken, parseOpaqueToken } from './opaque-token.ts';
export {
  type Argon2Params,
  createPasswordHasher,
  DEFAULT_ARGON2_PARAMS,
  type PasswordHasher,
} from './password.ts';
export { generateSecret, randomBase64Url } from './random.ts';
