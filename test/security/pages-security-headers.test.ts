/**
 * Threats: a page framed by another site (clickjacking: turning 2FA off, revoking a session),
 * an injected inline script or style running in a page, a page with a secret (a mail-link
 * token, a form token, the TOTP secret and its QR code, recovery codes, a new API key) kept by
 * a shared cache or the back/forward history of a shared computer, or leaked through the
 * Referer, a page's form posted to another origin.
 *
 * Invariant: every answer of every page route auth.pages registers (the table is derived from
 * them, so a new page is covered without an edit), signed out and signed in, redirects and
 * error pages included, and every answer that shows a secret, carries a CSP with a fresh nonce
 * (`script-src` only by nonce, `frame-ancestors 'none'`, `form-action 'self'` plus the sign-in
 * providers' origins, `base-uri 'none'`), `Referrer-Policy: no-referrer`,
 * `Cache-Control: no-store`, `X-Frame-Options: DENY` and `nosniff`; every inline `<script>` and
 * `<style>` carries that response's nonce, and no markup (the QR code's SVG included) has
 * inline event handlers, `style=` or `javascript:` URLs.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { base32Decode } from '../../src/crypto/base32.ts';
import { createHarness, GOOD_PASSWORD, HARNESS_BASE_URL, uniqueEmail } from '../fixtures/auth-harness.ts';
import { cspNonce, type PageBrowser, pageBrowser, pageRoutes } from '../fixtures/pages.ts';
import { codeAt, createTestClock } from '../fixtures/two-factor.ts';

/** States of a page a bare route does not reach: query parameters each page reads. */
const STATES = [
  '/sign-in?returnTo=%2Faccount',
  '/sign-in?lang=de',
  '/verify-email?token=x',
  '/reset-password?token=x',
  '/confirm-email?token=x',
  '/account?lang=de',
  '/account/api-keys?done=revoked',
];

function assertPageHeaders(headers: Headers, label: string): string {
  const csp = headers.get('content-security-policy') ?? '';
  const nonce = cspNonce(headers);
  assert.ok(nonce && nonce.length >= 22, `${label}: a nonce of 128 bits`);
  const directives = new Map(
    csp.split(';').map((d) => {
      const [name = '', ...values] = d.trim().split(/\s+/);
      return [name, values] as const;
    }),
  );
  assert.deepEqual(directives.get('default-src'), ["'none'"], label);
  assert.deepEqual(directives.get('script-src'), [`'nonce-${nonce}'`], `${label}: scripts only by nonce`);
  assert.deepEqual(directives.get('style-src'), ["'self'", `'nonce-${nonce}'`], label);
  assert.deepEqual(directives.get('frame-ancestors'), ["'none'"], label);
  assert.deepEqual(directives.get('base-uri'), ["'none'"], label);
  assert.deepEqual(directives.get('object-src'), ["'none'"], label);
  assert.equal(directives.get('form-action')?.[0], "'self'", label);
  assert.equal(headers.get('referrer-policy'), 'no-referrer', label);
  assert.equal(headers.get('cache-control'), 'no-store', `${label}: never stored`);
  assert.equal(headers.get('x-frame-options'), 'DENY', label);
  assert.equal(headers.get('x-content-type-options'), 'nosniff', label);
  return nonce;
}

function assertInlineCodeHasNonce(html: string, nonce: string, label: string): void {
  for (const tag of html.matchAll(/<(script|style)\b([^>]*)>/g)) {
    assert.ok((tag[2] ?? '').includes(`nonce="${nonce}"`), `${label}: <${tag[1]}> has the nonce`);
  }
  assert.doesNotMatch(html, /\son[a-z]+=/i, `${label}: no inline event handler`);
  assert.doesNotMatch(html, /\sstyle="/i, `${label}: no style attribute`);
  assert.doesNotMatch(html, /javascript:/i, `${label}: no javascript: URL`);
}

const clock = createTestClock();
const h = await createHarness({
  config: {
    ui: { enabled: true, colors: { accent: '#0b5394' }, logoUrl: 'https://cdn.example.test/logo.svg' },
    clock: clock.config,
    oauth: {
      providers: {
        acme: { kind: 'oidc', issuer: 'https://id.acme.test', clientId: 'c', clientSecret: 's' },
      },
    },
  },
});
const ROUTES = pageRoutes(h.auth).get;

/** A browser signed in through the sign-in page (a fresh account each time). */
async function signedIn(): Promise<PageBrowser> {
  const email = uniqueEmail('headers');
  await h.register(email);
  const browser = pageBrowser(h.auth);
  const account = await browser.submit(await browser.get('/sign-in'), { email, password: GOOD_PASSWORD });
  assert.equal(account.path, '/account');
  return browser;
}

/** The raw answer (redirects not followed) to a GET with the browser's cookies. */
async function answerTo(browser: PageBrowser | null, path: string): Promise<Response> {
  const cookie = browser ? [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ') : '';
  return h.auth.fetch(new Request(`${HARNESS_BASE_URL}${path}`, { headers: cookie ? { cookie } : {} }));
}

describe('pages: security headers', () => {
  after(() => h.close());

  for (const path of [...ROUTES, ...STATES]) {
    it(`${path}: signed out and signed in, the headers, and every inline script or style by nonce`, async () => {
      let rendered = 0;
      for (const [who, browser] of [
        ['signed out', null],
        ['signed in', await signedIn()],
      ] as const) {
        const answer = await answerTo(browser, path);
        const label = `${path} (${who}, ${answer.status})`;
        const nonce = assertPageHeaders(answer.headers, label);
        const html = await answer.text();
        if (answer.status === 303) continue;
        // A page (a mail-link page without its token says so with a 400).
        rendered += 1;
        assertInlineCodeHasNonce(html, nonce, label);
      }
      // `/` only redirects (to sign-in or the account); every other route renders for one of them.
      if (path !== '/') assert.ok(rendered > 0, `${path} rendered signed out or signed in`);
    });
  }

  it('the answers that show a secret: the enrolment (secret and QR code), the recovery codes, a new API key', async () => {
    const browser = await signedIn();
    const enrol = await browser.submit(await browser.get('/account/two-factor'), {
      currentPassword: GOOD_PASSWORD,
    });
    assert.match(enrol.html, /<svg /);
    assertInlineCodeHasNonce(enrol.html, assertPageHeaders(enrol.headers, 'enrolment'), 'enrolment');
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(enrol.html)?.[1] ?? '';
    const codes = await browser.submit(enrol, { code: codeAt(clock, base32Decode(secret)) });
    assert.match(codes.html, /id="recovery-codes"/);
    assert.match(codes.html, /<script nonce=/, 'the copy button has its script');
    assertInlineCodeHasNonce(
      codes.html,
      assertPageHeaders(codes.headers, 'recovery codes'),
      'recovery codes',
    );
    // A fresh account: with 2FA on, creating a key would ask for a code first.
    const keysBrowser = await signedIn();
    const created = await keysBrowser.submit(
      await keysBrowser.get('/account/api-keys'),
      { name: 'secret page' },
      { action: '/account/api-keys' },
    );
    assert.match(created.html, /id="new-api-key">gh_/);
    assertInlineCodeHasNonce(created.html, assertPageHeaders(created.headers, 'new API key'), 'new API key');
  });

  it('a page with the brand colour styles it by nonce; the logo and provider origins are listed', async () => {
    const page = await pageBrowser(h.auth).get('/sign-in');
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(page.html, /<style nonce="[^"]+">:root\{--accent:#0b5394/);
    assert.match(csp, /img-src 'self' data: https:\/\/cdn\.example\.test(;|$)/);
    assert.match(csp, /form-action 'self' https:\/\/id\.acme\.test(;|$)/);
    assert.match(page.html, /href="\/auth\/oauth\/acme\/authorize\?redirectTo=/);
  });

  it('the nonce differs on every response', async () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 20; i += 1) {
      const page = await pageBrowser(h.auth).get('/sign-in');
      nonces.add(cspNonce(page.headers) ?? '');
    }
    assert.equal(nonces.size, 20);
  });

  it('error answers carry the headers too: a refused form, an unknown page', async () => {
    const browser = pageBrowser(h.auth);
    const refused = await browser.post('/sign-in', { email: 'a@example.test' });
    assert.equal(refused.status, 403);
    assertPageHeaders(refused.headers, 'refused form');
    const missing = await h.auth.pages.fetch(new Request(`${HARNESS_BASE_URL}/no-such-page`));
    assert.equal(missing.status, 404);
    assertInlineCodeHasNonce(
      await missing.text(),
      assertPageHeaders(missing.headers, 'not found'),
      'not found',
    );
  });

  it('the stylesheet is a same-origin file, cached for good under a content-hash name', async () => {
    const page = await pageBrowser(h.auth).get('/sign-in');
    const href = /<link rel="stylesheet" href="([^"]+)">/.exec(page.html)?.[1];
    assert.match(href ?? '', /^\/assets\/gatehouse-[0-9a-f]{12}\.css$/);
    const css = await h.auth.fetch(new Request(`https://auth.example.test${href}`));
    assert.equal(css.status, 200);
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
    assert.match(css.headers.get('cache-control') ?? '', /immutable/);
    assert.match(await css.text(), /prefers-color-scheme:dark/);
  });
});
