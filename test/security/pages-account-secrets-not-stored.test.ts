/**
 * Threats: a secret the account pages show once (the TOTP secret and its QR code, the recovery
 * codes, a new API key) kept by a shared cache or the back/forward history of a shared
 * computer, leaked through the Referer, read by an injected script, or the page framed by
 * another site to trick a click (turning 2FA off, revoking a session).
 *
 * Invariant: every account page, signed in, and every answer that shows a secret carries
 * `Cache-Control: no-store`, `Referrer-Policy: no-referrer` and a CSP with a fresh nonce
 * (`script-src` by nonce only, `frame-ancestors 'none'`); each inline `<script>` (the copy
 * button's) carries that nonce, and no markup (the QR code's SVG included) has an inline event
 * handler, a `style` attribute or a `javascript:` URL.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { base32Decode } from '../../src/crypto/base32.ts';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';
import { cspNonce, type PageAnswer, type PageBrowser, pageBrowser } from '../fixtures/pages.ts';
import { codeAt, createTestClock, type TestClock } from '../fixtures/two-factor.ts';

function assertProtected(answer: PageAnswer, label: string): void {
  const { headers, html } = answer;
  const csp = headers.get('content-security-policy') ?? '';
  const nonce = cspNonce(headers);
  assert.ok(nonce && nonce.length >= 22, `${label}: a nonce`);
  assert.match(csp, new RegExp(`(^|; )script-src 'nonce-${nonce.replace(/[+/=]/g, '\\$&')}'(;|$)`), label);
  assert.match(csp, /(^|; )frame-ancestors 'none'(;|$)/, label);
  assert.match(csp, /(^|; )default-src 'none'(;|$)/, label);
  assert.equal(headers.get('cache-control'), 'no-store', `${label}: never stored`);
  assert.equal(headers.get('referrer-policy'), 'no-referrer', label);
  assert.equal(headers.get('x-frame-options'), 'DENY', label);
  for (const tag of html.matchAll(/<(script|style)\b([^>]*)>/g)) {
    assert.ok((tag[2] ?? '').includes(`nonce="${nonce}"`), `${label}: <${tag[1]}> has the nonce`);
  }
  assert.doesNotMatch(html, /\son[a-z]+=/i, `${label}: no inline event handler`);
  assert.doesNotMatch(html, /\sstyle="/i, `${label}: no style attribute`);
  assert.doesNotMatch(html, /javascript:/i, `${label}: no javascript: URL`);
}

describe('account pages: secrets are never stored, and no page runs code without its nonce', () => {
  let h: Harness;
  let clock: TestClock;
  let browser: PageBrowser;
  before(async () => {
    clock = createTestClock();
    h = await createHarness({ config: { ui: { enabled: true }, clock: clock.config } });
    const email = uniqueEmail('secrets');
    await h.register(email);
    browser = pageBrowser(h.auth);
    await browser.submit(await browser.get('/sign-in'), { email, password: GOOD_PASSWORD });
  });
  after(() => h.close());

  for (const section of [
    '',
    '/profile',
    '/password',
    '/email',
    '/sessions',
    '/two-factor',
    '/providers',
    '/api-keys',
  ]) {
    it(`/account${section}: the headers, and inline code only by nonce`, async () => {
      const page = await browser.get(`/account${section}`);
      assert.equal(page.path, `/account${section}`);
      assertProtected(page, `/account${section}`);
    });
  }

  it('the enrolment (secret and QR code), the recovery codes and a new API key', async () => {
    const enrol = await browser.submit(await browser.get('/account/two-factor'), {
      currentPassword: GOOD_PASSWORD,
    });
    assert.match(enrol.html, /<svg /);
    assertProtected(enrol, 'enrolment');
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(enrol.html)?.[1] ?? '';
    const codes = await browser.submit(enrol, { code: codeAt(clock, base32Decode(secret)) });
    assert.match(codes.html, /id="recovery-codes"/);
    assert.match(codes.html, /<script nonce=/, 'the copy button has its script');
    assertProtected(codes, 'recovery codes');
    const keys = await browser.get('/account/api-keys');
    const created = await browser.submit(keys, { name: 'secret page' }, { action: '/account/api-keys' });
    assert.match(created.html, /id="new-api-key">gh_/);
    assertProtected(created, 'new API key');
  });
});
