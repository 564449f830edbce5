/**
 * `gatehouse/react` for real: the first render on the server (react-dom/server), and a page in
 * headless Chromium (react-dom/client, bundled with esbuild) whose `useSession()` follows the
 * client's session store through sign-in and sign-out against a real server on the same origin.
 *
 * Invariants: a server render sees `loading`; in the browser the component re-renders on each
 * change of state and only then (stable snapshots), showing what the store says; hooks outside
 * an `<AuthProvider>` fail with an explanation.
 *
 * @see issue #14
 */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { createAuthClient } from '../../src/client/index.ts';
import { AuthProvider, useAuthClient, useSession } from '../../src/client/react/index.ts';
import { GOOD_PASSWORD, uniqueEmail } from '../fixtures/auth-harness.ts';
import { type LaunchedBrowser, launchBrowser, screenshotOnFailure } from '../fixtures/browser.ts';
import { type ServedHarness, serveHarness } from '../fixtures/client-server.ts';
import { type SameOriginProxy, startSameOriginProxy } from '../fixtures/same-origin-proxy.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** The page's script: a bearer client on this origin, a status line from useSession(). */
const PAGE_SCRIPT = `
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { createAuthClient } from './src/client/index.ts';
import { AuthProvider, useSession } from './src/client/react/index.ts';
const client = createAuthClient({ baseUrl: '', transport: 'bearer' });
window.gatehouseClient = client;
window.renders = 0;
function Status() {
  const session = useSession();
  window.renders += 1;
  const text = session.status === 'signed-in' ? 'signed-in:' + session.user.email
    : session.status === 'signed-out' ? 'signed-out:' + session.reason : session.status;
  return createElement('p', { id: 'status' }, text);
}
createRoot(document.getElementById('root')).render(createElement(AuthProvider, { client }, createElement(Status)));
`;

interface PageGlobals {
  gatehouseClient: ReturnType<typeof createAuthClient>;
  renders: number;
}

function StatusLine() {
  return createElement('p', null, useSession().status);
}

function Orphan() {
  return createElement('p', null, useAuthClient().transport);
}

describe('gatehouse/react', () => {
  it('a server render - should show the loading state', () => {
    const client = createAuthClient({ baseUrl: 'http://127.0.0.1:9', transport: 'bearer' });
    const html = renderToString(createElement(AuthProvider, { client }, createElement(StatusLine)));
    assert.equal(html, '<p>loading</p>');
  });

  it('a hook outside <AuthProvider> - should throw an explanation', () => {
    assert.throws(() => renderToString(createElement(Orphan)), /AuthProvider/);
  });
});

describe('gatehouse/react in Chromium', () => {
  let served: ServedHarness;
  let proxy: SameOriginProxy;
  let browser: LaunchedBrowser;

  before(async () => {
    const bundle = await build({
      stdin: { contents: PAGE_SCRIPT, resolveDir: ROOT, loader: 'ts' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      minify: true,
      write: false,
      define: { 'process.env.NODE_ENV': '"production"' },
      logLevel: 'silent',
    });
    const script = bundle.outputFiles[0]?.text ?? '';
    [served, proxy, browser] = await Promise.all([
      serveHarness(),
      startSameOriginProxy({
        page: `<!doctype html><html><body><div id="root"></div><script type="module">${script.replaceAll('</script', '<\\/script')}</script></body></html>`,
      }),
      launchBrowser(),
    ]);
    proxy.setUpstream(served.url);
  });
  after(async () => {
    await browser?.close();
    await proxy?.close();
    await served?.close();
  });

  it('useSession() - should follow sign-in and sign-out, one render per change', async () => {
    const email = uniqueEmail('react');
    await served.h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
    const page = await browser.newPage();
    await screenshotOnFailure(page, resolve(ROOT, 'react-session-failure.png'), async () => {
      await page.goto(`${proxy.origin}/`);
      const status = page.locator('#status');
      await status.filter({ hasText: 'signed-out:no-session' }).waitFor();
      const rendersSignedOut = await page.evaluate(() => (globalThis as unknown as PageGlobals).renders);

      const error = await page.evaluate(
        async ([address, password]) =>
          (await (globalThis as unknown as PageGlobals).gatehouseClient.signIn({ email: address, password }))
            .error,
        [email, GOOD_PASSWORD] as const,
      );
      assert.equal(error, null);
      await status.filter({ hasText: `signed-in:${email}` }).waitFor();
      // A call that does not change the state (same user) must not re-render.
      await page.evaluate(async () => {
        await (globalThis as unknown as PageGlobals).gatehouseClient.users.me.get();
      });
      const rendersSignedIn = await page.evaluate(() => (globalThis as unknown as PageGlobals).renders);
      assert.equal(
        rendersSignedIn,
        rendersSignedOut + 1,
        'one render for the sign-in, none for an unchanged state',
      );

      await page.evaluate(async () => {
        await (globalThis as unknown as PageGlobals).gatehouseClient.signOut();
      });
      await status.filter({ hasText: 'signed-out:signed-out' }).waitFor();
    });
  });
});
