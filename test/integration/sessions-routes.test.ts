/**
 * The session rows of the HTTP contract, in process: POST /auth/refresh, POST /auth/logout,
 * GET /users/me/sessions, DELETE /users/me/sessions/{id} and
 * POST /users/me/sessions/revoke-others, with their statuses, body shapes, error codes, the
 * session lifetimes and the audit events they write.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertInvalidToken,
  assertProblem,
  createHarness,
  type Harness,
  jwtPayload,
  type SignedInUser,
} from '../fixtures/auth-harness.ts';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(() => h.close());

/** The session id inside an access token. */
const sessionIdOf = (user: Pick<SignedInUser, 'accessToken'>): string =>
  String(jwtPayload(user.accessToken).sid);

async function auditTypes(userId: string): Promise<string[]> {
  return (await h.auth.repositories.audit.list({ userId, limit: 100 })).map((event) => event.type);
}

describe('POST /auth/refresh', () => {
  it('refresh - should answer 200 with a new token pair for the same session, and kill the old refresh token', async () => {
    const me = await h.signedInUser();
    const response = await h.post('/auth/refresh', { refreshToken: me.refreshToken });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(Object.keys(response.body).sort(), [
      'accessToken',
      'expiresIn',
      'refreshToken',
      'tokenType',
    ]);
    assert.equal(response.body.tokenType, 'Bearer');
    assert.equal(response.body.expiresIn, 900);
    assert.notEqual(response.body.refreshToken, me.refreshToken);
    assert.notEqual(response.body.accessToken, me.accessToken);
    assert.equal(sessionIdOf(response.body), sessionIdOf(me), 'the session carries on');
    assert.equal(jwtPayload(response.body.accessToken).sub, me.userId);

    assert.equal((await h.get('/users/me', { token: response.body.accessToken })).status, 200);
    // The next rotation works with the new token only.
    const next = await h.post('/auth/refresh', { refreshToken: response.body.refreshToken });
    assert.equal(next.status, 200, next.text);
  });

  it('refresh - should answer 401 REFRESH_TOKEN_INVALID for garbage, unknown and forged tokens', async () => {
    const me = await h.signedInUser();
    const [sessionId] = me.refreshToken.split('.');
    const forgedSecret = `${'A'.repeat(42)}A`;
    for (const refreshToken of [
      'garbage',
      `${sessionId}.${forgedSecret}`,
      `00000000-0000-7000-8000-000000000000.${me.refreshToken.split('.')[1]}`,
      me.accessToken.slice(0, 500),
      `${me.refreshToken}x`,
    ]) {
      const response = await h.post('/auth/refresh', { refreshToken });
      assertProblem(response, 401, 'REFRESH_TOKEN_INVALID');
      assert.equal(response.text.includes(refreshToken), false);
    }
    // None of those attempts touched the real session.
    assert.equal((await h.post('/auth/refresh', { refreshToken: me.refreshToken })).status, 200);
  });

  it('refresh - should answer 422 for a missing or oversized token and 400 for no body', async () => {
    assertProblem(await h.post('/auth/refresh', {}), 422, 'VALIDATION_FAILED');
    assertProblem(await h.post('/auth/refresh', { refreshToken: 'x'.repeat(513) }), 422, 'VALIDATION_FAILED');
    assertProblem(
      await h.request('POST', '/auth/refresh', { headers: { 'Content-Type': 'application/json' } }),
      400,
      'MALFORMED_BODY',
    );
  });

  it('refresh - should refuse a session past its idle or absolute expiry', async () => {
    for (const column of ['idle_expires_at', 'absolute_expires_at'] as const) {
      const me = await h.signedInUser();
      await h.auth.database.db
        .updateTable('sessions')
        .set({ [column]: Date.now() - 1000 })
        .where('id', '=', sessionIdOf(me))
        .execute();
      assertProblem(
        await h.post('/auth/refresh', { refreshToken: me.refreshToken }),
        401,
        'REFRESH_TOKEN_INVALID',
      );
      const sessions = await h.get('/users/me/sessions', { token: me.accessToken });
      assert.deepEqual(sessions.body.sessions, [], `an expired session (${column}) is not listed`);
    }
  });

  it('refresh - should refuse a deactivated user and end the session', async () => {
    const me = await h.signedInUser();
    await h.auth.repositories.users.update(me.userId, { isActive: false }, Date.now());
    assertProblem(
      await h.post('/auth/refresh', { refreshToken: me.refreshToken }),
      401,
      'REFRESH_TOKEN_INVALID',
    );
    const session = await h.auth.repositories.sessions.findById(sessionIdOf(me));
    assert.notEqual(session?.revokedAt, null);
  });

  it('refresh - should record session.refresh_reuse when a rotated token comes back', async () => {
    const me = await h.signedInUser();
    assert.equal((await h.post('/auth/refresh', { refreshToken: me.refreshToken })).status, 200);
    assertProblem(
      await h.post('/auth/refresh', { refreshToken: me.refreshToken }),
      401,
      'REFRESH_TOKEN_INVALID',
    );
    assert.ok((await auditTypes(me.userId)).includes('session.refresh_reuse'));
  });
});

describe('POST /auth/logout', () => {
  it('logout - should answer 204 and kill the access token, the session and its refresh token', async () => {
    const me = await h.signedInUser();
    const response = await h.post('/auth/logout', undefined, { token: me.accessToken });
    assert.equal(response.status, 204, response.text);
    assert.equal(response.text, '');
    assertInvalidToken(await h.get('/users/me', { token: me.accessToken }));
    assertProblem(
      await h.post('/auth/refresh', { refreshToken: me.refreshToken }),
      401,
      'REFRESH_TOKEN_INVALID',
    );
    assertInvalidToken(await h.post('/auth/logout', undefined, { token: me.accessToken }));
    const session = await h.auth.repositories.sessions.findById(sessionIdOf(me));
    assert.equal(session?.revokedReason, 'logout');
    assert.ok((await auditTypes(me.userId)).includes('session.logout'));
  });

  it('logout - should leave the user’s other sessions alone', async () => {
    const me = await h.signedInUser();
    const other = await h.login(me.email);
    assert.equal((await h.post('/auth/logout', undefined, { token: me.accessToken })).status, 204);
    assert.equal((await h.get('/users/me', { token: other.accessToken })).status, 200);
    assert.equal((await h.post('/auth/refresh', { refreshToken: other.refreshToken })).status, 200);
  });

  it('logout - should answer 401 UNAUTHENTICATED without a token', async () => {
    const response = await h.post('/auth/logout');
    assertProblem(response, 401, 'UNAUTHENTICATED');
    assert.equal(response.headers.get('www-authenticate'), 'Bearer');
  });
});

describe('GET /users/me/sessions', () => {
  it('sessions - should list live sessions newest first with the current one flagged', async () => {
    const first = await h.signedInUser({ userAgent: 'First-Agent/1.0' });
    const second = await h.login(first.email, first.password, { userAgent: 'Second-Agent/2.0' });
    const third = await h.login(first.email, first.password);
    assert.equal((await h.post('/auth/logout', undefined, { token: third.accessToken })).status, 204);

    const response = await h.get('/users/me/sessions', { token: first.accessToken });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(Object.keys(response.body), ['sessions']);
    const sessions = response.body.sessions as Record<string, unknown>[];
    assert.deepEqual(
      sessions.map((s) => s.id),
      [sessionIdOf(second), sessionIdOf(first)],
      'the logged-out session is gone, newest first',
    );
    for (const session of sessions) {
      assert.deepEqual(Object.keys(session).sort(), [
        'createdAt',
        'current',
        'id',
        'lastUsedAt',
        'userAgent',
      ]);
      assert.match(String(session.createdAt), ISO_UTC);
      assert.match(String(session.lastUsedAt), ISO_UTC);
    }
    assert.deepEqual(
      sessions.map((s) => [s.userAgent, s.current]),
      [
        ['Second-Agent/2.0', false],
        ['First-Agent/1.0', true],
      ],
    );
    const fromSecond = await h.get('/users/me/sessions', { token: second.accessToken });
    assert.deepEqual(
      fromSecond.body.sessions.map((s: { current: boolean }) => s.current),
      [true, false],
    );
  });

  it('sessions - should never list another user’s sessions', async () => {
    const alice = await h.signedInUser();
    const bob = await h.signedInUser();
    const ids = (await h.get('/users/me/sessions', { token: alice.accessToken })).body.sessions.map(
      (s: { id: string }) => s.id,
    );
    assert.deepEqual(ids, [sessionIdOf(alice)]);
    assert.equal(ids.includes(sessionIdOf(bob)), false);
  });

  it('sessions - should answer 401 without a token', async () => {
    assertProblem(await h.get('/users/me/sessions'), 401, 'UNAUTHENTICATED');
  });
});

describe('DELETE /users/me/sessions/{id}', () => {
  it('revoke session - should answer 204 and kill that session’s tokens at once', async () => {
    const me = await h.signedInUser();
    const other = await h.login(me.email);
    const response = await h.request('DELETE', `/users/me/sessions/${sessionIdOf(other)}`, {
      token: me.accessToken,
    });
    assert.equal(response.status, 204, response.text);
    assertInvalidToken(await h.get('/users/me', { token: other.accessToken }));
    assertProblem(
      await h.post('/auth/refresh', { refreshToken: other.refreshToken }),
      401,
      'REFRESH_TOKEN_INVALID',
    );
    assert.equal((await h.get('/users/me', { token: me.accessToken })).status, 200);
    const events = await h.auth.repositories.audit.list({
      userId: me.userId,
      type: 'session.revoked',
      limit: 10,
    });
    assert.deepEqual(
      events.map((e) => e.sessionId),
      [sessionIdOf(other)],
    );
  });

  it('revoke session - should let a user revoke the current session', async () => {
    const me = await h.signedInUser();
    const response = await h.request('DELETE', `/users/me/sessions/${sessionIdOf(me)}`, {
      token: me.accessToken,
    });
    assert.equal(response.status, 204);
    assertInvalidToken(await h.get('/users/me', { token: me.accessToken }));
  });

  it('revoke session - should answer 404 SESSION_NOT_FOUND for an unknown id', async () => {
    const me = await h.signedInUser();
    for (const id of ['00000000-0000-7000-8000-000000000000', 'nope']) {
      const response = await h.request('DELETE', `/users/me/sessions/${id}`, { token: me.accessToken });
      assertProblem(response, 404, 'SESSION_NOT_FOUND');
    }
  });

  it('revoke session - should answer 404 SESSION_NOT_FOUND for another user’s session and leave it alive', async () => {
    const alice = await h.signedInUser();
    const bob = await h.signedInUser();
    const response = await h.request('DELETE', `/users/me/sessions/${sessionIdOf(bob)}`, {
      token: alice.accessToken,
    });
    assertProblem(response, 404, 'SESSION_NOT_FOUND');
    assert.equal((await h.get('/users/me', { token: bob.accessToken })).status, 200);
    assert.equal((await h.post('/auth/refresh', { refreshToken: bob.refreshToken })).status, 200);
    const bobSession = await h.auth.repositories.sessions.findById(sessionIdOf(bob));
    assert.equal(bobSession?.revokedAt, null);
  });

  it('revoke session - should answer 401 without a token', async () => {
    assertProblem(await h.request('DELETE', '/users/me/sessions/whatever'), 401, 'UNAUTHENTICATED');
  });
});

describe('POST /users/me/sessions/revoke-others', () => {
  it('revoke-others - should answer 204, end every other session and keep the current one', async () => {
    const me = await h.signedInUser();
    const others = [await h.login(me.email), await h.login(me.email)];
    const stranger = await h.signedInUser();
    const response = await h.post('/users/me/sessions/revoke-others', undefined, { token: me.accessToken });
    assert.equal(response.status, 204, response.text);
    for (const other of others) {
      assertInvalidToken(await h.get('/users/me', { token: other.accessToken }));
      assertProblem(
        await h.post('/auth/refresh', { refreshToken: other.refreshToken }),
        401,
        'REFRESH_TOKEN_INVALID',
      );
    }
    assert.equal((await h.get('/users/me', { token: me.accessToken })).status, 200);
    assert.equal(
      (await h.get('/users/me', { token: stranger.accessToken })).status,
      200,
      'other users are untouched',
    );
    const listed = await h.get('/users/me/sessions', { token: me.accessToken });
    assert.deepEqual(
      listed.body.sessions.map((s: { id: string }) => s.id),
      [sessionIdOf(me)],
    );
  });

  it('revoke-others - should answer 204 when there is nothing else to revoke', async () => {
    const me = await h.signedInUser();
    assert.equal(
      (await h.post('/users/me/sessions/revoke-others', undefined, { token: me.accessToken })).status,
      204,
    );
    assert.equal((await h.get('/users/me', { token: me.accessToken })).status, 200);
  });
});
