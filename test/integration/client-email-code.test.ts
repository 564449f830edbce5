/**
 * gatehouse/client and email sign-in codes: `client.auth.emailCode.request/verify` (bearer) and
 * `.session` / `.link` (cookie) come from the generated route manifest, and a right code moves
 * the session store to signed in (a 2FA user to the second step, finished by
 * `auth.twoFactor.verify` with the remembered pending token), against a real HTTP server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAuthClient } from '../../src/client/index.ts';
import { GOOD_PASSWORD, uniqueEmail } from '../fixtures/auth-harness.ts';
import { browserLikeFetch, type ServedHarness, serveHarness } from '../fixtures/client-server.ts';
import { codeMailedTo } from '../fixtures/email-code.ts';
import { codeAt, enableTwoFactor } from '../fixtures/two-factor.ts';

let served: ServedHarness;

before(async () => {
  served = await serveHarness({ config: { emailCode: { enabled: true } } });
});
after(() => served.close());

async function account(): Promise<string> {
  const email = uniqueEmail('client-code');
  await served.h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
  return email;
}

describe('client.auth.emailCode', () => {
  it('bearer: request, verify → signed in with stored tokens', async () => {
    const email = await account();
    const client = createAuthClient({ baseUrl: served.url, transport: 'bearer', now: served.clock.now });
    const requested = await client.auth.emailCode.request({ email });
    assert.equal(requested.error, null);
    const { code } = await codeMailedTo(served.h, email);
    const signedIn = await client.auth.emailCode.verify({ email, code });
    assert.equal(signedIn.error, null);
    assert.equal(client.session.get().status, 'signed-in');
    const me = await client.users.me.get();
    assert.equal(me.data?.user.email, email);
  });

  it('cookie: the link in the same browser signs in; a wrong code is a typed error', async () => {
    const email = await account();
    const client = createAuthClient({ baseUrl: served.url, transport: 'cookie', fetch: browserLikeFetch() });
    await client.auth.emailCode.request({ email });
    const { token } = await codeMailedTo(served.h, email);
    const wrong = await client.auth.emailCode.session({ email, code: '12345x' });
    assert.equal(wrong.error?.code, 'EMAIL_CODE_INVALID');
    const linked = await client.auth.emailCode.link({ token });
    assert.equal(linked.error, null);
    assert.equal(client.session.get().status, 'signed-in');
  });

  it('a 2FA user: the code leads to the second step, finished with a TOTP code', async () => {
    const user = await enableTwoFactor(served.h, served.clock);
    const client = createAuthClient({ baseUrl: served.url, transport: 'bearer', now: served.clock.now });
    await client.auth.emailCode.request({ email: user.email });
    const { code } = await codeMailedTo(served.h, user.email);
    await client.auth.emailCode.verify({ email: user.email, code });
    assert.equal(client.session.get().status, 'two-factor-required');
    const done = await client.auth.twoFactor.verify({ code: codeAt(served.clock, user.seed) });
    assert.equal(done.error, null);
    assert.equal(client.session.get().status, 'signed-in');
  });
});
