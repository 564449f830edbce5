/**
 * Threat: someone who is not an admin reaches the admin API (a signed-in user, a user who
 * tries to give themselves a role, or an API key — even an admin's key scoped `admin`), and
 * lists, changes or deletes accounts.
 *
 * Invariant: every route under /admin (read from the instance's route table, so a route added
 * later is covered) answers 403 `INSUFFICIENT_ROLES` to a signed-in non-admin and 403
 * `PASSWORD_SESSION_REQUIRED` to an API key of any owner, changes nothing, and records
 * `access.denied`; a user cannot give themselves a role through their own profile; the account
 * lifecycle routes refuse API keys too (a key cannot delete or export its owner's account).
 * Runs on SQLite with memory stores and on PostgreSQL with Redis.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auditEvents, signedInAdmin, signedInWithRoles } from '../fixtures/admin.ts';
import { createApiKey } from '../fixtures/api-keys.ts';
import {
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  type SignedInUser,
} from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';

for (const backend of backends()) {
  describe(`admin routes refuse non-admins and API keys (${backend.name})`, () => {
    let h: Harness;
    let admin: SignedInUser;
    let member: SignedInUser;
    let target: SignedInUser;
    /** Every /admin route of the instance, with its parameters filled in. */
    let adminRoutes: { method: string; path: string }[];

    before(async () => {
      h = await createHarness({ config: await backend.config() });
      admin = await signedInAdmin(h);
      member = await signedInWithRoles(h, ['reader']);
      target = await signedInWithRoles(h, []);
      adminRoutes = h.auth.routes
        .filter((route) => route.path.startsWith('/admin'))
        .map((route) => ({
          method: route.method,
          path: route.path.replace(':id', target.userId).replace(':keyId', 'AAAAAAAAAAAAAAAAAAAAAA'),
        }));
      assert.ok(adminRoutes.length >= 12, `the admin routes are listed (${adminRoutes.length})`);
    });
    after(async () => {
      await h?.close();
      await backend.stop();
    });

    /** What the target looks like to an admin: unchanged by every refused request. */
    const targetState = async () =>
      (await h.get(`/admin/users/${target.userId}`, { token: admin.accessToken })).body.user;

    it('a signed-in user without the admin role gets 403 INSUFFICIENT_ROLES on every admin route', async () => {
      const before = await targetState();
      for (const route of adminRoutes) {
        const answer = await h.request(route.method, route.path, {
          token: member.accessToken,
          ...(route.method === 'GET' || route.method === 'DELETE'
            ? {}
            : { body: { roles: ['admin'], email: 'x@example.test', name: 'x' } }),
        });
        assertProblem(answer, 403, 'INSUFFICIENT_ROLES');
      }
      assert.deepEqual(await targetState(), before, 'nothing changed');
      assert.equal(
        (await h.get('/users/me', { token: target.accessToken })).status,
        200,
        'the target still signs in',
      );
      const denied = await auditEvents(h, admin, { userId: member.userId, type: 'access.denied' });
      assert.ok(denied.length >= adminRoutes.length, 'every refusal is audited');
    });

    it('a user cannot give themselves a role through their own profile', async () => {
      const answer = await h.request('PATCH', '/users/me', {
        token: member.accessToken,
        body: { roles: ['admin'] },
      });
      assert.equal(answer.status, 422, answer.text);
      assert.deepEqual((await h.auth.api.users.get(member.userId))?.roles, ['reader']);
    });

    it("an API key — even an admin's key scoped admin — gets 403 PASSWORD_SESSION_REQUIRED everywhere under /admin", async () => {
      const key = await createApiKey(h, admin.accessToken, { name: 'ops', scopes: ['admin'] });
      const before = await targetState();
      for (const route of adminRoutes) {
        const answer = await h.request(route.method, route.path, {
          token: key.apiKey,
          ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body: { roles: [] } }),
        });
        assertProblem(answer, 403, 'PASSWORD_SESSION_REQUIRED');
      }
      assert.deepEqual(await targetState(), before, 'nothing changed');
    });

    it('an API key cannot delete, export or read the activity of its owner', async () => {
      const key = await createApiKey(h, target.accessToken, { name: 'mine' });
      assertProblem(
        await h.request('DELETE', '/users/me', {
          token: key.apiKey,
          body: { currentPassword: GOOD_PASSWORD },
        }),
        403,
        'PASSWORD_SESSION_REQUIRED',
      );
      assertProblem(await h.get('/users/me/export', { token: key.apiKey }), 403, 'PASSWORD_SESSION_REQUIRED');
      assertProblem(
        await h.get('/users/me/activity', { token: key.apiKey }),
        403,
        'PASSWORD_SESSION_REQUIRED',
      );
      assert.equal((await h.get('/users/me', { token: target.accessToken })).status, 200);
    });
  });
}
