import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readCookie, serializeCookie, sessionCookieName } from './cookies.ts';

describe('readCookie', () => {
  it('readCookie - should find the exact name among others, trimming the pair', () => {
    assert.deepEqual(readCookie('a=1; __Host-sid=v.1;b=2', '__Host-sid'), {
      status: 'present',
      value: 'v.1',
    });
  });

  it('readCookie - should ignore names that differ in case, prefix or suffix', () => {
    for (const header of ['__host-sid=x', 'sid=x', '__Host-sid2=x', 'x__Host-sid=x', '__Host-sid']) {
      assert.deepEqual(readCookie(header, '__Host-sid'), { status: 'absent' }, header);
    }
    assert.deepEqual(readCookie(null, '__Host-sid'), { status: 'absent' });
  });

  it('readCookie - should report a name sent twice, whatever the values', () => {
    assert.deepEqual(readCookie('__Host-sid=a; __Host-sid=b', '__Host-sid'), { status: 'duplicate' });
    assert.deepEqual(readCookie('__Host-sid=a;x=1;__Host-sid=a', '__Host-sid'), { status: 'duplicate' });
  });
});

describe('serializeCookie', () => {
  it('serializeCookie - should always set Path=/ and HttpOnly and never Domain', () => {
    const value = serializeCookie('__Host-sid', 'v', { secure: true, sameSite: 'lax' });
    assert.equal(value, '__Host-sid=v; Path=/; HttpOnly; Secure; SameSite=Lax');
    assert.ok(!/domain/i.test(value));
  });

  it('serializeCookie - should add Max-Age, and an Expires in the past when deleting', () => {
    assert.match(
      serializeCookie('s', 'v', { secure: false, sameSite: 'strict', maxAgeSeconds: 60.7 }),
      /; SameSite=Strict; Max-Age=60$/,
    );
    const cleared = serializeCookie('s', '', { secure: true, sameSite: 'none', maxAgeSeconds: 0 });
    assert.match(
      cleared,
      /^s=; Path=\/; HttpOnly; Secure; SameSite=None; Max-Age=0; Expires=Thu, 01 Jan 1970/,
    );
  });

  it('sessionCookieName - should prefix __Host- exactly when the cookie is Secure', () => {
    assert.equal(sessionCookieName('gh_session', { secure: true }), '__Host-gh_session');
    assert.equal(sessionCookieName('gh_session', { secure: false }), 'gh_session');
  });
});
