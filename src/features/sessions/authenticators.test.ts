/**
 * The sessions feature's authenticators: the bearer one claims every `Authorization` header
 * left to it (an unreadable one is a 401, not a reason to look at the cookie), and the cookie
 * one never matches beside an `Authorization` header, wherever it sits in the chain.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coreError, isAuthError, type Principal } from '../../core/index.ts';
import { createAccessPipeline } from '../../http/index.ts';
import { bearerAuthenticator, cookieAuthenticator } from './authenticators.ts';

const principal = (userId: string, transport: Principal['transport']): Principal => ({
  userId,
  sessionId: `s-${userId}`,
  roles: [],
  authMethods: ['pwd'],
  tokenId: `t-${userId}`,
  expiresAt: Date.now() + 60_000,
  transport,
});

const verified: string[] = [];
const bearer = bearerAuthenticator({
  async verifyAccessToken(token) {
    verified.push(token);
    if (token !== 'good') throw coreError('INVALID_TOKEN');
    return principal('bearer-user', 'bearer');
  },
});
const cookie = cookieAuthenticator({
  presented(request) {
    const value = request.headers.get('cookie')?.match(/^sid=(.*)$/)?.[1];
    return value === undefined ? null : { status: 'present', value };
  },
  async authenticate(_request, presented) {
    if (presented.status !== 'present' || presented.value !== 'ok') throw coreError('INVALID_TOKEN');
    return principal('cookie-user', 'cookie');
  },
});

async function outcome(promise: Promise<Principal | null>): Promise<string> {
  try {
    return (await promise)?.userId ?? 'anonymous';
  } catch (error) {
    return isAuthError(error) ? error.code : 'not an AuthError';
  }
}

describe('sessions authenticators', () => {
  it('bearer - should claim any Authorization header and refuse one it cannot read without verifying it', async () => {
    verified.length = 0;
    const request = (authorization: string) => new Request('http://x/', { headers: { authorization } });
    const check = (authorization: string) => {
      const header = bearer.read(request(authorization));
      assert.equal(header, authorization, "every Authorization header is the bearer authenticator's");
      return outcome(bearer.authenticate(header as string, request(authorization)));
    };
    assert.equal(bearer.read(new Request('http://x/')), null);
    assert.equal(await check('Basic dXNlcjpwYXNz'), 'INVALID_TOKEN');
    assert.equal(await check('Bearer a b'), 'INVALID_TOKEN');
    assert.deepEqual(verified, [], 'nothing unreadable reaches the token check');
    assert.equal(await check('bearer good'), 'bearer-user');
  });

  it('cookie - should not match beside an Authorization header, so order cannot rescue a bad token', async () => {
    for (const authenticators of [
      [bearer, cookie],
      [cookie, bearer],
    ]) {
      const access = createAccessPipeline({ authenticators });
      const rule = { authentication: 'required' } as const;
      const both = new Request('http://x/', { headers: { authorization: 'Bearer stale', cookie: 'sid=ok' } });
      assert.equal(await outcome(access.authenticate(both, rule)), 'INVALID_TOKEN');
      const unreadable = new Request('http://x/', {
        headers: { authorization: 'Basic x', cookie: 'sid=ok' },
      });
      assert.equal(await outcome(access.authenticate(unreadable, rule)), 'INVALID_TOKEN');
      const cookieOnly = new Request('http://x/', { headers: { cookie: 'sid=ok' } });
      assert.equal(await outcome(access.authenticate(cookieOnly, rule)), 'cookie-user');
    }
  });

  it('cookie - should hand the cookie it read to the cookie sessions, and read none beside a header', async () => {
    const request = new Request('http://x/', { headers: { cookie: 'sid=unknown' } });
    const presented = cookie.read(request);
    assert.deepEqual(presented, { status: 'present', value: 'unknown' });
    assert.equal(
      await outcome(cookie.authenticate(presented as NonNullable<typeof presented>, request)),
      'INVALID_TOKEN',
    );
    const withHeader = new Request('http://x/', { headers: { cookie: 'sid=ok', authorization: 'Basic x' } });
    assert.equal(cookie.read(withHeader), null);
  });
});
