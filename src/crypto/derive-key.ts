import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';

/** Salt for every derivation; bumping it would rotate every purpose key at once. */
const HKDF_SALT = 'gatehouse/hkdf/v1';

/**
 * Derives a 256-bit purpose key from a master secret with HKDF-SHA-256 and returns it as a
 * `KeyObject`, so the derivation and the key import happen once, at startup (HMAC and AES with
 * a prepared `KeyObject` are several times faster than with raw bytes or WebCrypto).
 *
 * Distinct `purpose` labels give cryptographically independent keys: a token class signed with
 * one purpose key can never verify under another.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5869
 */
export function derivePurposeKey(masterSecret: Uint8Array, purpose: string): KeyObject {
  if (masterSecret.byteLength < 32) throw new TypeError('master secret must hold at least 32 bytes');
  if (!/^[a-z0-9][a-z0-9.:-]{0,63}$/.test(purpose)) throw new TypeError('invalid key purpose label');
  const okm = hkdfSync('sha256', masterSecret, HKDF_SALT, `gatehouse:${purpose}`, 32);
  return createSecretKey(new Uint8Array(okm));
}
