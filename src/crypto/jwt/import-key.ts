import { createHash, createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import {
  type JwtAlgorithm,
  type JwtKey,
  type JwtVerificationKey,
  KID_PATTERN,
  keyObjectFits,
} from './keys.ts';

/** A signing key as an operator gives it: a PEM block or a JWK, with an optional key id. */
export interface JwtKeyInput {
  /** Defaults to the JWK's own `kid`, else its RFC 7638 thumbprint (the same on every worker). */
  readonly kid?: string | undefined;
  /** PEM (PKCS#8 or SEC1 private key, SPKI public key) or a JWK object (OKP or EC). */
  readonly key: string | Readonly<Record<string, unknown>>;
}

/**
 * Why a key was refused. Its message is written here, never copied from node:crypto or the
 * input, so it is safe to print: it never carries key material.
 */
export class JwtKeyError extends TypeError {
  override readonly name = 'JwtKeyError';
}

export function isJwtKeyError(error: unknown): error is JwtKeyError {
  return error instanceof JwtKeyError;
}

const NEEDS: Readonly<Record<JwtAlgorithm, string>> = Object.freeze({
  HS256: 'no key pair',
  EdDSA: 'an Ed25519 (OKP) key',
  ES256: 'a P-256 (EC) key',
});

/** What a key is, in words an operator recognises ("an RSA key", "a P-384 EC key"). */
function describe(key: KeyObject): string {
  const type = key.asymmetricKeyType;
  if (type === 'ec') return `a ${curveName(key.asymmetricKeyDetails?.namedCurve)} EC key`;
  if (type === 'ed25519') return 'an Ed25519 key';
  if (type === 'ed448') return 'an Ed448 key';
  if (type === 'rsa' || type === 'rsa-pss') return 'an RSA key';
  return type === undefined ? 'a symmetric key' : `a key of type ${type}`;
}

function curveName(curve: string | undefined): string {
  if (curve === 'prime256v1') return 'P-256';
  if (curve === 'secp384r1') return 'P-384';
  if (curve === 'secp521r1') return 'P-521';
  return curve === 'secp256k1' ? 'secp256k1' : 'unknown-curve';
}

/** The key in a PEM block: a private key when it holds one, else a public key. */
function pemKey(pem: string): { key: KeyObject; private: boolean } {
  if (!pem.includes('-----BEGIN ')) throw new JwtKeyError('must be a PEM block or a JWK object');
  if (pem.includes('ENCRYPTED')) throw new JwtKeyError('is an encrypted PEM key: give it unencrypted');
  try {
    return { key: createPrivateKey({ key: pem, format: 'pem' }), private: true };
  } catch {
    // Not a private key: perhaps the public half of a previous key.
  }
  try {
    return { key: createPublicKey({ key: pem, format: 'pem' }), private: false };
  } catch {
    throw new JwtKeyError('is not a readable PEM key (PKCS#8 or SEC1 private key, SPKI public key)');
  }
}

function jwkKey(
  alg: JwtAlgorithm,
  jwk: Readonly<Record<string, unknown>>,
): { key: KeyObject; private: boolean } {
  if (jwk.kty === 'oct') throw new JwtKeyError(`is a symmetric (oct) JWK; ${alg} needs ${NEEDS[alg]}`);
  if (jwk.kty !== 'OKP' && jwk.kty !== 'EC' && jwk.kty !== 'RSA') {
    throw new JwtKeyError('is not a JWK: kty must be OKP or EC');
  }
  if (jwk.alg !== undefined && jwk.alg !== alg)
    throw new JwtKeyError('its alg member differs from the token algorithm');
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new JwtKeyError('its use member must be sig');
  const isPrivate = jwk.d !== undefined;
  try {
    const input = { key: { ...jwk } as JsonWebKey, format: 'jwk' as const };
    return { key: isPrivate ? createPrivateKey(input) : createPublicKey(input), private: isPrivate };
  } catch {
    throw new JwtKeyError('is not a valid JWK');
  }
}

/** RFC 7638 thumbprint (SHA-256, base64url) of a public key: required members, sorted, no spaces. */
export function jwkThumbprint(publicKey: KeyObject): string {
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  const canonical = kty === 'EC' ? { crv, kty, x, y } : { crv, kty, x };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
}

/**
 * Reads one operator-given EdDSA or ES256 key. `sign`: it must be a private key of the
 * algorithm's type, and the result signs and verifies. `verify`: a private or a public key;
 * only the public half is kept. Throws {@link JwtKeyError}.
 */
export function importJwtKey(alg: JwtAlgorithm, input: JwtKeyInput, use: 'sign'): JwtKey;
export function importJwtKey(alg: JwtAlgorithm, input: JwtKeyInput, use: 'verify'): JwtVerificationKey;
export function importJwtKey(
  alg: JwtAlgorithm,
  input: JwtKeyInput,
  use: 'sign' | 'verify',
): JwtKey | JwtVerificationKey;
export function importJwtKey(
  alg: JwtAlgorithm,
  input: JwtKeyInput,
  use: 'sign' | 'verify',
): JwtKey | JwtVerificationKey {
  if (alg === 'HS256') {
    throw new JwtKeyError('HS256 keys are derived from the secrets; signing keys are for EdDSA and ES256');
  }
  const raw = input?.key;
  let read: { key: KeyObject; private: boolean };
  if (typeof raw === 'string') read = pemKey(raw);
  else if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) read = jwkKey(alg, raw);
  else throw new JwtKeyError('must be a PEM block or a JWK object');

  const verifyKey = read.private ? createPublicKey(read.key) : read.key;
  if (!keyObjectFits(alg, verifyKey, 'public')) {
    throw new JwtKeyError(`is ${describe(verifyKey)}; ${alg} needs ${NEEDS[alg]}`);
  }
  if (use === 'sign' && !read.private) {
    throw new JwtKeyError('is a public key; the first key signs, so it must be the private key');
  }
  const ownKid = typeof raw === 'object' && typeof raw.kid === 'string' ? raw.kid : undefined;
  const kid = input.kid ?? ownKid ?? jwkThumbprint(verifyKey);
  if (!KID_PATTERN.test(kid)) {
    throw new JwtKeyError('its kid must be 1–64 characters of A–Z, a–z, 0–9, ., _, : or -');
  }
  if (use === 'verify') return Object.freeze({ kid, alg, verifyKey });
  return Object.freeze({ kid, alg, signingKey: read.key, verifyKey });
}

/**
 * The ring of operator-given keys: the first signs, the others only verify (tokens signed
 * before a rotation) and are published. Throws {@link JwtKeyError} naming the position.
 */
export function importJwtKeyRing(
  alg: JwtAlgorithm,
  inputs: readonly JwtKeyInput[],
): [JwtKey, ...JwtVerificationKey[]] {
  const [first, ...rest] = inputs;
  if (!first) throw new JwtKeyError('at least one signing key is needed');
  const ring: [JwtKey, ...JwtVerificationKey[]] = [importJwtKey(alg, first, 'sign')];
  for (const input of rest) ring.push(importJwtKey(alg, input, 'verify'));
  return ring;
}
