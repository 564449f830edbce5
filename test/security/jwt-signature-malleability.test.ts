/**
 * Invariant: an ES256 access token has exactly one accepted signature. ECDSA signatures are
 * malleable: for every valid (r, s), (r, n − s) is valid too, so a verifier that takes both lets
 * anyone holding a genuine token mint a second, different token string for the same claims
 * (one that slips past anything keyed by the token's bytes). Gatehouse signs in low-s form
 * (s ≤ n/2) and refuses the high-s twin, in the codec and over HTTP.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { createJwtCodec, deriveJwtKey } from '../../src/crypto/jwt/index.ts';
import { assertInvalidToken, createHarness, type Harness } from '../fixtures/auth-harness.ts';
import { ACCESS, CLAIMS, ISSUER, NOW, rejectsWith } from '../fixtures/jwt.ts';

/** The order n of the P-256 group. */
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
/** jose signs high-s about half the time; this many signatures all low-s would be a 2⁻⁴⁰ fluke. */
const SAMPLES = 40;

function signatureOf(token: string): { r: Buffer; s: bigint } {
  const signature = Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url');
  assert.equal(signature.length, 64, 'ES256 signatures are r || s, 32 bytes each');
  return { r: signature.subarray(0, 32), s: BigInt(`0x${signature.subarray(32).toString('hex')}`) };
}

/** The same token with s replaced by n − s: a valid ECDSA signature over the same input. */
function twin(token: string): string {
  const { r, s } = signatureOf(token);
  const flipped = Buffer.from((N - s).toString(16).padStart(64, '0'), 'hex');
  const signature = Buffer.concat([r, flipped]).toString('base64url');
  return `${token.slice(0, token.lastIndexOf('.'))}.${signature}`;
}

const isHighS = (token: string): boolean => signatureOf(token).s > N / 2n;

describe('ES256 signature malleability', () => {
  const key = deriveJwtKey('ES256', randomBytes(32), 'k1');
  const codec = createJwtCodec({ algorithm: 'ES256', keys: [key], issuer: ISSUER });

  it('should accept the low-s form of a jose-signed token and refuse its high-s twin', async () => {
    let highSeen = 0;
    for (let index = 0; index < SAMPLES; index += 1) {
      const token = await new SignJWT({ ...CLAIMS, jti: `j${index}` })
        .setProtectedHeader({ alg: 'ES256', typ: ACCESS.typ, kid: 'k1' })
        .sign(key.signingKey);
      const other = twin(token);
      assert.notEqual(other, token, 'the twin is a different token string');
      const [low, high] = isHighS(token) ? [other, token] : [token, other];
      if (isHighS(token)) highSeen += 1;
      const claims = await codec.verify(low, ACCESS, { now: NOW });
      assert.equal(claims.jti, `j${index}`);
      await rejectsWith(codec.verify(high, ACCESS, { now: NOW }), 'signature');
    }
    // Proves the samples covered jose's high-s output, which signing must therefore normalise.
    assert.ok(highSeen > 0 && highSeen < SAMPLES, `${highSeen} of ${SAMPLES} jose signatures were high-s`);
  });

  it('should only ever sign low-s tokens, and refuse the twin of each', async () => {
    for (let index = 0; index < SAMPLES; index += 1) {
      const token = await codec.sign(ACCESS, { sub: 'user', jti: `t${index}` }, { now: NOW });
      assert.equal(isHighS(token), false, `token ${index} is low-s`);
      await codec.verify(token, ACCESS, { now: NOW });
      await rejectsWith(codec.verify(twin(token), ACCESS, { now: NOW }), 'signature');
    }
  });
});

describe('ES256 high-s twin over HTTP', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ config: { tokens: { algorithm: 'ES256' } } });
  });
  after(() => h.close());

  it('should answer 401 INVALID_TOKEN to the twin of a genuine access token', async () => {
    const user = await h.signedInUser();
    assert.equal(isHighS(user.accessToken), false);
    assert.equal((await h.get('/users/me', { token: user.accessToken })).status, 200);
    assertInvalidToken(await h.get('/users/me', { token: twin(user.accessToken) }));
    // The genuine token still works afterwards: the twin neither passed nor poisoned a cache.
    assert.equal((await h.get('/users/me', { token: user.accessToken })).status, 200);
  });
});
