/**
 * Threat: a foreign site makes the browser post one of the pages' forms (login CSRF, signing
 * the person out, spending a mail-link token, mailing a reset link in their name), or a page
 * is made to accept a form from a copy of another browser's token.
 *
 * Invariant: every POST to a page route needs the `_csrf` token that is the keyed digest of
 * the browser's own `gh_form` cookie AND an allowed Origin (or `Origin: null`, what a
 * no-referrer page's own post carries, with `Sec-Fetch-Site: same-origin`); otherwise it answers 403 "This
 * form has expired" and the JSON API is never called (no session, no mail, no token spent).
 * The JSON API keeps refusing form bodies (415).
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';
import { type PageBrowser, pageBrowser, type SubmitOptions } from '../fixtures/pages.ts';

/** Every form of the pages: where it posts, the page it is on, what it sends. */
interface FormCase {
  readonly name: string;
  /** A browser on the page, and the values its form is sent with. */
  prepare(h: Harness): Promise<{ browser: PageBrowser; page: string; values: Record<string, string> }>;
}

async function signedIn(h: Harness): Promise<PageBrowser> {
  const email = uniqueEmail('csrf');
  await h.register(email);
  const browser = pageBrowser(h.auth);
  const account = await browser.submit(await browser.get('/sign-in'), { email, password: GOOD_PASSWORD });
  assert.equal(account.path, '/account');
  return browser;
}

const FORMS: readonly FormCase[] = [
  {
    name: 'sign-in',
    async prepare(h) {
      const email = uniqueEmail('csrf');
      await h.register(email);
      return { browser: pageBrowser(h.auth), page: '/sign-in', values: { email, password: GOOD_PASSWORD } };
    },
  },
  {
    name: 'two-factor',
    prepare: async (h) => ({ browser: pageBrowser(h.auth), page: '/two-factor', values: { code: '123456' } }),
  },
  {
    name: 'sign-up',
    prepare: async (h) => ({
      browser: pageBrowser(h.auth),
      page: '/sign-up',
      values: { email: uniqueEmail('csrf'), password: GOOD_PASSWORD },
    }),
  },
  {
    name: 'forgot-password',
    async prepare(h) {
      const email = uniqueEmail('csrf');
      await h.register(email);
      return { browser: pageBrowser(h.auth), page: '/forgot-password', values: { email } };
    },
  },
  {
    name: 'verify-email',
    async prepare(h) {
      const email = uniqueEmail('csrf');
      await h.register(email, { verify: false });
      const token = await h.verifyTokenFor(email);
      return {
        browser: pageBrowser(h.auth),
        page: `/verify-email?token=${encodeURIComponent(token)}`,
        values: {},
      };
    },
  },
  {
    name: 'reset-password',
    async prepare(h) {
      const email = uniqueEmail('csrf');
      await h.register(email);
      await h.post('/auth/forgot-password', { email });
      const mail = await h.mailTo(email, { subject: /reset/i });
      const token = /[?&]token=([^\s&]+)/.exec(mail.text)?.[1] ?? '';
      return {
        browser: pageBrowser(h.auth),
        page: `/reset-password?token=${token}`,
        values: { password: 'another long passphrase 99' },
      };
    },
  },
  {
    name: 'confirm-email',
    async prepare(h) {
      const email = uniqueEmail('csrf');
      const newEmail = uniqueEmail('csrf-new');
      await h.register(email);
      const { accessToken } = await h.login(email);
      await h.post(
        '/users/me/change-email',
        { newEmail, currentPassword: GOOD_PASSWORD },
        { token: accessToken },
      );
      const token = /[?&]token=([^\s&]+)/.exec((await h.mailTo(newEmail)).text)?.[1] ?? '';
      return { browser: pageBrowser(h.auth), page: `/confirm-email?token=${token}`, values: {} };
    },
  },
  {
    name: 'sign-out',
    prepare: async (h) => ({ browser: await signedIn(h), page: '/account', values: {} }),
  },
];

/** How a forged post differs from the page's own. */
const FORGERIES: readonly { readonly name: string; options(h: Harness): Promise<SubmitOptions> }[] = [
  { name: 'without the token', options: async () => ({ csrf: null }) },
  {
    name: 'with a made-up token',
    options: async () => ({ csrf: 'k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }),
  },
  {
    name: "with another browser's valid token",
    async options(h) {
      const other = await pageBrowser(h.auth).get('/sign-in');
      return { csrf: other.forms[0]?.fields._csrf ?? '' };
    },
  },
  { name: 'from a foreign Origin', options: async () => ({ origin: 'https://evil.example' }) },
  { name: 'from Origin null without Sec-Fetch-Site', options: async () => ({ origin: 'null' }) },
  {
    name: 'from Origin null and Sec-Fetch-Site: cross-site (a sandboxed frame)',
    options: async () => ({ origin: 'null', headers: { 'sec-fetch-site': 'cross-site' } }),
  },
  { name: 'without Origin, Sec-Fetch-Site or Referer', options: async () => ({ origin: null }) },
  {
    name: 'with Sec-Fetch-Site: cross-site and no Origin',
    options: async () => ({ origin: null, headers: { 'sec-fetch-site': 'cross-site' } }),
  },
  { name: 'without the form cookie', options: async () => ({ withoutCookies: true }) },
];

describe('pages: cross-site form posts are refused and do nothing', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ config: { ui: { enabled: true } } });
  });
  after(() => h.close());

  for (const form of FORMS) {
    for (const forgery of FORGERIES) {
      it(`${form.name}, ${forgery.name}: 403 and nothing happens`, async () => {
        const { browser, page, values } = await form.prepare(h);
        const shown = await browser.get(page);
        const action = shown.forms.find((f) => f.action !== '/sign-out' || form.name === 'sign-out');
        assert.ok(action, `the page ${page} has a form`);
        const mailBefore = h.mail.length;
        const sessionCookiesBefore = browser.cookies.get('__Host-gh_session');
        const answer = await browser.submit(shown, values, {
          ...(await forgery.options(h)),
          action: action.action,
        });
        assert.equal(answer.status, 403, `${answer.status}: ${answer.heading}`);
        assert.equal(answer.heading, 'This form has expired');
        assert.equal(
          answer.headers.getSetCookie().some((c) => c.startsWith('__Host-gh_session=')),
          false,
          'no session set or cleared',
        );
        assert.equal(browser.cookies.get('__Host-gh_session'), sessionCookiesBefore);
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(h.mail.length, mailBefore, 'no mail was sent');
        // The same form, sent as the page sent it, still works afterwards: nothing was spent.
        const real = await browser.submit(await browser.get(page), values, { action: action.action });
        assert.notEqual(real.heading, 'This form has expired');
        assert.notEqual(real.heading, 'This link has expired or was already used');
      });
    }
  }

  it("a page's own post as browsers send it under no-referrer (Origin: null, Sec-Fetch-Site: same-origin) is accepted", async () => {
    const email = uniqueEmail('csrf');
    await h.register(email);
    const browser = pageBrowser(h.auth);
    const page = await browser.get('/sign-in');
    const account = await browser.submit(
      page,
      { email, password: GOOD_PASSWORD },
      { origin: 'null', headers: { 'sec-fetch-site': 'same-origin' } },
    );
    assert.equal(account.path, '/account', account.heading);
  });

  it('a page refuses a JSON body (only forms post to pages)', async () => {
    const browser = pageBrowser(h.auth);
    const page = await browser.get('/sign-in');
    const response = await h.auth.fetch(
      new Request('https://auth.example.test/sign-in', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          origin: 'https://auth.example.test',
          cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        },
        body: JSON.stringify({ ...page.forms[0]?.fields, email: 'a@example.test', password: GOOD_PASSWORD }),
      }),
    );
    assert.equal(response.status, 400);
    assert.equal(
      response.headers.getSetCookie().some((c) => c.startsWith('__Host-gh_session=')),
      false,
    );
  });

  it('the JSON API still refuses form bodies (415), so a cross-site form cannot reach it', async () => {
    const email = uniqueEmail('csrf');
    await h.register(email);
    const response = await h.auth.fetch(
      new Request('https://auth.example.test/auth/session', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://auth.example.test' },
        body: new URLSearchParams({ email, password: GOOD_PASSWORD }).toString(),
      }),
    );
    assert.equal(response.status, 415);
  });
});
