/**
 * Invariant: no refused authorization goes unrecorded, and no admin write to another user's
 * API keys is anonymous. Every 403 a Gatehouse route or guard answers (INSUFFICIENT_ROLES,
 * CSRF_FAILED, STEP_UP_REQUIRED, PASSWORD_SESSION_REQUIRED, FORBIDDEN, …) writes one
 * `access.denied` audit event with the code, the method, the route pattern (never the path's
 * ids) and the caller when known, through one central hook; an admin creating or revoking a
 * user's key writes `admin.apikey_created` / `admin.apikey_revoked` naming the target user and
 * the admin. Someone probing admin routes or forging cookie requests leaves a trail.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Hono } from 'hono';
import type { GuardEnv } from '../../src/http/index.ts';
import type { AuthConfigInput } from '../../src/index.ts';
import type { AuditEvent } from '../../src/stores/repositories.ts';
import { createApiKey, createKeyOwner } from '../fixtures/api-keys.ts';
import { assertProblem, createHarness, type Harness } from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';
import { cookieHeaders, createVerifiedUser, signInWithCookie } from '../fixtures/cookie-session.ts';
import { codeAt, createTestClock, enableTwoFactor, pendingToken, verify } from '../fixtures/two-factor.ts';

/** Parallel refusals fired at once; each must leave exactly one event. */
const PARALLEL = 20;

for (const backend of backends())
  describe(`403 answers and admin key writes are audited (${backend.name})`, () => {
    let h: Harness;
    const clock = createTestClock();

    before(async () => {
      const overrides: AuthConfigInput = await backend.config();
      h = await createHarness({ config: { ...overrides, clock: clock.config } });
    });
    after(async () => {
      await h.close();
      await backend.stop();
    });

    /** The `access.denied` events of `userId` (or of nobody), newest first. */
    async function denials(userId: string | null, code?: string): Promise<AuditEvent[]> {
      const events = await h.auth.repositories.audit.list({
        type: 'access.denied',
        ...(userId ? { userId } : {}),
        limit: 1000,
      });
      return events.filter((e) => e.userId === userId && (code === undefined || e.data.code === code));
    }

    it('INSUFFICIENT_ROLES - should record each refused admin call, in parallel, with the route pattern', async () => {
      const caller = await createKeyOwner(h);
      const target = await createKeyOwner(h);
      const path = `/admin/users/${target.userId}/api-keys`;
      const responses = await Promise.all(
        Array.from({ length: PARALLEL }, () =>
          h.get(path, { token: caller.token, headers: { 'User-Agent': 'prober/1.0' } }),
        ),
      );
      for (const response of responses) assertProblem(response, 403, 'INSUFFICIENT_ROLES');
      const events = await denials(caller.userId, 'INSUFFICIENT_ROLES');
      assert.equal(events.length, PARALLEL, 'one event per refused request');
      const requestIds = new Set(events.map((e) => e.requestId));
      assert.equal(requestIds.size, PARALLEL, 'each event names its own request');
      for (const event of events) {
        assert.deepEqual(event.data, {
          code: 'INSUFFICIENT_ROLES',
          method: 'GET',
          route: '/admin/users/:id/api-keys',
        });
        assert.equal(event.userAgent, 'prober/1.0');
        assert.ok(event.sessionId, 'the caller’s session is named');
        // The pattern, not the path: no target id lands in the event.
        assert.ok(!JSON.stringify(event).includes(target.userId));
      }
    });

    it('CSRF_FAILED - should record a forged cookie request, with no user (authentication never finished)', async () => {
      const { email } = await createVerifiedUser(h, 'csrf-victim');
      const session = await signInWithCookie(h, email);
      const before = (await denials(null, 'CSRF_FAILED')).length;
      const forged = await h.request('PATCH', '/users/me', {
        body: { name: 'forged' },
        headers: cookieHeaders(session, { origin: 'https://evil.example' }),
      });
      assertProblem(forged, 403, 'CSRF_FAILED');
      const events = await denials(null, 'CSRF_FAILED');
      assert.equal(events.length, before + 1);
      assert.deepEqual(events[0]?.data, { code: 'CSRF_FAILED', method: 'PATCH', route: '/users/me' });
      assert.equal(events[0]?.requestId, forged.headers.get('x-request-id'));
    });

    it('PASSWORD_SESSION_REQUIRED - should record an API key reaching for a password-session route, naming the key', async () => {
      const owner = await createKeyOwner(h);
      const key = await createApiKey(h, owner.token, { name: 'ci' });
      const refused = await h.get('/users/me/api-keys', { token: key.apiKey });
      assertProblem(refused, 403, 'PASSWORD_SESSION_REQUIRED');
      const events = await denials(owner.userId, 'PASSWORD_SESSION_REQUIRED');
      assert.equal(events.length, 1);
      assert.deepEqual(events[0]?.data, {
        code: 'PASSWORD_SESSION_REQUIRED',
        method: 'GET',
        route: '/users/me/api-keys',
        apiKeyId: key.keyId,
      });
    });

    it('STEP_UP_REQUIRED - should record a stale 2FA session refused a sensitive route', async () => {
      const user = await enableTwoFactor(h, clock, { emailLabel: 'stale' });
      const signedIn = await verify(h, await pendingToken(h, user), codeAt(clock, user.seed));
      assert.equal(signedIn.status, 200, signedIn.text);
      clock.advance(10 * 60 * 1000);
      const refused = await h.post(
        '/users/me/api-keys',
        { name: 'late' },
        { token: signedIn.body.accessToken },
      );
      assertProblem(refused, 403, 'STEP_UP_REQUIRED');
      const events = await denials(user.userId, 'STEP_UP_REQUIRED');
      assert.equal(events.length, 1);
      assert.deepEqual(events[0]?.data, {
        code: 'STEP_UP_REQUIRED',
        method: 'POST',
        route: '/users/me/api-keys',
      });
    });

    it('guards - should record a 403 of requireRoles on an application route, with its pattern', async () => {
      const app = new Hono<GuardEnv>();
      app.get('/reports/:reportId', h.auth.requireRoles('auditor'), (c) => c.json({ ok: true }));
      const caller = await createKeyOwner(h);
      const response = await app.request('/reports/r-42', {
        headers: { Authorization: `Bearer ${caller.token}` },
      });
      assert.equal(response.status, 403);
      const events = await denials(caller.userId, 'INSUFFICIENT_ROLES');
      assert.equal(events.length, 1);
      assert.deepEqual(events[0]?.data, {
        code: 'INSUFFICIENT_ROLES',
        method: 'GET',
        route: '/reports/:reportId',
      });
    });

    it('no 403, no event - should record nothing for allowed requests and for 401s', async () => {
      const caller = await createKeyOwner(h);
      assert.equal((await h.get('/users/me', { token: caller.token })).status, 200);
      assert.equal((await h.get('/users/me/api-keys')).status, 401);
      assert.deepEqual(await denials(caller.userId), []);
    });

    it('admin key writes - should record the target user and the admin on create and revoke', async () => {
      const admin = await createKeyOwner(h, { roles: ['admin'] });
      const target = await createKeyOwner(h);
      const created = await h.post(
        `/admin/users/${target.userId}/api-keys`,
        { name: 'issued by ops' },
        { token: admin.token },
      );
      assert.equal(created.status, 201, created.text);
      const keyId = String(created.body.key.id);
      const revoked = await h.request('DELETE', `/admin/users/${target.userId}/api-keys/${keyId}`, {
        token: admin.token,
      });
      assert.equal(revoked.status, 204, revoked.text);

      for (const [type, data] of [
        ['admin.apikey_created', { keyId, signing: false }],
        ['admin.apikey_revoked', { keyId }],
      ] as const) {
        const events = await h.auth.repositories.audit.list({ userId: target.userId, type, limit: 10 });
        assert.equal(events.length, 1, type);
        const { actorId, actorSessionId, ...rest } = events[0]!.data as Record<string, unknown>;
        assert.equal(actorId, admin.userId, `${type}: the admin is named`);
        assert.equal(typeof actorSessionId, 'string');
        assert.deepEqual(rest, data);
      }
      // Not mistaken for the owner's own writes.
      assert.deepEqual(
        await h.auth.repositories.audit.list({ userId: target.userId, type: 'apikey.created', limit: 10 }),
        [],
      );
    });

    it('owner key writes - should stay apikey.* events without an actor', async () => {
      const owner = await createKeyOwner(h);
      const key = await createApiKey(h, owner.token, { name: 'mine' });
      const events = await h.auth.repositories.audit.list({
        userId: owner.userId,
        type: 'apikey.created',
        limit: 10,
      });
      assert.equal(events.length, 1);
      assert.deepEqual(events[0]?.data, { keyId: key.keyId, signing: false });
    });
  });
