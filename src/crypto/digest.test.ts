import assert from 'node:assert/strict';
import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { constantTimeEqual, createDigester, type DigestKey, type DigestKeys } from './digest.ts';

const key = (id: string): DigestKey => ({ id, key: createSecretKey(randomBytes(32)) });

function ring(...keys: DigestKey[]): DigestKeys {
  return {
    active: () => keys[0]!,
    byId: (id) => keys.find((k) => k.id === id) ?? null,
  };
}

describe('createDigester', () => {
  it('digest - should be the key id and the base64url HMAC-SHA-256 of the value', () => {
    const k1 = key('k1');
    const digest = createDigester(ring(k1)).digest('refresh-secret');
    const expected = createHmac('sha256', k1.key.export()).update('refresh-secret').digest('base64url');
    assert.equal(digest, `k1.${expected}`);
  });

  it("digest - should differ per key, so one key never matches another key's digest", () => {
    const a = createDigester(ring(key('k1'))).digest('v');
    const b = createDigester(ring(key('k1'))).digest('v');
    assert.notEqual(a, b);
  });

  it('matches - should accept the digest of the value and refuse any other value', () => {
    const digester = createDigester(ring(key('k1')));
    const digest = digester.digest('secret-value');
    assert.equal(digester.matches('secret-value', digest), true);
    assert.equal(digester.matches('secret-valuE', digest), false);
    assert.equal(digester.matches('', digest), false);
  });

  it('matches - should verify digests made with a previous key still in the ring, and refuse them once it is gone', () => {
    const k1 = key('k1');
    const k2 = key('k2');
    const old = createDigester(ring(k1)).digest('v');
    assert.equal(createDigester(ring(k2, k1)).matches('v', old), true);
    assert.equal(createDigester(ring(k2)).matches('v', old), false);
    assert.ok(createDigester(ring(k2, k1)).digest('v').startsWith('k2.'));
  });

  it('matches - should return false, never throw, for unknown key ids and malformed digests', () => {
    const digester = createDigester(ring(key('k1')));
    const good = digester.digest('v');
    const mac = good.slice(3);
    const bad: unknown[] = [
      '',
      mac,
      `.${mac}`,
      `k2.${mac}`,
      `k1.${mac.slice(1)}`,
      `k1.${mac}=`,
      `k1.${mac}x`,
      `k1.${mac.slice(0, -1)}B`,
      `k1.${mac.replace(/[A-Za-z0-9]/, '+')}`,
      `__proto__.${mac}`,
      `${'k'.repeat(300)}.${mac}`,
      null,
      42,
    ];
    for (const digest of bad) assert.equal(digester.matches('v', digest as string), false, String(digest));
    assert.equal(digester.matches(undefined as unknown as string, good), false);
  });

  it('digest - should read key ids with dots correctly (the MAC never holds one)', () => {
    const digester = createDigester(ring(key('2025.1')));
    const digest = digester.digest('v');
    assert.ok(digest.startsWith('2025.1.'));
    assert.equal(digester.matches('v', digest), true);
  });
});

describe('constantTimeEqual', () => {
  it('should tell equal strings from different ones of any length', () => {
    assert.equal(constantTimeEqual('abc', 'abc'), true);
    assert.equal(constantTimeEqual('', ''), true);
    assert.equal(constantTimeEqual('abc', 'abd'), false);
    assert.equal(constantTimeEqual('abc', 'abcd'), false);
    assert.equal(constantTimeEqual('abc', ''), false);
    assert.equal(constantTimeEqual('é', 'e\u0301'), false);
  });

  it('should keep distinct strings distinct even when UTF-8 would merge them (lone surrogates)', () => {
    assert.equal(constantTimeEqual('a\ud800', 'a\udc00'), false);
    assert.equal(constantTimeEqual('a\ud800', 'a\ufffd'), false);
  });

  it('should return false for non-strings instead of throwing', () => {
    assert.equal(constantTimeEqual(undefined as unknown as string, 'x'), false);
    assert.equal(constantTimeEqual('1', 1 as unknown as string), false);
  });
});
