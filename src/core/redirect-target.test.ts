import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertRedirectPolicy,
  checkRedirectTarget,
  MAX_REDIRECT_TARGET_LENGTH,
  type RedirectPolicy,
} from './redirect-target.ts';

const POLICY: RedirectPolicy = {
  baseUrl: 'https://auth.example.com',
  allowedOrigins: ['https://app.example.com'],
};

describe('checkRedirectTarget', () => {
  it('checkRedirectTarget - should return a relative path as an absolute URL on the base origin', () => {
    assert.equal(checkRedirectTarget('/app/home?x=1#y', POLICY), 'https://auth.example.com/app/home?x=1#y');
    assert.equal(checkRedirectTarget('/', POLICY), 'https://auth.example.com/');
  });

  it('checkRedirectTarget - should resolve a path from the root whatever path the base URL has', () => {
    const policy = { baseUrl: 'https://example.com/auth/', allowedOrigins: [] };
    assert.equal(checkRedirectTarget('/app', policy), 'https://example.com/app');
  });

  it('checkRedirectTarget - should return the parser serialization of an allowed absolute URL', () => {
    assert.equal(checkRedirectTarget('https://app.example.com', POLICY), 'https://app.example.com/');
    assert.equal(
      checkRedirectTarget('HTTPS://App.Example.COM:443/a?b#c', POLICY),
      'https://app.example.com/a?b#c',
    );
  });

  it('checkRedirectTarget - should accept absolute URLs on the base origin without listing it', () => {
    assert.equal(
      checkRedirectTarget('https://auth.example.com/account', POLICY),
      'https://auth.example.com/account',
    );
  });

  it('checkRedirectTarget - should percent-encode what the URL parser encodes, so the header is clean', () => {
    assert.equal(checkRedirectTarget('/a"b<c>{d}', POLICY), 'https://auth.example.com/a%22b%3Cc%3E%7Bd%7D');
  });

  it('checkRedirectTarget - should keep harmless percent-encoding as it is', () => {
    assert.equal(
      checkRedirectTarget('/caf%C3%A9?q=a%20b%26c&next=%2Fhome', POLICY),
      'https://auth.example.com/caf%C3%A9?q=a%20b%26c&next=%2Fhome',
    );
  });

  it('checkRedirectTarget - should tolerate stray percent signs that are not escapes', () => {
    assert.equal(checkRedirectTarget('/100%', POLICY), 'https://auth.example.com/100%');
    assert.equal(checkRedirectTarget('/%zz', POLICY), 'https://auth.example.com/%zz');
  });

  it('checkRedirectTarget - should accept exactly the length limit and refuse one more', () => {
    const prefix = 'https://app.example.com/';
    const atLimit = prefix + 'a'.repeat(MAX_REDIRECT_TARGET_LENGTH - prefix.length);
    assert.equal(atLimit.length, 2048);
    assert.equal(checkRedirectTarget(atLimit, POLICY), atLimit);
    assert.equal(checkRedirectTarget(`${atLimit}a`, POLICY), null);
  });

  it('checkRedirectTarget - should refuse a value that normalises to more than the limit', () => {
    // 1001 characters in, about 3000 out once each quote is percent-encoded.
    assert.equal(checkRedirectTarget(`/${'"'.repeat(1000)}`, POLICY), null);
  });

  it('checkRedirectTarget - should refuse percent-encoding nested deeper than it looks through', () => {
    assert.equal(checkRedirectTarget('/a%2525252541', POLICY), null);
    assert.equal(checkRedirectTarget('/a%252541', POLICY), 'https://auth.example.com/a%252541');
  });

  it('checkRedirectTarget - should refuse values that are not strings', () => {
    for (const value of [undefined, null, 42, ['/app'], { toString: () => '/app' }]) {
      assert.equal(checkRedirectTarget(value as unknown as string, POLICY), null);
    }
  });

  it('checkRedirectTarget - should match origins on scheme, host and port together', () => {
    const policy = { baseUrl: 'http://localhost:3000', allowedOrigins: ['http://localhost:5173'] };
    assert.equal(checkRedirectTarget('http://localhost:5173/x', policy), 'http://localhost:5173/x');
    assert.equal(checkRedirectTarget('http://localhost:3000/x', policy), 'http://localhost:3000/x');
    assert.equal(checkRedirectTarget('https://localhost:5173/x', policy), null);
    assert.equal(checkRedirectTarget('http://localhost:5174/x', policy), null);
    assert.equal(checkRedirectTarget('http://localhost/x', policy), null);
  });
});

describe('assertRedirectPolicy', () => {
  it('assertRedirectPolicy - should accept a base URL and serialized origins', () => {
    assert.doesNotThrow(() => assertRedirectPolicy(POLICY));
    assert.doesNotThrow(() =>
      assertRedirectPolicy({ baseUrl: 'http://localhost:3000/base', allowedOrigins: ['http://[::1]:8080'] }),
    );
  });

  it('assertRedirectPolicy - should refuse a base URL that is not http(s)', () => {
    for (const baseUrl of [
      '',
      'auth.example.com',
      '/relative',
      'javascript:alert(1)',
      'ftp://auth.example.com',
    ]) {
      assert.throws(() => assertRedirectPolicy({ baseUrl, allowedOrigins: [] }), TypeError);
    }
  });

  it('assertRedirectPolicy - should refuse allowed origins that are not in serialized form', () => {
    // example.org: the error message's own example must not make the no-echo check pass.
    for (const origin of [
      'https://app.example.org/',
      'https://App.example.org',
      'https://app.example.org:443',
      'https://app.example.org/path',
      'https://*.example.org',
      'app.example.org',
      'null',
      'ftp://app.example.org',
    ]) {
      assert.throws(
        () => assertRedirectPolicy({ baseUrl: POLICY.baseUrl, allowedOrigins: [origin] }),
        (error: unknown) => error instanceof TypeError && !error.message.includes(origin),
      );
    }
  });

  it('checkRedirectTarget - should throw for an invalid policy rather than allow or refuse', () => {
    assert.throws(() => checkRedirectTarget('/app', { baseUrl: 'nope', allowedOrigins: [] }), TypeError);
    const notArray = { baseUrl: POLICY.baseUrl, allowedOrigins: 'https://app.example.com' };
    assert.throws(() => checkRedirectTarget('/app', notArray as unknown as RedirectPolicy), TypeError);
  });
});
