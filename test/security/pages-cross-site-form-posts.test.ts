/**
 * Threat: a foreign site makes the browser post one of the pages' forms: signed out (login
 * CSRF, spending a mail-link token, mailing a reset link in the person's name), or signed in
 * (signing the person out, renaming them, changing the password or the email address, signing
 * out their other devices, creating an API key for the attacker to read, revoking a key,
 * turning two-step verification on or off, minting new recovery codes, linking the attacker's
 * provider account); or a page is made to accept a form from a copy of another browser's token.
 *
 * Invariant: every POST to a page route needs the `_csrf` token that is the keyed digest of the
 * browser's own form cookie AND an allowed Origin (or `Origin: null`, what a no-referrer page's
 * own post carries, with `Sec-Fetch-Site: same-origin`); otherwise it answers 403 "This form has
 * expired", the JSON API is never called and nothing changes (no session or flow cookie, no
 * mail, no token spent). The same form sent as the page sent it works afterwards. Every POST
 * route auth.pages registers has a case here (a test fails otherwise). The JSON API keeps
 * refusing form bodies (415).
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';
import { mailedCode } from '../fixtures/email-code.ts';
import { type PageBrowser, pageBrowser, pageRoutes, type SubmitOptions } from '../fixtures/pages.ts';
import {
  codeAt,
  createTestClock,
  enableTwoFactor,
  type TestClock,
  TOTP_STEP_MS,
} from '../fixtures/two-factor.ts';

interface Prepared {
  readonly browser: PageBrowser;
  /** The page the form is on. */
  readonly page: string;
  /** Which of its forms (by `intent`, when it has several; else by action, else the first but sign-out's). */
  readonly intent?: string;
  readonly action?: string;
  readonly values: Record<string, string>;
  /** Asserts that the forged post changed nothing (beyond the checks every case gets). */
  unchanged(): Promise<void>;
}

interface FormCase {
  /** The POST page route the form posts to. */
  readonly route: string;
  readonly name: string;
  prepare(h: Harness, clock: TestClock): Promise<Prepared>;
}

/** Cookies a refused form may set: a new form secret (when the post came without one). */
const HARMLESS_COOKIES = ['__Host-gh_form'];
const EXPIRED_FORM = 'This form has expired';
const EXPIRED_LINK = 'This link has expired or was already used';
const nothingMore = async () => {};

async function signedIn(h: Harness): Promise<{ browser: PageBrowser; email: string }> {
  const email = uniqueEmail('csrf');
  await h.register(email);
  const browser = pageBrowser(h.auth);
  const account = await browser.submit(await browser.get('/sign-in'), { email, password: GOOD_PASSWORD });
  assert.equal(account.path, '/account');
  return { browser, email };
}

/** A second browser signed in to the same account: it must stay signed in. */
async function secondDevice(h: Harness, email: string): Promise<PageBrowser> {
  const other = pageBrowser(h.auth);
  assert.equal(
    (await other.submit(await other.get('/sign-in'), { email, password: GOOD_PASSWORD })).path,
    '/account',
  );
  return other;
}

async function stillSignedIn(browser: PageBrowser): Promise<void> {
  assert.equal((await browser.get('/account')).path, '/account', 'the other device is still signed in');
}

/** A browser signed in with TOTP to an account that has it on. */
async function signedInWithTwoFactor(h: Harness, clock: TestClock) {
  const user = await enableTwoFactor(h, clock, { emailLabel: 'account-csrf-2fa' });
  const browser = pageBrowser(h.auth);
  const step = await browser.submit(await browser.get('/sign-in'), {
    email: user.email,
    password: GOOD_PASSWORD,
  });
  assert.equal((await browser.submit(step, { code: codeAt(clock, user.seed) })).path, '/account');
  clock.advance(3 * TOTP_STEP_MS);
  return { browser, user };
}

async function createKey(h: Harness, email: string): Promise<string> {
  const { accessToken } = await h.login(email);
  const created = await h.post('/users/me/api-keys', { name: 'existing' }, { token: accessToken });
  assert.equal(created.status, 201, created.text);
  return String(created.body.apiKey);
}

const FORMS: readonly FormCase[] = [
  {
    route: '/sign-in',
    name: 'sign-in',
    async prepare(h) {
      const email = uniqueEmail('csrf');
      await h.register(email);
      return {
        browser: pageBrowser(h.auth),
        page: '/sign-in',
        values: { email, password: GOOD_PASSWORD },
        unchanged: nothingMore,
      };
    },
  },
  {
    route: '/sign-in/email-code',
    name: 'email-code request',
    async prepare(h) {
      const email = uniqueEmail('csrf');
      await h.register(email);
      return {
        browser: pageBrowser(h.auth),
        page: '/sign-in/email-code',
        values: { email },
        unchanged: nothingMore,
      };
    },
  },
  {
    route: '/email-code',
    name: 'email-code link',
    async prepare(h) {
      const email = uniqueEmail('csrf');
      await h.register(email);
      const browser = pageBrowser(h.auth);
      await browser.submit(await browser.get('/sign-in/email-code'), { email });
      const { token } = mailedCode((await h.mailTo(email, { subject: /sign-in code/ })).text);
      return {
        browser,
        page: `/email-code?token=${token}`,
        values: {},
        // Not signed in (checked for every case); the page's own post afterwards signs in, so
        // the link was not spent.
        unchanged: nothingMore,
      };
    },
  },
  {
    route: '/two-factor',
    name: 'two-factor',
    prepare: async (h) => ({
      browser: pageBrowser(h.auth),
      page: '/two-factor',
      values: { code: '123456' },
      unchanged: nothingMore,
    }),
  },
  {
    route: '/sign-up',
    name: 'sign-up',
    async prepare(h) {
      const email = uniqueEmail('csrf');
      return {
        browser: pageBrowser(h.auth),
        page: '/sign-up',
        values: { email, password: GOOD_PASSWORD },
        async unchanged() {
          assert.equal(await h.auth.api.users.findByEmail(email), null, 'no account was made');
        },
      };
    },
  },
  {
    route: '/forgot-password',
    name: 'forgot-password',
    async prepare(h) {
      const email = uniqueEmail('csrf');
      await h.register(email);
      return {
        browser: pageBrowser(h.auth),
        page: '/forgot-password',
        values: { email },
        unchanged: nothingMore,
      };
    },
  },
  {
    route: '/verify-email',
    name: 'verify-email',
    async prepare(h) {
      const email = uniqueEmail('csrf');
      await h.register(email, { verify: false });
      const token = await h.verifyTokenFor(email);
      return {
        browser: pageBrowser(h.auth),
        page: `/verify-email?token=${encodeURIComponent(token)}`,
        values: {},
        async unchanged() {
          assert.equal((await h.auth.api.users.findByEmail(email))?.emailVerified, false);
        },
      };
    },
  },
  {
    route: '/reset-password',
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
        unchanged: async () => void (await h.login(email, GOOD_PASSWORD)),
      };
    },
  },
  {
    route: '/confirm-email',
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
      return {
        browser: pageBrowser(h.auth),
        page: `/confirm-email?token=${token}`,
        values: {},
        async unchanged() {
          assert.ok(await h.auth.api.users.findByEmail(email), 'the address is still the old one');
        },
      };
    },
  },
  {
    route: '/sign-out',
    name: 'sign-out',
    async prepare(h) {
      const { browser } = await signedIn(h);
      return {
        browser,
        page: '/account',
        action: '/sign-out',
        values: {},
        unchanged: () => stillSignedIn(browser),
      };
    },
  },
  {
    route: '/account/profile',
    name: 'profile',
    async prepare(h) {
      const { browser, email } = await signedIn(h);
      return {
        browser,
        page: '/account/profile',
        values: { name: 'Mallory' },
        async unchanged() {
          assert.equal((await h.auth.api.users.findByEmail(email))?.name, null);
        },
      };
    },
  },
  {
    route: '/account/password',
    name: 'password',
    async prepare(h) {
      const { browser, email } = await signedIn(h);
      const other = await secondDevice(h, email);
      return {
        browser,
        page: '/account/password',
        values: { currentPassword: GOOD_PASSWORD, newPassword: 'chosen by the attacker 42' },
        async unchanged() {
          await stillSignedIn(other);
          await h.login(email, GOOD_PASSWORD);
        },
      };
    },
  },
  {
    route: '/account/email',
    name: 'email',
    async prepare(h) {
      const { browser, email } = await signedIn(h);
      const newEmail = uniqueEmail('attacker');
      return {
        browser,
        page: '/account/email',
        values: { newEmail, currentPassword: GOOD_PASSWORD },
        async unchanged() {
          assert.equal(
            h.mail.some((m) => m.to === newEmail),
            false,
            'no link went to the new address',
          );
          assert.ok(await h.auth.api.users.findByEmail(email));
        },
      };
    },
  },
  {
    route: '/account/sessions',
    name: 'sessions: revoke one',
    async prepare(h) {
      const { browser, email } = await signedIn(h);
      const other = await secondDevice(h, email);
      return {
        browser,
        page: '/account/sessions',
        intent: 'revoke',
        values: {},
        unchanged: () => stillSignedIn(other),
      };
    },
  },
  {
    route: '/account/sessions',
    name: 'sessions: revoke every other',
    async prepare(h) {
      const { browser, email } = await signedIn(h);
      const other = await secondDevice(h, email);
      return {
        browser,
        page: '/account/sessions',
        intent: 'revokeOthers',
        values: {},
        unchanged: () => stillSignedIn(other),
      };
    },
  },
  {
    route: '/account/two-factor',
    name: 'two-factor: start',
    async prepare(h) {
      const { browser, email } = await signedIn(h);
      return {
        browser,
        page: '/account/two-factor',
        intent: 'enable',
        values: { currentPassword: GOOD_PASSWORD },
        async unchanged() {
          assert.equal((await h.auth.api.users.findByEmail(email))?.twoFactorEnabled, false);
        },
      };
    },
  },
  {
    route: '/account/two-factor',
    name: 'two-factor: new recovery codes',
    async prepare(h, clock) {
      const { browser, user } = await signedInWithTwoFactor(h, clock);
      return {
        browser,
        page: '/account/two-factor',
        intent: 'regenerate',
        values: { regenerateCode: user.recoveryCodes[0]! },
        async unchanged() {
          // The code sent was not spent, and it is still one of the account's codes.
          const other = pageBrowser(h.auth);
          const step = await other.submit(await other.get('/sign-in'), {
            email: user.email,
            password: GOOD_PASSWORD,
          });
          assert.equal((await other.submit(step, { code: user.recoveryCodes[0]! })).path, '/account');
        },
      };
    },
  },
  {
    route: '/account/two-factor',
    name: 'two-factor: turn off',
    async prepare(h, clock) {
      const { browser, user } = await signedInWithTwoFactor(h, clock);
      return {
        browser,
        page: '/account/two-factor',
        intent: 'disable',
        values: { disableCode: user.recoveryCodes[0]! },
        async unchanged() {
          assert.equal((await h.auth.api.users.findByEmail(user.email))?.twoFactorEnabled, true);
        },
      };
    },
  },
  {
    route: '/account/api-keys',
    name: 'API keys: create',
    async prepare(h) {
      const { browser } = await signedIn(h);
      return {
        browser,
        page: '/account/api-keys',
        intent: 'create',
        values: { name: 'for the attacker', expiresInDays: '30' },
        async unchanged() {
          const list = await browser.get('/account/api-keys');
          assert.match(list.html, /You have no API keys\./);
        },
      };
    },
  },
  {
    route: '/account/api-keys',
    name: 'API keys: revoke',
    async prepare(h) {
      const { browser, email } = await signedIn(h);
      const apiKey = await createKey(h, email);
      return {
        browser,
        page: '/account/api-keys',
        intent: 'revoke',
        values: {},
        async unchanged() {
          assert.equal((await h.get('/users/me', { token: apiKey })).status, 200, 'the key still works');
        },
      };
    },
  },
  {
    route: '/account/passkeys',
    name: 'passkeys: add (creation options, then the ceremony page)',
    async prepare(h) {
      const { browser } = await signedIn(h);
      return {
        browser,
        page: '/account/passkeys',
        intent: 'add',
        values: { name: 'for the attacker' },
        async unchanged() {
          // No ceremony was started for this session: the list is still what it was.
          const list = await browser.get('/account/passkeys');
          assert.match(list.html, /You have no passkeys\./);
          assert.doesNotMatch(list.html, /id="passkey-register"/);
        },
      };
    },
  },
  {
    route: '/account/providers',
    name: 'providers: link',
    async prepare(h) {
      const { browser } = await signedIn(h);
      return {
        browser,
        page: '/account/providers',
        intent: 'link',
        values: {},
        async unchanged() {
          assert.doesNotMatch((await browser.get('/account/providers')).html, /intent" value="unlink/);
        },
      };
    },
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
  {
    name: "with another signed-in browser's valid token",
    async options(h) {
      const { browser } = await signedIn(h);
      const page = await browser.get('/account/profile');
      return { csrf: page.forms[0]?.fields._csrf ?? '' };
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
  { name: 'without the cookies', options: async () => ({ withoutCookies: true }) },
];

/** The form of the page the case posts. */
function formOf(
  prepared: Prepared,
  forms: readonly { action: string; fields: Readonly<Record<string, string>> }[],
) {
  if (prepared.intent) return forms.find((f) => f.fields.intent === prepared.intent);
  if (prepared.action) return forms.find((f) => f.action === prepared.action);
  return forms.find((f) => f.action !== '/sign-out');
}

describe('pages: cross-site form posts are refused and change nothing', () => {
  let h: Harness;
  let clock: TestClock;
  before(async () => {
    clock = createTestClock();
    h = await createHarness({
      config: {
        ui: { enabled: true },
        clock: clock.config,
        emailCode: { enabled: true },
        // A provider whose link flow needs nothing from the network (its authorize URL is fixed).
        oauth: { providers: { github: { kind: 'github', clientId: 'c', clientSecret: 's' } } },
      },
    });
  });
  after(() => h.close());

  it('every POST route of the pages has a case in the table', () => {
    const covered = new Set(FORMS.map((form) => form.route));
    assert.deepEqual(
      pageRoutes(h.auth).post.filter((route) => !covered.has(route)),
      [],
      'page forms without a cross-site case',
    );
  });

  for (const form of FORMS) {
    for (const forgery of FORGERIES) {
      it(`${form.name}, ${forgery.name}: 403 and nothing changes`, async () => {
        const prepared = await form.prepare(h, clock);
        const { browser } = prepared;
        const target = formOf(prepared, (await browser.get(prepared.page)).forms);
        assert.ok(target, `the page ${prepared.page} has the form`);
        assert.equal(target.action, form.route, 'the case posts to its route');
        const options = await forgery.options(h);
        const session = browser.cookies.get('__Host-gh_session');
        const mailBefore = h.mail.length;
        const body: Record<string, string> = { ...target.fields, ...prepared.values };
        if (options.csrf === null) delete body._csrf;
        else if (options.csrf !== undefined) body._csrf = options.csrf;
        const answer = await browser.post(target.action, body, options);
        assert.equal(answer.status, 403, `${answer.status}: ${answer.heading}`);
        assert.equal(answer.heading, EXPIRED_FORM);
        const set = answer.headers.getSetCookie().map((c) => c.slice(0, c.indexOf('=')));
        assert.deepEqual(
          set.filter((name) => !HARMLESS_COOKIES.includes(name)),
          [],
          'no session or flow cookie set or cleared',
        );
        assert.equal(browser.cookies.get('__Host-gh_session'), session);
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(h.mail.length, mailBefore, 'no mail was sent');
        await prepared.unchanged();

        // The page's own post still goes through: the refusal was the forgery's, not the values'.
        const own = formOf(prepared, (await browser.get(prepared.page)).forms);
        assert.ok(own);
        const real = await browser.post(own.action, { ...own.fields, ...prepared.values });
        assert.notEqual(real.status, 403, real.heading);
        assert.notEqual(real.heading, EXPIRED_FORM);
        assert.notEqual(real.heading, EXPIRED_LINK);
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
