/**
 * `auth.api.getUser(principal)`: the caller's public view for handlers behind a guard, so that
 * application code never queries the database by hand — and never sees the password hash,
 * security stamp or TOTP seed. Anonymous callers and users who are gone or deactivated get null.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';

let h: Harness;

before(async () => {
  h = await createHarness();
});

after(async () => {
  await h.close();
});

describe('auth.api.getUser', () => {
  it('answers the public view of the principal’s user', async () => {
    const email = uniqueEmail('get-user');
    const created = await h.auth.api.users.create({ email, password: GOOD_PASSWORD, roles: ['editor'] });
    const view = await h.auth.api.getUser({ userId: created.id });
    assert.deepEqual(view, created);
    assert.equal(view?.email, email);
    for (const secret of ['passwordHash', 'securityStamp', 'totpSecret']) {
      assert.equal(secret in (view as object), false, `${secret} stays inside the library`);
    }
  });

  it('answers null for an anonymous caller, an unknown id, a deactivated or a deleted user', async () => {
    assert.equal(await h.auth.api.getUser(null), null);
    assert.equal(await h.auth.api.getUser(undefined), null);
    assert.equal(await h.auth.api.getUser({ userId: '0190d1f2-0000-7000-8000-000000000000' }), null);
    const user = await h.auth.api.users.create({ email: uniqueEmail('inactive'), password: GOOD_PASSWORD });
    await h.auth.api.users.update(user.id, { isActive: false });
    assert.equal(await h.auth.api.getUser({ userId: user.id }), null);
    const gone = await h.auth.api.users.create({ email: uniqueEmail('gone'), password: GOOD_PASSWORD });
    assert.notEqual(await h.auth.api.getUser({ userId: gone.id }), null);
    await h.auth.api.users.delete(gone.id);
    assert.equal(await h.auth.api.getUser({ userId: gone.id }), null);
  });
});
