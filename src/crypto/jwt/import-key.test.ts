import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { createJwtCodec } from './codec.ts';
import { importJwtKey, importJwtKeyRing, isJwtKeyError, jwkThumbprint } from './import-key.ts';

const ISSUER = 'https://auth.example.test';
const ACCESS = { typ: 'at+jwt', audience: 'https://api.example.test', lifetimeSeconds: 900 };

const pem = (key: KeyObject, type: 'pkcs8' | 'sec1' | 'spki'): string =>
  key.export({ format: 'pem', type } as never).toString();
const jwk = (key: KeyObject): JsonWebKey => key.export({ format: 'jwk' });

const ed = generateKeyPairSync('ed25519');
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** The JwtKeyError message `fn` throws. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(isJwtKeyError(error), `expected a JwtKeyError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('expected a refusal');
}

describe('importJwtKey', () => {
  it('EdDSA - should read a PKCS#8 PEM and a private JWK as the same signing key', () => {
    const fromPem = importJwtKey('EdDSA', { key: pem(ed.privateKey, 'pkcs8') }, 'sign');
    const fromJwk = importJwtKey('EdDSA', { key: jwk(ed.privateKey) as Record<string, unknown> }, 'sign');
    assert.ok(fromPem.verifyKey.equals(ed.publicKey));
    assert.ok(fromJwk.signingKey.equals(ed.privateKey));
    // Without a kid, both get the RFC 7638 thumbprint of the public key.
    assert.equal(fromPem.kid, jwkThumbprint(ed.publicKey));
    assert.equal(fromJwk.kid, fromPem.kid);
  });

  it('thumbprint - should be the RFC 7638 thumbprint of RFC 8037 appendix A.3', () => {
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' },
      format: 'jwk',
    });
    assert.equal(jwkThumbprint(key), 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });

  it('ES256 - should read SEC1 and PKCS#8 PEMs and an EC JWK, keeping the given kid', () => {
    for (const key of [pem(p256.privateKey, 'sec1'), pem(p256.privateKey, 'pkcs8')]) {
      const read = importJwtKey('ES256', { kid: '2026-12', key }, 'sign');
      assert.equal(read.kid, '2026-12');
      assert.ok(read.verifyKey.equals(p256.publicKey));
    }
    const own = importJwtKey('ES256', { key: { ...jwk(p256.privateKey), kid: 'from-jwk' } }, 'sign');
    assert.equal(own.kid, 'from-jwk');
  });

  it('verify - should accept a public half, and keep only the public half of a private key', () => {
    const fromSpki = importJwtKey('EdDSA', { key: pem(ed.publicKey, 'spki') }, 'verify');
    const fromPrivate = importJwtKey('EdDSA', { key: pem(ed.privateKey, 'pkcs8') }, 'verify');
    assert.ok(fromSpki.verifyKey.equals(ed.publicKey));
    assert.equal(fromPrivate.verifyKey.type, 'public');
    assert.ok(!('signingKey' in fromPrivate));
  });

  for (const [label, alg, key, expected] of [
    [
      'an Ed25519 key for ES256',
      'ES256',
      pem(ed.privateKey, 'pkcs8'),
      /is an Ed25519 key; ES256 needs a P-256/,
    ],
    [
      'a P-256 key for EdDSA',
      'EdDSA',
      pem(p256.privateKey, 'pkcs8'),
      /is a P-256 EC key; EdDSA needs an Ed25519/,
    ],
    [
      'a P-384 key for ES256',
      'ES256',
      pem(p384.privateKey, 'pkcs8'),
      /is a P-384 EC key; ES256 needs a P-256/,
    ],
    ['an RSA key for EdDSA', 'EdDSA', pem(rsa.privateKey, 'pkcs8'), /is an RSA key/],
    ['an RSA JWK for ES256', 'ES256', jwk(rsa.privateKey), /is an RSA key/],
    [
      'an oct JWK',
      'EdDSA',
      { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA' },
      /symmetric \(oct\)/,
    ],
    ['a public key to sign with', 'EdDSA', pem(ed.publicKey, 'spki'), /must be the private key/],
    ['a public JWK to sign with', 'ES256', jwk(p256.publicKey), /must be the private key/],
    ['a JWK of another alg', 'ES256', { ...jwk(p256.privateKey), alg: 'ES384' }, /alg member/],
    ['a JWK for encryption', 'ES256', { ...jwk(p256.privateKey), use: 'enc' }, /use member/],
    ['any key with HS256', 'HS256', pem(ed.privateKey, 'pkcs8'), /derived from the secrets/],
    ['not a key at all', 'EdDSA', 'hunter2', /PEM block or a JWK/],
  ] as const) {
    it(`refuses ${label} - with a message naming the key type, not its material`, () => {
      const message = refusal(() => importJwtKey(alg, { key: key as never }, 'sign'));
      assert.match(message, expected);
      assert.ok(!message.includes('MC4CAQAw') && !message.includes('hunter2'));
    });
  }

  it('malformed PEM - should be refused without echoing any of it', () => {
    const good = pem(ed.privateKey, 'pkcs8');
    // One base64 character changed inside the body: the DER no longer parses.
    const body = good.split('\n')[1] as string;
    const broken = good.replace(body, `${body.slice(0, 10)}!!!!${body.slice(14)}`);
    const message = refusal(() => importJwtKey('EdDSA', { key: broken }, 'sign'));
    assert.match(message, /not a readable PEM key/);
    assert.ok(!message.includes(body.slice(16, 32)));
    const truncated = refusal(() => importJwtKey('EdDSA', { key: good.slice(0, 40) }, 'sign'));
    assert.match(truncated, /not a readable PEM key/);
  });

  it('encrypted PEM - should be refused with a hint', () => {
    const encrypted = ed.privateKey
      .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pass' })
      .toString();
    assert.match(
      refusal(() => importJwtKey('EdDSA', { key: encrypted }, 'sign')),
      /encrypted/,
    );
  });

  it('kid - should be refused when it is not a short label', () => {
    assert.match(
      refusal(() => importJwtKey('EdDSA', { key: { ...jwk(ed.privateKey), kid: '../etc/passwd' } }, 'sign')),
      /kid/,
    );
  });
});

describe('importJwtKeyRing', () => {
  it('rotation - should sign with the first key and verify tokens of the previous one', async () => {
    const previous = generateKeyPairSync('ed25519');
    const old = createJwtCodec({
      algorithm: 'EdDSA',
      keys: importJwtKeyRing('EdDSA', [{ kid: 'old', key: pem(previous.privateKey, 'pkcs8') }]),
      issuer: ISSUER,
    });
    const rotated = createJwtCodec({
      algorithm: 'EdDSA',
      keys: importJwtKeyRing('EdDSA', [
        { kid: 'new', key: pem(ed.privateKey, 'pkcs8') },
        { kid: 'old', key: pem(previous.publicKey, 'spki') },
      ]),
      issuer: ISSUER,
    });
    const oldToken = await old.sign(ACCESS, { sub: 'u1', jti: 'j1' });
    assert.equal((await rotated.verify(oldToken, ACCESS)).sub, 'u1');
    const newToken = await rotated.sign(ACCESS, { sub: 'u2', jti: 'j2' });
    const header = JSON.parse(Buffer.from(newToken.split('.')[0] as string, 'base64url').toString());
    assert.equal(header.kid, 'new');
    // Both public keys are published, and nothing private.
    const published = rotated.jwks().keys;
    assert.deepEqual(
      published.map((k) => k.kid),
      ['new', 'old'],
    );
    for (const key of published) assert.equal(key.d, undefined);
  });

  it('a ring whose first key cannot sign - should be refused', () => {
    assert.match(
      refusal(() => importJwtKeyRing('EdDSA', [{ key: pem(ed.publicKey, 'spki') }])),
      /must be the private key/,
    );
    assert.match(
      refusal(() => importJwtKeyRing('EdDSA', [])),
      /at least one/,
    );
  });
});
