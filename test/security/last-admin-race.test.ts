/**
 * Threat: two admins demote (or deactivate, or delete) each other at the same moment and both
 * succeed, leaving the service with no active admin and nobody able to repair it over HTTP —
 * a read-then-write check passes for both.
 *
 * Invariant: on SQLite and on PostgreSQL, when the only two active admins each demote the
 * other at once, exactly one request succeeds; the other is refused (409 `LAST_ADMIN`, or 401
 * when the winner's revocation of its session reached it first), and exactly one admin is
 * left. Repeated for several rounds: the judgement runs in one transaction under a lock every
 * such change takes, never as a read followed by a write.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { demoteEveryAdmin, signedInAdmin } from '../fixtures/admin.ts';
import { createHarness, type Harness, type SignedInUser } from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';

for (const backend of backends()) {
  describe(`last-admin race (${backend.name})`, () => {
    let h: Harness;
    const as = (user: SignedInUser) => ({ token: user.accessToken });

    before(async () => {
      h = await createHarness({ config: await backend.config() });
    });
    after(async () => {
      await h?.close();
      await backend.stop();
    });

    it('two admins demoting each other at once: exactly one wins, one admin is left', async () => {
      for (let round = 0; round < 8; round += 1) {
        const a = await signedInAdmin(h);
        await demoteEveryAdmin(h, a);
        const b = await signedInAdmin(h);
        const answers = await Promise.all([
          h.request('PATCH', `/admin/users/${b.userId}`, { ...as(a), body: { roles: [] } }),
          h.request('PATCH', `/admin/users/${a.userId}`, { ...as(b), body: { roles: [] } }),
        ]);
        const won = answers.filter((r) => r.status === 200);
        assert.equal(won.length, 1, `round ${round}: ${answers.map((r) => r.text).join(' | ')}`);
        // The loser is refused as the last admin, or, when the winner's revocation of its
        // session came first, as a dead credential; never a second success.
        const lost = answers.find((r) => r.status !== 200);
        assert.ok(lost && [409, 401].includes(lost.status), lost?.text);
        if (lost?.status === 409) assert.equal(lost.body.code, 'LAST_ADMIN');
        const roles = await Promise.all(
          [a, b].map(async (u) => (await h.auth.api.users.get(u.userId))?.roles),
        );
        const admins = roles.filter((r) => r?.includes('admin'));
        assert.equal(admins.length, 1, `round ${round}: exactly one admin left`);
      }
    });
  });
}
