import { createHmac, timingSafeEqual, verify } from 'node:crypto';
import type { JwtAlgorithm, JwtKey } from './keys.ts';

/** Checks `signature` over `signingInput` with one key; `false` (never a throw) on any failure. */
export type SignatureCheck = (key: JwtKey, signingInput: string, signature: Buffer) => boolean;

/**
 * The narrowly scoped verifier for one algorithm, straight on node:crypto with the prepared
 * `KeyObject` (a few microseconds for HS256, against ~100 µs through WebCrypto).
 */
export function signatureCheckFor(alg: JwtAlgorithm): SignatureCheck {
  switch (alg) {
    case 'HS256':
      return (key, signingInput, signature) => {
        if (signature.length !== 32) return false;
        const expected = createHmac('sha256', key.verifyKey).update(signingInput, 'latin1').digest();
        return timingSafeEqual(expected, signature);
      };
    case 'EdDSA':
      return (key, signingInput, signature) => {
        if (signature.length !== 64) return false;
        try {
          return verify(null, Buffer.from(signingInput, 'latin1'), key.verifyKey, signature);
        } catch {
          return false;
        }
      };
    case 'ES256':
      return (key, signingInput, signature) => {
        // JWS carries ECDSA signatures as r || s (IEEE P1363), 32 bytes each, never DER.
        if (signature.length !== 64) return false;
        try {
          return verify(
            'sha256',
            Buffer.from(signingInput, 'latin1'),
            { key: key.verifyKey, dsaEncoding: 'ieee-p1363' },
            signature,
          );
        } catch {
          return false;
        }
      };
    default:
      throw new TypeError('unsupported JWT algorithm');
  }
}
