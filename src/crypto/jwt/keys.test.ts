import assert from 'node:assert/strict';
import { createHmac, randomBytes, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { deriveJwtKey, p256KeyPairFromScalar, p256ScalarFromSeed, publicJwk } from './keys.ts';

interface Ed25519Case {
  secretKey: string;
  publicKey: string;
  message: string;
  signature: string;
}
const ed25519 = (
  JSON.parse(readFileSync(new URL('../../../test/vectors/ed25519.json', import.meta.url), 'utf8')) as {
    cases: Ed25519Case[];
  }
).cases;
const jws = JSON.parse(readFileSync(new URL('../../../test/vectors/jws.json', import.meta.url), 'utf8')) as {
  es256: { privateKey: string; publicX: string; publicY: string };
};

const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** HKDF-SHA-256 (RFC 5869) written out with HMAC, two blocks, empty salt: an independent reference. */
function referenceHkdf40(ikm: Uint8Array, info: string): Buffer {
  const prk = createHmac('sha256', Buffer.alloc(32)).update(ikm).digest();
  const t1 = createHmac('sha256', prk)
    .update(Buffer.concat([Buffer.from(info), Buffer.from([1])]))
    .digest();
  const t2 = createHmac('sha256', prk)
    .update(Buffer.concat([t1, Buffer.from(info), Buffer.from([2])]))
    .digest();
  return Buffer.concat([t1, t2]).subarray(0, 40);
}

describe('deriveJwtKey', () => {
  it('HS256 - should use the seed itself as the HMAC key for signing and verifying', () => {
    const seed = randomBytes(32);
    const key = deriveJwtKey('HS256', seed, 'k1');
    assert.equal(key.alg, 'HS256');
    assert.equal(key.kid, 'k1');
    assert.deepEqual(key.signingKey.export(), seed);
    assert.ok(key.signingKey.equals(key.verifyKey));
  });

  it('EdDSA - should make the RFC 8032 key pair of the seed and reproduce its signatures', () => {
    for (const vector of ed25519) {
      const key = deriveJwtKey('EdDSA', Buffer.from(vector.secretKey, 'hex'), 'k1');
      const jwk = key.verifyKey.export({ format: 'jwk' });
      assert.equal(Buffer.from(jwk.x!, 'base64url').toString('hex'), vector.publicKey);
      const message = Buffer.from(vector.message, 'hex');
      assert.equal(sign(null, message, key.signingKey).toString('hex'), vector.signature);
      assert.equal(verify(null, message, key.verifyKey, Buffer.from(vector.signature, 'hex')), true);
    }
  });

  it('ES256 - should turn a scalar into the RFC 6979 A.2.5 public point', () => {
    const { signingKey, verifyKey } = p256KeyPairFromScalar(Buffer.from(jws.es256.privateKey, 'hex'));
    const jwk = verifyKey.export({ format: 'jwk' });
    assert.equal(Buffer.from(jwk.x!, 'base64url').toString('hex'), jws.es256.publicX);
    assert.equal(Buffer.from(jwk.y!, 'base64url').toString('hex'), jws.es256.publicY);
    assert.equal(signingKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  });

  it('ES256 - should reduce an HKDF expansion of the seed into [1, n - 1]', () => {
    for (const seed of [Buffer.alloc(32, 0), Buffer.alloc(32, 0xff), randomBytes(32)]) {
      const expected =
        (BigInt(`0x${referenceHkdf40(seed, 'gatehouse:jwt:es256-scalar').toString('hex')}`) %
          (P256_ORDER - 1n)) +
        1n;
      const scalar = BigInt(`0x${p256ScalarFromSeed(seed).toString('hex')}`);
      assert.equal(scalar, expected);
      assert.ok(scalar >= 1n && scalar <= P256_ORDER - 1n);
      assert.equal(p256ScalarFromSeed(seed).length, 32);
    }
  });

  it('ES256 - should derive a working key pair whose signatures verify', () => {
    const key = deriveJwtKey('ES256', randomBytes(32), 'k1');
    const signature = sign('sha256', Buffer.from('data'), { key: key.signingKey, dsaEncoding: 'ieee-p1363' });
    assert.equal(signature.length, 64);
    assert.equal(
      verify('sha256', Buffer.from('data'), { key: key.verifyKey, dsaEncoding: 'ieee-p1363' }, signature),
      true,
    );
  });

  it('deriveJwtKey - should be deterministic, so every worker with the same secret gets the same key', () => {
    const seed = randomBytes(32);
    for (const alg of ['EdDSA', 'ES256'] as const) {
      const a = publicJwk(deriveJwtKey(alg, seed, 'k1'));
      const b = publicJwk(deriveJwtKey(alg, Uint8Array.from(seed), 'k1'));
      const other = publicJwk(deriveJwtKey(alg, randomBytes(32), 'k1'));
      assert.deepEqual(a, b);
      assert.notDeepEqual(a, other);
    }
  });

  it('deriveJwtKey - should refuse seeds that are not 32 bytes and unsafe key ids', () => {
    for (const seed of [randomBytes(31), randomBytes(33), new Uint8Array(0), 'x'.repeat(32)]) {
      assert.throws(() => deriveJwtKey('HS256', seed as Uint8Array, 'k1'), TypeError);
    }
    for (const kid of ['', '../k1', 'a b', 'k/1', 'x'.repeat(65), 'k1\n', undefined]) {
      assert.throws(() => deriveJwtKey('HS256', randomBytes(32), kid as string), TypeError);
    }
    assert.throws(() => deriveJwtKey('RS256' as 'HS256', randomBytes(32), 'k1'), TypeError);
  });
});

describe('publicJwk', () => {
  it('should publish only the public part with kid, alg and use', () => {
    const ed = publicJwk(deriveJwtKey('EdDSA', randomBytes(32), 'main-eddsa'))!;
    assert.deepEqual(Object.keys(ed).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    assert.equal(ed.kty, 'OKP');
    assert.equal(ed.crv, 'Ed25519');
    assert.equal(ed.kid, 'main-eddsa');
    const ec = publicJwk(deriveJwtKey('ES256', randomBytes(32), 'main-es256'))!;
    assert.deepEqual(Object.keys(ec).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    assert.equal(ec.alg, 'ES256');
    assert.equal(publicJwk(deriveJwtKey('HS256', randomBytes(32), 'k')), null);
  });
});
