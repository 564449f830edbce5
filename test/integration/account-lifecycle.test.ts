/**
 * Self-service account lifecycle over HTTP, on SQLite with memory stores and on PostgreSQL with
 * Redis: `DELETE /users/me` (the password again; soft by default — deactivated, every
 * credential stopped, a notice mailed, erasure scheduled after the grace period — or hard under
 * `accounts.deletion.mode: 'hard'`), `GET /users/me/export` (everything stored about the caller)
 * and `GET /users/me/activity` (the caller's own security events, a page at a time).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auditEvents, demoteEveryAdmin, signedInAdmin, signedInWithRoles } from '../fixtures/admin.ts';
import { createApiKey } from '../fixtures/api-keys.ts';
import {
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  type SignedInUser,
} from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';
import { createTestClock } from '../fixtures/two-factor.ts';

const DAY_MS = 24 * 3600 * 1000;
const STEP_UP_WINDOW_MS = 300 * 1000;

for (const backend of backends()) {
  describe(`account lifecycle (${backend.name})`, () => {
    let h: Harness;
    let hard: Harness;
    let admin: SignedInUser;
    const clock = createTestClock();

    before(async () => {
      const config = await backend.config();
      h = await createHarness({
        config: { ...config, clock: clock.config, accounts: { deletion: { graceDays: 14 } } },
      });
      // The other deletion mode (the same database and stores on PostgreSQL + Redis).
      hard = await createHarness({ config: { ...config, accounts: { deletion: { mode: 'hard' } } } });
      admin = await signedInAdmin(h);
    });
    after(async () => {
      await hard?.close();
      await h?.close();
      await backend.stop();
    });

    it('DELETE /users/me needs the password, then stops every credential and mails a notice (soft)', async () => {
      const user = await signedInWithRoles(h, []);
      const second = await h.login(user.email);
      const key = await createApiKey(h, user.accessToken, { name: 'cli' });
      assertProblem(
        await h.request('DELETE', '/users/me', {
          token: user.accessToken,
          body: { currentPassword: 'wrong one 12' },
        }),
        401,
        'LOGIN_BAD_CREDENTIALS',
      );
      assert.equal((await h.get('/users/me', { token: user.accessToken })).status, 200, 'nothing happened');

      const deleted = await h.request('DELETE', '/users/me', {
        token: user.accessToken,
        body: { currentPassword: GOOD_PASSWORD },
      });
      assert.equal(deleted.status, 204, deleted.text);
      for (const token of [user.accessToken, second.accessToken]) {
        assertProblem(await h.get('/users/me', { token }), 401, 'INVALID_TOKEN');
      }
      assert.equal((await h.get('/users/me', { token: key.apiKey })).status, 401, 'the API key stopped');
      assertProblem(
        await h.post('/auth/refresh', { refreshToken: second.refreshToken }),
        401,
        'REFRESH_TOKEN_INVALID',
      );
      assertProblem(
        await h.post('/auth/login', { email: user.email, password: GOOD_PASSWORD }),
        401,
        'LOGIN_BAD_CREDENTIALS',
      );
      await h.mailTo(user.email, { subject: /account was deleted/ });

      const detail = (await h.get(`/admin/users/${user.userId}`, { token: admin.accessToken })).body.user;
      assert.equal(detail.active, false);
      assert.equal(
        Date.parse(detail.deletion.purgeAfter) - Date.parse(detail.deletion.deletedAt),
        14 * DAY_MS,
      );
      const [event] = await auditEvents(h, admin, { userId: user.userId, type: 'account.deleted' });
      assert.deepEqual(event.data, { hard: false, graceDays: 14 });
    });

    it("under accounts.deletion.mode 'hard' the account is erased at once", async () => {
      const user = await signedInWithRoles(hard, []);
      const deleted = await hard.request('DELETE', '/users/me', {
        token: user.accessToken,
        body: { currentPassword: GOOD_PASSWORD },
      });
      assert.equal(deleted.status, 204, deleted.text);
      assert.equal(await hard.auth.api.users.get(user.userId), null);
      assertProblem(await hard.get('/users/me', { token: user.accessToken }), 401, 'INVALID_TOKEN');
      await hard.mailTo(user.email, { subject: /account was deleted/ });
      const events = await auditEvents(hard, await signedInAdmin(hard), { type: 'account.deleted' });
      assert.ok(events.some((e) => e.userId === null && e.data.hard === true));
      assert.ok(events.every((e) => e.userId !== user.userId));
    });

    it('an account without a password (OAuth only) deletes itself with a recent sign-in instead', async () => {
      const user = await signedInWithRoles(h, []);
      // As an account made by an OAuth sign-in has it: no password at all.
      await h.auth.database.db
        .updateTable('users')
        .set({ password_hash: null })
        .where('id', '=', user.userId)
        .execute();
      clock.advance(STEP_UP_WINDOW_MS + 1000);
      assertProblem(
        await h.request('DELETE', '/users/me', { token: user.accessToken, body: {} }),
        403,
        'STEP_UP_REQUIRED',
      );
      assertProblem(
        await h.request('DELETE', '/users/me', {
          token: user.accessToken,
          body: { currentPassword: GOOD_PASSWORD },
        }),
        403,
        'STEP_UP_REQUIRED',
      );
      assert.equal((await h.get('/users/me', { token: user.accessToken })).status, 200, 'still there');
      // Signed in just now (here through a session row made fresh, as a new OAuth sign-in would be).
      await h.auth.database.db
        .updateTable('sessions')
        .set({ created_at: clock.now() })
        .where('user_id', '=', user.userId)
        .execute();
      const deleted = await h.request('DELETE', '/users/me', { token: user.accessToken, body: {} });
      assert.equal(deleted.status, 204, deleted.text);
      assertProblem(await h.get('/users/me', { token: user.accessToken }), 401, 'INVALID_TOKEN');
    });

    it('the last active admin cannot delete their own account', async () => {
      await demoteEveryAdmin(h, admin);
      assertProblem(
        await h.request('DELETE', '/users/me', {
          token: admin.accessToken,
          body: { currentPassword: GOOD_PASSWORD },
        }),
        409,
        'LAST_ADMIN',
      );
      assert.equal((await h.get('/users/me', { token: admin.accessToken })).status, 200);
    });

    it('GET /users/me/export holds the profile, sessions, keys, 2FA state and the caller’s own events', async () => {
      const user = await signedInWithRoles(h, ['reader']);
      const other = await signedInWithRoles(h, []);
      await createApiKey(h, user.accessToken, { name: 'export-key' });
      const exported = await h.get('/users/me/export', { token: user.accessToken });
      assert.equal(exported.status, 200, exported.text);
      assert.match(exported.headers.get('content-disposition') ?? '', /attachment/);
      const body = exported.body;
      assert.equal(body.format, 'gatehouse-export/1');
      assert.equal(body.id, user.userId);
      assert.equal(body.email, user.email);
      assert.deepEqual(body.roles, ['reader']);
      assert.equal(body.sessions.length, 1);
      assert.deepEqual(body.twoFactor, { enabled: false, recoveryCodesLeft: 0 });
      assert.deepEqual(
        body.apiKeys.map((k: { name: string }) => k.name),
        ['export-key'],
      );
      assert.deepEqual(body.providers, []);
      const types = body.auditEvents.map((e: { type: string }) => e.type);
      assert.ok(types.includes('login.success') && types.includes('apikey.created'), types.join());
      assert.ok(body.auditEvents.every((e: { userId: string }) => e.userId === user.userId));
      assert.ok(!exported.text.includes(other.userId), 'nothing of anyone else');
    });

    it('GET /users/me/activity pages through the caller’s own security events only', async () => {
      const user = await signedInWithRoles(h, []);
      for (let i = 0; i < 3; i += 1) await h.login(user.email);
      await h.post('/auth/login', { email: user.email, password: 'not the password 9' });
      const other = await signedInWithRoles(h, []);
      const seen: { id: string; type: string; at: string }[] = [];
      let cursor: string | null = null;
      for (let round = 0; round < 10; round += 1) {
        const page = await h.get(`/users/me/activity?limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
          token: user.accessToken,
        });
        assert.equal(page.status, 200, page.text);
        seen.push(...page.body.events);
        cursor = page.body.nextCursor;
        if (cursor === null) break;
      }
      const types = seen.map((e) => e.type);
      assert.equal(types.filter((t) => t === 'login.success').length, 4);
      assert.equal(types.filter((t) => t === 'login.failure').length, 1);
      assert.equal(new Set(seen.map((e) => e.id)).size, seen.length, 'no event twice across pages');
      assert.ok(
        seen.every((e, i) => i === 0 || e.at <= (seen[i - 1] as { at: string }).at),
        'newest first',
      );
      const otherPage = await h.get('/users/me/activity', { token: other.accessToken });
      assert.ok(otherPage.body.events.every((e: { id: string }) => !seen.some((s) => s.id === e.id)));
      assertProblem(
        await h.get('/users/me/activity?cursor=bm9wZQ', { token: user.accessToken }),
        400,
        'CURSOR_INVALID',
      );
    });
  });
}
