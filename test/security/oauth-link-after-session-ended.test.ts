/**
 * Threat: linking a provider outlives the session that asked for it. Someone starts
 * `POST /auth/oauth/{p}/link` from a cookie session (a borrowed laptop, a stolen cookie); the
 * owner then signs out, changes the password, or revokes that session — and the flow cookie is
 * still in the browser. Finishing the provider round trip would attach the attacker's provider
 * account to the owner's, a way back in that survives every password change.
 *
 * Invariant: the link flow is bound to the session that started it (the sealed flow carries its
 * id and the user's); the callback links only while that very session is live and the user's.
 * After a logout, a password change (which moves the session to a new id and ends the others)
 * or a revocation, the callback answers 400 `OAUTH_LINK_SESSION_ENDED`, links nothing (the
 * provider identity does not sign in to the account), and writes an `oauth.link_refused` audit
 * event. With the session alive the link completes.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem, type Harness } from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';
import {
  type CookieSession,
  cookieHeaders,
  createVerifiedUser,
  OWN_PAGE,
  SESSION_COOKIE,
  sessionCookieFrom,
  signInWithCookie,
} from '../fixtures/cookie-session.ts';
import {
  actAs,
  callback,
  createOAuthHarness,
  flowFrom,
  followToCallback,
  MOCK_PROVIDER,
  newProviderUser,
  type ProviderUser,
  type StartedFlow,
  setCookiePair,
  signInWithProvider,
} from '../fixtures/oauth-flow.ts';
import { type OidcServer, startOidcServer } from '../fixtures/oidc-server.ts';

const NEW_PASSWORD = 'another long passphrase for the change 9';

/** POST /auth/oauth/{p}/link from the session's own page; the flow it started. */
async function startLink(h: Harness, session: CookieSession): Promise<StartedFlow> {
  const started = await h.post(
    `/auth/oauth/${MOCK_PROVIDER}/link`,
    { redirectTo: '/settings/accounts' },
    { headers: cookieHeaders(session, OWN_PAGE) },
  );
  assert.equal(started.status, 200, started.text);
  return flowFrom(MOCK_PROVIDER, started);
}

/** Plays the provider round trip for `account` and calls our callback with the flow cookie. */
async function finishLink(h: Harness, provider: OidcServer, flow: StartedFlow, account: ProviderUser) {
  const callbackUrl = await followToCallback(flow);
  actAs(provider, account);
  return callback(h, callbackUrl, { cookie: flow.flowCookie });
}

/** The user a provider sign-in with `account` lands in (its callback sets the session cookie). */
async function providerSignInUserId(
  h: Harness,
  provider: OidcServer,
  account: ProviderUser,
): Promise<string> {
  const { response } = await signInWithProvider(h, provider, account);
  assert.equal(response.status, 302, response.text);
  const pair = setCookiePair(response, SESSION_COOKIE);
  assert.ok(pair, 'the provider sign-in started a cookie session');
  const me = await h.get('/users/me', { headers: { Cookie: pair } });
  assert.equal(me.status, 200, me.text);
  return me.body.user.id;
}

/** The providers linked to the user, read straight from the database. */
async function linkedProviders(h: Harness, userId: string): Promise<string[]> {
  const rows = await h.auth.database.db
    .selectFrom('oauth_accounts')
    .select('provider')
    .where('user_id', '=', userId)
    .execute();
  return rows.map((row) => row.provider);
}

/** The audit events of `type` for the user. */
async function auditEvents(h: Harness, userId: string, type: string) {
  return h.auth.database.db
    .selectFrom('audit_events')
    .selectAll()
    .where('user_id', '=', userId)
    .where('type', '=', type)
    .execute();
}

/** Asserts the refusal: the code, nothing linked, the provider does not sign in to the account, audited. */
async function assertRefused(
  h: Harness,
  provider: OidcServer,
  response: Awaited<ReturnType<typeof finishLink>>,
  local: { userId: string },
  account: ProviderUser,
  endedSessionId: string,
): Promise<void> {
  assertProblem(response, 400, 'OAUTH_LINK_SESSION_ENDED');
  assert.deepEqual(await linkedProviders(h, local.userId), [], 'nothing is linked to the account');
  // Signing in with the provider identity now makes an account of its own, never the owner's.
  assert.notEqual(
    await providerSignInUserId(h, provider, account),
    local.userId,
    'the provider identity does not land in the account',
  );
  const refused = await auditEvents(h, local.userId, 'oauth.link_refused');
  assert.equal(refused.length, 1, 'the refusal is audited');
  assert.equal(refused[0]?.session_id, endedSessionId);
  assert.match(String(refused[0]?.data), /session_ended/);
}

let provider: OidcServer;
before(async () => {
  provider = await startOidcServer();
});
after(async () => {
  await provider?.stop();
});

for (const backend of backends())
  describe(`OAuth link bound to its session (${backend.name})`, () => {
    let h: Harness;
    before(async () => {
      h = await createOAuthHarness(provider, { config: await backend.config() });
    });
    after(async () => {
      await h?.close();
      await backend.stop();
    });

    it('control - with the starting session alive, the callback should link, and the provider should then sign in to the account', async () => {
      const local = await createVerifiedUser(h, 'alive');
      const session = await signInWithCookie(h, local.email);
      const account = newProviderUser('alive');
      const linked = await finishLink(h, provider, await startLink(h, session), account);
      assert.equal(linked.status, 302, linked.text);
      assert.deepEqual(await linkedProviders(h, local.userId), [MOCK_PROVIDER]);
      assert.equal(await providerSignInUserId(h, provider, account), local.userId);
      assert.equal((await auditEvents(h, local.userId, 'oauth.link_refused')).length, 0);
    });

    it('logout - a link finished after DELETE /auth/session should be 400 OAUTH_LINK_SESSION_ENDED and link nothing', async () => {
      const local = await createVerifiedUser(h, 'logout');
      const session = await signInWithCookie(h, local.email);
      const flow = await startLink(h, session);
      const logout = await h.request('DELETE', '/auth/session', {
        headers: cookieHeaders(session, OWN_PAGE),
      });
      assert.equal(logout.status, 204, logout.text);
      const account = newProviderUser('logout');
      const response = await finishLink(h, provider, flow, account);
      await assertRefused(h, provider, response, local, account, session.sessionId);
    });

    it('password change - a link started before the change (from the same session) should be refused', async () => {
      const local = await createVerifiedUser(h, 'changed');
      const session = await signInWithCookie(h, local.email);
      const flow = await startLink(h, session);
      const changed = await h.post(
        '/users/me/change-password',
        { currentPassword: 'correct horse battery staple 42', newPassword: NEW_PASSWORD },
        { headers: cookieHeaders(session, OWN_PAGE) },
      );
      assert.equal(changed.status, 204, changed.text);
      // The session moved to a new id and is still signed in; the flow's session is over.
      const renewed = sessionCookieFrom(changed);
      assert.equal((await h.get('/users/me', { headers: cookieHeaders(renewed) })).status, 200);
      const account = newProviderUser('changed');
      const response = await finishLink(h, provider, flow, account);
      await assertRefused(h, provider, response, local, account, session.sessionId);
    });

    it('password change elsewhere - a link started by a session the change signed out should be refused', async () => {
      const local = await createVerifiedUser(h, 'elsewhere');
      const starter = await signInWithCookie(h, local.email);
      const owner = await signInWithCookie(h, local.email);
      const flow = await startLink(h, starter);
      const changed = await h.post(
        '/users/me/change-password',
        { currentPassword: 'correct horse battery staple 42', newPassword: NEW_PASSWORD },
        { headers: cookieHeaders(owner, OWN_PAGE) },
      );
      assert.equal(changed.status, 204, changed.text);
      const account = newProviderUser('elsewhere');
      const response = await finishLink(h, provider, flow, account);
      await assertRefused(h, provider, response, local, account, starter.sessionId);
    });

    it('revoked - a link started by a session the owner revoked from another should be refused', async () => {
      const local = await createVerifiedUser(h, 'revoked');
      const starter = await signInWithCookie(h, local.email);
      const owner = await signInWithCookie(h, local.email);
      const flow = await startLink(h, starter);
      const revoked = await h.request('DELETE', `/users/me/sessions/${starter.sessionId}`, {
        headers: cookieHeaders(owner, OWN_PAGE),
      });
      assert.equal(revoked.status, 204, revoked.text);
      const account = newProviderUser('revoked');
      const response = await finishLink(h, provider, flow, account);
      await assertRefused(h, provider, response, local, account, starter.sessionId);
    });
  });
