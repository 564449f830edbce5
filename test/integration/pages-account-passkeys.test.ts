/**
 * The passkeys section of the account pages, without a browser: listed on the overview when
 * passkeys are on (and absent when they are off); without JavaScript the page says a passkey
 * needs it (the add form is hidden until the script finds WebAuthn, and the script runs only by
 * the response's CSP nonce); adding one past the step-up window asks for a code (a wrong one is
 * refused beside the field), then shows the ceremony page with the API's creation options for
 * this account; an unknown passkey cannot be renamed or removed.
 * @see issue #17
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';
import { cspNonce, decodeEntities, fieldErrorOf, pageBrowser, summaryOf } from '../fixtures/pages.ts';
import {
  codeAt,
  createTestClock,
  enableTwoFactor,
  type TestClock,
  wrongCode,
} from '../fixtures/two-factor.ts';

describe('hosted pages: the passkeys section', () => {
  let h: Harness;
  let clock: TestClock;
  before(async () => {
    clock = createTestClock();
    h = await createHarness({ config: { ui: { enabled: true }, clock: clock.config } });
  });
  after(() => h.close());

  async function signedIn() {
    const email = uniqueEmail('passkeys-page');
    await h.register(email);
    const browser = pageBrowser(h.auth);
    await browser.submit(await browser.get('/sign-in'), { email, password: GOOD_PASSWORD });
    return { browser, email };
  }

  it('without JavaScript: the page says so, the add form stays hidden, the script runs by nonce only', async () => {
    const { browser } = await signedIn();
    assert.match((await browser.get('/account')).html, /href="\/account\/passkeys"/);
    const page = await browser.get('/account/passkeys');
    assert.equal(page.status, 200);
    assert.equal(page.heading, 'Passkeys');
    assert.match(page.html, /You have no passkeys\./);
    assert.match(
      page.html,
      /<p data-passkey-unsupported>Adding a passkey needs JavaScript and a browser that supports passkeys\.<\/p>/,
    );
    assert.match(page.html, /<div data-passkey-add hidden><form method="post" action="\/account\/passkeys"/);
    const nonce = cspNonce(page.headers);
    assert.ok(nonce);
    assert.match(
      page.html,
      new RegExp(
        `<script nonce="${nonce.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}" src="/assets/passkeys-[0-9a-f]{12}\\.js" defer>`,
      ),
    );
  });

  it('add: past the step-up window a code is asked (a wrong one refused), then the ceremony page carries the options', async () => {
    const user = await enableTwoFactor(h, clock, { emailLabel: 'passkeys-2fa' });
    const browser = pageBrowser(h.auth);
    const step = await browser.submit(await browser.get('/sign-in'), {
      email: user.email,
      password: GOOD_PASSWORD,
    });
    assert.equal((await browser.submit(step, { code: codeAt(clock, user.seed) })).path, '/account');
    clock.advance(6 * 60_000);

    const list = await browser.get('/account/passkeys');
    const asked = await browser.submit(list, { name: 'Phone' }, { action: '/account/passkeys' });
    assert.equal(asked.status, 403);
    assert.equal(asked.heading, 'Confirm it is you');
    assert.equal(asked.forms[0]?.fields.intent, 'add');
    assert.equal(asked.forms[0]?.fields.name, 'Phone');
    const wrong = await browser.submit(asked, { stepUpCode: wrongCode(clock, user.seed) });
    assert.equal(
      fieldErrorOf(wrong.html, 'stepUpCode'),
      'The code is not correct, or has already been used.',
    );

    const ceremony = await browser.submit(wrong, { stepUpCode: codeAt(clock, user.seed) });
    assert.equal(ceremony.status, 200);
    assert.equal(ceremony.heading, 'Create your passkey');
    const block =
      /<div id="passkey-register" hidden data-api="([^"]*)" data-options="([^"]*)" data-name="([^"]*)" data-done="([^"]*)">/.exec(
        ceremony.html,
      );
    assert.ok(block, 'the ceremony block');
    const options = JSON.parse(decodeEntities(block[2] ?? ''));
    assert.equal(options.user.name, user.email);
    assert.equal(typeof options.challenge, 'string');
    assert.equal(block[3], 'Phone');
    assert.equal(decodeEntities(block[4] ?? ''), '/account/passkeys?done=added');
  });

  it('rename and remove: a passkey that is not the account’s is refused, and nothing else changes', async () => {
    const { browser } = await signedIn();
    const list = await browser.get('/account/passkeys');
    const csrf = list.forms[0]?.fields._csrf ?? '';
    const renamed = await browser.post('/account/passkeys', {
      _csrf: csrf,
      intent: 'rename',
      id: 'nope',
      name: 'X',
    });
    assert.equal(renamed.status, 404);
    assert.deepEqual(summaryOf(renamed.html), ['That passkey does not exist.']);
    const removed = await browser.post('/account/passkeys', { _csrf: csrf, intent: 'remove', id: 'nope' });
    assert.equal(removed.status, 404);
    assert.deepEqual(summaryOf(removed.html), ['That passkey does not exist.']);
    assert.equal((await browser.get('/account/passkeys?rename=nope')).heading, 'Passkeys', 'no rename form');
  });

  it('passkeys off: no section, no link', async () => {
    const off = await createHarness({ config: { ui: { enabled: true }, passkeys: { enabled: false } } });
    try {
      const email = uniqueEmail('no-passkeys');
      await off.register(email);
      const browser = pageBrowser(off.auth);
      await browser.submit(await browser.get('/sign-in'), { email, password: GOOD_PASSWORD });
      assert.doesNotMatch((await browser.get('/account')).html, /\/account\/passkeys/);
      assert.equal(off.auth.pages.handles('/account/passkeys'), false);
    } finally {
      await off.close();
    }
  });
});
