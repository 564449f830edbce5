import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAllowedOrigin, isUnsafeMethod } from './csrf.ts';

const allowed = new Set(['https://auth.example.com', 'https://app.example.com']);
const request = (headers: Record<string, string>) =>
  new Request('https://auth.example.com/users/me', { method: 'POST', headers });

describe('isAllowedOrigin', () => {
  it('Origin - should decide alone when present (case-insensitively), null never passing', () => {
    assert.equal(isAllowedOrigin(request({ Origin: 'https://app.example.com' }), allowed), true);
    assert.equal(isAllowedOrigin(request({ Origin: 'HTTPS://APP.EXAMPLE.COM' }), allowed), true);
    assert.equal(isAllowedOrigin(request({ Origin: 'https://evil.example' }), allowed), false);
    assert.equal(isAllowedOrigin(request({ Origin: 'null' }), allowed), false);
    // A same-origin Sec-Fetch-Site does not rescue a foreign Origin.
    assert.equal(
      isAllowedOrigin(request({ Origin: 'https://evil.example', 'Sec-Fetch-Site': 'same-origin' }), allowed),
      false,
    );
  });

  it('without Origin - should accept only Sec-Fetch-Site same-origin, then an allowed Referer', () => {
    assert.equal(isAllowedOrigin(request({ 'Sec-Fetch-Site': 'same-origin' }), allowed), true);
    for (const site of ['same-site', 'cross-site', 'none']) {
      assert.equal(isAllowedOrigin(request({ 'Sec-Fetch-Site': site }), allowed), false, site);
    }
    assert.equal(isAllowedOrigin(request({ Referer: 'https://app.example.com/page?x=1' }), allowed), true);
    assert.equal(
      isAllowedOrigin(request({ Referer: 'https://app.example.com.evil.example/' }), allowed),
      false,
    );
    assert.equal(isAllowedOrigin(request({ Referer: 'not a url' }), allowed), false);
  });

  it('no Origin, Sec-Fetch-Site or Referer - should refuse (fail closed)', () => {
    assert.equal(isAllowedOrigin(request({}), allowed), false);
  });
});

describe('isUnsafeMethod', () => {
  it('isUnsafeMethod - should name POST, PUT, PATCH and DELETE only', () => {
    assert.deepEqual(['GET', 'HEAD', 'OPTIONS', 'POST', 'put', 'PATCH', 'DELETE'].filter(isUnsafeMethod), [
      'POST',
      'put',
      'PATCH',
      'DELETE',
    ]);
  });
});
