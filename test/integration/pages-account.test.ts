/**
 * The account pages, driven with plain requests and a cookie jar: the overview and each
 * section (profile, password, email, sessions, two-step verification with its QR code and
 * recovery codes, API keys) does what it says through the API's own routes; a step-up is asked
 * for where the API wants one and the action goes through once it is given; pages that show a
 * secret are never stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { base32Decode } from '../../src/crypto/base32.ts';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';
import {
  decodeEntities,
  fieldErrorOf,
  formsOf,
  type PageAnswer,
  type PageBrowser,
  pageBrowser,
  summaryOf,
  textOf,
} from '../fixtures/pages.ts';
import { codeAt, createTestClock, type TestClock, TOTP_STEP_MS, wrongCode } from '../fixtures/two-factor.ts';

/** The step-up window of the configuration below, and a little more. */
const STEP_UP_WINDOW_MS = 300_000;
const PAST_THE_WINDOW_MS = STEP_UP_WINDOW_MS + 60_000;

async function signIn(browser: PageBrowser, email: string, password = GOOD_PASSWORD): Promise<PageAnswer> {
  const page = await browser.submit(await browser.get('/sign-in'), { email, password });
  assert.equal(page.path, '/account', page.html);
  return page;
}

async function signedInBrowser(h: Harness, label = 'account', userAgent?: string) {
  const email = uniqueEmail(label);
  const { userId } = await h.register(email);
  const browser = pageBrowser(h.auth);
  if (userAgent) {
    const page = await browser.get('/sign-in', { 'user-agent': userAgent });
    const account = await browser.submit(
      page,
      { email, password: GOOD_PASSWORD },
      { headers: { 'user-agent': userAgent } },
    );
    assert.equal(account.path, '/account');
  } else {
    await signIn(browser, email);
  }
  return { browser, email, userId };
}

/** The entries of a section's list (sessions, providers, keys). */
const itemsOf = (html: string): string[] =>
  (/<ul class="items">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '').split('<li>').slice(1);

const secretOf = (html: string): string => {
  const match = /<code class="secret" id="totp-secret">([A-Z2-7]+)<\/code>/.exec(html);
  assert.ok(match?.[1], 'the enrolment page shows the secret as text');
  return match[1];
};

const recoveryCodesOf = (html: string): string[] => {
  const list = /<ol class="codes" id="recovery-codes">([\s\S]*?)<\/ol>/.exec(html)?.[1] ?? '';
  return [...list.matchAll(/<code>([^<]+)<\/code>/g)].map((m) => decodeEntities(m[1]!));
};

/** Turns two-step verification on from the pages; answers the seed and the recovery codes. */
async function enrolFromPages(browser: PageBrowser, clock: TestClock) {
  const start = await browser.get('/account/two-factor');
  const enrol = await browser.submit(start, { currentPassword: GOOD_PASSWORD });
  assert.equal(enrol.status, 200, enrol.html);
  const seed = base32Decode(secretOf(enrol.html));
  const codes = await browser.submit(enrol, { code: codeAt(clock, seed) });
  assert.equal(codes.heading, 'Save your recovery codes', codes.html);
  clock.advance(3 * TOTP_STEP_MS);
  return { seed, enrol, codes, recoveryCodes: recoveryCodesOf(codes.html) };
}

describe('hosted pages: the account', () => {
  let h: Harness;
  let clock: TestClock;
  before(async () => {
    clock = createTestClock();
    h = await createHarness({
      config: {
        ui: { enabled: true },
        clock: clock.config,
        apiKeys: { scopes: ['reports:read'] },
        twoFactor: { stepUpWindowSeconds: STEP_UP_WINDOW_MS / 1000 },
      },
    });
  });
  after(() => h.close());

  it('a signed-out browser is sent to sign in and brought back to the section it asked for', async () => {
    const browser = pageBrowser(h.auth);
    const page = await browser.get('/account/api-keys');
    assert.equal(page.path, '/sign-in');
    const email = uniqueEmail('account');
    await h.register(email);
    const back = await browser.submit(page, { email, password: GOOD_PASSWORD });
    assert.equal(back.path, '/account/api-keys');
    assert.equal(back.heading, 'API keys');
  });

  it('the overview links every section', async () => {
    const { browser, email } = await signedInBrowser(h);
    const page = await browser.get('/account');
    assert.match(page.html, new RegExp(`Signed in as ${email.replace(/[.+]/g, '\\$&')}`));
    for (const section of ['profile', 'password', 'email', 'sessions', 'two-factor', 'api-keys']) {
      assert.match(page.html, new RegExp(`href="/account/${section}"`), section);
      const shown = await browser.get(`/account/${section}`);
      assert.equal(shown.status, 200, section);
      assert.equal(shown.path, `/account/${section}`);
    }
  });

  it('profile: the name is saved, and emptied', async () => {
    const { browser, email } = await signedInBrowser(h);
    const page = await browser.get('/account/profile');
    const saved = await browser.submit(page, { name: 'Ada Lovelace' });
    assert.equal(saved.path, '/account/profile');
    assert.match(saved.html, /Your profile was saved\./);
    assert.equal(saved.forms[0]?.fields.name, 'Ada Lovelace');
    assert.equal((await h.auth.api.users.findByEmail(email))?.name, 'Ada Lovelace');
    await browser.submit(saved, { name: '' });
    assert.equal((await h.auth.api.users.findByEmail(email))?.name, null);
  });

  it('password: a wrong current password and a weak new one are refused next to their fields; a good change signs out the other sessions', async () => {
    const { browser, email } = await signedInBrowser(h);
    const other = pageBrowser(h.auth);
    await signIn(other, email);

    const page = await browser.get('/account/password');
    assert.match(page.html, /autocomplete="current-password"/);
    assert.match(page.html, /autocomplete="new-password"/);
    const wrong = await browser.submit(page, {
      currentPassword: 'not my password',
      newPassword: 'a brand new passphrase 7',
    });
    assert.equal(wrong.status, 401);
    assert.equal(fieldErrorOf(wrong.html, 'currentPassword'), 'Your current password is not correct.');
    assert.deepEqual(summaryOf(wrong.html), ['Your current password is not correct.']);

    const weak = await browser.submit(wrong, { currentPassword: GOOD_PASSWORD, newPassword: 'short' });
    assert.equal(weak.status, 422);
    assert.match(fieldErrorOf(weak.html, 'newPassword') ?? '', /too short/);

    const changed = await browser.submit(weak, {
      currentPassword: GOOD_PASSWORD,
      newPassword: 'a brand new passphrase 7',
    });
    assert.equal(changed.path, '/account/password');
    assert.match(changed.html, /Your password was changed/);
    assert.equal((await browser.get('/account')).path, '/account', 'this browser stays signed in');
    assert.equal((await other.get('/account')).path, '/sign-in', 'the other session ended');
    await signIn(pageBrowser(h.auth), email, 'a brand new passphrase 7');
  });

  it('email: a link goes to the new address; its page confirms the change', async () => {
    const { browser, email } = await signedInBrowser(h);
    const newEmail = uniqueEmail('moved');
    const page = await browser.get('/account/email');
    const wrong = await browser.submit(page, { newEmail, currentPassword: 'wrong password here' });
    assert.equal(fieldErrorOf(wrong.html, 'currentPassword'), 'Your current password is not correct.');
    assert.equal(wrong.forms[0]?.fields.newEmail, newEmail, 'the new address stays filled in');

    const sent = await browser.submit(wrong, { newEmail, currentPassword: GOOD_PASSWORD });
    assert.equal(sent.heading, 'Check your new inbox');
    const message = await h.mailTo(newEmail);
    const link = /https:\/\/auth\.example\.test(\/confirm-email\?token=[^\s]+)/.exec(message.text)?.[1];
    assert.ok(link, message.text);
    assert.equal(
      (await h.auth.api.users.findByEmail(email))?.email,
      email,
      'nothing changes before the link',
    );
    const confirm = await browser.get(link);
    const done = await browser.submit(confirm, {});
    assert.equal(done.heading, 'Your email address has been changed', done.html);
    assert.ok(await h.auth.api.users.findByEmail(newEmail));
  });

  it('sessions: this device is marked; another is revoked; then every other one', async () => {
    const { browser, email } = await signedInBrowser(
      h,
      'sessions',
      'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    );
    const phone = pageBrowser(h.auth);
    const phoneAgent =
      'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36';
    await browser.get('/account');
    const signInPage = await phone.get('/sign-in', { 'user-agent': phoneAgent });
    await phone.submit(
      signInPage,
      { email, password: GOOD_PASSWORD },
      { headers: { 'user-agent': phoneAgent } },
    );
    const laptop = pageBrowser(h.auth);
    await signIn(laptop, email);

    const page = await browser.get('/account/sessions');
    const text = textOf(page.html);
    assert.match(text, /Firefox on Linux This device/);
    assert.match(text, /Chrome on Android/);
    assert.equal((page.html.match(/class="badge"/g) ?? []).length, 1, 'one device is this one');
    const revokeForms = page.forms.filter((f) => f.fields.intent === 'revoke');
    assert.equal(revokeForms.length, 2, 'the other two can be revoked; this one signs out instead');

    const phoneItem = itemsOf(page.html).find((item) => item.includes('Chrome on Android'));
    const phoneForm = phoneItem ? formsOf(phoneItem)[0] : undefined;
    assert.ok(phoneForm);
    const revoked = await browser.post(phoneForm.action, phoneForm.fields);
    assert.match(revoked.html, /That device was signed out\./);
    assert.equal((await phone.get('/account')).path, '/sign-in');
    assert.equal((await laptop.get('/account')).path, '/account');

    const everyOther = revoked.forms.find((f) => f.fields.intent === 'revokeOthers');
    assert.ok(everyOther);
    const done = await browser.post(everyOther.action, everyOther.fields);
    assert.match(done.html, /Every other device was signed out\./);
    assert.equal((await laptop.get('/account')).path, '/sign-in');
    assert.equal((await browser.get('/account')).path, '/account');
  });

  it('sessions, step-up without 2FA: a session older than the window asks for the password, which signs in afresh', async () => {
    const { browser, email } = await signedInBrowser(h, 'stale');
    const other = pageBrowser(h.auth);
    await signIn(other, email);
    clock.advance(PAST_THE_WINDOW_MS);

    const page = await browser.get('/account/sessions');
    const everyOther = page.forms.find((f) => f.fields.intent === 'revokeOthers');
    assert.ok(everyOther);
    const asked = await browser.post(everyOther.action, everyOther.fields);
    assert.equal(asked.status, 403);
    assert.equal(asked.heading, 'Confirm it is you');
    assert.equal((await other.get('/account')).path, '/account', 'nothing was revoked');

    const wrong = await browser.submit(asked, { currentPassword: 'not the password' });
    assert.equal(fieldErrorOf(wrong.html, 'currentPassword'), 'Your current password is not correct.');
    const confirmed = await browser.submit(wrong, { currentPassword: GOOD_PASSWORD });
    assert.equal(confirmed.path, '/account/sessions');
    assert.match(confirmed.html, /You can now make the change/);
    assert.equal(itemsOf(confirmed.html).length, 2, 'the stale session was replaced, not added to');

    const fresh = confirmed.forms.find((f) => f.fields.intent === 'revokeOthers');
    assert.ok(fresh);
    const done = await browser.post(fresh.action, fresh.fields);
    assert.match(done.html, /Every other device was signed out\./);
    assert.equal((await other.get('/account')).path, '/sign-in');
  });

  it('two-step verification: enrol with the QR code and the secret, recovery codes once, new codes, turn off', async () => {
    const { browser, email } = await signedInBrowser(h, 'totp');
    const start = await browser.get('/account/two-factor');
    const badPassword = await browser.submit(start, { currentPassword: 'wrong password here' });
    assert.equal(fieldErrorOf(badPassword.html, 'currentPassword'), 'Your current password is not correct.');

    // A wrong first code ends the enrolment: the person starts again.
    const first = await browser.submit(badPassword, { currentPassword: GOOD_PASSWORD });
    const firstSeed = base32Decode(secretOf(first.html));
    const restarted = await browser.submit(first, { code: wrongCode(clock, firstSeed) });
    assert.equal(restarted.status, 400);
    assert.match(summaryOf(restarted.html)[0] ?? '', /start again/);
    assert.equal((await h.auth.api.users.findByEmail(email))?.twoFactorEnabled ?? false, false);

    const { enrol, codes, recoveryCodes, seed } = await enrolFromPages(browser, clock);
    assert.match(
      enrol.html,
      /<div class="qr" role="img" aria-label="[^"]+"><svg xmlns="http:\/\/www.w3.org\/2000\/svg"/,
    );
    assert.match(enrol.html, /href="otpauth:\/\/totp\//);
    assert.match(enrol.html, /autocomplete="one-time-code"/);
    assert.equal(enrol.headers.get('cache-control'), 'no-store');
    assert.equal(codes.headers.get('cache-control'), 'no-store');
    assert.equal(recoveryCodes.length, 10);
    const download = /href="data:text\/plain;charset=utf-8,([^"]+)" download="recovery-codes.txt"/.exec(
      codes.html,
    )?.[1];
    assert.ok(download, 'a download link');
    const file = decodeURIComponent(decodeEntities(download));
    for (const code of recoveryCodes) assert.ok(file.includes(`\n${code}\n`), 'the file lists every code');
    assert.match(
      codes.html,
      /<button type="button" id="copy-secret"[^>]* hidden>/,
      'copy waits for the script',
    );
    assert.equal((await h.auth.api.users.findByEmail(email))?.twoFactorEnabled, true);
    assert.equal(
      (await browser.get('/account')).path,
      '/account',
      'the renewed session cookie was handed over',
    );

    // Signing in again needs the second factor; a recovery code does it.
    const again = pageBrowser(h.auth);
    const step = await again.submit(await again.get('/sign-in'), { email, password: GOOD_PASSWORD });
    assert.equal(step.path, '/two-factor');
    assert.equal((await again.submit(step, { code: recoveryCodes[0]! })).path, '/account');

    const on = await browser.get('/account/two-factor');
    assert.match(on.html, /Two-step verification is on\./);
    const refused = await browser.submit(on, { regenerateCode: wrongCode(clock, seed) });
    assert.equal(
      fieldErrorOf(refused.html, 'regenerateCode'),
      'The code is not correct, or has already been used.',
    );
    assert.equal(fieldErrorOf(refused.html, 'disableCode'), null);
    const fresh = await browser.submit(refused, { regenerateCode: codeAt(clock, seed) });
    const newCodes = recoveryCodesOf(fresh.html);
    assert.equal(newCodes.length, 10);
    assert.ok(!newCodes.includes(recoveryCodes[1]!), 'new codes');
    clock.advance(TOTP_STEP_MS);

    const off = await browser.submit(await browser.get('/account/two-factor'), {
      disableCode: codeAt(clock, seed),
    });
    assert.equal(off.path, '/account/two-factor');
    assert.match(off.html, /Two-step verification is off\./);
    assert.equal((await h.auth.api.users.findByEmail(email))?.twoFactorEnabled, false);
  });

  it('step-up with 2FA: revoking a session, changing the email and creating a key ask for a code past the window', async () => {
    const { browser, email } = await signedInBrowser(h, 'stepup');
    const { seed } = await enrolFromPages(browser, clock);
    const other = pageBrowser(h.auth);
    const step = await other.submit(await other.get('/sign-in'), { email, password: GOOD_PASSWORD });
    await other.submit(step, { code: codeAt(clock, seed) });
    clock.advance(PAST_THE_WINDOW_MS);

    // Sessions: the code page, a wrong code refused, the right one revokes.
    const sessions = await browser.get('/account/sessions');
    const revoke = sessions.forms.find((f) => f.fields.intent === 'revoke');
    assert.ok(revoke);
    const asked = await browser.post(revoke.action, revoke.fields);
    assert.equal(asked.status, 403);
    assert.equal(asked.heading, 'Confirm it is you');
    assert.equal(asked.forms[0]?.fields.id, revoke.fields.id, 'the same action, sent again with the code');
    const wrong = await browser.submit(asked, { stepUpCode: wrongCode(clock, seed) });
    assert.equal(wrong.status, 400);
    assert.equal(
      fieldErrorOf(wrong.html, 'stepUpCode'),
      'The code is not correct, or has already been used.',
    );
    assert.equal((await other.get('/account')).path, '/account', 'not revoked yet');
    const revoked = await browser.submit(wrong, { stepUpCode: codeAt(clock, seed) });
    assert.match(revoked.html, /That device was signed out\./);
    assert.equal((await other.get('/account')).path, '/sign-in');

    // The code made this session fresh for the window; past it, the email form asks again.
    clock.advance(PAST_THE_WINDOW_MS);
    const newEmail = uniqueEmail('stepup-moved');
    const emailPage = await browser.get('/account/email');
    assert.equal(fieldErrorOf(emailPage.html, 'stepUpCode'), null);
    const emailAsked = await browser.submit(emailPage, { newEmail, currentPassword: GOOD_PASSWORD });
    assert.equal(emailAsked.status, 403);
    assert.match(fieldErrorOf(emailAsked.html, 'stepUpCode') ?? '', /authenticator app/);
    const emailSent = await browser.submit(emailAsked, {
      newEmail,
      currentPassword: GOOD_PASSWORD,
      stepUpCode: codeAt(clock, seed),
    });
    assert.equal(emailSent.heading, 'Check your new inbox', emailSent.html);

    clock.advance(PAST_THE_WINDOW_MS);
    const keys = await browser.get('/account/api-keys');
    const keyAsked = await browser.submit(
      keys,
      { name: 'after step-up', expiresInDays: '30' },
      { action: '/account/api-keys' },
    );
    assert.equal(keyAsked.status, 403);
    assert.equal(keyAsked.forms.find((f) => f.fields.intent === 'create')?.fields.name, 'after step-up');
    const created = await browser.submit(
      keyAsked,
      { name: 'after step-up', expiresInDays: '30', stepUpCode: codeAt(clock, seed, 1) },
      { action: '/account/api-keys' },
    );
    assert.equal(created.heading, 'Your new API key', created.html);
  });

  it('API keys: created with a scope and a lifetime, shown once and usable; revoked, it stops working', async () => {
    const { browser, email } = await signedInBrowser(h, 'keys');
    const page = await browser.get('/account/api-keys');
    assert.match(page.html, /<legend>Scopes<\/legend>/);
    assert.match(page.html, /value="reports:read"/);

    const denied = await browser.post('/account/api-keys', {
      ...page.forms.find((f) => f.fields.intent === 'create')!.fields,
      name: 'too much',
      scopes: 'admin',
    });
    assert.equal(denied.status, 400);
    assert.deepEqual(summaryOf(denied.html), ['You cannot give a key one of these scopes.']);
    assert.match(
      denied.html,
      /<fieldset class="field" id="field-scopes" aria-describedby="field-scopes-error">/,
    );

    const created = await browser.submit(
      page,
      { name: 'reports', scopes: 'reports:read', expiresInDays: '30' },
      { action: '/account/api-keys' },
    );
    assert.equal(created.heading, 'Your new API key');
    assert.equal(created.headers.get('cache-control'), 'no-store');
    const apiKey = /<code class="secret" id="new-api-key">([^<]+)<\/code>/.exec(created.html)?.[1] ?? '';
    assert.ok(apiKey.startsWith('gh_'), created.html);
    const me = await h.get('/users/me', { token: apiKey });
    assert.equal(me.status, 200, me.text);

    const list = await browser.get('/account/api-keys');
    assert.ok(!list.html.includes(apiKey), 'the key is never shown again');
    assert.match(textOf(list.html), /Scopes: reports:read/);
    const { accessToken } = await h.login(email);
    const [key] = (await h.get('/users/me/api-keys', { token: accessToken })).body.keys;
    const days = (Date.parse(key.expiresAt) - Date.parse(key.createdAt)) / 86_400_000;
    assert.ok(days > 29.9 && days < 30.1, `expires in 30 days: ${key.expiresAt}`);
    assert.deepEqual(key.scopes, ['reports:read']);
    const revoke = list.forms.find((f) => f.fields.intent === 'revoke');
    assert.ok(revoke);
    const revoked = await browser.post(revoke.action, revoke.fields);
    assert.match(revoked.html, /The key was revoked\./);
    assert.equal((await h.get('/users/me', { token: apiKey })).status, 401);
  });
});
