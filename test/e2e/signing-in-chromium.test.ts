/**
 * `gatehouse/client/signing` in a real browser (headless Chromium), bundled from the sources
 * with esbuild for the browser platform (which fails on any `node:` import): on WebCrypto it
 * writes the Authorization headers of the worked examples (test/vectors/request-signing.json)
 * byte for byte, and a request it signs in the page — a GET with a query, a PATCH with a body —
 * is accepted by a real server (the Hono example, Gatehouse under /api, on the page's origin
 * through a reverse proxy). The browser sends `Host` itself (a forbidden header for `fetch`):
 * it is the URL's authority, which is what the signer signs.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { parseApiKey } from '../fixtures/api-keys.ts';
import { GOOD_PASSWORD } from '../fixtures/auth-harness.ts';
import { type LaunchedBrowser, launchBrowser } from '../fixtures/browser.ts';
import { bundleForBrowser, modulePage } from '../fixtures/browser-bundle.ts';
import { type RunningExample, registerVerified, startExample } from '../fixtures/example-process.ts';
import { type SameOriginProxy, startSameOriginProxy } from '../fixtures/same-origin-proxy.ts';
import type { SigningModule } from '../fixtures/signing-page.ts';

interface Vectors {
  keyId: string;
  secretBase64Url: string;
  examples: {
    name: string;
    input: {
      method: string;
      url: string;
      headers: [string, string][];
      body: string | null;
      signedHeaders: string[];
      timestamp: number;
      nonce: string;
    };
    authorization: string;
  }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../vectors/request-signing.json', import.meta.url), 'utf8'),
) as Vectors;

let browser: LaunchedBrowser | undefined;
let example: RunningExample | undefined;
let proxy: SameOriginProxy | undefined;
let page: Page | undefined;

before(
  async () => {
    proxy = await startSameOriginProxy({
      page: modulePage(await bundleForBrowser(new URL('../fixtures/signing-page.ts', import.meta.url))),
    });
    const [launched, started] = await Promise.all([
      launchBrowser(),
      startExample('hono', { env: { GATEHOUSE_BASE_URL: proxy.origin } }),
    ]);
    browser = launched;
    example = started;
    proxy.setUpstream(example.base);
    page = await browser.newPage();
    await page.goto(`${proxy.origin}/`);
    await page.waitForFunction(() => 'gatehouseSigning' in globalThis);
  },
  { timeout: 40_000 },
);

after(async () => {
  await browser?.close();
  await proxy?.close();
  await example?.stop();
});

/** A signing key of a fresh verified account on the example, as the server issued it. */
async function signingKey(): Promise<{ keyId: string; secret: string }> {
  const api = `${example!.base}/api`;
  const email = `signer-${randomUUID().slice(0, 8)}@example.com`;
  await registerVerified(api, example!.mailDir, email);
  const login = await fetch(`${api}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: GOOD_PASSWORD }),
  });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const created = await fetch(`${api}/users/me/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ name: 'browser signing key', signing: true }),
  });
  const body = (await created.json()) as { apiKey: string };
  assert.equal(created.status, 201, JSON.stringify(body));
  const { keyId, secret } = parseApiKey(body.apiKey);
  return { keyId, secret };
}

describe('gatehouse/client/signing in Chromium', () => {
  it('the worked examples - should give the vectors’ Authorization headers byte for byte', async () => {
    const written = await page!.evaluate(async (v: Vectors) => {
      const { signedFetchInit } = (globalThis as unknown as { gatehouseSigning: SigningModule })
        .gatehouseSigning;
      const base64 = v.secretBase64Url.replaceAll('-', '+').replaceAll('_', '/');
      const secret = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
      const headers: string[] = [];
      for (const { input } of v.examples) {
        const init = await signedFetchInit({
          keyId: v.keyId,
          secret,
          method: input.method,
          url: input.url,
          headers: input.headers.filter(([name]) => name !== 'host'),
          ...(input.body === null ? {} : { body: input.body }),
          now: input.timestamp * 1000,
          nonce: input.nonce,
          signedHeaders: input.signedHeaders.filter((name) => name !== 'host' && name !== 'content-type'),
        });
        headers.push(init.headers.get('authorization') ?? '');
      }
      return { headers, secure: (globalThis as { isSecureContext?: boolean }).isSecureContext };
    }, vectors);
    assert.equal(written.secure, true, 'WebCrypto needs a secure context; loopback is one');
    assert.deepEqual(
      written.headers,
      vectors.examples.map((example) => example.authorization),
    );
  });

  it('a GET with a query and a PATCH with a body signed in the page - should pass a real server; a replay should not', async () => {
    const key = await signingKey();
    const answers = await page!.evaluate(
      async ({ keyId, secretText, origin }) => {
        const { signedFetchInit } = (globalThis as unknown as { gatehouseSigning: SigningModule })
          .gatehouseSigning;
        const base64 = secretText.replaceAll('-', '+').replaceAll('_', '/');
        const secret = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
        const read = `${origin}/api/users/me?b=2&a=1`;
        const got = await fetch(read, await signedFetchInit({ keyId, secret, method: 'GET', url: read }));
        const me = `${origin}/api/users/me`;
        const init = await signedFetchInit({
          keyId,
          secret,
          method: 'PATCH',
          url: me,
          body: JSON.stringify({ name: 'Signed In Chromium' }),
        });
        const patched = await fetch(me, init);
        const name = ((await patched.json()) as { user?: { name?: string } }).user?.name;
        const replayed = await fetch(me, init);
        const replayCode = ((await replayed.json()) as { code?: string }).code;
        return { get: got.status, patch: patched.status, name, replay: replayed.status, replayCode };
      },
      { keyId: key.keyId, secretText: key.secret, origin: proxy!.origin },
    );
    assert.deepEqual(answers, {
      get: 200,
      patch: 200,
      name: 'Signed In Chromium',
      replay: 401,
      replayCode: 'NONCE_REPLAYED',
    });
  });
});
