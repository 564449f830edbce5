/**
 * Threat: an email-verification link is replayed (intercepted, leaked from a mailbox, raced by
 * several tabs), outlives a change of address, or another token class is passed off as one.
 * Invariant: a verification token verifies at most once — of N concurrent POST /auth/verify
 * with one token exactly one answers 200 and the rest 400 VERIFY_TOKEN_INVALID, with one audit
 * event; once the account's email changes, tokens issued for the old address answer 400; and
 * an access token (another class: other `typ`, audience and key) is never a verify token.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem, createHarness, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';

const CONCURRENT = 20;

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(() => h.close());

describe('verification token single use', () => {
  it(`verify - should answer 200 to exactly one of ${CONCURRENT} concurrent uses of one token`, async () => {
    const email = uniqueEmail('race');
    const { userId } = await h.register(email, { verify: false });
    const token = await h.verifyTokenFor(email);
    const responses = await Promise.all(
      Array.from({ length: CONCURRENT }, () => h.post('/auth/verify', { token })),
    );
    const statuses = responses.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses.join(',')}`);
    for (const response of responses.filter((r) => r.status !== 200)) {
      assertProblem(response, 400, 'VERIFY_TOKEN_INVALID');
    }
    const events = await h.auth.repositories.audit.list({ userId, type: 'user.email_verified', limit: 50 });
    assert.equal(events.length, 1);
    assert.equal((await h.auth.api.users.get(userId))?.emailVerified, true);
    assertProblem(await h.post('/auth/verify', { token }), 400, 'VERIFY_TOKEN_INVALID');
  });

  it('verify - should refuse a token issued for the previous email once the email changed', async () => {
    const email = uniqueEmail('before');
    const { userId } = await h.register(email, { verify: false });
    const token = await h.verifyTokenFor(email);
    const changedTo = uniqueEmail('after');
    await h.auth.repositories.users.update(userId, { email: changedTo }, Date.now());
    assertProblem(await h.post('/auth/verify', { token }), 400, 'VERIFY_TOKEN_INVALID');
    const user = await h.auth.api.users.get(userId);
    assert.equal(user?.emailVerified, false, 'the new address is not verified by the old link');
    // A link for the new address works.
    assert.equal((await h.post('/auth/request-verify', { email: changedTo })).status, 202);
    assert.equal((await h.post('/auth/verify', { token: await h.verifyTokenFor(changedTo) })).status, 200);
  });

  it('verify - should refuse a token once the security stamp changed, even with the email changed back', async () => {
    const email = uniqueEmail('stamp');
    const { userId } = await h.register(email, { verify: false });
    const token = await h.verifyTokenFor(email);
    // An email change bumps the stamp; changing the address back does not revive old links.
    await h.auth.repositories.users.update(
      userId,
      { email: uniqueEmail('elsewhere'), securityStamp: 'stamp-2' },
      Date.now(),
    );
    await h.auth.repositories.users.update(userId, { email }, Date.now());
    assertProblem(await h.post('/auth/verify', { token }), 400, 'VERIFY_TOKEN_INVALID');
    assert.equal((await h.auth.api.users.get(userId))?.emailVerified, false);
  });

  it('verify - should refuse an access token and a refresh token as verification tokens', async () => {
    const me = await h.signedInUser();
    // Unverify, so a wrongly accepted token would visibly verify the account.
    await h.auth.api.users.update(me.userId, { emailVerified: false });
    for (const token of [me.accessToken, me.refreshToken]) {
      assertProblem(await h.post('/auth/verify', { token }), 400, 'VERIFY_TOKEN_INVALID');
    }
    assert.equal((await h.auth.api.users.get(me.userId))?.emailVerified, false);
  });

  it('verify - should refuse a token another deployment (other secrets) issued', async () => {
    const other = await createHarness();
    try {
      const email = uniqueEmail('elsewhere');
      await other.register(email, { verify: false });
      const foreign = await other.verifyTokenFor(email);
      // Same address here, unverified: only the signature tells the tokens apart.
      const { userId } = await h.register(email, { verify: false });
      assertProblem(await h.post('/auth/verify', { token: foreign }), 400, 'VERIFY_TOKEN_INVALID');
      assert.equal((await h.auth.api.users.get(userId))?.emailVerified, false);
    } finally {
      await other.close();
    }
  });
});
