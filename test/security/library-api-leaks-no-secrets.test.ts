/**
 * Invariant: the server-side library API hands out no secrets. Every `auth.api.users` method
 * answers the public user view (the `user` of API.md: id, email, emailVerified, name, roles,
 * twoFactorEnabled, createdAt) and nothing else: never the password hash, the security stamp,
 * or the TOTP seed envelope, which application code could otherwise log, serialise into a
 * response or ship to an analytics service.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { UserView } from '../../src/index.ts';
import type { User } from '../../src/stores/repositories.ts';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';
import { createTestClock, enableTwoFactor } from '../fixtures/two-factor.ts';

const VIEW_KEYS = ['createdAt', 'email', 'emailVerified', 'id', 'name', 'roles', 'twoFactorEnabled'];

let h: Harness;
const clock = createTestClock();
/** A user with a password and 2FA on, so every secret column holds a value to leak. */
let stored: User;

before(async () => {
  h = await createHarness({ config: { clock: clock.config } });
  const { userId } = await enableTwoFactor(h, clock, { emailLabel: 'leak' });
  const row = await h.auth.repositories.users.findById(userId);
  assert.ok(row?.passwordHash && row.securityStamp && row.totpSecret, 'every secret column is set');
  stored = row;
});
after(() => h.close());

/** The answer is exactly the public view, and no secret of the stored row appears anywhere in it. */
function assertPublicView(value: unknown, row: User, label: string): asserts value is UserView {
  assert.ok(value && typeof value === 'object', `${label}: a user`);
  assert.deepEqual(Object.keys(value).sort(), VIEW_KEYS, `${label}: only the public fields`);
  const serialised = JSON.stringify(value);
  for (const secret of [row.passwordHash, row.securityStamp, row.totpSecret]) {
    if (secret) assert.ok(!serialised.includes(secret), `${label}: a secret of the row is in the answer`);
  }
  assert.ok(!serialised.includes('$argon2'), `${label}: no password hash`);
  for (const name of ['passwordHash', 'securityStamp', 'totpSecret', 'isActive', 'updatedAt']) {
    assert.equal(name in value, false, `${label}: ${name}`);
  }
}

describe('auth.api.users answers the public view only', () => {
  it('get - should answer the view of a user with a password and 2FA', async () => {
    const user = await h.auth.api.users.get(stored.id);
    assertPublicView(user, stored, 'get');
    assert.equal(user.twoFactorEnabled, true, 'that 2FA is on is shown, not the seed');
    assert.equal(user.email, stored.email);
    assert.equal(user.createdAt, new Date(stored.createdAt).toISOString());
  });

  it('findByEmail - should answer the view, whatever the case of the address', async () => {
    assertPublicView(await h.auth.api.users.findByEmail(stored.email.toUpperCase()), stored, 'findByEmail');
  });

  it('update - should answer the view after each kind of change', async () => {
    const changes = [
      { name: 'Renamed' },
      { roles: ['auditor'] },
      { emailVerified: true },
      { isActive: true },
    ];
    for (const change of changes) {
      const user = await h.auth.api.users.update(stored.id, change);
      const row = await h.auth.repositories.users.findById(stored.id);
      assert.ok(row);
      assertPublicView(user, row, `update ${JSON.stringify(change)}`);
    }
    assert.equal((await h.auth.api.users.get(stored.id))?.name, 'Renamed');
  });

  it('create - should answer the view of the new user', async () => {
    const email = uniqueEmail('created');
    const user = await h.auth.api.users.create({ email, password: GOOD_PASSWORD, roles: ['admin'] });
    const row = await h.auth.repositories.users.findById(user.id);
    assert.ok(row?.passwordHash && row.securityStamp);
    assertPublicView(user, row, 'create');
    assert.deepEqual(user.roles, ['admin']);
    assert.equal(user.twoFactorEnabled, false);
  });

  it('get, findByEmail, update, delete - should answer null or false, not a row, for an unknown user', async () => {
    assert.equal(await h.auth.api.users.get('no-such-user'), null);
    assert.equal(await h.auth.api.users.findByEmail(uniqueEmail('nobody')), null);
    assert.equal(await h.auth.api.users.update('no-such-user', { name: 'x' }), null);
    assert.equal(await h.auth.api.users.delete('no-such-user'), false);
  });

  it('delete - should answer a boolean, not the deleted row', async () => {
    const { id } = await h.auth.api.users.create({ email: uniqueEmail('gone'), password: GOOD_PASSWORD });
    assert.equal(await h.auth.api.users.delete(id), true);
    assert.equal(await h.auth.api.users.get(id), null);
  });
});
