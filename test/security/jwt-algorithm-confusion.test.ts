/**
 * Invariant: a codec accepts exactly its configured algorithm. A token whose header names any
 * other algorithm is refused before a key is chosen, so the classic confusion (an HS256 token
 * whose HMAC key is the server's public EdDSA/ES256 key, which is published in the JWKS) and
 * cross-algorithm substitutions (ES256 to an EdDSA codec, asymmetric to an HS256 codec, `hs256`
 * spelled differently) never verify.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createJwtCodec, deriveJwtKey, type JwtAlgorithm, type JwtKey } from '../../src/crypto/jwt/index.ts';
import { ACCESS, CLAIMS, encode, ISSUER, NOW, rejectsWith } from '../fixtures/jwt.ts';

/** Every form an attacker could take a public key in and use as an HMAC secret. */
function publicKeyForms(key: JwtKey): Buffer[] {
  const jwk = key.verifyKey.export({ format: 'jwk' });
  return [
    Buffer.from(jwk.x!, 'base64url'),
    Buffer.concat([Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]),
    key.verifyKey.export({ format: 'der', type: 'spki' }),
    Buffer.from(key.verifyKey.export({ format: 'pem', type: 'spki' })),
    Buffer.from(JSON.stringify(jwk)),
  ];
}

describe('HS256 token signed with the public key', () => {
  for (const alg of ['EdDSA', 'ES256'] as const) {
    it(`should be refused by an ${alg} codec for every encoding of its public key`, async () => {
      const key = deriveJwtKey(alg, randomBytes(32), 'k1');
      const codec = createJwtCodec({ algorithm: alg, keys: [key], issuer: ISSUER });
      const published = codec.jwks().keys[0]!;
      assert.equal(published.kid, 'k1');
      for (const secret of publicKeyForms(key)) {
        const input = `${encode({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' })}.${encode(CLAIMS)}`;
        const mac = createHmac('sha256', secret).update(input).digest('base64url');
        await rejectsWith(codec.verify(`${input}.${mac}`, ACCESS, { now: NOW }), 'algorithm');
      }
    });
  }
});

describe('cross-algorithm substitution', () => {
  const algorithms: readonly JwtAlgorithm[] = ['HS256', 'EdDSA', 'ES256'];
  for (const signedAs of algorithms) {
    for (const configured of algorithms.filter((a) => a !== signedAs)) {
      it(`should refuse a genuine ${signedAs} token at a ${configured} codec, even with the same kid`, async () => {
        const signer = createJwtCodec({
          algorithm: signedAs,
          keys: [deriveJwtKey(signedAs, randomBytes(32), 'k1')],
          issuer: ISSUER,
        });
        const verifier = createJwtCodec({
          algorithm: configured,
          keys: [deriveJwtKey(configured, randomBytes(32), 'k1')],
          issuer: ISSUER,
        });
        const token = await signer.sign(ACCESS, { sub: 'user', jti: 'j' }, { now: NOW });
        await rejectsWith(verifier.verify(token, ACCESS, { now: NOW }), 'algorithm');
      });
    }
  }

  it('should refuse other spellings and other members of the family (hs256, HS384, HS512, RS256, PS256, ES256K, Ed25519)', async () => {
    const key = deriveJwtKey('HS256', randomBytes(32), 'k1');
    const codec = createJwtCodec({ algorithm: 'HS256', keys: [key], issuer: ISSUER });
    for (const alg of ['hs256', 'Hs256', 'HS384', 'HS512', 'RS256', 'PS256', 'ES256K', 'Ed25519', 'HS256 ']) {
      // Signed with the real key, so only the algorithm check can stop it.
      const input = `${encode({ alg, typ: 'at+jwt', kid: 'k1' })}.${encode(CLAIMS)}`;
      const mac = createHmac('sha256', key.signingKey).update(input).digest('base64url');
      await rejectsWith(codec.verify(`${input}.${mac}`, ACCESS, { now: NOW }), 'algorithm');
    }
  });
});
