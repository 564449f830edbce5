/**
 * The hosted pages in real Chromium against one real `gatehouse serve` (development mode,
 * SQLite in a temp dir, mail written as `.eml` files): a person goes through the pages alone,
 * from the first mail on, reading links from the mail files. Keyboard only for one sign-in.
 * axe-core checks every page, light and dark, English and German (WCAG 2.2 A/AA): no serious
 * or critical violation.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { describeViolations, seriousViolations } from '../fixtures/axe.ts';
import { type LaunchedBrowser, launchBrowser, screenshotOnFailure } from '../fixtures/browser.ts';
import { findFreePort } from '../fixtures/free-port.ts';
import { linkFromMailDir } from '../fixtures/mail.ts';
import { type ServerProcess, spawnServer } from '../fixtures/spawn-server.ts';
import { codeOfStep, enrollOverHttp } from '../fixtures/two-factor.ts';

const PASSWORD = 'harbour-Violet-lantern-73';
const NEW_PASSWORD = 'orchard-Copper-meadow-58';

let root = '';
let mailDir = '';
let baseUrl = '';
let server: ServerProcess;
let browser: LaunchedBrowser;

/** The newest link to `path` in a mail to `to`, waiting for the file transport to write it. */
const linkFromMail = (to: string, path: string): Promise<string> =>
  linkFromMailDir(mailDir, to, `${baseUrl}${path}`);

async function fill(page: Page, values: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(values)) await page.fill(`#field-${name}`, value);
}

async function submit(page: Page): Promise<void> {
  await Promise.all([
    page.waitForURL(() => true, { waitUntil: 'load' }),
    page.click('main form button[type=submit]'),
  ]);
}

const pathOf = (page: Page) => new URL(page.url()).pathname;
const heading = (page: Page) => page.textContent('h1');

describe('hosted pages in Chromium', { timeout: 120_000 }, () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gatehouse-pages-e2e-'));
    mailDir = join(root, 'mail');
    const port = await findFreePort();
    baseUrl = `http://127.0.0.1:${port}`;
    server = await spawnServer({
      env: {
        GATEHOUSE_MODE: 'development',
        GATEHOUSE_DATA_DIR: join(root, 'data'),
        GATEHOUSE_BASE_URL: baseUrl,
        GATEHOUSE_MAIL_URL: pathToFileURL(mailDir).href,
        PORT: String(port),
      },
    });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.kill();
    await rm(root, { recursive: true, force: true });
  });

  it('sign up → verify by the mailed link → sign in → the 2FA step → sign out → forgot → reset → old sessions dead', async () => {
    const page = await browser.newPage();
    await screenshotOnFailure(page, join(root, 'journey.png'), async () => {
      const email = `pat.${Date.now()}@example.com`;
      await page.goto(`${baseUrl}/`);
      assert.equal(pathOf(page), '/sign-in', "the server's root is the sign-in page");
      await page.click('a[href="/sign-up"]');
      await fill(page, { name: 'Pat', email, password: PASSWORD });
      await submit(page);
      assert.equal(await heading(page), 'Check your email');

      await page.goto(await linkFromMail(email, '/verify-email'));
      assert.equal(await heading(page), 'Confirm your email address');
      await submit(page);
      assert.equal(await heading(page), 'Your email address is confirmed');

      const twoFactor = await enrollOverHttp(baseUrl, { email, password: PASSWORD });
      await page.goto(`${baseUrl}/sign-in`);
      await fill(page, { email, password: PASSWORD });
      await submit(page);
      assert.equal(pathOf(page), '/two-factor');
      await fill(page, { code: codeOfStep(twoFactor.seed, twoFactor.confirmedStep + 1) });
      await submit(page);
      assert.equal(pathOf(page), '/account');
      const cookies = await browser.context.cookies(baseUrl);
      const session = cookies.find((c) => c.name === '__Host-gh_session');
      assert.ok(session, 'a cookie session');

      await page.click('main form button[type=submit]');
      await page.waitForURL(`${baseUrl}/signed-out`);
      assert.equal(await heading(page), 'You are signed out');

      // The same account signed in elsewhere (a recovery code this time), then a reset by link.
      await page.goto(`${baseUrl}/sign-in`);
      await fill(page, { email, password: PASSWORD });
      await submit(page);
      await fill(page, { code: String(twoFactor.recoveryCodes[0]) });
      await submit(page);
      assert.equal(pathOf(page), '/account');
      const before = (await browser.context.cookies(baseUrl)).find((c) => c.name === '__Host-gh_session');
      assert.ok(before);

      const other = await browser.newPage();
      await other.goto(`${baseUrl}/forgot-password`);
      await fill(other, { email });
      await submit(other);
      assert.equal(await heading(other), 'Check your email');
      await other.goto(await linkFromMail(email, '/reset-password'));
      await fill(other, { password: NEW_PASSWORD });
      await submit(other);
      assert.equal(await heading(other), 'Your password has been changed');
      await other.close();

      const me = await fetch(`${baseUrl}/users/me`, {
        headers: { cookie: `${before.name}=${before.value}` },
      });
      assert.equal(me.status, 401, 'the session from before the reset is dead');
      await page.goto(`${baseUrl}/account`);
      assert.equal(pathOf(page), '/sign-in');
    });
    await page.close();
  });

  it('keyboard only: Tab to each field, type, Enter on the button', async () => {
    const email = `kim.${Date.now()}@example.com`;
    const made = await fetch(`${baseUrl}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    assert.ok(made.status === 201 || made.status === 202);
    const verifyLink = await linkFromMail(email, '/verify-email');
    const page = await browser.newPage();
    await screenshotOnFailure(page, join(root, 'keyboard.png'), async () => {
      await page.goto(verifyLink);
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() =>
        /confirmed/.test(String((globalThis as { document?: { title: string } }).document?.title)),
      );
      await page.goto(`${baseUrl}/sign-in?returnTo=%2Faccount`);
      await page.keyboard.press('Tab');
      assert.equal(
        await page.evaluate(
          () =>
            (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement
              .id,
        ),
        'field-email',
      );
      await page.keyboard.type(email);
      await page.keyboard.press('Tab');
      await page.keyboard.type(PASSWORD);
      await page.keyboard.press('Tab');
      await page.keyboard.press('Space');
      await page.keyboard.press('Tab');
      await Promise.all([page.waitForURL(`${baseUrl}/account`), page.keyboard.press('Enter')]);
      assert.match((await page.textContent('main')) ?? '', new RegExp(email.replace(/[.]/g, '\\.')));
      const session = (await browser.context.cookies(baseUrl)).find((c) => c.name === '__Host-gh_session');
      assert.ok(
        session && session.expires > Date.now() / 1000,
        '"keep me signed in" made the cookie persistent',
      );
      await page.click('main form button[type=submit]');
      await page.waitForURL(`${baseUrl}/signed-out`);
    });
    await page.close();
  });

  it('axe-core runs: a page with an unlabelled input and no language is reported', async () => {
    const page = await browser.newPage();
    await page.setContent(
      '<!doctype html><html><head><title>t</title></head><body><main><input type="text"></main></body></html>',
    );
    const found = (await seriousViolations(page)).map((v) => v.id).sort();
    assert.ok(found.includes('label') && found.includes('html-has-lang'), found.join(', '));
    await page.close();
  });

  it('axe-core: no serious or critical violation on any page, light and dark, English and German', async () => {
    const email = `axe.${Date.now()}@example.com`;
    await fetch(`${baseUrl}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    const verifyLink = await linkFromMail(email, '/verify-email');
    const page = await browser.newPage();
    const failures: string[] = [];
    /** Each page, reached as a person reaches it (some after a form with an error). */
    const visits: { name: string; go: (lang: string) => Promise<void> }[] = [
      { name: 'sign-in', go: (lang) => page.goto(`${baseUrl}/sign-in?lang=${lang}`).then(() => {}) },
      {
        name: 'sign-in with an error',
        async go(lang) {
          await page.goto(`${baseUrl}/sign-in?lang=${lang}`);
          await fill(page, { email, password: 'not the password' });
          await submit(page);
        },
      },
      { name: 'two-factor', go: (lang) => page.goto(`${baseUrl}/two-factor?lang=${lang}`).then(() => {}) },
      { name: 'sign-up', go: (lang) => page.goto(`${baseUrl}/sign-up?lang=${lang}`).then(() => {}) },
      {
        name: 'sign-up with a weak password',
        async go(lang) {
          await page.goto(`${baseUrl}/sign-up?lang=${lang}`);
          await fill(page, { email: `weak.${Date.now()}@example.com`, password: 'short' });
          await submit(page);
        },
      },
      {
        name: 'forgot-password',
        go: (lang) => page.goto(`${baseUrl}/forgot-password?lang=${lang}`).then(() => {}),
      },
      {
        name: 'forgot-password sent',
        async go(lang) {
          await page.goto(`${baseUrl}/forgot-password?lang=${lang}`);
          await fill(page, { email: 'nobody@example.com' });
          await submit(page);
        },
      },
      { name: 'verify-email', go: (lang) => page.goto(`${verifyLink}&lang=${lang}`).then(() => {}) },
      {
        name: 'verify-email without a token',
        go: (lang) => page.goto(`${baseUrl}/verify-email?lang=${lang}`).then(() => {}),
      },
      {
        name: 'reset-password',
        go: (lang) => page.goto(`${baseUrl}/reset-password?token=x&lang=${lang}`).then(() => {}),
      },
      {
        name: 'reset-password expired',
        async go(lang) {
          await page.goto(`${baseUrl}/reset-password?token=x&lang=${lang}`);
          await fill(page, { password: NEW_PASSWORD });
          await submit(page);
        },
      },
      {
        name: 'confirm-email',
        go: (lang) => page.goto(`${baseUrl}/confirm-email?token=x&lang=${lang}`).then(() => {}),
      },
      { name: 'signed-out', go: (lang) => page.goto(`${baseUrl}/signed-out?lang=${lang}`).then(() => {}) },
    ];
    await screenshotOnFailure(page, join(root, 'axe.png'), async () => {
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        for (const lang of ['en', 'de']) {
          for (const visit of visits) {
            await visit.go(lang);
            assert.equal(await page.getAttribute('html', 'lang'), lang, `${visit.name} speaks ${lang}`);
            const violations = await seriousViolations(page);
            if (violations.length > 0)
              failures.push(`${visit.name} (${scheme}, ${lang}):\n${describeViolations(violations)}`);
          }
        }
      }
      assert.deepEqual(failures, [], failures.join('\n\n'));
    });
    await page.close();
  });
});
