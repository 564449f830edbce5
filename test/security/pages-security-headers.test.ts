/**
 * Threats: a page framed by another site (clickjacking), an injected inline script or style
 * running in a page, a page with a secret (a mail-link token, a form token) kept by a cache or
 * leaked through the Referer, a page's form posted to another origin.
 *
 * Invariant: every page answer, the error pages included, carries a CSP with a fresh nonce
 * (`script-src` only by nonce, `frame-ancestors 'none'`, `form-action 'self'` plus the sign-in
 * providers' origins, `base-uri 'none'`), `Referrer-Policy: no-referrer`,
 * `Cache-Control: no-store`, `X-Frame-Options: DENY` and `nosniff`; every inline `<script>` and
 * `<style>` carries that response's nonce, and no markup has inline event handlers or `style=`.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHarness, type Harness } from '../fixtures/auth-harness.ts';
import { cspNonce, pageBrowser } from '../fixtures/pages.ts';

/** Every GET page, and the answers that are not a page of their own. */
const PAGES = [
  '/sign-in',
  '/sign-in?returnTo=%2Faccount',
  '/two-factor',
  '/sign-up',
  '/forgot-password',
  '/signed-out',
  '/verify-email',
  '/verify-email?token=x',
  '/reset-password',
  '/reset-password?token=x',
  '/confirm-email',
  '/confirm-email?token=x',
  '/sign-in?lang=de',
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
  assert.equal(headers.get('cache-control'), 'no-store', label);
  assert.equal(headers.get('x-frame-options'), 'DENY', label);
  assert.equal(headers.get('x-content-type-options'), 'nosniff', label);
  return nonce;
}

function assertInlineCodeHasNonce(html: string, nonce: string, label: string): void {
  for (const tag of html.matchAll(/<(script|style)\b([^>]*)>/g)) {
    assert.match(
      tag[2] ?? '',
      new RegExp(`nonce="${nonce.replace(/[+/=]/g, '\\$&')}"`),
      `${label}: <${tag[1]}> has the nonce`,
    );
  }
  assert.doesNotMatch(html, /\son[a-z]+=/i, `${label}: no inline event handler`);
  assert.doesNotMatch(html, /\sstyle="/i, `${label}: no style attribute`);
  assert.doesNotMatch(html, /javascript:/i, `${label}: no javascript: URL`);
}

describe('pages: security headers', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({
      config: {
        ui: { enabled: true, colors: { accent: '#0b5394' }, logoUrl: 'https://cdn.example.test/logo.svg' },
        oauth: {
          providers: {
            acme: { kind: 'oidc', issuer: 'https://id.acme.test', clientId: 'c', clientSecret: 's' },
          },
        },
      },
    });
  });
  after(() => h.close());

  for (const path of PAGES) {
    it(`${path}: the headers, and every inline script or style by nonce`, async () => {
      const page = await pageBrowser(h.auth).get(path);
      const nonce = assertPageHeaders(page.headers, path);
      assertInlineCodeHasNonce(page.html, nonce, path);
    });
  }

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

  it('error answers carry the headers too: a refused form and a redirect', async () => {
    const browser = pageBrowser(h.auth);
    const refused = await browser.post('/sign-in', { email: 'a@example.test' });
    assert.equal(refused.status, 403);
    assertPageHeaders(refused.headers, 'refused form');
    const redirect = await h.auth.fetch(new Request('https://auth.example.test/'));
    assert.equal(redirect.status, 303);
    assertPageHeaders(redirect.headers, 'redirect');
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
