/**
 * Invariant: the verifier trusts only its own key ring. A header may hold `alg`, `typ` and a
 * `kid` of the ring, nothing else: `crit` (extensions we do not implement), embedded or
 * referenced keys (`jwk`, `jku`, `x5u`, `x5c`, `x5t`, `x5t#S256`) and any other member are
 * refused even when the signature is genuine, and an unknown `kid` (including path, URL,
 * prototype and injection tricks) never selects a key.
 */
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { createJwtCodec, deriveJwtKey, type JwtAlgorithm, type JwtKey } from '../../src/crypto/jwt/index.ts';
import { toLowS } from '../../src/crypto/jwt/signature.ts';
import { ACCESS, CLAIMS, encode, ISSUER, NOW, rejectsWith } from '../fixtures/jwt.ts';

/** A compact JWS over `header` and `payload` with a genuine signature from `key`. */
function signedWith(key: JwtKey, header: Record<string, unknown>, payload: unknown = CLAIMS): string {
  const input = `${encode(header)}.${encode(payload)}`;
  const data = Buffer.from(input);
  const signature =
    key.alg === 'HS256'
      ? createHmac('sha256', key.signingKey).update(data).digest()
      : key.alg === 'EdDSA'
        ? sign(null, data, key.signingKey)
        : toLowS(sign('sha256', data, { key: key.signingKey, dsaEncoding: 'ieee-p1363' }));
  return `${input}.${signature.toString('base64url')}`;
}

for (const alg of ['HS256', 'EdDSA', 'ES256'] as readonly JwtAlgorithm[]) {
  describe(`header injection against a ${alg} codec`, () => {
    const key = deriveJwtKey(alg, randomBytes(32), 'k1');
    const codec = createJwtCodec({ algorithm: alg, keys: [key], issuer: ISSUER });
    const base = { alg, typ: 'at+jwt', kid: 'k1' };

    it('should accept the genuine header (the control case)', async () => {
      assert.equal((await codec.verify(signedWith(key, base), ACCESS, { now: NOW })).sub, 'admin');
    });

    it('should refuse crit, even empty or naming a registered claim, with a genuine signature', async () => {
      for (const crit of [['exp'], ['b64'], [], ['http://example.test/ext']]) {
        await rejectsWith(codec.verify(signedWith(key, { ...base, crit }), ACCESS, { now: NOW }), 'header');
      }
    });

    it('should refuse embedded and referenced keys: jwk, jku, x5u, x5c, x5t, x5t#S256', async () => {
      const attacker = generateKeyPairSync('ed25519');
      const attackerJwk = attacker.publicKey.export({ format: 'jwk' });
      const injected: Record<string, unknown>[] = [
        { jwk: attackerJwk },
        { jwk: { kty: 'oct', k: randomBytes(32).toString('base64url') } },
        { jku: 'https://attacker.example/jwks.json' },
        { x5u: 'https://attacker.example/cert.pem' },
        { x5c: ['MIIBszCCAVmgAwIBAgIU'] },
        { x5t: 'dGh1bWJwcmludA' },
        { 'x5t#S256': 'dGh1bWJwcmludA' },
      ];
      for (const extra of injected) {
        await rejectsWith(
          codec.verify(signedWith(key, { ...base, ...extra }), ACCESS, { now: NOW }),
          'header',
        );
      }
    });

    it('should refuse a token signed with an attacker key embedded as jwk (the key is never used)', async () => {
      const attacker = generateKeyPairSync('ed25519');
      const header = { alg, typ: 'at+jwt', kid: 'k1', jwk: attacker.publicKey.export({ format: 'jwk' }) };
      const input = `${encode(header)}.${encode(CLAIMS)}`;
      const signature = sign(null, Buffer.from(input), attacker.privateKey).toString('base64url');
      await rejectsWith(codec.verify(`${input}.${signature}`, ACCESS, { now: NOW }), 'header');
    });

    it('should refuse any other header member (cty, b64, zip, enc, unknown names)', async () => {
      for (const extra of [
        { cty: 'JWT' },
        { b64: false },
        { zip: 'DEF' },
        { enc: 'A256GCM' },
        { 'x-admin': true },
      ]) {
        await rejectsWith(
          codec.verify(signedWith(key, { ...base, ...extra }), ACCESS, { now: NOW }),
          'header',
        );
      }
    });

    it('should refuse a missing, unknown or non-string kid', async () => {
      const { kid: _omitted, ...withoutKid } = base;
      await rejectsWith(codec.verify(signedWith(key, withoutKid), ACCESS, { now: NOW }), 'kid');
      for (const kid of ['k2', 'K1', 'k1 ', ' k1', '', 123, null, ['k1'], { kid: 'k1' }, true]) {
        await rejectsWith(codec.verify(signedWith(key, { ...base, kid }), ACCESS, { now: NOW }), 'kid');
      }
    });

    it('should treat kid path, URL, prototype and injection tricks as unknown ids', async () => {
      for (const kid of [
        '../../../../../../dev/null',
        '/dev/null',
        'k1/../k1',
        './k1',
        'k1\u0000',
        'k1%00',
        'file:///etc/passwd',
        'https://attacker.example/k1',
        '__proto__',
        'constructor',
        'toString',
        'hasOwnProperty',
        "k1' OR '1'='1",
        'k1"; DROP TABLE keys; --',
        '$(id)',
        'k1\nk1',
      ]) {
        await rejectsWith(codec.verify(signedWith(key, { ...base, kid }), ACCESS, { now: NOW }), 'kid');
      }
    });
  });
}
