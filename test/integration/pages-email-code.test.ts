/**
 * The hosted pages of email sign-in codes: offered on the sign-in page only when turned on; the
 * address page, then the code page, signs in; the mailed link's page never signs in on GET (a
 * mail scanner's prefetch), and its button does, in the browser that asked; opened in another
 * browser it asks for the code from the same mail; a user with 2FA goes on to the 2FA step.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';
import { codeMailedTo } from '../fixtures/email-code.ts';
import { type PageBrowser, pageBrowser, summaryOf, textOf } from '../fixtures/pages.ts';
import { codeAt, createTestClock, enableTwoFactor, type TestClock } from '../fixtures/two-factor.ts';

let h: Harness;
let clock: TestClock;

/** A verified account, and a browser that asked for its code on the pages. */
async function asked(email = uniqueEmail('pages-code')): Promise<{ email: string; browser: PageBrowser }> {
  if (!(await h.auth.api.users.findByEmail(email))) {
    await h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
  }
  const browser = pageBrowser(h.auth);
  const signIn = await browser.get('/sign-in');
  assert.match(signIn.html, /href="\/sign-in\/email-code"/, 'the sign-in page offers a code by email');
  const entry = await browser.submit(await browser.get('/sign-in/email-code'), { email });
  assert.equal(entry.status, 200);
  assert.ok(
    entry.forms.some((form) => 'code' in form.fields),
    'the code page asks for the code',
  );
  return { email, browser };
}

before(async () => {
  clock = createTestClock();
  h = await createHarness({
    config: { ui: { enabled: true }, emailCode: { enabled: true }, clock: clock.config },
  });
});
after(() => h.close());

describe('hosted pages: email sign-in codes', () => {
  it('address → code → the account page; a wrong code is shown next to the field', async () => {
    const { email, browser } = await asked();
    const entry = await browser.get('/sign-in/email-code');
    const codePage = await browser.submit(entry, { email });
    const fresh = await codeMailedTo(h, email, 1);
    const wrong = fresh.code === '000000' ? '111111' : '000000';
    const again = await browser.submit(codePage, { code: wrong });
    assert.equal(again.status, 400);
    assert.match(summaryOf(again.html).join(' '), /not correct/);
    // A wrong code spends one of the code's attempts: the right one still signs in.
    const done = await browser.submit(again, { code: fresh.code });
    assert.equal(done.path, '/account', done.html);
  });

  it("the link: a scanner's GETs spend nothing, the button in the asking browser signs in", async () => {
    const { email, browser } = await asked();
    const { token } = await codeMailedTo(h, email);
    const link = `/email-code?token=${token}`;
    const scanner = pageBrowser(h.auth);
    assert.equal((await scanner.get(link)).status, 200);
    assert.equal((await scanner.get(link)).status, 200);
    const page = await browser.get(link);
    assert.equal(page.heading, 'Sign in from your email');
    const done = await browser.submit(page, {});
    assert.equal(done.path, '/account', done.html);
  });

  it('the link in another browser asks for the code from the same mail, then signs in there', async () => {
    const { email } = await asked();
    const { token, code } = await codeMailedTo(h, email);
    const phone = pageBrowser(h.auth);
    const page = await phone.get(`/email-code?token=${token}`);
    const needsCode = await phone.submit(page, {});
    assert.equal(needsCode.status, 400);
    assert.match(textOf(needsCode.html), /another browser/);
    const done = await phone.submit(needsCode, { code });
    assert.equal(done.path, '/account', done.html);
  });

  it('a user with 2FA goes on to the 2FA step, and the TOTP code finishes it', async () => {
    const user = await enableTwoFactor(h, clock);
    const { browser } = await asked(user.email);
    const codePage = await browser.submit(await browser.get('/sign-in/email-code'), { email: user.email });
    const step = await browser.submit(codePage, { code: (await codeMailedTo(h, user.email, 1)).code });
    assert.equal(step.path, '/two-factor', step.html);
    const done = await browser.submit(step, { code: codeAt(clock, user.seed) });
    assert.equal(done.path, '/account', done.html);
  });

  it('is not offered, and its pages do not exist, when email codes are off', async () => {
    const off = await createHarness({ config: { ui: { enabled: true } } });
    try {
      const browser = pageBrowser(off.auth);
      assert.doesNotMatch((await browser.get('/sign-in')).html, /email-code/);
      assert.equal((await browser.get('/sign-in/email-code')).status, 404);
    } finally {
      await off.close();
    }
  });
});
