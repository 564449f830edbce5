/**
 * Signing in with a provider from the sign-in page in real Chromium, for an account with TOTP:
 * the provider sends the browser back to the 2FA page with the pending sign-in in the URL
 * fragment, and the page's only script (allowed by its CSP nonce) moves it into the form. The
 * person types the code and lands on `returnTo`. Runs the server in-process (`startServer`)
 * so the mock provider may be plain http on loopback, which the environment cannot allow.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MailMessage } from '../../src/mail/contract.ts';
import { type RunningServer, startServer } from '../../src/server/index.ts';
import { capturingTransport, FAST_ARGON2, GOOD_PASSWORD } from '../fixtures/auth-harness.ts';
import { type LaunchedBrowser, launchBrowser, screenshotOnFailure } from '../fixtures/browser.ts';
import { findFreePort } from '../fixtures/free-port.ts';
import { actAs, oidcProviderEntry } from '../fixtures/oauth-flow.ts';
import { type OidcServer, startOidcServer } from '../fixtures/oidc-server.ts';
import { codeOfStep, enrollOverHttp } from '../fixtures/two-factor.ts';

describe('hosted pages in Chromium: a provider sign-in with TOTP', { timeout: 60_000 }, () => {
  let root = '';
  let provider: OidcServer;
  let server: RunningServer;
  let browser: LaunchedBrowser;
  let baseUrl = '';
  const mail: MailMessage[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gatehouse-pages-provider-'));
    provider = await startOidcServer();
    const port = await findFreePort();
    baseUrl = `http://127.0.0.1:${port}`;
    server = await startServer(
      {
        config: {
          mode: 'development',
          dataDir: root,
          baseUrl,
          logLevel: 'silent',
          database: { url: 'sqlite::memory:' },
          mail: { transport: capturingTransport(mail) },
          passwords: { argon2: FAST_ARGON2 },
          oauth: {
            providers: { mock: oidcProviderEntry(provider.issuer) },
            allowInsecureLoopback: true,
            linkByVerifiedEmail: true,
          },
        },
        listen: { port, host: '127.0.0.1' },
      },
      { migrate: true },
    );
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await provider?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it("the fragment reaches the form by the nonce'd script; the code finishes the sign-in", async () => {
    const email = `river.${Date.now()}@example.com`;
    await server.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
    const user = await enrollOverHttp(baseUrl, { email, password: GOOD_PASSWORD });
    actAs(provider, { subject: `sub-${Date.now()}`, email });
    const page = await browser.newPage();
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
    await screenshotOnFailure(page, join(root, 'provider.png'), async () => {
      await page.goto(`${baseUrl}/sign-in?returnTo=%2Fsigned-out`);
      await Promise.all([page.waitForURL(/\/two-factor/), page.click('a.button.secondary')]);
      assert.equal(
        new URL(page.url()).hash,
        '',
        'the script took the pending sign-in out of the address bar',
      );
      const pending = await page.inputValue('#pending-token');
      assert.ok(pending.length > 20, 'the pending token is in the form');
      await page.fill('#field-code', codeOfStep(user.seed, user.confirmedStep + 1));
      await Promise.all([
        page.waitForURL(`${baseUrl}/signed-out`),
        page.click('main form button[type=submit]'),
      ]);
      assert.deepEqual(blocked, [], 'nothing on the page was blocked by its CSP');
    });
    await page.close();
  });
});
