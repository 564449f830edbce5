/**
 * Threat: a stolen refresh token is used alongside (or after) its owner's, keeping the thief
 * signed in indefinitely; or one token is raced to mint several sessions' worth of tokens.
 * Invariant: every POST /auth/refresh rotates the token (the presented one is dead at once);
 * presenting a token that was already rotated answers 401 REFRESH_TOKEN_INVALID, revokes the
 * whole session — its newest refresh token and its live access token fail too — and writes a
 * `session.refresh_reuse` audit event; and of 50 concurrent refreshes with one token in one
 * process exactly one answers 200.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertInvalidToken,
  assertProblem,
  createHarness,
  type Harness,
  jwtPayload,
} from '../fixtures/auth-harness.ts';

const CONCURRENT = 50;

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(() => h.close());

describe('refresh token rotation and reuse detection', () => {
  it('refresh - should rotate: the presented token is dead once a new one is issued', async () => {
    const me = await h.signedInUser();
    const first = await h.post('/auth/refresh', { refreshToken: me.refreshToken });
    assert.equal(first.status, 200, first.text);
    assert.notEqual(first.body.refreshToken, me.refreshToken);
    const second = await h.post('/auth/refresh', { refreshToken: first.body.refreshToken });
    assert.equal(second.status, 200, second.text);
    assert.notEqual(second.body.refreshToken, first.body.refreshToken);
    const stale = await h.post('/auth/refresh', { refreshToken: me.refreshToken });
    assertProblem(stale, 401, 'REFRESH_TOKEN_INVALID');
    assert.equal(stale.headers.get('www-authenticate'), 'Bearer');
  });

  it('refresh reuse - should revoke the whole session, its newest tokens included, and record it', async () => {
    const me = await h.signedInUser();
    const sessionId = String(jwtPayload(me.accessToken).sid);
    const rotated = await h.post('/auth/refresh', { refreshToken: me.refreshToken });
    assert.equal(rotated.status, 200);
    const newest = { accessToken: rotated.body.accessToken, refreshToken: rotated.body.refreshToken };
    assert.equal(
      (await h.get('/users/me', { token: newest.accessToken })).status,
      200,
      'alive before the reuse',
    );

    // The thief (or the owner) presents the token that was already rotated.
    const reuse = await h.post('/auth/refresh', { refreshToken: me.refreshToken });
    assertProblem(reuse, 401, 'REFRESH_TOKEN_INVALID');

    assertProblem(
      await h.post('/auth/refresh', { refreshToken: newest.refreshToken }),
      401,
      'REFRESH_TOKEN_INVALID',
    );
    assertInvalidToken(await h.get('/users/me', { token: newest.accessToken }));
    assertInvalidToken(await h.get('/users/me', { token: me.accessToken }));
    const session = await h.auth.repositories.sessions.findById(sessionId);
    assert.notEqual(session?.revokedAt, null);
    assert.equal(session?.revokedReason, 'refresh_token_reuse');

    const events = await h.auth.repositories.audit.list({ type: 'session.refresh_reuse', limit: 100 });
    const mine = events.filter((e) => e.sessionId === sessionId);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.userId, me.userId);
    assert.equal(
      JSON.stringify(mine[0]).includes(me.refreshToken.split('.')[1]!),
      false,
      'no token secret stored',
    );
  });

  it('refresh reuse - should leave the user’s other sessions alive', async () => {
    const me = await h.signedInUser();
    const other = await h.login(me.email);
    assert.equal((await h.post('/auth/refresh', { refreshToken: me.refreshToken })).status, 200);
    assertProblem(
      await h.post('/auth/refresh', { refreshToken: me.refreshToken }),
      401,
      'REFRESH_TOKEN_INVALID',
    );
    assert.equal((await h.get('/users/me', { token: other.accessToken })).status, 200);
    assert.equal((await h.post('/auth/refresh', { refreshToken: other.refreshToken })).status, 200);
  });

  it(`refresh race - should answer 200 to exactly one of ${CONCURRENT} concurrent refreshes with one token`, async () => {
    const me = await h.signedInUser();
    const responses = await Promise.all(
      Array.from({ length: CONCURRENT }, () => h.post('/auth/refresh', { refreshToken: me.refreshToken })),
    );
    const statuses = responses.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses.join(',')}`);
    for (const response of responses.filter((r) => r.status !== 200)) {
      assertProblem(response, 401, 'REFRESH_TOKEN_INVALID');
    }
    // The losers presented a consumed token: the race itself is reuse, so the session ends.
    const sessionId = String(jwtPayload(me.accessToken).sid);
    const events = await h.auth.repositories.audit.list({ type: 'session.refresh_reuse', limit: 1000 });
    assert.ok(events.some((e) => e.sessionId === sessionId));
    assertInvalidToken(await h.get('/users/me', { token: me.accessToken }));
  });
});
