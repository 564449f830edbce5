/**
 * Email sign-in codes through the hosted pages in real Chromium against one real `gatehouse
 * serve` (development mode, SQLite in a temp dir, `GATEHOUSE_EMAIL_CODE=true`, mail written as
 * `.eml` files): a person asks for a code from the sign-in page and types it; asks again and
 * opens the mailed link in the same browser after a mail scanner fetched it twice (a GET spends
 * nothing; the button signs in); and opens a link in a browser without the binding cookie,
 * where the page asks for the code from the same mail. axe-core checks each of these pages.
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
import { codeFromMailDir } from '../fixtures/email-code.ts';
import { findFreePort } from '../fixtures/free-port.ts';
import { runGatehouse, type ServerProcess, spawnServer } from '../fixtures/spawn-server.ts';

const PASSWORD = 'harbour-Violet-lantern-73';

let root = '';
let mailDir = '';
let baseUrl = '';
let server: ServerProcess;
let browser: LaunchedBrowser;

const pathOf = (page: Page) => new URL(page.url()).pathname;
/** Pages checked with axe-core on the way (WCAG 2.2 A/AA): no serious or critical violation. */
const accessibility: string[] = [];

async function checkAccessibility(page: Page, name: string): Promise<void> {
  const violations = await seriousViolations(page);
  if (violations.length > 0) accessibility.push(`${name}:\n${describeViolations(violations)}`);
}

async function submit(page: Page, selector = 'main form button[type=submit]'): Promise<void> {
  await Promise.all([page.waitForURL(() => true, { waitUntil: 'load' }), page.click(selector)]);
}

/** From the sign-in page to the code page: the person types the address. */
async function askForCode(page: Page, email: string): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await Promise.all([page.waitForURL(/\/sign-in\/email-code/), page.click('a[href="/sign-in/email-code"]')]);
  await checkAccessibility(page, 'address page');
  await page.fill('#field-email', email);
  await submit(page);
  assert.ok(await page.isVisible('#field-code'), 'the code page asks for the code');
  await checkAccessibility(page, 'code page');
}

describe('email sign-in codes through the pages in Chromium', { timeout: 120_000 }, () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gatehouse-email-code-e2e-'));
    mailDir = join(root, 'mail');
    const port = await findFreePort();
    baseUrl = `http://localhost:${port}`;
    const env = {
      GATEHOUSE_MODE: 'development',
      GATEHOUSE_DATA_DIR: join(root, 'data'),
      GATEHOUSE_BASE_URL: baseUrl,
      GATEHOUSE_MAIL_URL: pathToFileURL(mailDir).href,
      GATEHOUSE_EMAIL_CODE: 'true',
      PORT: String(port),
    };
    server = await spawnServer({ env });
    browser = await launchBrowser();
    const created = await runGatehouse(['create-user', '--email', 'sam@example.com', '--verified'], {
      env,
      input: `${PASSWORD}\n`,
    });
    assert.equal(created.code, 0, created.stderr);
  });
  after(async () => {
    await browser?.close();
    await server?.kill();
    await rm(root, { recursive: true, force: true });
  });

  it('code typed → signed in; the link after a scanner prefetch → signed in; the link elsewhere → asks for the code', async () => {
    const page = await browser.newPage();
    await screenshotOnFailure(page, join(root, 'email-code.png'), async () => {
      const email = 'sam@example.com';

      await askForCode(page, email);
      const first = await codeFromMailDir(mailDir, email);
      await page.fill('#field-code', first.code);
      await submit(page);
      assert.equal(pathOf(page), '/account');

      await browser.context.clearCookies();
      await askForCode(page, email);
      const second = await codeFromMailDir(mailDir, email, 1);
      assert.notEqual(second.token, first.token);
      const link = `${baseUrl}/email-code?token=${second.token}`;
      for (let scan = 0; scan < 2; scan++)
        assert.equal((await fetch(link)).status, 200, 'a scanner fetches the link');
      await page.goto(link);
      assert.equal(await page.textContent('h1'), 'Sign in from your email');
      await checkAccessibility(page, 'link page');
      await submit(page);
      assert.equal(pathOf(page), '/account', 'the link signs in where the code was asked');

      await browser.context.clearCookies();
      await askForCode(page, email);
      const third = await codeFromMailDir(mailDir, email, 2);
      // Another browser: no binding cookie.
      await browser.context.clearCookies();
      await page.goto(`${baseUrl}/email-code?token=${third.token}`);
      await submit(page);
      assert.ok(await page.isVisible('#field-code'), 'without the cookie the page asks for the code');
      await checkAccessibility(page, 'link page asking for the code');
      await page.fill('#field-code', third.code);
      await submit(page);
      assert.equal(pathOf(page), '/account');
      assert.deepEqual(accessibility, [], accessibility.join('\n'));
    });
  });
});
