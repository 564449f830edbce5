/**
 * The account page's passkeys section in real Chromium with the DevTools virtual authenticator
 * (CTAP2, internal, resident keys, UV) at http://localhost:<port>, driven through the pages
 * alone: sign in with the password, add a passkey (the button, the browser's ceremony, back to
 * the list), rename it, remove it; an account that signed in with a provider adds a passkey,
 * may then unlink the provider (the passkey is a way in), and is refused removing the passkey
 * (LAST_SIGN_IN_METHOD shown beside it). axe-core finds no serious or critical violation on the
 * section's views, light and dark, English and German.
 * @see issue #17
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { GOOD_PASSWORD, type Harness } from '../fixtures/auth-harness.ts';
import { describeViolations, seriousViolations } from '../fixtures/axe.ts';
import type { LaunchedBrowser } from '../fixtures/browser.ts';
import { findFreePort } from '../fixtures/free-port.ts';
import { actAs, createOAuthHarness, newProviderUser } from '../fixtures/oauth-flow.ts';
import { type OidcServer, startOidcServer } from '../fixtures/oidc-server.ts';
import {
  launchBrowser,
  serveAuth,
  type VirtualAuthenticator,
  virtualAuthenticator,
} from '../fixtures/passkeys.ts';

/** Clicks `selector` and waits for the page it leads to. */
async function submit(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForURL(() => true, { waitUntil: 'load' }), page.click(selector)]);
}

const pathAndQuery = (page: Page) => {
  const url = new URL(page.url());
  return `${url.pathname}${url.search}`;
};
const items = (page: Page) => page.locator('main ul.items li .item-title').allTextContents();

/** From the list: the add button, the ceremony page's button, back on the list. */
async function addPasskey(page: Page, origin: string, name: string): Promise<void> {
  await page.goto(`${origin}/account/passkeys`);
  assert.equal(await page.isHidden('[data-passkey-unsupported]'), true, 'the no-script note hides');
  await page.fill('#field-name', name);
  await submit(page, 'main form:has(input[name="intent"][value="add"]) button[type=submit]');
  assert.equal(await page.textContent('h1'), 'Create your passkey');
  await Promise.all([
    page.waitForURL(`${origin}/account/passkeys?done=added`),
    page.click('#passkey-register button'),
  ]);
}

describe('the account page’s passkeys in Chromium with a virtual authenticator', { timeout: 180_000 }, () => {
  let oidc: OidcServer;
  let h: Harness;
  let served: { close(): Promise<void> };
  let browser: LaunchedBrowser;
  let authenticator: VirtualAuthenticator;
  let page: Page;
  let origin = '';

  before(async () => {
    const port = await findFreePort();
    origin = `http://localhost:${port}`;
    oidc = await startOidcServer();
    h = await createOAuthHarness(oidc, { config: { baseUrl: origin, ui: { enabled: true } } });
    served = await serveAuth(h.auth, port);
    browser = await launchBrowser({ actionTimeoutMs: 10_000 });
    authenticator = await virtualAuthenticator(browser, origin);
    page = authenticator.page;
  });
  after(async () => {
    await browser?.close();
    await served?.close();
    await h?.close();
    await oidc?.stop();
  });

  it('adds a passkey from the page, renames it and removes it', async () => {
    const { email } = await h.signedInUser();
    await browser.context.clearCookies();
    await page.goto(`${origin}/sign-in`);
    await page.fill('#field-email', email);
    await page.fill('#field-password', GOOD_PASSWORD);
    await submit(page, 'main form button[type=submit]');
    assert.equal(new URL(page.url()).pathname, '/account');
    await submit(page, 'main nav a[href="/account/passkeys"]');
    assert.deepEqual(await items(page), []);

    await addPasskey(page, origin, 'Laptop');
    assert.deepEqual(await items(page), ['Laptop']);
    assert.match((await page.textContent('main .notice')) ?? '', /passkey was added/);
    assert.match((await page.textContent('main ul.items')) ?? '', /Last used: never/);
    const [credential] = await authenticator.credentials();
    assert.ok(credential, 'the authenticator holds the new credential');
    const listed = (await h.login(email)).accessToken;
    const [passkey] = (await h.get('/users/me/passkeys', { token: listed })).body.passkeys;
    assert.equal(passkey.id, Buffer.from(credential.credentialId, 'base64').toString('base64url'));

    await submit(page, 'main a:text("Rename Laptop")');
    assert.equal(await page.inputValue('#field-name'), 'Laptop');
    await page.fill('#field-name', 'Work laptop');
    await submit(page, 'main form button[type=submit]');
    assert.equal(pathAndQuery(page), '/account/passkeys?done=renamed');
    assert.deepEqual(await items(page), ['Work laptop']);

    await submit(page, 'main form:has(input[name="intent"][value="remove"]) button');
    assert.equal(pathAndQuery(page), '/account/passkeys?done=removed');
    assert.deepEqual(await items(page), []);
    assert.deepEqual((await h.get('/users/me/passkeys', { token: listed })).body.passkeys, []);
  });

  it('a provider-only account: a passkey lets it unlink the provider, and the passkey is then kept', async () => {
    // The browser goes through the provider (which signs this account in) and back.
    await browser.context.clearCookies();
    await page.goto(`${origin}/sign-in`);
    actAs(oidc, newProviderUser('pk-page'));
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/account'),
      page.click('main .providers a'),
    ]);

    await addPasskey(page, origin, 'Phone');
    assert.deepEqual(await items(page), ['Phone']);

    await page.goto(`${origin}/account/providers`);
    await submit(page, 'main form:has(input[name="intent"][value="unlink"]) button');
    assert.equal(pathAndQuery(page), '/account/providers?done=unlinked');

    await page.goto(`${origin}/account/passkeys`);
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/account/passkeys')),
      submit(page, 'main form:has(input[name="intent"][value="remove"]) button'),
    ]);
    assert.equal(answer.status(), 409);
    assert.deepEqual(await items(page), ['Phone']);
    assert.match((await page.textContent('#passkey-0-error')) ?? '', /only way left to sign in/);
    assert.match((await page.textContent('main .summary')) ?? '', /only way left to sign in/);
  });

  it('axe-core: the passkeys views have no serious or critical violation, light and dark, English and German', async () => {
    const failures: string[] = [];
    const check = async (name: string, scheme: string, lang: string) => {
      assert.equal(await page.getAttribute('html', 'lang'), lang, `${name} speaks ${lang}`);
      const violations = await seriousViolations(page);
      if (violations.length > 0)
        failures.push(`${name} (${scheme}, ${lang}):\n${describeViolations(violations)}`);
    };
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const lang of ['en', 'de']) {
        // Still the provider-only account of the case before, with its one passkey.
        await page.goto(`${origin}/account/passkeys?lang=${lang}`);
        await check('passkeys list', scheme, lang);
        await submit(page, 'main form:has(input[name="intent"][value="remove"]) button');
        await check('passkeys list with the last-way-in refusal', scheme, lang);
        await submit(page, 'main ul.items a');
        await check('rename a passkey', scheme, lang);
        await page.goto(`${origin}/account/passkeys?lang=${lang}`);
        await submit(page, 'main form:has(input[name="intent"][value="add"]) button[type=submit]');
        await check('create a passkey', scheme, lang);
      }
    }
    assert.deepEqual(failures, [], failures.join('\n\n'));
  });

  it('a ceremony whose result does not reach the server: the page says so, and the button tries again', async () => {
    const { email } = await h.signedInUser();
    await browser.context.clearCookies();
    // The sign-in page's autofill would now sign in with a passkey already in the authenticator:
    // a cookie session from the API instead, asked by a page of the origin.
    await page.goto(`${origin}/forgot-password`);
    const status = await page.evaluate(
      async ([address, password]) =>
        (
          await fetch('/auth/session', {
            method: 'POST',
            credentials: 'same-origin',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email: address, password }),
          })
        ).status,
      [email, GOOD_PASSWORD] as const,
    );
    assert.equal(status, 200);
    await page.goto(`${origin}/account/passkeys`);
    await submit(page, 'main form:has(input[name="intent"][value="add"]) button[type=submit]');
    const finish = `${origin}/users/me/passkeys`;
    await page.route(finish, (route) => route.abort());
    await page.click('#passkey-register button');
    await page.waitForSelector('#passkey-register [data-error]', { state: 'visible' });
    assert.equal(await page.isEnabled('#passkey-register button'), true);
    await page.unroute(finish);
    await Promise.all([
      page.waitForURL(`${origin}/account/passkeys?done=added`),
      page.click('#passkey-register button'),
    ]);
    assert.equal((await items(page)).length, 1);
  });
});
