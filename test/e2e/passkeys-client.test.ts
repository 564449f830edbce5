/**
 * `client.passkeys.register()` and `client.passkeys.signIn()` of the typed client, from the
 * sources bundled for the browser, in Chromium with a virtual authenticator (CTAP2, internal,
 * resident keys, UV), on one origin http://localhost:<port> that serves the page and the API
 * (cookie transport): sign in with the password, register a passkey, sign out, sign in with the
 * passkey usernameless; a cancelled ceremony is a result, not a throw.
 * @see issue #17
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { toNodeHandler } from '../../src/http/adapters/node/index.ts';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';
import type { LaunchedBrowser } from '../fixtures/browser.ts';
import { bundleForBrowser, modulePage } from '../fixtures/browser-bundle.ts';
import type { ClientPageGlobals } from '../fixtures/client-page.ts';
import { findFreePort } from '../fixtures/free-port.ts';
import { launchBrowser, type VirtualAuthenticator, virtualAuthenticator } from '../fixtures/passkeys.ts';

describe('the typed client with passkeys in Chromium', { timeout: 120_000 }, () => {
  let server: Server;
  let h: Harness;
  let browser: LaunchedBrowser;
  let authenticator: VirtualAuthenticator;
  let page: Page;
  let origin = '';

  before(async () => {
    const port = await findFreePort();
    origin = `http://localhost:${port}`;
    h = await createHarness({ config: { baseUrl: origin, ui: { enabled: true } } });
    const html = modulePage(await bundleForBrowser(new URL('../fixtures/client-page.ts', import.meta.url)));
    const api = toNodeHandler(h.auth);
    server = createServer((req, res) => {
      if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(html);
      } else api(req, res);
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    assert.equal((server.address() as AddressInfo).port, port);
    browser = await launchBrowser({ actionTimeoutMs: 10_000 });
    authenticator = await virtualAuthenticator(browser, origin);
    page = authenticator.page;
    await page.waitForFunction(() => 'clientPage' in globalThis);
    await page.evaluate(() =>
      (globalThis as unknown as ClientPageGlobals).clientPage.create({
        baseUrl: '',
        basePath: '',
        transport: 'cookie',
      }),
    );
  });
  after(async () => {
    await browser?.close();
    server?.closeAllConnections();
    server?.close();
    await h?.close();
  });

  it('registers through client.passkeys.register(), signs out, signs in with client.passkeys.signIn()', async () => {
    const email = uniqueEmail('client-pk');
    await h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
    const outcome = await page.evaluate(
      async ([address, password]) => {
        const { client } = (globalThis as unknown as ClientPageGlobals).clientPage;
        const signedIn = await client.signIn({ email: address, password });
        const registered = await client.passkeys.register({ name: 'This browser' });
        const listed = await client.users.me.passkeys.list();
        await client.signOut();
        const afterSignOut = client.session.get().status;
        const passkey = await client.passkeys.signIn();
        const me = await client.users.me.get();
        return {
          signedIn: signedIn.error,
          registered: registered.error ?? (registered.data as { passkey: { name: string } }).passkey.name,
          listed: listed.data?.passkeys.length,
          afterSignOut,
          passkey: passkey.error,
          status: client.session.get().status,
          me: me.data?.user.email,
        };
      },
      [email, GOOD_PASSWORD] as const,
    );
    assert.deepEqual(outcome, {
      signedIn: null,
      registered: 'This browser',
      listed: 1,
      afterSignOut: 'signed-out',
      passkey: null,
      status: 'signed-in',
      me: email,
    });
  });

  it('a ceremony the browser cannot finish answers PASSKEY_CEREMONY_FAILED, and the session is unchanged', async () => {
    // An unknown address gets a decoy credential id: the authenticator holds no such passkey.
    const outcome = await page.evaluate(async () => {
      const { client } = (globalThis as unknown as ClientPageGlobals).clientPage;
      const before = client.session.get().status;
      const result = await client.passkeys.signIn({ email: 'nobody-here@example.com' });
      const error = result.error as { code?: string; name?: string | null } | null;
      return { before, code: error?.code, name: error?.name, after: client.session.get().status };
    });
    assert.equal(outcome.code, 'PASSKEY_CEREMONY_FAILED');
    assert.equal(outcome.name, 'NotAllowedError');
    assert.equal(outcome.after, outcome.before);
  });

  it('the hosted sign-in page: the passkey button (or the autofill) signs in and lands on the account page', async () => {
    const served = await (await h.auth.fetch(new Request(`${origin}/sign-in`))).text();
    assert.match(
      served,
      /<input id="field-email" name="email" type="email" autocomplete="username webauthn"/,
    );
    assert.match(served, /<div id="passkey-sign-in" hidden/);
    await browser.context.clearCookies();
    await page.goto(`${origin}/sign-in`);
    // In Chromium with one discoverable passkey, the autofill (conditional UI) ceremony may
    // finish on its own; otherwise the button is the explicit way (and cancels the autofill).
    const landed = await page.waitForURL(`${origin}/account`, { timeout: 2_000 }).then(
      () => true,
      () => false,
    );
    if (!landed) {
      await page.click('#passkey-sign-in button');
      await page.waitForURL(`${origin}/account`);
    }
    const me = await page.evaluate(
      async () => (await fetch('/users/me', { credentials: 'same-origin' })).status,
    );
    assert.equal(me, 200);
  });
});
