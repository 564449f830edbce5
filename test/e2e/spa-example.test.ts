/**
 * examples/spa as a reader uses it: `node examples/spa/server.ts` in a real process, its page
 * in headless Chromium, driven through the page's own forms. Sign up, open the verification
 * link from the mail (it points at the SPA, which finishes the verification), sign in with the
 * cookie transport, see the user and the session list, sign out; switch to the bearer transport
 * and sign in again; and, once the account has TOTP, pass the two-factor step with a real code.
 * Last, the README's cross-origin recipe: the page served alone ($GATEHOUSE_API_URL) against a
 * Hono example on another port that lists the page's origin in GATEHOUSE_CORS_ORIGINS.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { GOOD_PASSWORD } from '../fixtures/auth-harness.ts';
import { type LaunchedBrowser, launchBrowser, screenshotOnFailure } from '../fixtures/browser.ts';
import { type RunningExample, registerVerified, startExample } from '../fixtures/example-process.ts';
import { findFreePort } from '../fixtures/free-port.ts';
import { linkFromMailDir } from '../fixtures/mail.ts';
import { codeOfStep, enrollOverHttp, wallClockStep } from '../fixtures/two-factor.ts';

const EMAIL = `spa-${randomUUID().slice(0, 8)}@example.com`;

let browser: LaunchedBrowser | undefined;
let example: RunningExample | undefined;
/** The README's cross-origin pair: the API (a Hono example) and the page alone. */
const crossOrigin: RunningExample[] = [];
let page: Page;
let shotsDir = '';

before(
  async () => {
    shotsDir = await mkdtemp(join(tmpdir(), 'gatehouse-e2e-spa-shots-'));
    [browser, example] = await Promise.all([
      launchBrowser(),
      // The page is opened at 127.0.0.1: that is the origin the example must trust.
      startExample('spa', { env: (port) => ({ GATEHOUSE_BASE_URL: `http://127.0.0.1:${port}` }) }),
    ]);
    page = await browser.newPage();
  },
  { timeout: 40_000 },
);

after(async () => {
  await browser?.close();
  await example?.stop();
  for (const running of crossOrigin) await running.stop();
  const shots = shotsDir ? await readdir(shotsDir).catch(() => []) : ['none'];
  if (shots.length === 0) await rm(shotsDir, { recursive: true, force: true });
});

/** Waits (bounded by the browser's action timeout) until the status line reads `text`. */
async function statusIs(text: string): Promise<void> {
  await page.locator('#status').filter({ hasText: text }).waitFor();
}

async function signIn(): Promise<void> {
  await page.fill('#sign-in [name=email]', EMAIL);
  await page.fill('#sign-in [name=password]', GOOD_PASSWORD);
  await page.click('#sign-in button');
}

function step(name: string, run: () => Promise<void>): Promise<void> {
  return screenshotOnFailure(page, join(shotsDir, `${name}.png`), run);
}

describe('examples/spa in Chromium', { timeout: 30_000 }, () => {
  it('sign up, verify from the mailed link, sign in (cookie), see the user and sessions, sign out', async () => {
    await step('sign-up', async () => {
      await page.goto(`${example!.base}/`);
      await statusIs('cookie · signed-out');
      await page.fill('#sign-up [name=email]', EMAIL);
      await page.fill('#sign-up [name=password]', GOOD_PASSWORD);
      await page.click('#sign-up button');
      await page.locator('#message').filter({ hasText: 'Check your mail' }).waitFor();
    });
    await step('verify', async () => {
      // The mailed link points at the SPA's own page (else this waits in vain and fails).
      const link = await linkFromMailDir(example!.mailDir, EMAIL, `${example!.base}/verify-email`);
      await page.goto(link);
      await page.locator('#message').filter({ hasText: 'Email verified' }).waitFor();
      assert.equal(new URL(page.url()).search, '', 'the token stayed in the address bar');
    });
    await step('sign-in-cookie', async () => {
      await signIn();
      await statusIs('cookie · signed-in');
      assert.equal(await page.textContent('#user-email'), EMAIL);
      await page.locator('#sessions li').first().waitFor();
      const sessions = await page.locator('#sessions li').allTextContents();
      assert.equal(sessions.length, 1);
      assert.match(sessions[0] ?? '', /^\(this one\)/);
      // A reload keeps the cookie session: the store asks the server and finds the user.
      await page.reload();
      await statusIs('cookie · signed-in');
    });
    await step('sign-out', async () => {
      await page.click('#sign-out');
      await statusIs('cookie · signed-out');
      await page.reload();
      await statusIs('cookie · signed-out');
    });
  });

  it('switched to the bearer transport: signs in with tokens; wrong passwords are told apart', async () => {
    await step('bearer', async () => {
      await page.selectOption('#transport', 'bearer');
      await statusIs('bearer · signed-out');
      await page.fill('#sign-in [name=email]', EMAIL);
      await page.fill('#sign-in [name=password]', `${GOOD_PASSWORD}-wrong`);
      await page.click('#sign-in button');
      await page.locator('#message').filter({ hasText: 'Wrong email or password.' }).waitFor();
      await signIn();
      await statusIs('bearer · signed-in');
      assert.equal(await page.textContent('#user-email'), EMAIL);
      await page.click('#sign-out');
      await statusIs('bearer · signed-out');
    });
  });

  it('an account with TOTP: sign-in shows the two-factor step, a real code completes it', async () => {
    const user = await enrollOverHttp(
      `${example!.base}/api`,
      { email: EMAIL, password: GOOD_PASSWORD },
      { confirmOffset: -1 },
    );
    await step('two-factor', async () => {
      await page.selectOption('#transport', 'cookie');
      await statusIs('cookie · signed-out');
      await signIn();
      await statusIs('cookie · two-factor-required');
      assert.equal(await page.isVisible('#two-factor'), true);
      await page.fill('#two-factor-form [name=code]', codeOfStep(user.seed, wallClockStep()));
      await page.click('#two-factor-form button');
      await statusIs('cookie · signed-in');
      assert.equal(await page.textContent('#user-2fa'), 'on');
    });
  });

  it('cross origin, as the README shows: the page alone, the API on another port with CORS', async () => {
    const [apiPort, pagePort] = [await findFreePort(), await findFreePort()];
    const pageOrigin = `http://127.0.0.1:${pagePort}`;
    const [api, alone] = await Promise.all([
      startExample('hono', {
        port: apiPort,
        env: { GATEHOUSE_BASE_URL: `http://127.0.0.1:${apiPort}`, GATEHOUSE_CORS_ORIGINS: pageOrigin },
      }),
      startExample('spa', {
        port: pagePort,
        env: { GATEHOUSE_API_URL: `http://127.0.0.1:${apiPort}/api` },
        readyPath: '/',
      }),
    ]);
    crossOrigin.push(api, alone);
    const email = `spa-cors-${randomUUID().slice(0, 8)}@example.com`;
    await registerVerified(`${api.base}/api`, api.mailDir, email);
    await step('cross-origin', async () => {
      await page.goto(`${pageOrigin}/`);
      await page.selectOption('#transport', 'cookie');
      await statusIs('cookie · signed-out');
      await page.fill('#sign-in [name=email]', email);
      await page.fill('#sign-in [name=password]', GOOD_PASSWORD);
      await page.click('#sign-in button');
      await statusIs('cookie · signed-in');
      assert.equal(await page.textContent('#user-email'), email);
      await page.locator('#sessions li').first().waitFor();
      // The page's own server has no API: every call went to the other origin.
      const served = await fetch(`${pageOrigin}/api/users/me`);
      assert.equal(served.status, 404);
      await page.click('#sign-out');
      await statusIs('cookie · signed-out');
    });
  });
});
