/**
 * Attacks on the passkey ceremonies, with responses made by a real authenticator (Chromium's
 * virtual authenticator on http://localhost:<port>) and then replayed, raced, moved to another
 * origin or RP ID, presented for another account, or made by a clone with a counter behind.
 *
 * Invariants: a challenge is finished at most once, ever (a replay and all but one of 20
 * parallel finishes get PASSKEY_CHALLENGE_INVALID); a response for another origin or RP ID, a
 * credential of another account than the one the options named (or than the caller, for
 * step-up), and a signature counter that did not go up are refused with 401
 * PASSKEY_SIGN_IN_FAILED, issue no session and are audited.
 * @see issue #12
 * @see issue #17
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHarness, type Harness, type SignedInUser } from '../fixtures/auth-harness.ts';
import type { LaunchedBrowser } from '../fixtures/browser.ts';
import {
  type BlankOrigin,
  type CredentialJson,
  launchBrowser,
  startBlankOrigin,
  type VirtualAuthenticator,
  virtualAuthenticator,
} from '../fixtures/passkeys.ts';

describe('passkey ceremony attacks', { timeout: 120_000 }, () => {
  let blank: BlankOrigin;
  let stranger: BlankOrigin;
  let browser: LaunchedBrowser;
  let authenticator: VirtualAuthenticator;
  let h: Harness;
  let origin: string;
  /** A sibling host (`*.localhost` is loopback too) that this deployment lists as an origin. */
  let sibling: string;

  before(async () => {
    blank = await startBlankOrigin();
    stranger = await startBlankOrigin();
    origin = `http://localhost:${blank.port}`;
    sibling = `http://evil.localhost:${blank.port}`;
    h = await createHarness({ config: { baseUrl: origin, passkeys: { origins: [origin, sibling] } } });
    browser = await launchBrowser({ actionTimeoutMs: 10_000 });
    authenticator = await virtualAuthenticator(browser, origin);
  });
  after(async () => {
    await browser?.close();
    await h?.close();
    await blank?.close();
    await stranger?.close();
  });

  async function userWithPasskey(): Promise<SignedInUser & { passkeyId: string }> {
    const user = await h.signedInUser();
    const options = await h.post('/users/me/passkeys/options', undefined, { token: user.accessToken });
    const response = await authenticator.create(options.body);
    const created = await h.post('/users/me/passkeys', { response }, { token: user.accessToken });
    assert.equal(created.status, 201, created.text);
    return { ...user, passkeyId: created.body.passkey.id };
  }

  async function flowFor(email: string) {
    const answer = await h.post('/auth/passkey/options', { email });
    assert.equal(answer.status, 200, answer.text);
    return answer.body as { flowId: string; options: Record<string, unknown> };
  }

  async function auditTypes(userId: string): Promise<{ type: string; data: string }[]> {
    return h.auth.database.db
      .selectFrom('audit_events')
      .select(['type', 'data'])
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute();
  }

  function assertRefused(
    answer: { status: number; body: Record<string, unknown> },
    code = 'PASSKEY_SIGN_IN_FAILED',
  ) {
    assert.equal(answer.body.code, code, JSON.stringify(answer.body));
    assert.equal(answer.status, code === 'PASSKEY_SIGN_IN_FAILED' ? 401 : 400);
    assert.equal(answer.body.accessToken, undefined, 'no session');
  }

  it('replayed challenge: a sign-in response sent again is refused, and so is it against a new flow', async () => {
    const user = await userWithPasskey();
    const flow = await flowFor(user.email);
    const response = await authenticator.get(flow.options);
    const first = await h.post('/auth/passkey/login', { flowId: flow.flowId, response });
    assert.equal(first.status, 200, first.text);
    assertRefused(
      await h.post('/auth/passkey/login', { flowId: flow.flowId, response }),
      'PASSKEY_CHALLENGE_INVALID',
    );
    // The same signed response against a fresh challenge: the signature covers the old one.
    const fresh = await flowFor(user.email);
    assertRefused(await h.post('/auth/passkey/login', { flowId: fresh.flowId, response }));
    // A registration response replayed: the session's challenge is gone.
    const options = await h.post('/users/me/passkeys/options', undefined, { token: user.accessToken });
    assert.equal(options.status, 200);
    const replayedRegistration = await h.post(
      '/users/me/passkeys',
      { response },
      { token: user.accessToken },
    );
    assert.equal(replayedRegistration.status, 422, 'an assertion is not an attestation');
  });

  it('20 parallel finishes of one challenge: exactly one signs in, the rest get PASSKEY_CHALLENGE_INVALID', async () => {
    const user = await userWithPasskey();
    const flow = await flowFor(user.email);
    const response = await authenticator.get(flow.options);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => h.post('/auth/passkey/login', { flowId: flow.flowId, response })),
    );
    const winners = answers.filter((a) => a.status === 200);
    assert.equal(winners.length, 1, answers.map((a) => a.status).join(','));
    for (const loser of answers.filter((a) => a.status !== 200))
      assertRefused(loser, 'PASSKEY_CHALLENGE_INVALID');
  });

  it('response for another origin: a page on another port of localhost is refused', async () => {
    const user = await userWithPasskey();
    const flow = await flowFor(user.email);
    const response = await authenticator.at(`http://localhost:${stranger.port}`, () =>
      authenticator.get(flow.options),
    );
    const clientData = JSON.parse(
      Buffer.from(String(response.response.clientDataJSON), 'base64url').toString(),
    );
    assert.equal(
      clientData.origin,
      `http://localhost:${stranger.port}`,
      'the browser signed for the other origin',
    );
    assertRefused(await h.post('/auth/passkey/login', { flowId: flow.flowId, response }));
    const events = await auditTypes(user.userId);
    assert.ok(events.some((e) => e.type === 'passkey.sign_in_failure' && e.data.includes('verification')));
  });

  it('response for another RP ID: the same key scoped to a sibling host is refused even from a listed origin', async () => {
    const user = await userWithPasskey();
    const stored = (await authenticator.credentials()).find(
      (c) => Buffer.from(c.credentialId, 'base64').toString('base64url') === user.passkeyId,
    );
    assert.ok(stored);
    // The phishing copy: the same private key and credential id, registered for evil.localhost.
    await authenticator.putCredential({ ...stored, rpId: 'evil.localhost' });
    try {
      const flow = await flowFor(user.email);
      const response: CredentialJson = await authenticator.at(sibling, () =>
        authenticator.get(flow.options, { rpId: 'evil.localhost' }),
      );
      assertRefused(await h.post('/auth/passkey/login', { flowId: flow.flowId, response }));
    } finally {
      await authenticator.putCredential({ ...stored, rpId: 'localhost' });
    }
  });

  it("another account's credential: refused for the account the options named, and for another caller's step-up", async () => {
    const owner = await userWithPasskey();
    const victim = await userWithPasskey();
    const flow = await flowFor(victim.email);
    // The attacker's browser ignores allowCredentials and signs with their own passkey.
    const response = await authenticator.get(flow.options, {
      allowCredentials: [{ id: owner.passkeyId, type: 'public-key' }],
    });
    assert.equal(response.id, owner.passkeyId);
    assertRefused(await h.post('/auth/passkey/login', { flowId: flow.flowId, response }));

    const options = await h.post('/users/me/passkeys/step-up/options', undefined, {
      token: victim.accessToken,
    });
    const stepUp = await authenticator.get(options.body, {
      allowCredentials: [{ id: owner.passkeyId, type: 'public-key' }],
    });
    const refused = await h.post(
      '/users/me/passkeys/step-up',
      { response: stepUp },
      { token: victim.accessToken },
    );
    assertRefused(refused);
    const events = await auditTypes(owner.userId);
    assert.ok(events.some((e) => e.type === 'passkey.sign_in_failure' && e.data.includes('another_account')));
  });

  it('counter going backwards (a cloned authenticator): refused and audited as passkey.counter_regression', async () => {
    const user = await userWithPasskey();
    const first = await flowFor(user.email);
    const ok = await h.post('/auth/passkey/login', {
      flowId: first.flowId,
      response: await authenticator.get(first.options),
    });
    assert.equal(ok.status, 200, ok.text);
    const row = await h.auth.database.db
      .selectFrom('passkeys' as never)
      .select('counter' as never)
      .where('id' as never, '=', user.passkeyId as never)
      .executeTakeFirstOrThrow();
    const storedCounter = Number((row as { counter: number }).counter);
    assert.ok(storedCounter > 0, 'the virtual authenticator counts signatures');
    const original = (await authenticator.credentials()).find(
      (c) => Buffer.from(c.credentialId, 'base64').toString('base64url') === user.passkeyId,
    );
    assert.ok(original);
    // The clone signs its next assertion with the counter the original had a use ago.
    await authenticator.putCredential({ ...original, signCount: storedCounter - 1 });
    const flow = await flowFor(user.email);
    const cloned = await authenticator.get(flow.options);
    assertRefused(await h.post('/auth/passkey/login', { flowId: flow.flowId, response: cloned }));
    const events = await auditTypes(user.userId);
    const regression = events.find((e) => e.type === 'passkey.counter_regression');
    assert.ok(regression, 'audited');
    assert.deepEqual(JSON.parse(regression.data), {
      passkeyId: user.passkeyId,
      stored: storedCounter,
      presented: storedCounter,
    });
  });
});
