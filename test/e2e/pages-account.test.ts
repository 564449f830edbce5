/**
 * The account pages in real Chromium against one real `gatehouse serve` (development mode,
 * SQLite in a temp dir, mail written as `.eml` files), driven through the pages alone: sign in,
 * turn on two-step verification from the page (the QR code, screenshotted and decoded, is the
 * same `otpauth://` URI as the link beside it, and the secret shown as text gives the code with
 * `oathtool`), save the recovery codes (download and copy), sign out, sign in with TOTP, then
 * with a recovery code, change the email address and confirm it by the mailed link, revoke
 * another session, create an API key and revoke it, sign out. axe-core checks every account
 * page, light and dark, English and German (WCAG 2.2 A/AA): no serious or critical violation.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import jsQRModule from 'jsqr';
import type { Page } from 'playwright-core';
import { base32Decode } from '../../src/crypto/base32.ts';
import { describeViolations, seriousViolations } from '../fixtures/axe.ts';
import { type LaunchedBrowser, launchBrowser, screenshotOnFailure } from '../fixtures/browser.ts';
import { findFreePort } from '../fixtures/free-port.ts';
import { linkFromMailDir } from '../fixtures/mail.ts';
import { jsonCall } from '../fixtures/production-server.ts';
import { type ServerProcess, spawnServer } from '../fixtures/spawn-server.ts';
import { codeOfStep, TOTP_STEP_MS } from '../fixtures/two-factor.ts';

// jsqr is CommonJS: Node's default import is its module.exports, whose `default` is the decoder.
const jsQR = jsQRModule.default;
const PASSWORD = 'juniper-Falcon-ember-84';
const run = promisify(execFile);

let root = '';
let mailDir = '';
let baseUrl = '';
let server: ServerProcess;
let browser: LaunchedBrowser;

/** The newest link to `path` in a mail to `to`, waiting for the file transport to write it. */
const linkFromMail = (to: string, path: string): Promise<string> =>
  linkFromMailDir(mailDir, to, `${baseUrl}${path}`);

/** The TOTP code of now for a base32 secret, as an authenticator app would show it. */
async function oathtool(secret: string): Promise<string> {
  const { stdout } = await run('oathtool', ['--totp', '--base32', secret], { timeout: 5_000 });
  return stdout.trim();
}

async function fill(page: Page, values: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(values)) await page.fill(`#field-${name}`, value);
}

/** Clicks a submit button (the first of the page's main forms, or the one `selector` names). */
async function submit(page: Page, selector = 'main form button[type=submit]'): Promise<void> {
  await Promise.all([page.waitForURL(() => true, { waitUntil: 'load' }), page.click(selector)]);
}

const pathOf = (page: Page) => new URL(page.url()).pathname;
const heading = (page: Page) => page.textContent('h1');

async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await fill(page, { email, password });
  await submit(page);
}

async function signOut(page: Page): Promise<void> {
  await page.goto(`${baseUrl}/account`);
  await submit(page, `main form[action="/sign-out"] button`);
  assert.equal(pathOf(page), '/signed-out');
}

/** A verified account made through the sign-up page and the mailed link. */
async function newAccount(page: Page, label: string): Promise<string> {
  const email = `${label}.${Date.now()}@example.com`;
  await page.goto(`${baseUrl}/sign-up`);
  await fill(page, { email, password: PASSWORD });
  await submit(page);
  await page.goto(await linkFromMail(email, '/verify-email'));
  await submit(page);
  assert.equal(await heading(page), 'Your email address is confirmed');
  return email;
}

/**
 * What a phone reads off the screen: the QR code as Chromium shows it (a screenshot), decoded
 * with jsQR. The PNG is turned into pixels in the page itself (the CSP allows `data:` images).
 */
async function decodeQrOnScreen(page: Page): Promise<string | null> {
  const png = await page.locator('.qr').screenshot();
  const { width, height, pixels } = await page.evaluate(async (base64) => {
    const g = globalThis as unknown as {
      Image: new () => { src: string; decode(): Promise<void>; naturalWidth: number; naturalHeight: number };
      document: {
        createElement(name: 'canvas'): {
          width: number;
          height: number;
          getContext(kind: '2d'): {
            drawImage(image: unknown, x: number, y: number): void;
            getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
          };
        };
      };
    };
    const image = new g.Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = g.document.createElement('canvas');
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0);
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    return { width: canvas.width, height: canvas.height, pixels: Array.from(data) };
  }, png.toString('base64'));
  return jsQR(Uint8ClampedArray.from(pixels), width, height)?.data ?? null;
}

describe('account pages in Chromium', { timeout: 180_000 }, () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gatehouse-account-e2e-'));
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
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
  });
  after(async () => {
    await browser?.close();
    await server?.kill();
    await rm(root, { recursive: true, force: true });
  });

  it('enrol 2FA from the page → sign out → TOTP → recovery code → change email → revoke a session → an API key → sign out', async () => {
    const page = await browser.newPage();
    await screenshotOnFailure(page, join(root, 'journey.png'), async () => {
      const email = await newAccount(page, 'robin');
      await signIn(page, email);
      assert.equal(pathOf(page), '/account');

      // Two-step verification, from the page.
      await page.click('a[href="/account/two-factor"]');
      await fill(page, { currentPassword: PASSWORD });
      await submit(page);
      assert.equal(await heading(page), 'Set up two-step verification');
      const secret = ((await page.textContent('#totp-secret')) ?? '').trim();
      const uri = await page.getAttribute('a[href^="otpauth:"]', 'href');
      assert.ok(uri?.startsWith('otpauth://totp/'), String(uri));
      assert.equal(
        new URL(uri ?? '').searchParams.get('secret'),
        secret,
        'the text is the secret of the URI',
      );
      await page.emulateMedia({ colorScheme: 'dark' });
      assert.equal(await decodeQrOnScreen(page), uri, 'the QR code (dark scheme) reads as the URI');
      await page.emulateMedia({ colorScheme: 'light' });
      assert.equal(await decodeQrOnScreen(page), uri, 'the QR code (light scheme) reads as the URI');

      const enrolledStep = Math.floor(Date.now() / TOTP_STEP_MS);
      await fill(page, { code: await oathtool(secret) });
      await submit(page);
      assert.equal(await heading(page), 'Save your recovery codes');
      const codes = (await page.locator('#recovery-codes code').allTextContents()).map((c) => c.trim());
      assert.equal(codes.length, 10);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click('a[download="recovery-codes.txt"]'),
      ]);
      const file = await readFile((await download.path()) ?? '', 'utf8');
      for (const code of codes) assert.ok(file.includes(code), 'the downloaded file lists every code');
      assert.equal(await page.isVisible('#copy-secret'), true, 'the script reveals the copy button');
      await page.click('#copy-secret');
      await page.waitForFunction(() =>
        /\S/.test(
          String(
            (
              globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } }
            ).document.getElementById('copy-status').textContent,
          ),
        ),
      );
      const copied = await page.evaluate(() =>
        (
          globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
        ).navigator.clipboard.readText(),
      );
      assert.equal(copied, codes.join('\n'), 'the codes were copied');

      // Sign out; sign in with TOTP (a later step than the one that confirmed), then a recovery code.
      await signOut(page);
      await signIn(page, email);
      assert.equal(pathOf(page), '/two-factor');
      await fill(page, { code: codeOfStep(base32Decode(secret), enrolledStep + 1) });
      await submit(page);
      assert.equal(pathOf(page), '/account', 'signed in with TOTP');
      await signOut(page);
      await signIn(page, email);
      await fill(page, { code: codes[0]! });
      await submit(page);
      assert.equal(pathOf(page), '/account', 'signed in with a recovery code');

      // Change the email address; confirm it by the link mailed to the new one.
      const newEmail = `robin.moved.${Date.now()}@example.com`;
      await page.click('a[href="/account/email"]');
      await fill(page, { newEmail, currentPassword: PASSWORD });
      await submit(page);
      assert.equal(await heading(page), 'Check your new inbox');
      await page.goto(await linkFromMail(newEmail, '/confirm-email'));
      await submit(page);
      assert.equal(await heading(page), 'Your email address has been changed');

      // Another session of the account (a client signing in with a recovery code), revoked here.
      const login = await jsonCall(baseUrl, 'POST', '/auth/login', {
        body: { email: newEmail, password: PASSWORD },
      });
      const verified = await jsonCall(baseUrl, 'POST', '/auth/2fa/verify', {
        body: { pendingToken: login.body?.pendingToken, code: codes[1] },
      });
      const otherToken = String(verified.body?.accessToken);
      assert.equal((await jsonCall(baseUrl, 'GET', '/users/me', { token: otherToken })).status, 200);
      await page.goto(`${baseUrl}/account/sessions`);
      assert.equal(await page.locator('.badge').count(), 1, 'this device is marked');
      const revokeButtons = page.locator('main form:has(input[name="intent"][value="revoke"]) button');
      assert.equal(await revokeButtons.count(), 1);
      await Promise.all([page.waitForURL(/done=revoked/), revokeButtons.first().click()]);
      assert.match((await page.textContent('main')) ?? '', /That device was signed out\./);
      assert.equal((await jsonCall(baseUrl, 'GET', '/users/me', { token: otherToken })).status, 401);

      // An API key: created, shown once, usable; revoked, refused.
      await page.goto(`${baseUrl}/account/api-keys`);
      await fill(page, { name: 'nightly export' });
      await page.selectOption('#field-expiresInDays', '30');
      await submit(page, 'main form:has(input[name="intent"][value="create"]) button[type=submit]');
      assert.equal(await heading(page), 'Your new API key');
      const apiKey = ((await page.textContent('#new-api-key')) ?? '').trim();
      assert.equal((await jsonCall(baseUrl, 'GET', '/users/me', { token: apiKey })).status, 200);
      await page.click('text=I have copied the key');
      assert.equal(await page.locator(`text=${apiKey}`).count(), 0, 'the key is not shown again');
      await submit(page, 'main form:has(input[name="intent"][value="revoke"]) button');
      assert.match((await page.textContent('main')) ?? '', /The key was revoked\./);
      assert.equal((await jsonCall(baseUrl, 'GET', '/users/me', { token: apiKey })).status, 401);

      await signOut(page);
      await page.goto(`${baseUrl}/account`);
      assert.equal(pathOf(page), '/sign-in');
    });
    await page.close();
  });

  it('axe-core: no serious or critical violation on any account page, light and dark, English and German', async () => {
    const page = await browser.newPage();
    const failures: string[] = [];
    await screenshotOnFailure(page, join(root, 'axe.png'), async () => {
      const email = await newAccount(page, 'axe');
      await signIn(page, email);
      const check = async (name: string, scheme: string, lang: string) => {
        assert.equal(await page.getAttribute('html', 'lang'), lang, `${name} speaks ${lang}`);
        const violations = await seriousViolations(page);
        if (violations.length > 0)
          failures.push(`${name} (${scheme}, ${lang}):\n${describeViolations(violations)}`);
      };
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        for (const lang of ['en', 'de']) {
          for (const section of ['', '/profile', '/email', '/sessions', '/providers', '/api-keys']) {
            await page.goto(`${baseUrl}/account${section}?lang=${lang}`);
            await check(`account${section}`, scheme, lang);
          }
          await page.goto(`${baseUrl}/account/password?lang=${lang}`);
          await fill(page, { currentPassword: 'not my password', newPassword: 'short' });
          await submit(page);
          await check('password with an error', scheme, lang);

          await page.goto(`${baseUrl}/account/two-factor?lang=${lang}`);
          await check('two-factor off', scheme, lang);
          await fill(page, { currentPassword: PASSWORD });
          await submit(page);
          await check('two-factor enrolment (QR code)', scheme, lang);
          await fill(page, { code: await oathtool(((await page.textContent('#totp-secret')) ?? '').trim()) });
          await submit(page);
          await check('recovery codes', scheme, lang);
          const codes = (await page.locator('#recovery-codes code').allTextContents()).map((c) => c.trim());
          await page.goto(`${baseUrl}/account/two-factor?lang=${lang}`);
          await check('two-factor on', scheme, lang);
          await fill(page, { disableCode: codes[0]! });
          await submit(page, 'main form:has(input[name="intent"][value="disable"]) button[type=submit]');
          assert.equal(pathOf(page), '/account/two-factor');

          await page.goto(`${baseUrl}/account/api-keys?lang=${lang}`);
          await fill(page, { name: `key ${scheme} ${lang}` });
          await submit(page, 'main form:has(input[name="intent"][value="create"]) button[type=submit]');
          await check('new API key', scheme, lang);
        }
      }
      assert.deepEqual(failures, [], failures.join('\n\n'));
    });
    await page.close();
  });
});
