/**
 * The sign-in providers section of the account pages against a real OpenID Connect provider on
 * loopback: linking goes through the API's link flow (the page hands the browser the flow
 * cookie and sends it to the provider, whose callback brings it back to the section), and the
 * linked account can be unlinked; the provider then signs nobody in as this account.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';
import { actAs, createOAuthHarness, MOCK_PROVIDER, newProviderUser } from '../fixtures/oauth-flow.ts';
import { followAuthorization, type OidcServer, startOidcServer } from '../fixtures/oidc-server.ts';
import { fieldErrorOf, pageBrowser, textOf } from '../fixtures/pages.ts';
import {
  codeAt,
  createTestClock,
  enableTwoFactor,
  type TestClock,
  wrongCode,
} from '../fixtures/two-factor.ts';

describe('hosted pages: linked sign-in providers', () => {
  let server: OidcServer;
  let h: Harness;
  let clock: TestClock;
  before(async () => {
    server = await startOidcServer();
    clock = createTestClock();
    h = await createOAuthHarness(server, { config: { ui: { enabled: true }, clock: clock.config } });
  });
  after(async () => {
    await h.close();
    await server.stop();
  });

  it('link from the page, come back linked, unlink', async () => {
    const email = uniqueEmail('providers');
    await h.register(email);
    const browser = pageBrowser(h.auth);
    await browser.submit(await browser.get('/sign-in'), { email, password: GOOD_PASSWORD });

    const overview = await browser.get('/account');
    assert.match(overview.html, /href="\/account\/providers"/, 'the overview lists the section');
    const page = await browser.get('/account/providers');
    const link = page.forms.find((f) => f.fields.intent === 'link');
    assert.equal(link?.fields.provider, MOCK_PROVIDER);

    const provider = newProviderUser('providers-idp');
    actAs(server, provider);
    const toProvider = await browser.post(link!.action, link!.fields);
    assert.equal(toProvider.status, 303);
    const location = new URL(toProvider.headers.get('location') ?? '');
    assert.equal(location.origin, server.issuer, 'the browser goes on to the provider');
    assert.ok(
      [...browser.cookies.keys()].some((name) => name.includes('gh_oauth_')),
      'with the flow cookie',
    );

    const callback = await followAuthorization(location);
    const linked = await browser.get(`${callback.pathname}${callback.search}`);
    assert.equal(linked.path, '/account/providers', linked.html);
    assert.match(linked.html, new RegExp(`${MOCK_PROVIDER} is now linked\\.`));
    assert.match(textOf(linked.html), new RegExp(`Linked as ${provider.email.replace(/[.+]/g, '\\$&')}`));

    const unlink = linked.forms.find((f) => f.fields.intent === 'unlink');
    assert.ok(unlink, 'an unlink button');
    const unlinked = await browser.post(unlink.action, unlink.fields);
    assert.match(unlinked.html, /The provider was unlinked\./);
    assert.ok(
      unlinked.forms.some((f) => f.fields.intent === 'link'),
      'it can be linked again',
    );
    const { accessToken } = await h.login(email);
    const accounts = await h.get('/users/me/oauth-accounts', { token: accessToken });
    assert.deepEqual(accounts.body.accounts, []);
  });

  it('with 2FA, past the step-up window: linking asks for a code, then goes on to the provider', async () => {
    const user = await enableTwoFactor(h, clock, { emailLabel: 'providers-2fa' });
    const browser = pageBrowser(h.auth);
    const step = await browser.submit(await browser.get('/sign-in'), {
      email: user.email,
      password: GOOD_PASSWORD,
    });
    assert.equal((await browser.submit(step, { code: codeAt(clock, user.seed) })).path, '/account');
    clock.advance(6 * 60_000);

    const page = await browser.get('/account/providers');
    const link = page.forms.find((f) => f.fields.intent === 'link');
    assert.ok(link);
    const asked = await browser.post(link.action, link.fields);
    assert.equal(asked.status, 403);
    assert.equal(asked.heading, 'Confirm it is you');
    assert.equal(asked.forms[0]?.fields.provider, MOCK_PROVIDER);
    const wrong = await browser.submit(asked, { stepUpCode: wrongCode(clock, user.seed) });
    assert.equal(
      fieldErrorOf(wrong.html, 'stepUpCode'),
      'The code is not correct, or has already been used.',
    );
    const toProvider = await browser.submit(wrong, { stepUpCode: codeAt(clock, user.seed) });
    assert.equal(toProvider.status, 303);
    assert.equal(new URL(toProvider.headers.get('location') ?? '').origin, server.issuer);
  });
});
