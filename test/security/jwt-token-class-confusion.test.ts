/**
 * Invariant: a token of one class (access, email verification, reset…) never verifies as
 * another. The header `typ` must be the class's own (compared case-insensitively, with the
 * optional `application/` prefix of RFC 7515 section 4.1.9, and nothing looser), the `aud`
 * must be the class's audience, and the caller gives each class its own derived key, so even a
 * forged header cannot move a token between classes. The verified-token cache does not weaken
 * any of this.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  createJwtCodec,
  deriveJwtKey,
  type JwtAlgorithm,
  type JwtKey,
  type TokenClass,
} from '../../src/crypto/jwt/index.ts';
import { toLowS } from '../../src/crypto/jwt/signature.ts';
import { ACCESS, encode, IAT, ISSUER, NOW, rejectsWith } from '../fixtures/jwt.ts';

const VERIFY: TokenClass = {
  typ: 'gh-verify+jwt',
  audience: `${ISSUER}#verify-email`,
  lifetimeSeconds: 86_400,
};

const claimsOf = (cls: TokenClass, extra: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  aud: cls.audience,
  sub: 'user',
  jti: 'j',
  iat: IAT,
  exp: IAT + 600,
  ...extra,
});

function signedWith(key: JwtKey, header: Record<string, unknown>, payload: unknown): string {
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
  describe(`token class confusion with ${alg}`, () => {
    it('should refuse a verify-class token as an access token and the reverse, even under one key', async () => {
      const codec = createJwtCodec({
        algorithm: alg,
        keys: [deriveJwtKey(alg, randomBytes(32), 'k1')],
        issuer: ISSUER,
      });
      const verifyToken = await codec.sign(VERIFY, { sub: 'user', jti: 'v' }, { now: NOW });
      const accessToken = await codec.sign(ACCESS, { sub: 'user', jti: 'a' }, { now: NOW });
      await rejectsWith(codec.verify(verifyToken, ACCESS, { now: NOW }), 'typ');
      await rejectsWith(codec.verify(accessToken, VERIFY, { now: NOW }), 'typ');
      assert.equal((await codec.verify(verifyToken, VERIFY, { now: NOW })).jti, 'v');
    });

    it("should refuse a token with the right typ but another class's audience", async () => {
      const key = deriveJwtKey(alg, randomBytes(32), 'k1');
      const codec = createJwtCodec({ algorithm: alg, keys: [key], issuer: ISSUER });
      const header = { alg, typ: 'at+jwt', kid: 'k1' };
      await rejectsWith(
        codec.verify(signedWith(key, header, claimsOf(VERIFY)), ACCESS, { now: NOW }),
        'audience',
      );
      const both = claimsOf(ACCESS, { aud: [ACCESS.audience, VERIFY.audience] });
      await rejectsWith(codec.verify(signedWith(key, header, both), ACCESS, { now: NOW }), 'audience');
      const { aud: _aud, ...none } = claimsOf(ACCESS);
      await rejectsWith(codec.verify(signedWith(key, header, none), ACCESS, { now: NOW }), 'audience');
    });

    it('should refuse a token of another class even when its header is rewritten, because each class has its own key', async () => {
      // As the application wires it: one derived key per class, the same kid label for both.
      const accessCodec = createJwtCodec({
        algorithm: alg,
        keys: [deriveJwtKey(alg, randomBytes(32), 'k1')],
        issuer: ISSUER,
      });
      const verifyKey = deriveJwtKey(alg, randomBytes(32), 'k1');
      // A token with the access class's typ and audience, signed by the verify-class key.
      const rewritten = signedWith(verifyKey, { alg, typ: 'at+jwt', kid: 'k1' }, claimsOf(ACCESS));
      await rejectsWith(accessCodec.verify(rewritten, ACCESS, { now: NOW }), 'signature');
    });

    it('should compare typ case-insensitively and allow the application/ prefix, but nothing looser', async () => {
      const key = deriveJwtKey(alg, randomBytes(32), 'k1');
      const codec = createJwtCodec({ algorithm: alg, keys: [key], issuer: ISSUER });
      const accepted = ['at+jwt', 'AT+JWT', 'At+Jwt', 'application/at+jwt', 'Application/AT+JWT'];
      for (const typ of accepted) {
        const token = signedWith(key, { alg, typ, kid: 'k1' }, claimsOf(ACCESS));
        assert.equal((await codec.verify(token, ACCESS, { now: NOW })).sub, 'user', typ);
      }
      const refused: unknown[] = [
        'jwt',
        'JWT',
        'at+jwt ',
        ' at+jwt',
        'at+jwtx',
        'xat+jwt',
        'at-jwt',
        'application/jwt',
        'text/at+jwt',
        'application/application/at+jwt',
        '',
        null,
        ['at+jwt'],
        1,
      ];
      for (const typ of refused) {
        const token = signedWith(key, { alg, typ, kid: 'k1' }, claimsOf(ACCESS));
        await rejectsWith(codec.verify(token, ACCESS, { now: NOW }), 'typ');
      }
      const untyped = signedWith(key, { alg, kid: 'k1' }, claimsOf(ACCESS));
      await rejectsWith(codec.verify(untyped, ACCESS, { now: NOW }), 'typ');
    });

    it('should keep classes apart when the token was first verified (and cached) as its own class', async () => {
      const codec = createJwtCodec({
        algorithm: alg,
        keys: [deriveJwtKey(alg, randomBytes(32), 'k1')],
        issuer: ISSUER,
        verifiedCacheSize: 100,
      });
      const verifyToken = await codec.sign(VERIFY, { sub: 'user', jti: 'v' }, { now: NOW });
      await codec.verify(verifyToken, VERIFY, { now: NOW });
      await rejectsWith(codec.verify(verifyToken, ACCESS, { now: NOW }), 'typ');
      // A class with the same typ but another audience is still refused on a cache hit.
      await rejectsWith(
        codec.verify(verifyToken, { ...VERIFY, audience: ACCESS.audience }, { now: NOW }),
        'audience',
      );
    });
  });
}
