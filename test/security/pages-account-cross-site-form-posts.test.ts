/**
 * Threat: a foreign site makes a signed-in browser post one of the account pages' forms
 * (renaming the person, changing the password or the email address, signing out their other
 * devices, creating an API key for the attacker to read, revoking a key, turning two-step
 * verification on or off, minting new recovery codes).
 *
 * Invariant: every POST to an account page needs the `_csrf` token that is the keyed digest of
 * the browser's own form cookie AND an allowed Origin; otherwise it answers 403 "This form has
 * expired", the JSON API is never called and nothing changes. The same form sent as the page
 * sent it works afterwards (the refusal was the forgery's, not the values').
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';
import { type PageBrowser, pageBrowser, type SubmitOptions } from '../fixtures/pages.ts';
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
  /** Which of its forms (by `intent`, when it has several). */
  readonly intent?: string;
  readonly values: Record<string, string>;
  /** Asserts that the forged post changed nothing. */
  unchanged(): Promise<void>;
}

interface FormCase {
  readonly name: string;
  prepare(h: Harness, clock: TestClock): Promise<Prepared>;
}

async function signedIn(h: Harness): Promise<{ browser: PageBrowser; email: string }> {
  const email = uniqueEmail('account-csrf');
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
];

/** How a forged post differs from the page's own. */
const FORGERIES: readonly { readonly name: string; options(h: Harness): Promise<SubmitOptions> }[] = [
  { name: 'without the token', options: async () => ({ csrf: null }) },
  {
    name: "with another signed-in browser's valid token",
    async options(h) {
      const { browser } = await signedIn(h);
      const page = await browser.get('/account/profile');
      return { csrf: page.forms[0]?.fields._csrf ?? '' };
    },
  },
  { name: 'from a foreign Origin', options: async () => ({ origin: 'https://evil.example' }) },
  {
    name: 'from Origin null and Sec-Fetch-Site: cross-site',
    options: async () => ({ origin: 'null', headers: { 'sec-fetch-site': 'cross-site' } }),
  },
  { name: 'without Origin, Sec-Fetch-Site or Referer', options: async () => ({ origin: null }) },
  { name: 'without the cookies', options: async () => ({ withoutCookies: true }) },
];

describe('account pages: cross-site form posts are refused and change nothing', () => {
  let h: Harness;
  let clock: TestClock;
  before(async () => {
    clock = createTestClock();
    h = await createHarness({ config: { ui: { enabled: true }, clock: clock.config } });
  });
  after(() => h.close());

  for (const form of FORMS) {
    for (const forgery of FORGERIES) {
      it(`${form.name}, ${forgery.name}: 403 and nothing changes`, async () => {
        const prepared = await form.prepare(h, clock);
        const { browser } = prepared;
        const shown = await browser.get(prepared.page);
        const target = shown.forms.find((f) =>
          prepared.intent ? f.fields.intent === prepared.intent : f.action === prepared.page,
        );
        assert.ok(target, `the page ${prepared.page} has the form`);
        const options = await forgery.options(h);
        const session = browser.cookies.get('__Host-gh_session');
        const mailBefore = h.mail.length;
        const body: Record<string, string> = { ...target.fields, ...prepared.values };
        if (options.csrf === null) delete body._csrf;
        else if (options.csrf !== undefined) body._csrf = options.csrf;
        const answer = await browser.post(target.action, body, options);
        assert.equal(answer.status, 403, `${answer.status}: ${answer.heading}`);
        assert.equal(answer.heading, 'This form has expired');
        assert.equal(
          answer.headers.getSetCookie().some((c) => c.startsWith('__Host-gh_session=')),
          false,
          'no session set or cleared',
        );
        assert.equal(browser.cookies.get('__Host-gh_session'), session);
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(h.mail.length, mailBefore, 'no mail was sent');
        await prepared.unchanged();

        // The page's own post still goes through.
        const again = await browser.get(prepared.page);
        const own = again.forms.find((f) =>
          prepared.intent ? f.fields.intent === prepared.intent : f.action === prepared.page,
        );
        assert.ok(own);
        const real = await browser.post(own.action, { ...own.fields, ...prepared.values });
        assert.notEqual(real.status, 403, real.heading);
      });
    }
  }
});
