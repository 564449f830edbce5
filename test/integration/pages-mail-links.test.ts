/**
 * The pages mail links open. A GET (a mail scanner, a link preview) never spends a token: the
 * person's POST afterwards still works. A used or expired link shows the expired page with
 * what to do next. A reset by link ends every session the account had.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';
import { pageBrowser, summaryOf, textOf } from '../fixtures/pages.ts';
import { createTestClock, type TestClock } from '../fixtures/two-factor.ts';

const NEW_PASSWORD = 'a brand new passphrase for the pages 7';

/** The path and query of the link in a message. */
function linkPath(text: string): string {
  const match = /https:\/\/auth\.example\.test(\/[^\s]+)/.exec(text);
  assert.ok(match?.[1], 'the message holds a link');
  return match[1];
}

describe('hosted pages: mail links', () => {
  let h: Harness;
  let clock: TestClock;
  before(async () => {
    clock = createTestClock();
    h = await createHarness({ config: { ui: { enabled: true }, clock: clock.config } });
  });
  after(() => h.close());

  async function resetLinkFor(email: string): Promise<string> {
    const browser = pageBrowser(h.auth);
    const sent = await browser.submit(await browser.get('/forgot-password'), { email });
    assert.equal(sent.heading, 'Check your email');
    return linkPath((await h.mailTo(email, { subject: /reset/i })).text);
  }

  it('forgot → a prefetch of the reset link → the person resets → every old session is dead', async () => {
    const email = uniqueEmail('reset');
    await h.register(email);
    const bearer = await h.login(email);
    const old = pageBrowser(h.auth);
    await old.submit(await old.get('/sign-in'), { email, password: GOOD_PASSWORD });
    assert.equal((await old.get('/account')).path, '/account');

    const link = await resetLinkFor(email);
    assert.ok(link.startsWith('/reset-password?token='), link);
    const scanner = pageBrowser(h.auth);
    assert.equal((await scanner.get(link)).heading, 'Choose a new password');
    assert.equal((await scanner.get(link)).heading, 'Choose a new password');

    const person = pageBrowser(h.auth);
    const form = await person.get(link);
    const done = await person.submit(form, { password: NEW_PASSWORD });
    assert.equal(done.heading, 'Your password has been changed', done.html);

    assert.equal((await old.get('/account')).path, '/sign-in', 'the cookie session from before is over');
    assert.equal(
      (await h.get('/users/me', { token: bearer.accessToken })).status,
      401,
      'so is the bearer session',
    );
    const signedIn = await person.submit(await person.get('/sign-in'), { email, password: NEW_PASSWORD });
    assert.equal(signedIn.path, '/account');

    const again = await person.submit(await person.get(link), { password: `${NEW_PASSWORD} again` });
    assert.equal(again.heading, 'This link has expired or was already used');
    assert.match(again.html, /href="\/forgot-password"/, 'it says where to ask for a new link');
  });

  it('a reset link past its lifetime shows the expired page', async () => {
    const email = uniqueEmail('expired');
    await h.register(email);
    const link = await resetLinkFor(email);
    clock.advance(31 * 60 * 1000);
    const browser = pageBrowser(h.auth);
    const page = await browser.submit(await browser.get(link), { password: NEW_PASSWORD });
    assert.equal(page.heading, 'This link has expired or was already used');
  });

  it('a verification link used twice: the second time shows the expired page with a form for a new link', async () => {
    const browser = pageBrowser(h.auth);
    const email = uniqueEmail('verify');
    await browser.submit(await browser.get('/sign-up'), { email, password: GOOD_PASSWORD });
    const link = linkPath((await h.mailTo(email, { subject: /^Verify your email/ })).text);
    const first = await browser.submit(await browser.get(link), {});
    assert.equal(first.heading, 'Your email address is confirmed');
    const second = await browser.submit(await browser.get(link), {});
    assert.equal(second.heading, 'This link has expired or was already used');
    const resend = second.forms.find((f) => f.fields.intent === 'resend');
    assert.ok(resend, 'the expired page offers a new link');
  });

  it('a mail-link page without its token says to open the link from the email', async () => {
    const page = await pageBrowser(h.auth).get('/reset-password');
    assert.equal(page.status, 400);
    assert.match(textOf(page.html), /needs the link from your email/);
  });

  it('change of email: a prefetch of the confirmation link changes nothing; the button does', async () => {
    const email = uniqueEmail('old');
    const newEmail = uniqueEmail('new');
    await h.register(email);
    const { accessToken } = await h.login(email);
    const asked = await h.post(
      '/users/me/change-email',
      { newEmail, currentPassword: GOOD_PASSWORD },
      { token: accessToken },
    );
    assert.equal(asked.status, 202, asked.text);
    const link = linkPath((await h.mailTo(newEmail)).text);
    assert.ok(link.startsWith('/confirm-email?token='), link);
    const browser = pageBrowser(h.auth);
    const shown = await browser.get(link);
    assert.equal(shown.heading, 'Confirm your new email address');
    assert.ok(await h.auth.api.users.findByEmail(email), 'nothing changed on GET');
    const done = await browser.submit(shown, {});
    assert.equal(done.heading, 'Your email address has been changed', done.html);
    assert.ok(await h.auth.api.users.findByEmail(newEmail));
    const again = await browser.submit(await browser.get(link), {});
    assert.equal(again.heading, 'This link has expired or was already used');
  });

  it('a forgot-password request answers the same for an unknown address', async () => {
    const browser = pageBrowser(h.auth);
    const page = await browser.submit(await browser.get('/forgot-password'), {
      email: uniqueEmail('nobody'),
    });
    assert.equal(page.status, 200);
    assert.equal(page.heading, 'Check your email');
    assert.deepEqual(summaryOf(page.html), []);
  });
});
