/**
 * Signing in with a provider from the sign-in page: its button starts the provider's flow with
 * the 2FA page as `redirectTo` (carrying `returnTo`), which sends a signed-in browser on; an
 * account with a second factor lands there with `#pendingToken=` in the fragment, which the
 * page's nonce'd script puts into the form (simulated here: a fragment never reaches a server).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Harness } from '../fixtures/auth-harness.ts';
import { actAs, createOAuthHarness, newProviderUser } from '../fixtures/oauth-flow.ts';
import { followAuthorization, type OidcServer, startOidcServer } from '../fixtures/oidc-server.ts';
import { pageBrowser } from '../fixtures/pages.ts';
import { codeAt, createTestClock, enableTwoFactor, type TestClock } from '../fixtures/two-factor.ts';

describe('pages: sign in with a provider', () => {
  let server: OidcServer;
  let h: Harness;
  let clock: TestClock;
  before(async () => {
    server = await startOidcServer();
    clock = createTestClock();
    h = await createOAuthHarness(server, {
      config: { ui: { enabled: true }, clock: clock.config },
      // The TOTP account of the second case signs in with a provider account of its address.
      oauth: { linkByVerifiedEmail: true },
    });
  });
  after(async () => {
    await h?.close();
    await server?.stop();
  });

  async function throughProvider(returnTo: string) {
    const browser = pageBrowser(h.auth);
    const signIn = await browser.get(`/sign-in?returnTo=${encodeURIComponent(returnTo)}`);
    const href = /<a class="button secondary" href="([^"]+)">Continue with mock<\/a>/.exec(signIn.html)?.[1];
    assert.ok(href, 'a button for the configured provider');
    const start = new URL(href.replace(/&amp;/g, '&'), 'https://auth.example.test');
    assert.equal(start.pathname, '/auth/oauth/mock/authorize');
    assert.equal(
      start.searchParams.get('redirectTo'),
      `/two-factor?returnTo=${encodeURIComponent(returnTo)}`,
    );
    const atProvider = await browser.get(`${start.pathname}${start.search}`);
    const authorization = atProvider.headers.get('location');
    assert.ok(authorization, 'a redirect to the provider');
    const callback = await followAuthorization(new URL(authorization));
    const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const back = await h.auth.fetch(new Request(callback, { headers: { cookie } }));
    for (const line of back.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      if (/max-age=0/i.test(line) || value === '') browser.cookies.delete(name);
      else browser.cookies.set(name, value);
    }
    return { browser, location: new URL(back.headers.get('location') ?? '', 'https://auth.example.test') };
  }

  it('a new provider account: back on the 2FA page signed in, then on to returnTo', async () => {
    actAs(server, newProviderUser('pages-oauth'));
    const { browser, location } = await throughProvider('/signed-out');
    assert.equal(location.pathname, '/two-factor');
    const landed = await browser.get(`${location.pathname}${location.search}`);
    assert.equal(landed.path, '/signed-out');
  });

  it('an account with TOTP: the pending token from the fragment and a code finish the sign-in', async () => {
    const user = await enableTwoFactor(h, clock);
    actAs(server, { subject: `sub-${user.userId}`, email: user.email });
    const { browser, location } = await throughProvider('/account');
    assert.equal(location.pathname, '/two-factor');
    assert.match(location.hash, /pendingToken=/, 'the pending sign-in travels in the fragment');
    const pendingToken = decodeURIComponent(/pendingToken=([^&]+)/.exec(location.hash)?.[1] ?? '');
    const step = await browser.get(`${location.pathname}${location.search}`);
    assert.equal(step.heading, 'Two-step verification');
    assert.match(step.html, /<script nonce="[^"]+">[^<]*pendingToken/);
    const done = await browser.submit(step, { pendingToken, code: codeAt(clock, user.seed) });
    assert.equal(done.path, '/account', done.html);
  });
});
