/**
 * The admin API over HTTP, on SQLite with memory stores and on PostgreSQL with Redis: the user
 * list (keyset pages stable while users are added, every filter), one user's detail, creation
 * with a set-password link (no password ever chosen or shown by the admin), changes with their
 * audit trail (actor, target, before and after), soft deletion and its restoration, ending
 * sessions, resetting 2FA, mailing a reset link, lifting a lock, the audit list, and the
 * last-admin rule (its race is test/security/last-admin-race.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auditEvents, demoteEveryAdmin, signedInAdmin, signedInWithRoles } from '../fixtures/admin.ts';
import {
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  type SignedInUser,
  tokenFromMail,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';
import { codeAt, createTestClock, enableTwoFactor, wrongCode } from '../fixtures/two-factor.ts';

for (const backend of backends()) {
  describe(`admin API (${backend.name})`, () => {
    let h: Harness;
    let admin: SignedInUser;
    const clock = createTestClock();
    const as = (user: SignedInUser) => ({ token: user.accessToken });

    before(async () => {
      const config = await backend.config();
      h = await createHarness({
        config: { ...config, clock: clock.config, lockout: { enabled: true, maxFailures: 3 } },
      });
      admin = await signedInAdmin(h);
    });
    after(async () => {
      await h?.close();
      await backend.stop();
    });

    it('pages through users by an opaque cursor that stays stable while users are added', async () => {
      const label = `page${Date.now().toString(36)}`;
      const made: string[] = [];
      for (let i = 0; i < 5; i += 1) made.push((await signedInWithRoles(h, [], label)).userId);
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let round = 0; round < 10; round += 1) {
        const query: string = `/admin/users?q=${label}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await h.get(query, as(admin));
        assert.equal(page.status, 200, page.text);
        assert.ok(page.body.users.length <= 2);
        seen.push(...page.body.users.map((u: { id: string }) => u.id));
        // A user added between pages comes at the end, never shifting a page already read.
        if (round === 0) made.push((await signedInWithRoles(h, [], label)).userId);
        cursor = page.body.nextCursor;
        if (cursor === null) break;
        assert.doesNotMatch(Buffer.from(cursor, 'base64url').toString(), /^\{/, 'not plain JSON');
      }
      assert.deepEqual(seen, made, 'every user once, in creation order, the late one last');
      assertProblem(await h.get('/admin/users?cursor=AAAA', as(admin)), 400, 'CURSOR_INVALID');
    });

    it('filters by email prefix, name, role, active, verified and twoFactor', async () => {
      const tag = `flt${Date.now().toString(36)}`;
      const plain = await h.auth.api.users.create({
        email: `${tag}-a@example.test`,
        password: GOOD_PASSWORD,
      });
      const named = await h.auth.api.users.create({
        email: uniqueEmail('other'),
        password: GOOD_PASSWORD,
        name: `Ada ${tag} Lovelace`,
        emailVerified: true,
        roles: [`auditor-${tag}`],
      });
      await h.auth.api.users.update(plain.id, { isActive: false });
      const ids = async (query: string) => {
        const page = await h.get(`/admin/users?limit=100&${query}`, as(admin));
        assert.equal(page.status, 200, page.text);
        return page.body.users.map((u: { id: string }) => u.id) as string[];
      };
      assert.deepEqual(await ids(`q=${tag}-`), [plain.id], 'email prefix');
      assert.deepEqual(await ids(`q=${tag.toUpperCase()}`), [plain.id, named.id], 'prefix or name, any case');
      assert.deepEqual(await ids(`q=${tag}%25`), [], 'a LIKE wildcard matches itself only');
      assert.deepEqual(await ids(`role=auditor-${tag}`), [named.id]);
      assert.deepEqual(await ids(`q=${tag}&active=false`), [plain.id]);
      assert.deepEqual(await ids(`q=${tag}&active=true&verified=true`), [named.id]);
      assert.deepEqual(await ids(`q=${tag}&verified=false`), [plain.id]);
      assert.deepEqual(await ids(`q=${tag}&twoFactor=true`), []);
      const withTotp = await enableTwoFactor(h, clock, { emailLabel: tag });
      assert.deepEqual(await ids(`q=${tag}&twoFactor=true`), [withTotp.userId]);
      assertProblem(await h.get('/admin/users?active=yes', as(admin)), 422, 'VALIDATION_FAILED');
    });

    it("shows one user's sessions, API keys, 2FA, last sign-in and lock state", async () => {
      const user = await signedInWithRoles(h, []);
      const detail = await h.get(`/admin/users/${user.userId}`, as(admin));
      assert.equal(detail.status, 200, detail.text);
      const shown = detail.body.user;
      assert.equal(shown.id, user.userId);
      assert.equal(shown.sessions.length, 1);
      assert.deepEqual(shown.twoFactor, { enabled: false, recoveryCodesLeft: 0 });
      assert.ok(Date.parse(shown.lastSignInAt) > 0);
      assert.equal(shown.locked, false);
      assert.equal(shown.hasPassword, true);
      assert.doesNotMatch(detail.text, /passwordHash|\$argon2|securityStamp|totpSecret/);
      assertProblem(
        await h.get('/admin/users/01a20000-0000-7000-8000-000000000000', as(admin)),
        404,
        'USER_NOT_FOUND',
      );
    });

    it('creates a user without a password: the owner sets one through the mailed link', async () => {
      const email = uniqueEmail('created');
      const created = await h.post('/admin/users', { email, name: 'New Person', verified: true }, as(admin));
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.user.email, email);
      assert.doesNotMatch(created.text, /password/i);
      assertProblem(
        await h.post('/auth/login', { email, password: GOOD_PASSWORD }),
        401,
        'LOGIN_BAD_CREDENTIALS',
      );
      const link = tokenFromMail(await h.mailTo(email));
      const set = await h.post('/auth/reset-password', { token: link, password: GOOD_PASSWORD });
      assert.equal(set.status, 204, set.text);
      await h.login(email);
      const [event] = await auditEvents(h, admin, {
        userId: created.body.user.id,
        type: 'admin.user_created',
      });
      assert.equal(event.data.actorId, admin.userId);
      assertProblem(await h.post('/admin/users', { email }, as(admin)), 409, 'USER_ALREADY_EXISTS');
      assertProblem(
        await h.post('/admin/users', { email: uniqueEmail(), password: GOOD_PASSWORD }, as(admin)),
        422,
        'VALIDATION_FAILED',
      );
    });

    it('changes roles, active, verified and name, audited with before and after, ending the sessions', async () => {
      const user = await signedInWithRoles(h, ['reader']);
      const changed = await h.request('PATCH', `/admin/users/${user.userId}`, {
        ...as(admin),
        body: { roles: ['reader', 'writer'], verified: false, name: 'Renamed' },
      });
      assert.equal(changed.status, 200, changed.text);
      assert.deepEqual(changed.body.user.roles, ['reader', 'writer']);
      assert.equal(changed.body.user.emailVerified, false);
      const [event] = await auditEvents(h, admin, { userId: user.userId, type: 'admin.user_updated' });
      assert.equal(event.data.actorId, admin.userId);
      assert.deepEqual(event.data.changes, {
        roles: { before: ['reader'], after: ['reader', 'writer'] },
        verified: { before: true, after: false },
        name: { before: null, after: 'Renamed' },
      });
      // Roles travel in access tokens: the old one stops at once.
      assertProblem(await h.get('/users/me', as(user)), 401, 'INVALID_TOKEN');
      const reverified = await h.request('PATCH', `/admin/users/${user.userId}`, {
        ...as(admin),
        body: { verified: true },
      });
      assert.equal(reverified.body.user.emailVerified, true);
      const again = await h.login(user.email);
      const off = await h.request('PATCH', `/admin/users/${user.userId}`, {
        ...as(admin),
        body: { active: false },
      });
      assert.equal(off.status, 200, off.text);
      assertProblem(await h.get('/users/me', as(again)), 401, 'INVALID_TOKEN');
      assertProblem(
        await h.post('/auth/login', { email: user.email, password: GOOD_PASSWORD }),
        401,
        'LOGIN_BAD_CREDENTIALS',
      );
      assertProblem(
        await h.request('PATCH', `/admin/users/${user.userId}`, { ...as(admin), body: { isAdmin: true } }),
        422,
        'VALIDATION_FAILED',
      );
    });

    it('soft-deletes (deactivated, scheduled, restorable) and records who did it', async () => {
      const user = await signedInWithRoles(h, []);
      const deleted = await h.request('DELETE', `/admin/users/${user.userId}`, as(admin));
      assert.equal(deleted.status, 204, deleted.text);
      assertProblem(await h.get('/users/me', as(user)), 401, 'INVALID_TOKEN');
      const detail = await h.get(`/admin/users/${user.userId}`, as(admin));
      assert.equal(detail.body.user.active, false);
      assert.ok(
        Date.parse(detail.body.user.deletion.purgeAfter) > Date.parse(detail.body.user.deletion.deletedAt),
      );
      const [event] = await auditEvents(h, admin, { userId: user.userId, type: 'admin.user_deleted' });
      assert.deepEqual(event.data, {
        actorId: admin.userId,
        actorSessionId: event.data.actorSessionId,
        hard: false,
      });
      const restored = await h.request('PATCH', `/admin/users/${user.userId}`, {
        ...as(admin),
        body: { active: true },
      });
      assert.equal(restored.status, 200, restored.text);
      assert.equal((await h.get(`/admin/users/${user.userId}`, as(admin))).body.user.deletion, null);
      await h.login(user.email);
    });

    it('ends sessions, resets 2FA (the owner is mailed), mails a reset link and lifts a lock', async () => {
      const user = await signedInWithRoles(h, []);
      const revoked = await h.post(`/admin/users/${user.userId}/revoke-sessions`, undefined, as(admin));
      assert.equal(revoked.status, 204, revoked.text);
      assertProblem(await h.get('/users/me', as(user)), 401, 'INVALID_TOKEN');

      const totp = await enableTwoFactor(h, clock);
      const reset = await h.post(`/admin/users/${totp.userId}/reset-two-factor`, undefined, as(admin));
      assert.equal(reset.status, 204, reset.text);
      await h.mailTo(totp.email, { subject: /Two-factor authentication was reset/ });
      const login = await h.post('/auth/login', { email: totp.email, password: GOOD_PASSWORD });
      assert.equal(login.status, 200, 'a password is enough again');
      assert.ok(login.body.accessToken);

      const mailed = await h.post(`/admin/users/${user.userId}/send-password-reset`, undefined, as(admin));
      assert.equal(mailed.status, 204, mailed.text);
      tokenFromMail(await h.mailTo(user.email, { subject: /Reset your/ }));

      // An address never signed in from this device: three failures lock it.
      const lockedOut = await h.auth.api.users.create({
        email: uniqueEmail('locked'),
        password: GOOD_PASSWORD,
        emailVerified: true,
      });
      for (let i = 0; i < 3; i += 1)
        await h.post('/auth/login', { email: lockedOut.email, password: 'wrong password 1' });
      assertProblem(
        await h.post('/auth/login', { email: lockedOut.email, password: GOOD_PASSWORD }),
        429,
        'RATE_LIMITED',
      );
      assert.equal((await h.get(`/admin/users/${lockedOut.id}`, as(admin))).body.user.locked, true);
      const unlocked = await h.post(`/admin/users/${lockedOut.id}/unlock`, undefined, as(admin));
      assert.equal(unlocked.status, 204, unlocked.text);
      assert.equal((await h.get(`/admin/users/${lockedOut.id}`, as(admin))).body.user.locked, false);
      await h.login(lockedOut.email);
      const [unlockEvent] = await auditEvents(h, admin, {
        userId: lockedOut.id,
        type: 'admin.user_unlocked',
      });
      assert.equal(unlockEvent?.data.actorId, admin.userId);
      for (const type of ['admin.sessions_revoked', 'admin.password_reset_sent']) {
        const [event] = await auditEvents(h, admin, { userId: user.userId, type });
        assert.equal(event?.data.actorId, admin.userId, type);
      }
    });

    it("unlock also lifts a lock on the user's second factor", async () => {
      const user = await enableTwoFactor(h, clock, { emailLabel: 'totp-locked' });
      const pending = async () =>
        (await h.post('/auth/login', { email: user.email, password: GOOD_PASSWORD })).body
          .pendingToken as string;
      for (let i = 0; i < 3; i += 1) {
        await h.post('/auth/2fa/verify', {
          pendingToken: await pending(),
          code: wrongCode(clock, user.seed),
        });
      }
      const refused = await h.post('/auth/2fa/verify', {
        pendingToken: await pending(),
        code: codeAt(clock, user.seed),
      });
      assertProblem(refused, 429, 'RATE_LIMITED');
      assert.equal((await h.get(`/admin/users/${user.userId}`, as(admin))).body.user.locked, true);
      const unlocked = await h.post(`/admin/users/${user.userId}/unlock`, undefined, as(admin));
      assert.equal(unlocked.status, 204, unlocked.text);
      assert.equal((await h.get(`/admin/users/${user.userId}`, as(admin))).body.user.locked, false);
      clock.advance(30_000);
      const verified = await h.post('/auth/2fa/verify', {
        pendingToken: await pending(),
        code: codeAt(clock, user.seed),
      });
      assert.equal(verified.status, 200, verified.text);
    });

    it('lists audit events by user, type and time, newest first, a page at a time', async () => {
      const user = await signedInWithRoles(h, []);
      await h.login(user.email);
      await h.login(user.email);
      const since = new Date(clock.now() - 1000).toISOString();
      const first = await h.get(
        `/admin/audit?userId=${user.userId}&type=login.success&limit=2&since=${since}`,
        as(admin),
      );
      assert.equal(first.status, 200, first.text);
      assert.equal(first.body.events.length, 2);
      const rest = await h.get(
        `/admin/audit?userId=${user.userId}&type=login.success&limit=2&cursor=${first.body.nextCursor}`,
        as(admin),
      );
      assert.equal(rest.body.events.length, 1);
      assert.equal(rest.body.nextCursor, null);
      const all = [...first.body.events, ...rest.body.events];
      assert.equal(new Set(all.map((e) => e.id)).size, 3);
      assert.ok(all.every((e) => e.userId === user.userId && e.type === 'login.success'));
      assert.ok(
        all.every((e, i) => i === 0 || e.at <= all[i - 1].at),
        'newest first',
      );
      const until = await h.get(`/admin/audit?userId=${user.userId}&until=${since}`, as(admin));
      assert.deepEqual(until.body.events, []);
      assert.doesNotMatch(first.text, /ipHash|ip_hash/);
    });

    it('refuses to delete, deactivate or demote the last active admin', async () => {
      await demoteEveryAdmin(h, admin);
      for (const request of [
        () =>
          h.request('PATCH', `/admin/users/${admin.userId}`, { ...as(admin), body: { roles: ['reader'] } }),
        () => h.request('PATCH', `/admin/users/${admin.userId}`, { ...as(admin), body: { active: false } }),
        () => h.request('DELETE', `/admin/users/${admin.userId}`, as(admin)),
        () => h.request('DELETE', `/admin/users/${admin.userId}?hard=true`, as(admin)),
      ]) {
        assertProblem(await request(), 409, 'LAST_ADMIN');
      }
      assert.equal((await h.get('/users/me', as(admin))).status, 200, 'nothing changed: the session lives');
      const renamed = await h.request('PATCH', `/admin/users/${admin.userId}`, {
        ...as(admin),
        body: { name: 'Root' },
      });
      assert.equal(renamed.status, 200, 'other changes to the last admin are fine');
    });
  });
}
