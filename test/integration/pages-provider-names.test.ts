/**
 * The pages call each sign-in provider by the name people know it by: a preset's own name
 * ("Continue with GitHub", not the config key `github`), a custom provider's `displayName`, or
 * its key when it has none; in both languages, on the sign-in page and in the account's
 * providers section, including after linking one through a real OIDC provider on loopback.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { oauthProviders } from '../../src/index.ts';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';
import { actAs, newProviderUser, oidcProviderEntry } from '../fixtures/oauth-flow.ts';
import { followAuthorization, type OidcServer, startOidcServer } from '../fixtures/oidc-server.ts';
import { decodeEntities, pageBrowser, textOf } from '../fixtures/pages.ts';

/** The provider buttons' texts of a sign-in page, in order. */
function providerButtons(html: string): string[] {
  return [...html.matchAll(/<a class="button secondary" href="[^"]*\/auth\/oauth\/[^"]+">([^<]+)<\/a>/g)].map(
    (match) => decodeEntities(match[1]!),
  );
}

/** The item titles of the account's providers section, in order. */
function providerTitles(html: string): string[] {
  return [...html.matchAll(/<p class="item-title">([^<]+)<\/p>/g)].map((match) => decodeEntities(match[1]!));
}

describe('pages: provider names', () => {
  let server: OidcServer;
  let h: Harness;
  before(async () => {
    server = await startOidcServer();
    h = await createHarness({
      config: {
        ui: { enabled: true },
        oauth: {
          allowInsecureLoopback: true,
          providers: {
            github: oauthProviders.github({ clientId: 'Iv1.pages', clientSecret: 'github-secret' }),
            google: oauthProviders.google({ clientId: 'g-id', clientSecret: 'g-secret' }),
            corp: { ...oidcProviderEntry(server.issuer), displayName: 'Example Corp SSO' },
            partner: { kind: 'oidc', issuer: 'https://idp.partner.example', clientId: 'p-id' },
          },
        },
      },
    });
  });
  after(async () => {
    await h?.close();
    await server?.stop();
  });

  it('sign-in page: presets by their name, custom providers by displayName, else by key', async () => {
    const browser = pageBrowser(h.auth);
    const english = await browser.get('/sign-in');
    assert.deepEqual(providerButtons(english.html), [
      'Continue with GitHub',
      'Continue with Google',
      'Continue with Example Corp SSO',
      'Continue with partner',
    ]);
    // The routes keep the keys.
    assert.match(english.html, /href="\/auth\/oauth\/github\/authorize\?/);
    const german = await browser.get('/sign-in', { 'accept-language': 'de' });
    assert.deepEqual(providerButtons(german.html), [
      'Weiter mit GitHub',
      'Weiter mit Google',
      'Weiter mit Example Corp SSO',
      'Weiter mit partner',
    ]);
  });

  it('account providers section: names on the items, the link buttons and the linked notice', async () => {
    const email = uniqueEmail('provider-names');
    await h.register(email);
    const browser = pageBrowser(h.auth);
    await browser.submit(await browser.get('/sign-in'), { email, password: GOOD_PASSWORD });
    const page = await browser.get('/account/providers');
    assert.deepEqual(providerTitles(page.html), ['GitHub', 'Google', 'Example Corp SSO', 'partner']);
    assert.match(textOf(page.html), /Link GitHub/);
    const corp = page.forms.find((f) => f.fields.intent === 'link' && f.fields.provider === 'corp');
    assert.ok(corp, 'the link form still names the key');

    actAs(server, newProviderUser('provider-names-idp'));
    const toProvider = await browser.post(corp.action, corp.fields);
    assert.equal(toProvider.status, 303);
    const callback = await followAuthorization(new URL(toProvider.headers.get('location') ?? ''));
    const linked = await browser.get(`${callback.pathname}${callback.search}`);
    assert.equal(linked.path, '/account/providers', linked.html);
    assert.match(textOf(linked.html), /Example Corp SSO is now linked\./);
    assert.match(textOf(linked.html), /Unlink Example Corp SSO/);
  });
});
