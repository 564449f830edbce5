import assert from 'node:assert/strict';
import { createSecretKey, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { AeadError, type AeadKey, type AeadKeys, createAead, envelopeKeyId, isAeadError } from './aead.ts';

const AAD = 'gatehouse:users.totp_secret:0190a1b2-0000-7000-8000-000000000001';
const OTHER_AAD = 'gatehouse:users.totp_secret:0190a1b2-0000-7000-8000-000000000002';
const SEED = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

function key(id: string): AeadKey {
  return { id, key: createSecretKey(randomBytes(32)) };
}

/** A ring over `keys`, the first active, like the keyring's purpose keys. */
function ring(...keys: AeadKey[]): AeadKeys {
  const [first] = keys;
  if (!first) throw new Error('a ring needs a key');
  return {
    active: () => first,
    byId: (id) => keys.find((entry) => entry.id === id) ?? null,
  };
}

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isAeadError(error)) return error.reason;
    throw error;
  }
  throw new Error('expected an AeadError, nothing was thrown');
}

/** Flips one bit of byte `index` of a base64url part. */
function flipByte(part: string, index: number): string {
  const bytes = Buffer.from(part, 'base64url');
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  return bytes.toString('base64url');
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url of `bytes` (length not a multiple of 3) with a spare low bit of the last character set. */
function nonCanonical(bytes: Buffer): string {
  const text = bytes.toString('base64url');
  const last = ALPHABET.indexOf(text.at(-1) ?? '');
  const spelled = `${text.slice(0, -1)}${ALPHABET[last | 1]}`;
  assert.deepEqual(Buffer.from(spelled, 'base64url'), bytes, 'Node decodes both spellings alike');
  return spelled;
}

function parts(envelope: string): [string, string, string, string] {
  const split = envelope.split('.');
  assert.equal(split.length, 4);
  return split as [string, string, string, string];
}

describe('createAead - round trip', () => {
  const a = key('2026-11');
  const aead = createAead(ring(a));

  it('encrypt/decrypt - should return the same bytes for a string and for a Uint8Array', () => {
    const envelope = aead.encrypt(SEED, AAD);
    assert.equal(aead.decrypt(envelope, AAD).toString('utf8'), SEED);
    const bytes = randomBytes(20);
    assert.deepEqual(aead.decrypt(aead.encrypt(bytes, AAD), AAD), bytes);
    assert.equal(aead.decrypt(aead.encrypt('', AAD), AAD).length, 0);
  });

  it('encrypt - should write v1.<keyId>.<12-byte nonce>.<ciphertext+16-byte tag> in base64url', () => {
    const [version, keyId, nonce, sealed] = parts(aead.encrypt(SEED, AAD));
    assert.equal(version, 'v1');
    assert.equal(keyId, '2026-11');
    assert.match(nonce, /^[A-Za-z0-9_-]{16}$/);
    assert.equal(Buffer.from(nonce, 'base64url').length, 12);
    assert.equal(Buffer.from(sealed, 'base64url').length, Buffer.byteLength(SEED) + 16);
    assert.equal(aead.keyIdOf(aead.encrypt(SEED, AAD)), '2026-11');
    assert.equal(envelopeKeyId(aead.encrypt(SEED, AAD)), '2026-11');
  });

  it('encrypt - should never hold the plaintext in the envelope', () => {
    const envelope = aead.encrypt(SEED, AAD);
    assert.ok(!envelope.includes(SEED));
    assert.ok(!Buffer.from(parts(envelope)[3], 'base64url').toString('latin1').includes(SEED));
  });

  it('encrypt - should use a fresh nonce on every call (no nonce reuse under one key)', () => {
    const nonces = new Set<string>();
    const envelopes = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const envelope = aead.encrypt(SEED, AAD);
      envelopes.add(envelope);
      nonces.add(parts(envelope)[2]);
    }
    assert.equal(nonces.size, 1000);
    assert.equal(envelopes.size, 1000);
  });

  it('encrypt - should refuse empty associated data and non-byte plaintexts', () => {
    assert.throws(() => aead.encrypt(SEED, ''), TypeError);
    assert.throws(() => aead.encrypt(42 as unknown as string, AAD), TypeError);
  });
});

describe('createAead - a value moved to another row (associated data)', () => {
  const aead = createAead(ring(key('k1')));

  it("decrypt - should fail when a seed is copied to another user's row", () => {
    const envelope = aead.encrypt(SEED, AAD);
    assert.equal(
      reasonOf(() => aead.decrypt(envelope, OTHER_AAD)),
      'failed',
    );
  });

  it('decrypt - should fail when a value is moved to another column of the same row', () => {
    const envelope = aead.encrypt(SEED, 'gatehouse:users.totp_secret:u1');
    assert.equal(
      reasonOf(() => aead.decrypt(envelope, 'gatehouse:users.oauth_token:u1')),
      'failed',
    );
  });
});

describe('createAead - tampering', () => {
  const aead = createAead(ring(key('k1')));
  const envelope = aead.encrypt(SEED, AAD);
  const [version, keyId, nonce, sealed] = parts(envelope);
  const sealedLength = Buffer.from(sealed, 'base64url').length;

  it('decrypt - should fail when one bit of the ciphertext is flipped', () => {
    const tampered = [version, keyId, nonce, flipByte(sealed, 0)].join('.');
    assert.equal(
      reasonOf(() => aead.decrypt(tampered, AAD)),
      'failed',
    );
  });

  it('decrypt - should fail when one bit of the tag is flipped', () => {
    const tampered = [version, keyId, nonce, flipByte(sealed, sealedLength - 1)].join('.');
    assert.equal(
      reasonOf(() => aead.decrypt(tampered, AAD)),
      'failed',
    );
  });

  it('decrypt - should fail when one bit of the nonce is flipped', () => {
    const tampered = [version, keyId, flipByte(nonce, 5), sealed].join('.');
    assert.equal(
      reasonOf(() => aead.decrypt(tampered, AAD)),
      'failed',
    );
  });

  it('decrypt - should fail when the ciphertext is truncated (the tag moves)', () => {
    const bytes = Buffer.from(sealed, 'base64url');
    const tampered = [version, keyId, nonce, bytes.subarray(0, bytes.length - 1).toString('base64url')].join(
      '.',
    );
    assert.equal(
      reasonOf(() => aead.decrypt(tampered, AAD)),
      'failed',
    );
  });

  it('decrypt - should fail when the key id is swapped for another key of the ring', () => {
    const k1 = key('k1');
    const k2 = key('k2');
    const twoKeys = createAead(ring(k1, k2));
    const [v, , n, s] = parts(twoKeys.encrypt(SEED, AAD));
    assert.equal(
      reasonOf(() => twoKeys.decrypt([v, 'k2', n, s].join('.'), AAD)),
      'failed',
    );
  });

  it('decrypt - should fail when a different secret sits under the same key id', () => {
    const original = createAead(ring(key('same-id')));
    const impostor = createAead(ring(key('same-id')));
    assert.equal(
      reasonOf(() => impostor.decrypt(original.encrypt(SEED, AAD), AAD)),
      'failed',
    );
  });
});

describe('createAead - unknown and rotated keys', () => {
  const a = key('A');
  const b = key('B');

  it('decrypt - should answer unknown_key for a key id that is not in the ring', () => {
    const envelope = createAead(ring(a)).encrypt(SEED, AAD);
    assert.equal(
      reasonOf(() => createAead(ring(b)).decrypt(envelope, AAD)),
      'unknown_key',
    );
  });

  it('decrypt - should still decrypt old envelopes after a new key becomes active', () => {
    const before = createAead(ring(a));
    const old = before.encrypt(SEED, AAD);
    const after = createAead(ring(b, a));
    assert.equal(after.decrypt(old, AAD).toString('utf8'), SEED);
    const fresh = after.encrypt(SEED, AAD);
    assert.equal(after.keyIdOf(fresh), 'B');
    assert.equal(after.decrypt(fresh, AAD).toString('utf8'), SEED);
    // A ring that never had B cannot read what B wrote.
    assert.equal(
      reasonOf(() => before.decrypt(fresh, AAD)),
      'unknown_key',
    );
  });
});

describe('createAead - malformed envelopes', () => {
  const aead = createAead(ring(key('k1')));
  const [version, keyId, nonce, sealed] = parts(aead.encrypt(SEED, AAD));
  const cases: [string, string][] = [
    ['empty', ''],
    ['plain text', SEED],
    ['three parts', [version, keyId, nonce].join('.')],
    ['five parts', [version, keyId, nonce, sealed, 'x'].join('.')],
    ['unknown version', ['v2', keyId, nonce, sealed].join('.')],
    ['empty key id', [version, '', nonce, sealed].join('.')],
    ['key id with a space', [version, 'k 1', nonce, sealed].join('.')],
    ['standard base64 alphabet', [version, keyId, nonce, `${sealed.slice(0, -1)}+`].join('.')],
    ['padding', [version, keyId, `${nonce}==`, sealed].join('.')],
    ['non-canonical last character', [version, keyId, nonce, nonCanonical(randomBytes(20))].join('.')],
    ['short nonce', [version, keyId, randomBytes(8).toString('base64url'), sealed].join('.')],
    ['long nonce', [version, keyId, randomBytes(16).toString('base64url'), sealed].join('.')],
    ['no room for the tag', [version, keyId, nonce, randomBytes(15).toString('base64url')].join('.')],
  ];

  for (const [name, envelope] of cases) {
    it(`decrypt - should answer malformed for ${name}`, () => {
      assert.equal(
        reasonOf(() => aead.decrypt(envelope, AAD)),
        'malformed',
      );
      assert.equal(
        reasonOf(() => aead.keyIdOf(envelope)),
        'malformed',
      );
    });
  }

  it('decrypt - should answer malformed for a value that is not a string', () => {
    assert.equal(
      reasonOf(() => aead.decrypt(null as unknown as string, AAD)),
      'malformed',
    );
  });

  it('AeadError - should never quote the envelope, the plaintext or the associated data', () => {
    const secretLooking = `v1.k1.${nonce}.${SEED}`;
    for (const [envelope, aad] of [
      [secretLooking, AAD],
      [aead.encrypt(SEED, AAD), OTHER_AAD],
    ] as const) {
      try {
        aead.decrypt(envelope, aad);
        assert.fail('expected an AeadError');
      } catch (error) {
        assert.ok(error instanceof AeadError);
        assert.ok(!error.message.includes(SEED));
        assert.ok(!error.message.includes(nonce));
        assert.ok(!error.message.includes(aad));
        assert.ok(!String(error.stack).includes(SEED));
      }
    }
  });
});

describe('createAead - keys', () => {
  it('encrypt - should refuse a key that is not a 32-byte secret KeyObject', () => {
    const short = createAead(ring({ id: 'k', key: createSecretKey(randomBytes(16)) }));
    assert.throws(() => short.encrypt(SEED, AAD), TypeError);
  });

  it('encrypt - should refuse a key id the envelope cannot carry', () => {
    const dotted = createAead(ring({ id: 'a.b', key: createSecretKey(randomBytes(32)) }));
    assert.throws(() => dotted.encrypt(SEED, AAD), TypeError);
  });
});
