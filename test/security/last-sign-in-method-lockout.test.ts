/**
 * Threat: an account locked out by its own removals (or made to refuse a harmless one). One rule
 * decides "never the last way to sign in" for every removal: a provider unlink and a passkey
 * removal both count every feature's ways in (password, links to configured providers,
 * passkeys, email codes when on) after the deletion, inside the same transaction, so
 * - an unlink is allowed while a passkey remains, and a passkey removal while a link remains;
 * - a link to a provider no longer configured is not a way in;
 * - two concurrent removals of an account's last two ways in never both succeed.
 * On SQLite and on PostgreSQL.
 * @see issue #12
 * @see issue #17
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { type SignInMethodSource, signInMethodsOf } from '../../src/core/index.ts';
import { passwordSignInMethod } from '../../src/features/accounts/sign-in-method.ts';
import { oauthSignInMethod } from '../../src/features/oauth/sign-in-method.ts';
import { createPasskeyRepository, type PasskeyRepository } from '../../src/features/passkeys/index.ts';
import { passkeySignInMethod } from '../../src/features/passkeys/sign-in-method.ts';
import type { Repositories } from '../../src/stores/repositories.ts';
import { createSqlRepositories, migrateUp } from '../../src/stores/sql/index.ts';
import { sqlDatabaseHandle } from '../../src/stores/sql/kit.ts';
import { type DialectTarget, forEachDialect } from '../fixtures/databases.ts';
import { FEATURE_MIGRATIONS } from '../fixtures/migrations.ts';

const NOW = 1_800_000_000_000;
const EMAIL_CODES: SignInMethodSource = { method: 'email-code', count: async () => 1 };

/** The ways in of an instance with passwords, GitHub sign-in and passkeys (and `extra`). */
const waysIn = (...extra: SignInMethodSource[]) =>
  signInMethodsOf([passwordSignInMethod, oauthSignInMethod(['github']), passkeySignInMethod, ...extra]);

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

/** A password-less account with the given links and `passkeys` passkeys; their ids. */
async function account(
  { passkeys, repositories }: { passkeys: PasskeyRepository; repositories: Repositories },
  shape: { readonly providers: readonly string[]; readonly passkeys: number },
) {
  const userId = randomUUID();
  await repositories.users.create({
    id: userId,
    email: `${userId}@example.com`,
    passwordHash: null,
    securityStamp: 'stamp',
    now: NOW,
  });
  const links: string[] = [];
  for (const provider of shape.providers) {
    const id = randomUUID();
    await repositories.oauthAccounts.create({
      id,
      userId,
      provider,
      subject: randomUUID(),
      email: null,
      now: NOW,
    });
    links.push(id);
  }
  const keys: string[] = [];
  for (let i = 0; i < shape.passkeys; i++) {
    const id = randomBytes(16).toString('base64url');
    await passkeys.create(
      {
        id,
        userId,
        name: `Key ${i}`,
        publicKey: randomBytes(77).toString('base64url'),
        counter: 0,
        transports: ['internal'],
        deviceType: 'singleDevice',
        backupEligible: false,
        backedUp: false,
        aaguid: '00000000-0000-0000-0000-000000000000',
        now: NOW,
      },
      { maxPerUser: 5 },
    );
    keys.push(id);
  }
  return { userId, links, keys };
}

forEachDialect((target) => {
  it('unlink - should remove the only link while a passkey remains, and then keep that passkey', async () => {
    const stores = await setup(target);
    const { userId, links, keys } = await account(stores, { providers: ['github'], passkeys: 1 });
    assert.equal(
      await stores.repositories.oauthAccounts.unlink(userId, links[0] as string, waysIn()),
      'unlinked',
    );
    assert.deepEqual(await stores.repositories.oauthAccounts.listForUser(userId), []);
    assert.equal(await stores.passkeys.remove(userId, keys[0] as string, waysIn()), 'last_sign_in_method');
    assert.equal((await stores.passkeys.listForUser(userId)).length, 1);
  });

  it('unlink - should refuse the only way in, and leave the link in place', async () => {
    const stores = await setup(target);
    const { userId, links } = await account(stores, { providers: ['github'], passkeys: 0 });
    assert.equal(
      await stores.repositories.oauthAccounts.unlink(userId, links[0] as string, waysIn()),
      'last_sign_in_method',
    );
    assert.equal((await stores.repositories.oauthAccounts.listForUser(userId)).length, 1);
  });

  it('remove - should not count a link to a provider that is no longer configured as a way in', async () => {
    const stores = await setup(target);
    const { userId, keys } = await account(stores, { providers: ['retired'], passkeys: 1 });
    assert.equal(await stores.passkeys.remove(userId, keys[0] as string, waysIn()), 'last_sign_in_method');
    const withGithub = await account(stores, { providers: ['github'], passkeys: 1 });
    assert.equal(
      await stores.passkeys.remove(withGithub.userId, withGithub.keys[0] as string, waysIn()),
      'removed',
    );
  });

  it('remove and unlink - should allow removing every other way in while email codes are on', async () => {
    const stores = await setup(target);
    const { userId, links, keys } = await account(stores, { providers: ['github'], passkeys: 1 });
    const withCodes = waysIn(EMAIL_CODES);
    assert.equal(
      await stores.repositories.oauthAccounts.unlink(userId, links[0] as string, withCodes),
      'unlinked',
    );
    assert.equal(await stores.passkeys.remove(userId, keys[0] as string, withCodes), 'removed');
  });

  it('concurrent unlink and remove - should never both remove the last two ways in', async () => {
    const stores = await setup(target);
    for (let round = 0; round < 5; round++) {
      const { userId, links, keys } = await account(stores, { providers: ['github'], passkeys: 1 });
      const outcomes = await Promise.all([
        stores.repositories.oauthAccounts.unlink(userId, links[0] as string, waysIn()),
        stores.passkeys.remove(userId, keys[0] as string, waysIn()),
      ]);
      const removed = outcomes.filter((o) => o === 'unlinked' || o === 'removed').length;
      assert.equal(removed, 1, `round ${round}: ${outcomes.join(', ')}`);
      const left =
        (await stores.repositories.oauthAccounts.listForUser(userId)).length +
        (await stores.passkeys.listForUser(userId)).length;
      assert.equal(left, 1);
    }
  });
});
