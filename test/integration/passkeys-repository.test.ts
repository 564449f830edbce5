/**
 * The passkey repository's contract, on SQLite and on PostgreSQL: credential ids unique across
 * accounts, the per-account cap held under concurrent registrations, the counter moved only
 * from the value the caller read (two sign-ins racing with one counter cannot both move it),
 * backup flags stored, rename and remove only the owner's, and the last way to sign in kept.
 * @see issue #17
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { signInMethodsOf } from '../../src/core/index.ts';
import { passwordSignInMethod } from '../../src/features/accounts/sign-in-method.ts';
import { oauthSignInMethod } from '../../src/features/oauth/sign-in-method.ts';
import {
  createPasskeyRepository,
  type NewPasskey,
  type PasskeyRepository,
} from '../../src/features/passkeys/index.ts';
import { passkeySignInMethod } from '../../src/features/passkeys/sign-in-method.ts';
import type { Repositories } from '../../src/stores/repositories.ts';
import { createSqlRepositories, migrateUp } from '../../src/stores/sql/index.ts';
import { sqlDatabaseHandle } from '../../src/stores/sql/kit.ts';
import { type DialectTarget, forEachDialect } from '../fixtures/databases.ts';
import { FEATURE_MIGRATIONS } from '../fixtures/migrations.ts';

const NOW = 1_800_000_000_000;
/** The ways in of an instance with passwords, GitHub sign-in and passkeys. */
const WAYS_IN = signInMethodsOf([passwordSignInMethod, oauthSignInMethod(['github']), passkeySignInMethod]);

async function setup(
  target: DialectTarget,
): Promise<{ passkeys: PasskeyRepository; repositories: Repositories }> {
  const database = await target.open();
  await migrateUp(database, FEATURE_MIGRATIONS);
  return {
    passkeys: createPasskeyRepository(sqlDatabaseHandle(database)),
    repositories: createSqlRepositories(database),
  };
}

async function newUser(repositories: Repositories, passwordHash: string | null = 'phc') {
  const id = randomUUID();
  await repositories.users.create({
    id,
    email: `${id}@example.com`,
    passwordHash,
    securityStamp: 'stamp',
    now: NOW,
  });
  return id;
}

function passkeyOf(userId: string, overrides: Partial<NewPasskey> = {}): NewPasskey {
  return {
    id: randomBytes(16).toString('base64url'),
    userId,
    name: 'Laptop',
    publicKey: randomBytes(77).toString('base64url'),
    counter: 0,
    transports: ['internal', 'hybrid'],
    deviceType: 'multiDevice',
    backupEligible: true,
    backedUp: true,
    aaguid: '00000000-0000-0000-0000-000000000000',
    now: NOW,
    ...overrides,
  };
}

forEachDialect((target) => {
  it('create - should store every field, and refuse a credential id registered to any account', async () => {
    const { passkeys, repositories } = await setup(target);
    const alice = await newUser(repositories);
    const bob = await newUser(repositories);
    const input = passkeyOf(alice);
    const created = await passkeys.create(input, { maxPerUser: 5 });
    assert.ok(typeof created === 'object');
    const { now: _now, ...fields } = input;
    assert.deepEqual(created, { ...fields, createdAt: NOW, lastUsedAt: null });
    assert.deepEqual(await passkeys.findById(input.id), created);
    assert.equal(await passkeys.create({ ...passkeyOf(bob), id: input.id }, { maxPerUser: 5 }), 'duplicate');
    assert.equal(
      await passkeys.create({ ...passkeyOf(alice), id: input.id }, { maxPerUser: 5 }),
      'duplicate',
    );
    assert.equal(await passkeys.create(passkeyOf(randomUUID()), { maxPerUser: 5 }), 'no_user');
  });

  it('create - should hold the per-account cap under 8 concurrent registrations', async () => {
    const { passkeys, repositories } = await setup(target);
    const userId = await newUser(repositories);
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => passkeys.create(passkeyOf(userId), { maxPerUser: 3 })),
    );
    assert.equal(outcomes.filter((o) => typeof o === 'object').length, 3);
    assert.equal(outcomes.filter((o) => o === 'limit').length, 5);
    assert.equal((await passkeys.listForUser(userId)).length, 3);
  });

  it('recordUse - should move the counter only from the value read, and store the backup state', async () => {
    const { passkeys, repositories } = await setup(target);
    const userId = await newUser(repositories);
    const input = passkeyOf(userId, { counter: 4, backedUp: false });
    await passkeys.create(input, { maxPerUser: 5 });
    const racing = await Promise.all([
      passkeys.recordUse(input.id, { expectedCounter: 4, counter: 5, backedUp: true, at: NOW + 1 }),
      passkeys.recordUse(input.id, { expectedCounter: 4, counter: 5, backedUp: true, at: NOW + 2 }),
    ]);
    assert.deepEqual(racing.sort(), [false, true]);
    const after = await passkeys.findById(input.id);
    assert.equal(after?.counter, 5);
    assert.equal(after?.backedUp, true);
    assert.ok(after?.lastUsedAt === NOW + 1 || after?.lastUsedAt === NOW + 2);
  });

  it("rename and remove - should touch only the owner's passkey", async () => {
    const { passkeys, repositories } = await setup(target);
    const alice = await newUser(repositories);
    const bob = await newUser(repositories);
    const input = passkeyOf(alice);
    await passkeys.create(input, { maxPerUser: 5 });
    assert.equal(await passkeys.rename(bob, input.id, 'Mine now'), null);
    assert.equal(await passkeys.remove(bob, input.id, WAYS_IN), 'not_found');
    assert.equal((await passkeys.rename(alice, input.id, 'Phone'))?.name, 'Phone');
    assert.equal(await passkeys.remove(alice, input.id, WAYS_IN), 'removed');
    assert.equal(await passkeys.findById(input.id), null);
  });

  it('remove - should keep the last way to sign in of an account without a password or provider', async () => {
    const { passkeys, repositories } = await setup(target);
    const userId = await newUser(repositories, null);
    const first = passkeyOf(userId);
    const second = passkeyOf(userId);
    await passkeys.create(first, { maxPerUser: 5 });
    await passkeys.create(second, { maxPerUser: 5 });
    assert.equal(await passkeys.remove(userId, first.id, WAYS_IN), 'removed');
    assert.equal(await passkeys.remove(userId, second.id, WAYS_IN), 'last_sign_in_method');
    await repositories.oauthAccounts.create({
      id: randomUUID(),
      userId,
      provider: 'github',
      subject: '42',
      email: null,
      now: NOW,
    });
    assert.equal(await passkeys.remove(userId, second.id, WAYS_IN), 'removed');
  });

  it('should leave with the user: deleting an account deletes its passkeys', async () => {
    const { passkeys, repositories } = await setup(target);
    const userId = await newUser(repositories);
    const input = passkeyOf(userId);
    await passkeys.create(input, { maxPerUser: 5 });
    await repositories.users.delete(userId);
    assert.equal(await passkeys.findById(input.id), null);
  });
});
