import {
  createECDH,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  hkdfSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';

/** The JWS algorithms Gatehouse signs with: one per codec, chosen in the configuration. */
export type JwtAlgorithm = 'HS256' | 'EdDSA' | 'ES256';

export const JWT_ALGORITHMS: readonly JwtAlgorithm[] = Object.freeze(['HS256', 'EdDSA', 'ES256']);

/**
 * A key of a codec's ring that only verifies: the previous key of a rotation, given as its
 * public half (EdDSA, ES256).
 */
export interface JwtVerificationKey {
  /** Written into every token's header; a token whose `kid` is not in the ring is refused. */
  readonly kid: string;
  readonly alg: JwtAlgorithm;
  /** The HMAC secret (HS256) or the public key (EdDSA, ES256). */
  readonly verifyKey: KeyObject;
}

/** One signing key of a codec's ring. */
export interface JwtKey extends JwtVerificationKey {
  /** The HMAC secret (HS256) or the private key (EdDSA, ES256). */
  readonly signingKey: KeyObject;
}

/** Key ids are short labels, so a `kid` never carries paths, URLs or markup. */
export const KID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** PKCS#8 DER prefix of an Ed25519 private key (RFC 8410): the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** Order of the P-256 base point (SEC 2, section 2.4.2). */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/**
 * A JWT key derived deterministically from a 32-byte purpose seed (an HKDF output of the master
 * secret), so every worker and every machine with the same secrets derives the same key, and
 * rotating the master secret rotates the signing key.
 *
 * - HS256: the seed is the HMAC key.
 * - EdDSA: the seed is the Ed25519 private key (RFC 8032 section 5.1.5).
 * - ES256: the seed is expanded to 40 bytes with HKDF and reduced into [1, n − 1]
 *   ({@link p256ScalarFromSeed}); the public point comes from node:crypto ECDH.
 */
export function deriveJwtKey(alg: JwtAlgorithm, purposeSeed: Uint8Array, kid: string): JwtKey {
  if (!(purposeSeed instanceof Uint8Array) || purposeSeed.byteLength !== 32) {
    throw new TypeError('a JWT key seed must be exactly 32 bytes');
  }
  if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) {
    throw new TypeError('a JWT key id must be 1–64 characters of A–Z, a–z, 0–9, ., _, : or -');
  }
  const seed = Buffer.from(purposeSeed);
  switch (alg) {
    case 'HS256': {
      const secret = createSecretKey(seed);
      return Object.freeze({ kid, alg, signingKey: secret, verifyKey: secret });
    }
    case 'EdDSA': {
      const der = Buffer.concat([ED25519_PKCS8_PREFIX, seed]);
      const signingKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      return Object.freeze({ kid, alg, signingKey, verifyKey: createPublicKey(signingKey) });
    }
    case 'ES256': {
      const { signingKey, verifyKey } = p256KeyPairFromScalar(p256ScalarFromSeed(seed));
      return Object.freeze({ kid, alg, signingKey, verifyKey });
    }
    default:
      throw new TypeError('unsupported JWT algorithm');
  }
}

/**
 * The P-256 private scalar for a seed: HKDF-SHA-256 expands the seed to 320 bits, which are
 * reduced as `(value mod (n − 1)) + 1` (FIPS 186-5 appendix A.2.1, "extra random bits"), so the
 * scalar is in [1, n − 1] with a bias below 2⁻⁶⁴. Big-endian, 32 bytes.
 */
export function p256ScalarFromSeed(seed: Uint8Array): Buffer {
  const okm = Buffer.from(hkdfSync('sha256', seed, new Uint8Array(0), 'gatehouse:jwt:es256-scalar', 40));
  const scalar = (BigInt(`0x${okm.toString('hex')}`) % (P256_ORDER - 1n)) + 1n;
  return Buffer.from(scalar.toString(16).padStart(64, '0'), 'hex');
}

/** The P-256 key pair of a 32-byte big-endian scalar in [1, n − 1]; the public point comes from ECDH. */
export function p256KeyPairFromScalar(scalar: Buffer): { signingKey: KeyObject; verifyKey: KeyObject } {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(scalar);
  const point = ecdh.getPublicKey(); // 0x04 || x || y
  const signingKey = createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      d: scalar.toString('base64url'),
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
  return { signingKey, verifyKey: createPublicKey(signingKey) };
}

/** Whether one key object fits an algorithm: an HMAC secret, or an Ed25519 or P-256 private or public key. */
export function keyObjectFits(
  alg: JwtAlgorithm,
  key: KeyObject,
  type: 'secret' | 'private' | 'public',
): boolean {
  if (key.type !== type) return false;
  switch (alg) {
    case 'HS256':
      return type === 'secret' && (key.symmetricKeySize ?? 0) >= 32;
    case 'EdDSA':
      return type !== 'secret' && key.asymmetricKeyType === 'ed25519';
    case 'ES256':
      return (
        type !== 'secret' &&
        key.asymmetricKeyType === 'ec' &&
        key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
      );
    default:
      return false;
  }
}

/**
 * Checks that a key's objects fit its algorithm (TypeError otherwise). A key without a
 * `signingKey` only verifies; a codec's first key must have one.
 */
export function assertKeyFitsAlgorithm(key: JwtKey | JwtVerificationKey): void {
  const { verifyKey } = key;
  const signingKey = 'signingKey' in key ? key.signingKey : undefined;
  const symmetric = key.alg === 'HS256';
  const fits = symmetric
    ? keyObjectFits(key.alg, verifyKey, 'secret') && signingKey?.equals(verifyKey)
    : keyObjectFits(key.alg, verifyKey, 'public') &&
      (signingKey === undefined || keyObjectFits(key.alg, signingKey, 'private'));
  if (!fits) throw new TypeError('a JWT key does not fit its algorithm');
}

/** The public JWK (with `kid`, `alg`, `use`) of an EdDSA or ES256 key; `null` for HS256. */
export function publicJwk(key: JwtVerificationKey): JsonWebKey | null {
  if (key.alg === 'HS256') return null;
  const { kty, crv, x, y } = key.verifyKey.export({ format: 'jwk' });
  const jwk: JsonWebKey = y === undefined ? { kty, crv, x } : { kty, crv, x, y };
  return Object.freeze({ ...jwk, kid: key.kid, alg: key.alg, use: 'sig' });
}
