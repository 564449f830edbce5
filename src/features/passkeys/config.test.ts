import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { passkeyOptionsSchema } from './config.ts';
import { rpIdCovers } from './feature.ts';

describe('passkey options', () => {
  it('rpIdCovers - should accept the host itself and parent domains only', () => {
    assert.equal(rpIdCovers('auth.example.com', 'auth.example.com'), true);
    assert.equal(rpIdCovers('example.com', 'auth.example.com'), true);
    assert.equal(rpIdCovers('example.com', 'evilexample.com'), false);
    assert.equal(rpIdCovers('other.com', 'auth.example.com'), false);
    assert.equal(rpIdCovers('auth.example.com', 'example.com'), false);
  });

  it('schema - should refuse an IP address, a port or a scheme as RP ID, and origins with a path', () => {
    for (const rpId of ['127.0.0.1', 'example.com:443', 'https://example.com', 'Example.com']) {
      assert.equal(passkeyOptionsSchema.safeParse({ rpId }).success, false, rpId);
    }
    assert.equal(passkeyOptionsSchema.safeParse({ rpId: 'localhost' }).success, true);
    assert.equal(passkeyOptionsSchema.safeParse({ origins: ['https://app.example.com/'] }).success, false);
    assert.equal(
      passkeyOptionsSchema.safeParse({ origins: ['https://app.example.com/login'] }).success,
      false,
    );
    assert.equal(passkeyOptionsSchema.safeParse({ origins: ['https://app.example.com:8443'] }).success, true);
  });

  it('schema - should default to UV preferred, refusing counter regressions, 20 per account', () => {
    const parsed = passkeyOptionsSchema.parse(undefined);
    assert.deepEqual(parsed, {
      enabled: true,
      userVerification: 'preferred',
      counterRegression: 'refuse',
      maxPerUser: 20,
    });
  });
});
