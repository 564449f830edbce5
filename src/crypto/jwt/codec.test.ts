import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import type { TokenClass } from './claims.ts';
import { createJwtCodec } from './codec.ts';
import { deriveJwtKey, type JwtAlgorithm, type JwtKey } from './keys.ts';
import { toLowS } from './signature.ts';
import { TokenError, type TokenErrorReason } from './token-error.ts';

/** A compact ES256 JWS with its signature in low-s form. */
function lowS(token: string): string {
  const dot = token.lastIndexOf('.');
  return `${token.slice(0, dot)}.${toLowS(Buffer.from(token.slice(dot + 1), 'base64url')).toString('base64url')}`;
}

const ISSUER = 'https://auth.example.test';
const ACCESS: TokenClass = { typ: 'at+jwt', audience: 'https://api.example.test', lifetimeSeconds: 900 };
const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const ALGORITHMS: readonly JwtAlgorithm[] = ['HS256', 'EdDSA', 'ES256'];

const keyFor = (alg: JwtAlgorithm, kid = `k1-${alg.toLowerCase()}`): JwtKey =>
  deriveJwtKey(alg, randomBytes(32), kid);

async function rejectsWith(promise: Promise<unknown>, reason: TokenErrorReason): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof TokenError, `expected a TokenError, got ${String(error)}`);
    assert.equal(error.reason, reason);
    return true;
  });
}

describe('createJwtCodec', () => {
  for (const alg of ALGORITHMS) {
    it(`${alg} - sign should write header { alg, typ, kid } and the class claims; verify should return them`, async () => {
      const key = keyFor(alg);
      const codec = createJwtCodec({ algorithm: alg, keys: [key], issuer: ISSUER });
      const token = await codec.sign(
        ACCESS,
        { sub: 'user-1', jti: 'jti-1', sid: 'session-1', amr: ['pwd', 'otp'], roles: ['admin'] },
        { now: NOW + 999 },
      );
      assert.deepEqual(decodeProtectedHeader(token), { alg, typ: 'at+jwt', kid: key.kid });
      const iat = Math.floor(NOW / 1000);
      const claims = await codec.verify(token, ACCESS, { now: NOW });
      assert.deepEqual(claims, {
        iss: ISSUER,
        aud: ACCESS.audience,
        sub: 'user-1',
        sid: 'session-1',
        jti: 'jti-1',
        iat,
        exp: iat + 900,
        amr: ['pwd', 'otp'],
        roles: ['admin'],
      });
      assert.ok(Object.isFrozen(claims));
      assert.ok(Object.isFrozen(claims.amr));
    });

    it(`${alg} - jose should verify the tokens we sign (same algorithm, typ, issuer, audience)`, async () => {
      const key = keyFor(alg);
      const codec = createJwtCodec({ algorithm: alg, keys: [key], issuer: ISSUER });
      const token = await codec.sign(ACCESS, { sub: 'user-1', jti: 'jti-1' });
      const { payload, protectedHeader } = await jwtVerify(token, key.verifyKey, {
        algorithms: [alg],
        typ: 'at+jwt',
        issuer: ISSUER,
        audience: ACCESS.audience,
        requiredClaims: ['sub', 'jti', 'iat', 'exp'],
      });
      assert.equal(payload.sub, 'user-1');
      assert.equal(protectedHeader.kid, key.kid);
    });

    it(`${alg} - should verify tokens that jose signs with our key, header and claims`, async () => {
      const key = keyFor(alg);
      const codec = createJwtCodec({ algorithm: alg, keys: [key], issuer: ISSUER });
      const iat = Math.floor(NOW / 1000);
      const token = await new SignJWT({ sid: 's', amr: ['pwd'] })
        .setProtectedHeader({ alg, typ: 'at+jwt', kid: key.kid })
        .setIssuer(ISSUER)
        .setAudience(ACCESS.audience)
        .setSubject('user-2')
        .setJti('jti-2')
        .setIssuedAt(iat)
        .setExpirationTime(iat + 60)
        .sign(key.signingKey);
      // jose may sign ES256 in high-s form, which we refuse (see signature.ts): take the low-s form.
      const claims = await codec.verify(alg === 'ES256' ? lowS(token) : token, ACCESS, { now: NOW });
      assert.equal(claims.sub, 'user-2');
      assert.equal(claims.sid, 's');
      // ...and jose's token with any other key, however valid for jose, is not ours.
      const stranger = keyFor(alg, key.kid);
      const foreign = await new SignJWT({})
        .setProtectedHeader({ alg, typ: 'at+jwt', kid: key.kid })
        .setIssuer(ISSUER)
        .setAudience(ACCESS.audience)
        .setSubject('user-2')
        .setJti('jti-3')
        .setIssuedAt(iat)
        .setExpirationTime(iat + 60)
        .sign(stranger.signingKey);
      await rejectsWith(codec.verify(foreign, ACCESS, { now: NOW }), 'signature');
    });

    it(`${alg} - rotation: a token signed with the previous key verifies; once that key leaves the ring, reason 'kid'`, async () => {
      const previous = keyFor(alg, 'k1');
      const current = keyFor(alg, 'k2');
      const before = createJwtCodec({ algorithm: alg, keys: [previous], issuer: ISSUER });
      const oldToken = await before.sign(ACCESS, { sub: 'u', jti: 'old' }, { now: NOW });

      const during = createJwtCodec({ algorithm: alg, keys: [current, previous], issuer: ISSUER });
      assert.equal((await during.verify(oldToken, ACCESS, { now: NOW })).jti, 'old');
      const newToken = await during.sign(ACCESS, { sub: 'u', jti: 'new' }, { now: NOW });
      assert.equal(decodeProtectedHeader(newToken).kid, 'k2');
      await rejectsWith(before.verify(newToken, ACCESS, { now: NOW }), 'kid');

      const after = createJwtCodec({ algorithm: alg, keys: [current], issuer: ISSUER });
      assert.equal((await after.verify(newToken, ACCESS, { now: NOW })).jti, 'new');
      await rejectsWith(after.verify(oldToken, ACCESS, { now: NOW }), 'kid');
    });
  }

  it('jwks - should list the public keys of the whole ring for EdDSA and ES256, and nothing for HS256', async () => {
    assert.deepEqual(createJwtCodec({ algorithm: 'HS256', keys: [keyFor('HS256')], issuer: ISSUER }).jwks(), {
      keys: [],
    });
    for (const alg of ['EdDSA', 'ES256'] as const) {
      const previous = keyFor(alg, 'k1');
      const current = keyFor(alg, 'k2');
      const codec = createJwtCodec({ algorithm: alg, keys: [current, previous], issuer: ISSUER });
      const { keys } = codec.jwks();
      assert.deepEqual(
        keys.map((k) => [k.kid, k.alg, k.use]),
        [
          ['k2', alg, 'sig'],
          ['k1', alg, 'sig'],
        ],
      );
      assert.ok(
        keys.every((k) => k.d === undefined),
        'no private key material',
      );
      // A relying party with only the JWKS verifies tokens from either key.
      const jwks = createLocalJWKSet({ keys: keys as never });
      const oldToken = await createJwtCodec({ algorithm: alg, keys: [previous], issuer: ISSUER }).sign(
        ACCESS,
        {
          sub: 'u',
          jti: 'j',
        },
      );
      const { payload } = await jwtVerify(oldToken, jwks, {
        algorithms: [alg],
        issuer: ISSUER,
        audience: ACCESS.audience,
      });
      assert.equal(payload.sub, 'u');
    }
  });

  it('verified cache - should return the cached claims on a hit but still check expiry and class every time', async () => {
    const codec = createJwtCodec({
      algorithm: 'EdDSA',
      keys: [keyFor('EdDSA')],
      issuer: ISSUER,
      verifiedCacheSize: 10,
    });
    const token = await codec.sign(ACCESS, { sub: 'u', jti: 'j' }, { now: NOW });
    const first = await codec.verify(token, ACCESS, { now: NOW });
    const second = await codec.verify(token, ACCESS, { now: NOW + 1000 });
    assert.equal(second, first, 'the second verification is served from the cache');
    await rejectsWith(codec.verify(token, ACCESS, { now: NOW + 931_000 }), 'expired');
    await rejectsWith(codec.verify(token, { ...ACCESS, typ: 'gh-verify+jwt' }, { now: NOW }), 'typ');
    await rejectsWith(
      codec.verify(token, { ...ACCESS, audience: 'https://other.test' }, { now: NOW }),
      'audience',
    );
    await rejectsWith(codec.verify(token, { ...ACCESS, lifetimeSeconds: 60 }, { now: NOW }), 'claims');
    assert.equal(await codec.verify(token, ACCESS, { now: NOW }), first);
  });

  it('verified cache - should never remember a token whose signature failed', async () => {
    const key = keyFor('ES256');
    const codec = createJwtCodec({ algorithm: 'ES256', keys: [key], issuer: ISSUER, verifiedCacheSize: 10 });
    const token = await codec.sign(ACCESS, { sub: 'u', jti: 'j' }, { now: NOW });
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.${Buffer.alloc(64, 1).toString('base64url')}`;
    await rejectsWith(codec.verify(forged, ACCESS, { now: NOW }), 'signature');
    await rejectsWith(codec.verify(forged, ACCESS, { now: NOW }), 'signature');
  });

  it('sign - should refuse registered claims the codec owns, missing sub or jti, and bad amr/sid', async () => {
    const codec = createJwtCodec({ algorithm: 'HS256', keys: [keyFor('HS256')], issuer: ISSUER });
    for (const claim of ['iss', 'aud', 'iat', 'exp', 'nbf']) {
      await assert.rejects(codec.sign(ACCESS, { sub: 'u', jti: 'j', [claim]: 1 }), TypeError, claim);
    }
    await assert.rejects(codec.sign(ACCESS, { sub: '', jti: 'j' }), TypeError);
    await assert.rejects(codec.sign(ACCESS, { jti: 'j' } as never), TypeError);
    await assert.rejects(codec.sign(ACCESS, { sub: 'u' } as never), TypeError);
    await assert.rejects(codec.sign(ACCESS, { sub: 'u', jti: 'j', amr: 'pwd' as never }), TypeError);
    await assert.rejects(codec.sign(ACCESS, { sub: 'u', jti: 'j', sid: 5 as never }), TypeError);
    // Nothing verification would refuse can be signed.
    await assert.rejects(codec.sign(ACCESS, { sub: 'x'.repeat(257), jti: 'j' }), TypeError);
    await assert.rejects(codec.sign(ACCESS, { sub: 'u', jti: 'j', amr: Array(33).fill('pwd') }), TypeError);
    await assert.rejects(codec.sign(ACCESS, { sub: 'u', jti: 'j', blob: 'x'.repeat(9000) }), TypeError);
  });

  it('sign/verify - should refuse malformed token classes with a TypeError', async () => {
    const codec = createJwtCodec({ algorithm: 'HS256', keys: [keyFor('HS256')], issuer: ISSUER });
    for (const cls of [
      { ...ACCESS, typ: '' },
      { ...ACCESS, typ: 'at jwt' },
      { ...ACCESS, audience: '' },
      { ...ACCESS, lifetimeSeconds: 0 },
      { ...ACCESS, lifetimeSeconds: 1.5 },
      { ...ACCESS, lifetimeSeconds: 400 * 24 * 3600 },
    ]) {
      await assert.rejects(codec.sign(cls, { sub: 'u', jti: 'j' }), TypeError, JSON.stringify(cls));
      await assert.rejects(codec.verify('a.b.c', cls), TypeError, JSON.stringify(cls));
    }
  });

  it('createJwtCodec - should refuse unusable options with a TypeError', () => {
    const hs = keyFor('HS256');
    const ed = keyFor('EdDSA');
    const es = keyFor('ES256');
    const bad: unknown[] = [
      { algorithm: 'HS256', keys: [], issuer: ISSUER },
      { algorithm: 'none', keys: [hs], issuer: ISSUER },
      { algorithm: 'HS256', keys: [ed], issuer: ISSUER },
      { algorithm: 'EdDSA', keys: [{ ...es, alg: 'EdDSA' }], issuer: ISSUER },
      { algorithm: 'ES256', keys: [{ ...ed, alg: 'ES256' }], issuer: ISSUER },
      { algorithm: 'EdDSA', keys: [{ ...ed, verifyKey: ed.signingKey }], issuer: ISSUER },
      { algorithm: 'HS256', keys: [{ ...hs, verifyKey: keyFor('HS256').verifyKey }], issuer: ISSUER },
      { algorithm: 'HS256', keys: [hs, hs], issuer: ISSUER },
      { algorithm: 'HS256', keys: [hs], issuer: '' },
      { algorithm: 'HS256', keys: [hs], issuer: ISSUER, leewaySeconds: 31 },
      { algorithm: 'HS256', keys: [hs], issuer: ISSUER, leewaySeconds: -1 },
      { algorithm: 'HS256', keys: [hs], issuer: ISSUER, leewaySeconds: 0.5 },
      { algorithm: 'EdDSA', keys: [ed], issuer: ISSUER, verifiedCacheSize: -1 },
      { algorithm: 'EdDSA', keys: [ed], issuer: ISSUER, verifiedCacheSize: 2_000_000 },
    ];
    for (const options of bad) assert.throws(() => createJwtCodec(options as never), TypeError);
  });

  it('TokenError - should carry a fixed message per reason that never contains the token', async () => {
    const codec = createJwtCodec({ algorithm: 'HS256', keys: [keyFor('HS256')], issuer: ISSUER });
    const token = await codec.sign(ACCESS, { sub: 'user-secret-id', jti: 'j' }, { now: NOW });
    const messages = new Map<string, string>();
    const attempts: [string, TokenClass, number][] = [
      [token, ACCESS, NOW + 10_000_000],
      [token, { ...ACCESS, audience: 'https://x.test' }, NOW],
      [`${token}x`, ACCESS, NOW],
      ['garbage', ACCESS, NOW],
    ];
    for (const [candidate, cls, now] of attempts) {
      const error = await codec.verify(candidate, cls, { now }).then(
        () => assert.fail('should not verify'),
        (e: unknown) => e as TokenError,
      );
      assert.ok(error instanceof TokenError);
      assert.ok(!error.message.includes(candidate.slice(0, 20)));
      assert.ok(!error.message.includes('user-secret-id'));
      assert.equal(error.name, 'TokenError');
      messages.set(error.reason, error.message);
    }
    assert.deepEqual([...messages.keys()].sort(), ['audience', 'expired', 'malformed', 'signature']);
    assert.equal(new TokenError('expired').message, messages.get('expired'));
  });

  it('verify - should reject (not throw synchronously) for inputs that are not strings', async () => {
    const codec = createJwtCodec({ algorithm: 'HS256', keys: [keyFor('HS256')], issuer: ISSUER });
    for (const value of [undefined, null, 42, {}, ['a.b.c']]) {
      const pending = codec.verify(value as string, ACCESS);
      await rejectsWith(pending, 'malformed');
    }
  });
});
