/**
 * Screenshots of every hosted page, for docs/pages/: a real `gatehouse serve` (development
 * mode, SQLite in a temp dir, mail written as `.eml` files, a GitHub sign-in button configured)
 * and real Chromium going through the pages as a person would — sign up, the mailed links,
 * the account sections, two-step verification with its QR code and recovery codes, the 2FA
 * step of a sign-in, forgot and reset, a sign-in code by email and its link (email codes are
 * turned on) — capturing each page on the way.
 *
 *   npm run screenshots
 *
 * Fixed viewport (1000 px wide), fixed addresses and names, no clock in any layout; the TOTP
 * secret, QR code, API key and times differ per run (they are random or now). Every GET page
 * route must be in SCREENSHOTS (test/integration/page-screenshots.test.ts fails otherwise).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../test/fixtures/browser.ts';
import { findFreePort } from '../test/fixtures/free-port.ts';
import { linkFromMailDir } from '../test/fixtures/mail.ts';
import { spawnServer } from '../test/fixtures/spawn-server.ts';

export interface Screenshot {
  /** The PNG's name in docs/pages/. */
  readonly file: string;
  /** The page route (default paths) the browser is on when it is taken. */
  readonly route: string;
  readonly scheme?: 'dark';
  readonly locale?: 'de';
}

/** Every screenshot the script takes, in the order it takes them. */
export const SCREENSHOTS: readonly Screenshot[] = [
  { file: 'sign-in.png', route: '/sign-in' },
  { file: 'sign-in-dark.png', route: '/sign-in', scheme: 'dark' },
  { file: 'sign-in-de.png', route: '/sign-in', locale: 'de' },
  { file: 'sign-up.png', route: '/sign-up' },
  { file: 'sign-up-sent.png', route: '/sign-up' },
  { file: 'verify-email.png', route: '/verify-email' },
  { file: 'verify-email-done.png', route: '/verify-email' },
  { file: 'expired-link.png', route: '/verify-email' },
  { file: 'account.png', route: '/account' },
  { file: 'account-dark.png', route: '/account', scheme: 'dark' },
  { file: 'account-de.png', route: '/account', locale: 'de' },
  { file: 'account-profile.png', route: '/account/profile' },
  { file: 'account-password.png', route: '/account/password' },
  { file: 'account-sessions.png', route: '/account/sessions' },
  { file: 'account-providers.png', route: '/account/providers' },
  { file: 'account-api-keys.png', route: '/account/api-keys' },
  { file: 'account-api-key-created.png', route: '/account/api-keys' },
  { file: 'account-passkeys.png', route: '/account/passkeys' },
  { file: 'account-passkeys-create.png', route: '/account/passkeys' },
  { file: 'account-email.png', route: '/account/email' },
  { file: 'confirm-email.png', route: '/confirm-email' },
  { file: 'confirm-email-done.png', route: '/confirm-email' },
  { file: 'account-two-factor.png', route: '/account/two-factor' },
  { file: 'account-two-factor-enrol.png', route: '/account/two-factor' },
  { file: 'account-two-factor-enrol-dark.png', route: '/account/two-factor', scheme: 'dark' },
  { file: 'account-two-factor-recovery-codes.png', route: '/account/two-factor' },
  { file: 'signed-out.png', route: '/signed-out' },
  { file: 'two-factor.png', route: '/two-factor' },
  { file: 'forgot-password.png', route: '/forgot-password' },
  { file: 'forgot-password-sent.png', route: '/forgot-password' },
  { file: 'reset-password.png', route: '/reset-password' },
  { file: 'sign-in-email-code.png', route: '/sign-in/email-code' },
  { file: 'sign-in-email-code-sent.png', route: '/sign-in/email-code' },
  { file: 'email-code-link.png', route: '/email-code' },
  { file: 'email-code-link-needs-code.png', route: '/email-code' },
];

/** GET routes that are not pages to picture: `/` only redirects (to sign-in or the account). */
export const NOT_PICTURED: readonly string[] = ['/'];

const OUT_DIR = fileURLToPath(new URL('../docs/pages/', import.meta.url));
const VIEWPORT = { width: 1000, height: 800 };
const PASSWORD = 'harbour-Violet-lantern-73';
const EMAIL = 'ada@example.com';
const NEW_EMAIL = 'ada.lovelace@example.com';
const run = promisify(execFile);

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'gatehouse-screenshots-'));
  const mailDir = join(root, 'mail');
  const port = await findFreePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = await spawnServer({
    env: {
      GATEHOUSE_MODE: 'development',
      GATEHOUSE_DATA_DIR: join(root, 'data'),
      GATEHOUSE_BASE_URL: baseUrl,
      GATEHOUSE_MAIL_URL: pathToFileURL(mailDir).href,
      GATEHOUSE_APP_NAME: 'Gatehouse',
      // A provider button on the sign-in and providers pages (nothing is fetched from it).
      GATEHOUSE_OAUTH_PROVIDERS: JSON.stringify({
        github: { preset: 'github', clientId: 'screenshots', clientSecret: 'not-a-real-secret' },
      }),
      // The "Email me a code" path on the sign-in page and its pages.
      GATEHOUSE_EMAIL_CODE: 'true',
      PORT: String(port),
    },
  });
  const browser = await launchBrowser({ actionTimeoutMs: 15_000 });
  const taken = new Set<string>();
  try {
    await mkdir(OUT_DIR, { recursive: true });
    const page = await browser.newPage();
    await page.setViewportSize(VIEWPORT);
    await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });

    const fill = async (values: Record<string, string>) => {
      for (const [name, value] of Object.entries(values)) await page.fill(`#field-${name}`, value);
    };
    const submit = async (selector = 'main form button[type=submit]') => {
      await Promise.all([page.waitForURL(() => true, { waitUntil: 'load' }), page.click(selector)]);
    };
    const go = (path: string) => page.goto(path.startsWith('http') ? path : `${baseUrl}${path}`);
    const shot = (file: string) => capture(page, file, taken);
    const mailedLink = (to: string, path: string) => linkFromMailDir(mailDir, to, `${baseUrl}${path}`);
    const signIn = async (email: string) => {
      await go('/sign-in');
      await fill({ email, password: PASSWORD });
      await submit();
    };
    const signOut = async () => {
      await go('/account');
      await submit('main form[action="/sign-out"] button');
    };

    await go('/');
    await shot('sign-in.png');
    await shot('sign-in-dark.png');
    await shot('sign-in-de.png');

    await page.click('a[href="/sign-up"]');
    await shot('sign-up.png');
    await fill({ name: 'Ada', email: EMAIL, password: PASSWORD });
    await submit();
    await shot('sign-up-sent.png');

    const verifyLink = await mailedLink(EMAIL, '/verify-email');
    await go(verifyLink);
    await shot('verify-email.png');
    await submit();
    await shot('verify-email-done.png');
    await go(verifyLink);
    await submit();
    await shot('expired-link.png');

    await signIn(EMAIL);
    await shot('account.png');
    await shot('account-dark.png');
    await shot('account-de.png');
    for (const section of ['profile', 'password', 'sessions', 'providers', 'api-keys']) {
      await go(`/account/${section}`);
      await shot(`account-${section}.png`);
    }
    await fill({ name: 'Nightly export' });
    await page.selectOption('#field-expiresInDays', '30');
    await submit('main form:has(input[name="intent"][value="create"]) button[type=submit]');
    await shot('account-api-key-created.png');
    // The passkeys section and its ceremony page (the browser's own dialog is not pictured).
    await go('/account/passkeys');
    await shot('account-passkeys.png');
    await fill({ name: 'Work laptop' });
    await submit('main form:has(input[name="intent"][value="add"]) button[type=submit]');
    await shot('account-passkeys-create.png');

    // Changing the address before two-step verification is on (afterwards it asks for a code).
    await go('/account/email');
    await shot('account-email.png');
    await fill({ newEmail: NEW_EMAIL, currentPassword: PASSWORD });
    await submit();
    await go(await mailedLink(NEW_EMAIL, '/confirm-email'));
    await shot('confirm-email.png');
    await submit();
    await shot('confirm-email-done.png');

    await go('/account/two-factor');
    await shot('account-two-factor.png');
    await fill({ currentPassword: PASSWORD });
    await submit();
    await shot('account-two-factor-enrol.png');
    await shot('account-two-factor-enrol-dark.png');
    const secret = ((await page.textContent('#totp-secret')) ?? '').trim();
    const { stdout } = await run('oathtool', ['--totp', '--base32', secret], { timeout: 5_000 });
    await fill({ code: stdout.trim() });
    await submit();
    await shot('account-two-factor-recovery-codes.png');
    const recoveryCode = ((await page.locator('#recovery-codes code').first().textContent()) ?? '').trim();

    await signOut();
    await shot('signed-out.png');
    await signIn(NEW_EMAIL);
    await shot('two-factor.png');
    await fill({ code: recoveryCode });
    await submit();
    await signOut();

    await go('/forgot-password');
    await shot('forgot-password.png');
    await fill({ email: NEW_EMAIL });
    await submit();
    await shot('forgot-password-sent.png');
    await go(await mailedLink(NEW_EMAIL, '/reset-password'));
    await shot('reset-password.png');

    await go('/sign-in/email-code');
    await shot('sign-in-email-code.png');
    await fill({ email: NEW_EMAIL });
    await submit();
    await shot('sign-in-email-code-sent.png');
    const codeLink = await mailedLink(NEW_EMAIL, '/email-code');
    await go(codeLink);
    await shot('email-code-link.png');
    // Opened where no code was asked for (no binding cookie): the page asks for the code.
    await page.context().clearCookies();
    await go(codeLink);
    await submit();
    await shot('email-code-link-needs-code.png');

    const missing = SCREENSHOTS.filter((s) => !taken.has(s.file)).map((s) => s.file);
    if (missing.length > 0) throw new Error(`not taken: ${missing.join(', ')}`);
    console.log(`${taken.size} screenshots in ${OUT_DIR}`);
  } finally {
    await browser.close();
    await server.kill();
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * Takes the screenshot `file` of SCREENSHOTS: checks the browser is on its route, applies its
 * colour scheme and language for the one picture, then goes back to light and English.
 */
async function capture(page: Page, file: string, taken: Set<string>): Promise<void> {
  const entry = SCREENSHOTS.find((s) => s.file === file);
  if (!entry) throw new Error(`${file} is not listed in SCREENSHOTS`);
  const path = new URL(page.url()).pathname;
  if (path !== entry.route) throw new Error(`${file}: the browser is on ${path}, not ${entry.route}`);
  if (entry.scheme === 'dark') await page.emulateMedia({ colorScheme: 'dark' });
  if (entry.locale) {
    // Accept-Language rather than ?lang=, which would be remembered in a cookie.
    await page.setExtraHTTPHeaders({ 'accept-language': entry.locale });
    await page.reload({ waitUntil: 'load' });
  }
  // The text caret blinks (Playwright's caret hiding is a style the pages' CSP refuses): no focus.
  await page.evaluate(() =>
    (
      globalThis as unknown as { document: { activeElement: { blur?(): void } | null } }
    ).document.activeElement?.blur?.(),
  );
  await page.screenshot({ path: join(OUT_DIR, file), fullPage: true, animations: 'disabled' });
  if (entry.scheme === 'dark') await page.emulateMedia({ colorScheme: 'light' });
  if (entry.locale) {
    await page.setExtraHTTPHeaders({});
    await page.reload({ waitUntil: 'load' });
  }
  taken.add(file);
}

if (import.meta.main) await main();
