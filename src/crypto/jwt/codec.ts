import type { JsonWebKey } from 'node:crypto';
import { createHmac } from 'node:crypto';
import { type JWTPayload, SignJWT } from 'jose';
import { createVerifiedCache } from '../verified-cache.ts';
import {
  CODEC_CLAIMS,
  checkClaims,
  comparableTyp,
  comparableTypOf,
  deepFreeze,
  isIdClaim,
  isStringArray,
  type TokenClass,
  type VerifiedClaims,
} from './claims.ts';
import {
  decodeBase64Url,
  decodeJsonObject,
  MAX_TOKEN_LENGTH,
  parseJsonObject,
  splitCompact,
} from './compact.ts';
import {
  assertKeyFitsAlgorithm,
  JWT_ALGORITHMS,
  type JwtAlgorithm,
  type JwtKey,
  type JwtVerificationKey,
  publicJwk,
} from './keys.ts';
import { signatureCheckFor, toLowS } from './signature.ts';
import { TokenError } from './token-error.ts';

/** Claims a caller passes to `sign`; `iss`, `aud`, `iat`, `exp` and `nbf` are the codec's. */
export interface SignClaims {
  readonly sub: string;
  readonly jti: string;
  readonly sid?: string;
  readonly amr?: readonly string[];
  readonly [extra: string]: unknown;
}

export interface JwtCodec {
  /** Signs a token of class `cls` with the first key: header `{ alg, typ, kid }`, claims `iss aud sub sid jti iat exp amr` and extras. */
  sign(cls: TokenClass, claims: SignClaims, options?: { now?: number }): Promise<string>;
  /**
   * Verifies a token as class `cls` and returns its claims, or rejects with a {@link TokenError}
   * naming the first check that refused it. `now` is in milliseconds (default `Date.now()`).
   */
  verify(token: string, cls: TokenClass, options?: { now?: number }): Promise<VerifiedClaims>;
  /** The public keys (every key of the ring) for `/.well-known/jwks.json`; empty for HS256. */
  jwks(): { keys: JsonWebKey[] };
}

export interface JwtCodecOptions {
  /** The one algorithm this codec signs with and accepts. */
  readonly algorithm: JwtAlgorithm;
  /**
   * The ring: the first key signs, every key verifies (tokens made before a rotation). Keys
   * after the first may be verification keys only (the public half of a previous key).
   */
  readonly keys: readonly (JwtKey | JwtVerificationKey)[];
  /** `iss` written and required. */
  readonly issuer: string;
  /** Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds: 0–30, default 30. */
  readonly leewaySeconds?: number;
  /**
   * Tokens remembered as signature-verified (LRU, keyed by the token itself): a hit skips the
   * header parse and signature check (~100 µs for EdDSA/ES256, ~5 µs for HS256) but still
   * checks class, issuer, audience and times. 0 turns it off.
   * @default 10000
   */
  readonly verifiedCacheSize?: number;
}

/** Header members a Gatehouse token may carry; `crit`, `jwk`, `jku`, `x5u`, `x5c`, `x5t`… are refused. */
const ALLOWED_HEADER_MEMBERS: ReadonlySet<string> = new Set(['alg', 'typ', 'kid']);
const MAX_LEEWAY_SECONDS = 30;
const DEFAULT_VERIFIED_CACHE_SIZE = 10_000;

/** What a signature check established about a token; cached for asymmetric algorithms. */
interface SignedToken {
  readonly typ: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

/**
 * The JWT codec of one algorithm and key ring.
 *
 * Signing goes through `jose`. Verification is a narrowly scoped reader on node:crypto: it parses
 * the compact JWS itself (strict base64url, bounded UTF-8 JSON), accepts only the configured
 * algorithm (so `alg: none` in any casing and the HS256-with-a-public-key confusion are refused
 * before any key is touched), only the header members `alg`, `typ` and `kid`, only a `kid` of
 * the ring, only the class's `typ`, then checks the signature with the prepared `KeyObject` and
 * the claims. Tokens longer than 8 KiB are refused unread.
 */
export function createJwtCodec(options: JwtCodecOptions): JwtCodec {
  const { algorithm, issuer } = options;
  if (!JWT_ALGORITHMS.includes(algorithm)) throw new TypeError('unsupported JWT algorithm');
  if (typeof issuer !== 'string' || issuer.length === 0 || issuer.length > 512) {
    throw new TypeError('the JWT issuer must be 1–512 characters');
  }
  const leewaySeconds = options.leewaySeconds ?? MAX_LEEWAY_SECONDS;
  if (!Number.isInteger(leewaySeconds) || leewaySeconds < 0 || leewaySeconds > MAX_LEEWAY_SECONDS) {
    throw new TypeError('JWT leeway must be a whole number of seconds from 0 to 30');
  }
  const cacheSize = options.verifiedCacheSize ?? DEFAULT_VERIFIED_CACHE_SIZE;
  if (!Number.isInteger(cacheSize) || cacheSize < 0 || cacheSize > 1_000_000) {
    throw new TypeError('verifiedCacheSize must be an integer from 0 to 1000000');
  }

  const ring = new Map<string, JwtVerificationKey>();
  for (const key of options.keys ?? []) {
    if (key.alg !== algorithm) throw new TypeError('every key of a JWT codec must use its algorithm');
    assertKeyFitsAlgorithm(key);
    if (ring.has(key.kid)) throw new TypeError('JWT key ids must be unique');
    ring.set(key.kid, key);
  }
  const signer = options.keys?.[0];
  if (!signer) throw new TypeError('a JWT codec needs at least one key');
  if (!('signingKey' in signer)) throw new TypeError('the first key of a JWT codec must be able to sign');

  // Asymmetric tokens are signed by jose. HS256 is signed here with the prepared KeyObject:
  // through jose it costs a WebCrypto job on the thread pool (~45 µs plus a hop) per token, on
  // the login and refresh paths. The output is the same compact JWS; tests check that jose
  // verifies it.
  const signingKey = signer.signingKey;
  const headerSegments = new Map<string, string>();
  function signHs256(typ: string, payload: JWTPayload): string {
    let header = headerSegments.get(typ);
    if (header === undefined) {
      header = Buffer.from(JSON.stringify({ alg: 'HS256', typ, kid: signer!.kid })).toString('base64url');
      headerSegments.set(typ, header);
    }
    const signingInput = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    const signature = createHmac('sha256', signingKey).update(signingInput, 'latin1').digest('base64url');
    return `${signingInput}.${signature}`;
  }
  const checkSignature = signatureCheckFor(algorithm);
  const cache = cacheSize > 0 ? createVerifiedCache<SignedToken>(cacheSize) : null;
  const publicKeys = [...ring.values()].map(publicJwk).filter((jwk): jwk is JsonWebKey => jwk !== null);

  /** Header, key and signature checks; throws TokenError. */
  function verifySignedToken(token: string, expectedTyp: string): SignedToken {
    const parts = splitCompact(token);
    if (!parts) throw new TokenError('malformed');
    const header = decodeJsonObject(parts.headerSegment);
    if (!header) throw new TokenError('malformed');
    // Only the configured algorithm, compared exactly: `none`, `None`, `HS256` on an EdDSA
    // codec and `hs256` all stop here, before a key is chosen.
    if (header.alg !== algorithm) throw new TokenError('algorithm');
    for (const member of Object.keys(header)) {
      if (!ALLOWED_HEADER_MEMBERS.has(member)) throw new TokenError('header');
    }
    if (typeof header.typ !== 'string' || comparableTyp(header.typ) !== expectedTyp)
      throw new TokenError('typ');
    // A Map, not an object: `__proto__`, `constructor` and paths are just unknown ids.
    const key = typeof header.kid === 'string' ? ring.get(header.kid) : undefined;
    if (!key) throw new TokenError('kid');
    const payloadBytes = decodeBase64Url(parts.payloadSegment);
    const signature = decodeBase64Url(parts.signatureSegment);
    if (!payloadBytes || !signature) throw new TokenError('malformed');
    if (!checkSignature(key, parts.signingInput, signature)) throw new TokenError('signature');
    // The payload is parsed only once its signature holds.
    const payload = parseJsonObject(payloadBytes);
    if (!payload) throw new TokenError('malformed');
    return { typ: expectedTyp, payload: deepFreeze(payload) };
  }

  function verifyNow(token: string, cls: TokenClass, now: number): VerifiedClaims {
    const expectedTyp = comparableTypOf(cls);
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw new TokenError('malformed');
    let signed: SignedToken;
    if (cache) {
      const hit = cache.get(token);
      if (hit.value) {
        if (hit.value.typ !== expectedTyp) throw new TokenError('typ');
        signed = hit.value;
      } else {
        signed = verifySignedToken(token, expectedTyp);
        cache.set(hit.key, signed);
      }
    } else {
      signed = verifySignedToken(token, expectedTyp);
    }
    return checkClaims(signed.payload, {
      issuer,
      audience: cls.audience,
      lifetimeSeconds: cls.lifetimeSeconds,
      leewaySeconds,
      now,
    });
  }

  return Object.freeze({
    async sign(cls: TokenClass, claims: SignClaims, signOptions: { now?: number } = {}): Promise<string> {
      comparableTypOf(cls);
      const now = timeOf(signOptions.now);
      const { sub, jti, sid, amr, ...extra } = claims;
      // The same limits verification applies, so a token signed here always verifies.
      if (!isIdClaim(sub) || !isIdClaim(jti))
        throw new TypeError('a token needs a sub and a jti of 1–256 characters');
      if (sid !== undefined && !isIdClaim(sid))
        throw new TypeError('sid must be a string of 1–256 characters');
      if (amr !== undefined && !isStringArray(amr))
        throw new TypeError('amr must be at most 32 short strings');
      for (const name of Object.keys(extra)) {
        if (CODEC_CLAIMS.has(name)) throw new TypeError('iss, aud, iat, exp and nbf are set by the codec');
      }
      const iat = Math.floor(now / 1000);
      const payload: JWTPayload = {
        iss: issuer,
        aud: cls.audience,
        sub,
        ...(sid === undefined ? {} : { sid }),
        jti,
        iat,
        exp: iat + cls.lifetimeSeconds,
        ...(amr === undefined ? {} : { amr: [...amr] }),
        ...extra,
      };
      let token =
        algorithm === 'HS256'
          ? signHs256(cls.typ, payload)
          : await new SignJWT(payload)
              .setProtectedHeader({ alg: algorithm, typ: cls.typ, kid: signer.kid })
              .sign(signingKey);
      // ECDSA through WebCrypto gives high-s about half the time; the verifier accepts low-s only.
      if (algorithm === 'ES256') token = lowSToken(token);
      if (token.length > MAX_TOKEN_LENGTH)
        throw new TypeError('the signed token exceeds 8 KiB and would never verify');
      return token;
    },

    async verify(
      token: string,
      cls: TokenClass,
      verifyOptions: { now?: number } = {},
    ): Promise<VerifiedClaims> {
      return verifyNow(token, cls, timeOf(verifyOptions.now));
    },

    jwks(): { keys: JsonWebKey[] } {
      return { keys: [...publicKeys] };
    },
  });
}

/** The compact JWS with its ES256 signature in low-s form. */
function lowSToken(token: string): string {
  const dot = token.lastIndexOf('.');
  const signature = toLowS(Buffer.from(token.slice(dot + 1), 'base64url'));
  return `${token.slice(0, dot)}.${signature.toString('base64url')}`;
}

function timeOf(now: number | undefined): number {
  if (now === undefined) return Date.now();
  if (!Number.isFinite(now)) throw new TypeError('now must be a time in milliseconds');
  return now;
}
