import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateSecret } from '../../crypto/random.ts';
import { secretWeakness } from './strength.ts';

describe('secretWeakness', () => {
  it('secretWeakness - should accept freshly generated base64url and hex secrets', () => {
    for (let i = 0; i < 200; i++) {
      assert.equal(secretWeakness(generateSecret()), null);
      assert.equal(secretWeakness(randomBytes(32).toString('hex')), null);
      assert.equal(secretWeakness(randomBytes(32).toString('base64')), null);
    }
  });

  it('secretWeakness - should reject values too short to carry 256 bits, and say how to generate one', () => {
    for (const short of [
      'changeme',
      randomBytes(16).toString('hex'),
      randomBytes(31).toString('hex'),
      randomBytes(30).toString('base64url'),
    ]) {
      const weakness = secretWeakness(short);
      assert.match(weakness ?? '', /too short/);
      assert.match(weakness ?? '', /gatehouse generate-secret/);
    }
  });

  it('secretWeakness - should reject long but obviously low-entropy values', () => {
    const lowEntropy = [
      'a'.repeat(64),
      'abcd'.repeat(20),
      'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
      '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      'passwordpasswordpasswordpasswordpasswordpassword',
      `${'x'.repeat(40)}abcdefghijklmnop`,
    ];
    for (const value of lowEntropy) assert.match(secretWeakness(value) ?? '', /low-entropy|too short/, value);
  });

  it('secretWeakness - should never echo the secret in its message', () => {
    const value = 'secret-marker-'.repeat(5);
    assert.ok(!(secretWeakness(value) ?? '').includes('secret-marker'));
  });
});
