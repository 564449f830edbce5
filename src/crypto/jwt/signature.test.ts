import assert from 'node:assert/strict';
import { createPublicKey, createSecretKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { JwtKey } from './keys.ts';
import { isHighS, signatureCheckFor, toLowS } from './signature.ts';

const vectors = JSON.parse(
  readFileSync(new URL('../../../test/vectors/jws.json', import.meta.url), 'utf8'),
) as {
  hs256: { k: string; jws: string };
  eddsa: { x: string; jws: string };
  es256: { publicX: string; publicY: string; message: string; r: string; s: string };
};

/** Splits a compact JWS into signing input and signature bytes. */
function parts(token: string): { input: string; signature: Buffer } {
  const dot = token.lastIndexOf('.');
  return { input: token.slice(0, dot), signature: Buffer.from(token.slice(dot + 1), 'base64url') };
}

function flipped(signature: Buffer): Buffer {
  const copy = Buffer.from(signature);
  copy[5] = copy[5]! ^ 0x01;
  return copy;
}

describe('signatureCheckFor', () => {
  it('HS256 - should verify the RFC 7515 appendix A.1 signature and refuse altered ones', () => {
    const secret = createSecretKey(Buffer.from(vectors.hs256.k, 'base64url'));
    const key: JwtKey = { kid: 'rfc', alg: 'HS256', signingKey: secret, verifyKey: secret };
    const check = signatureCheckFor('HS256');
    const { input, signature } = parts(vectors.hs256.jws);
    assert.equal(check(key, input, signature), true);
    assert.equal(check(key, input, flipped(signature)), false);
    assert.equal(check(key, `${input}x`, signature), false);
    assert.equal(check(key, input, signature.subarray(0, 31)), false);
    assert.equal(check(key, input, Buffer.alloc(0)), false);
  });

  it('EdDSA - should verify the RFC 8037 appendix A.4 signature and refuse altered ones', () => {
    const publicKey = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: vectors.eddsa.x },
      format: 'jwk',
    });
    const key = { kid: 'rfc', alg: 'EdDSA', signingKey: publicKey, verifyKey: publicKey } as JwtKey;
    const check = signatureCheckFor('EdDSA');
    const { input, signature } = parts(vectors.eddsa.jws);
    assert.equal(check(key, input, signature), true);
    assert.equal(check(key, input, flipped(signature)), false);
    assert.equal(check(key, input, Buffer.concat([signature, Buffer.alloc(1)])), false);
  });

  it('ES256 - should verify the RFC 6979 A.2.5 signature as low-s r || s and refuse DER, high-s or altered ones', () => {
    const publicKey = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: Buffer.from(vectors.es256.publicX, 'hex').toString('base64url'),
        y: Buffer.from(vectors.es256.publicY, 'hex').toString('base64url'),
      },
      format: 'jwk',
    });
    const key = { kid: 'rfc', alg: 'ES256', signingKey: publicKey, verifyKey: publicKey } as JwtKey;
    const check = signatureCheckFor('ES256');
    // The vector's s is above n/2: it is the high-s form, refused; its twin n − s is accepted.
    const highS = Buffer.from(vectors.es256.r + vectors.es256.s, 'hex');
    assert.equal(isHighS(highS), true);
    assert.equal(check(key, vectors.es256.message, highS), false);
    const signature = toLowS(highS);
    assert.equal(isHighS(signature), false);
    assert.deepEqual(signature.subarray(0, 32), highS.subarray(0, 32), 'r is unchanged');
    assert.equal(check(key, vectors.es256.message, signature), true);
    assert.equal(check(key, vectors.es256.message, flipped(signature)), false);
    assert.equal(check(key, 'Sample', signature), false);
    // The same signature DER-encoded is not a JWS signature.
    const der = Buffer.concat([
      Buffer.from([0x30, 0x46, 0x02, 0x21, 0x00]),
      Buffer.from(vectors.es256.r, 'hex'),
      Buffer.from([0x02, 0x21, 0x00]),
      Buffer.from(vectors.es256.s, 'hex'),
    ]);
    assert.equal(check(key, vectors.es256.message, der), false);
  });
});
