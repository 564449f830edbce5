/**
 * The sign-in side of the hosted pages, driven with plain requests and a cookie jar: sign up,
 * verify by the mailed link (a prefetch first), sign in, the 2FA step (TOTP and a recovery
 * code), the account page, sign out; `returnTo` obeys the redirect rules; errors come from
 * the catalogue next to their field.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';
import { fieldErrorOf, type PageBrowser, pageBrowser, summaryOf } from '../fixtures/pages.ts';
import {
  codeAt,
  createTestClock,
  enableTwoFactor,
  type TestClock,
  wrongCode,
} from '../fixtures/two-factor.ts';

/** The path and query of the first link in a message. */
function linkPath(text: string): string {
  const match = /https:\/\/auth\.example\.test(\/[^\s]+)/.exec(text);
  assert.ok(match?.[1], 'the message holds a link');
  return match[1];
}

async function signIn(browser: PageBrowser, email: string, password = GOOD_PASSWORD, path = '/sign-in') {
  const page = await browser.get(path);
  return browser.submit(page, { email, password });
}

describe('hosted pages: sign-in side', () => {
  let h: Harness;
  let clock: TestClock;
  before(async () => {
    clock = createTestClock();
    h = await createHarness({ config: { ui: { enabled: true }, clock: clock.config } });
  });
  after(() => h.close());

  it('/ sends a signed-out browser to the sign-in page', async () => {
    const browser = pageBrowser(h.auth);
    const page = await browser.get('/');
    assert.equal(page.path, '/sign-in');
    assert.equal(page.status, 200);
    assert.equal(page.heading, 'Sign in');
  });

  it('sign up → a prefetch of the link changes nothing → the button verifies → sign in → account → sign out', async () => {
    const browser = pageBrowser(h.auth);
    const email = uniqueEmail('pages');
    const signUp = await browser.get('/sign-up');
    const sent = await browser.submit(signUp, { email, password: GOOD_PASSWORD, name: 'Ada' });
    assert.equal(sent.status, 200, sent.html);
    assert.equal(sent.heading, 'Check your email');

    const link = linkPath((await h.mailTo(email, { subject: /^Verify your email/ })).text);
    assert.ok(link.startsWith('/verify-email?token='), link);
    // A mail scanner fetches the link (twice): a page with a button, nothing spent.
    const scanner = pageBrowser(h.auth);
    await scanner.get(link);
    const shown = await browser.get(link);
    assert.equal(shown.heading, 'Confirm your email address');
    assert.equal((await h.auth.api.users.findByEmail(email))?.emailVerified, false);
    const verified = await browser.submit(shown, {});
    assert.equal(verified.heading, 'Your email address is confirmed', verified.html);
    assert.equal((await h.auth.api.users.findByEmail(email))?.emailVerified, true);

    const account = await signIn(browser, email);
    assert.equal(account.path, '/account');
    assert.match(account.html, new RegExp(`Signed in as ${email.replace(/[.+]/g, '\\$&')}`));
    assert.equal((await browser.get('/')).path, '/account', 'signed in, / goes to the account page');

    const signedOut = await browser.submit(account, {}, { action: '/sign-out' });
    assert.equal(signedOut.path, '/signed-out');
    assert.equal(signedOut.heading, 'You are signed out');
    assert.equal((await browser.get('/account')).path, '/sign-in', 'the session is over');
  });

  it('a wrong password is shown next to the password field and in the summary; the email stays filled in', async () => {
    const email = uniqueEmail('pages');
    await h.register(email);
    const browser = pageBrowser(h.auth);
    const page = await signIn(browser, email, 'not the password at all');
    assert.equal(page.status, 401);
    assert.equal(page.path, '/sign-in');
    assert.deepEqual(summaryOf(page.html), ['The email address or password is not correct.']);
    assert.equal(fieldErrorOf(page.html, 'password'), 'The email address or password is not correct.');
    assert.equal(page.forms[0]?.fields.email, email);
    assert.equal(page.forms[0]?.fields.password, '', 'a password is never written back');
  });

  it('returnTo: a path is followed after sign-in, another origin is not', async () => {
    const email = uniqueEmail('pages');
    await h.register(email);
    const browser = pageBrowser(h.auth);
    const kept = await signIn(browser, email, GOOD_PASSWORD, '/sign-in?returnTo=%2Fsigned-out%3Fx%3D1');
    assert.equal(kept.path, '/signed-out');

    const other = pageBrowser(h.auth);
    const page = await other.get('/sign-in?returnTo=https%3A%2F%2Fevil.example%2F');
    const landed = await other.submit(page, { email, password: GOOD_PASSWORD });
    assert.equal(landed.path, '/account');
  });

  it('with TOTP on: password, then the code step; a wrong code is refused next to the field', async () => {
    const user = await enableTwoFactor(h, clock);
    const browser = pageBrowser(h.auth);
    const step = await signIn(browser, user.email);
    assert.equal(step.path, '/two-factor');
    assert.equal(step.heading, 'Two-step verification');
    assert.equal((await browser.get('/account')).path, '/sign-in', 'no session before the second factor');

    const again = await browser.get('/two-factor');
    const refused = await browser.submit(again, { code: wrongCode(clock, user.seed) });
    assert.equal(refused.status, 400);
    assert.equal(fieldErrorOf(refused.html, 'code'), 'The code is not correct, or has already been used.');

    const done = await browser.submit(refused, { code: codeAt(clock, user.seed) });
    assert.equal(done.path, '/account', done.html);
  });

  it('with TOTP on: a recovery code finishes the sign-in too', async () => {
    const user = await enableTwoFactor(h, clock);
    const browser = pageBrowser(h.auth);
    const step = await signIn(browser, user.email);
    const done = await browser.submit(step, { code: String(user.recoveryCodes[0]) });
    assert.equal(done.path, '/account', done.html);
  });

  it('the code step without a pending sign-in says to start again', async () => {
    const browser = pageBrowser(h.auth);
    const page = await browser.get('/two-factor');
    const refused = await browser.submit(page, { code: '123456' });
    assert.equal(refused.status, 401);
    assert.match(summaryOf(refused.html)[0] ?? '', /sign-in timed out/);
  });

  it('a weak password at sign-up is explained next to the password field', async () => {
    const browser = pageBrowser(h.auth);
    const page = await browser.submit(await browser.get('/sign-up'), {
      email: uniqueEmail('weak'),
      password: 'short',
    });
    assert.equal(page.status, 422);
    assert.match(fieldErrorOf(page.html, 'password') ?? '', /too short: use at least 15 characters/);
  });
});
