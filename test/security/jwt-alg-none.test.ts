import { createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { UnsecuredJWT } from 'jose';
import { createJwtCodec, deriveJwtKey, type JwtAlgorithm } from '../../src/crypto/jwt/index.ts';
import { ACCESS, CLAIMS, encode, ISSUER, NOW, rejectsWith } from '../fixtures/jwt.ts';

for (const alg of ['HS256', 'EdDSA', 'ES256'] as readonly JwtAlgorithm[]) {
  describe(`alg none against a ${alg} codec`, () => {
    const key = deriveJwtKey(alg, randomBytes(32), 'k1');
    const codec = createJwtCodec({ algorithm: alg, keys: [key], issuer: ISSUER });

    it('should refuse none, None, NONE and nOnE with an empty signature', async () => {
      for (const none of ['none', 'None', 'NONE', 'nOnE']) {
        const token = `${encode({ alg: none, typ: 'at+jwt', kid: 'k1' })}.${encode(CLAIMS)}.`;
        await rejectsWith(codec.verify(token, ACCESS, { now: NOW }), 'algorithm');
      }
    });

    it('should refuse alg none carrying a signature copied from a genuine token or made with the key', async () => {
      const genuine = await codec.sign(ACCESS, { sub: 'user', jti: 'g' }, { now: NOW });
      const copied = genuine.slice(genuine.lastIndexOf('.') + 1);
      for (const none of ['none', 'None', 'NONE', 'nOnE']) {
        const input = `${encode({ alg: none, typ: 'at+jwt', kid: 'k1' })}.${encode(CLAIMS)}`;
        await rejectsWith(codec.verify(`${input}.${copied}`, ACCESS, { now: NOW }), 'algorithm');
        if (alg === 'HS256') {
          const mac = createHmac('sha256', key.signingKey).update(input).digest('base64url');
          await rejectsWith(codec.verify(`${input}.${mac}`, ACCESS, { now: NOW }), 'algorithm');
        }
      }
    });

    it('should refuse an unsecured JWT produced by jose', async () => {
      const unsecured = new UnsecuredJWT(CLAIMS).encode();
      await rejectsWith(codec.verify(unsecured, ACCESS, { now: NOW }), 'algorithm');
    });

    it('should refuse a header without alg or with a non-string alg', async () => {
      for (const header of [
        { typ: 'at+jwt', kid: 'k1' },
        { alg: null, typ: 'at+jwt', kid: 'k1' },
        { alg: [alg], typ: 'at+jwt', kid: 'k1' },
        { alg: { name: alg }, typ: 'at+jwt', kid: 'k1' },
        { alg: '', typ: 'at+jwt', kid: 'k1' },
        { alg: ` ${alg}`, typ: 'at+jwt', kid: 'k1' },
      ]) {
        const token = `${encode(header)}.${encode(CLAIMS)}.${randomBytes(32).toString('base64url')}`;
        await rejectsWith(codec.verify(token, ACCESS, { now: NOW }), 'algorithm');
      }
    });
  });
}
