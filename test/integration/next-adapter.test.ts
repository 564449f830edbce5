/**
 * examples/next as a user runs it, in production mode: the package is built (tsc) into a
 * throwaway copy of the repository's package (package.json + dist), the example is copied beside
 * it and imports `gatehouse` and `gatehouse/next` by name (package self-reference), `next build`
 * builds it, its non-strict tsconfig type-checks it, and `next start` serves it on a free port
 * with a throwaway data folder and mail written to .eml files. Then, over HTTP: Gatehouse's
 * routes under /api (register, verify through the mailed link, login), GET /public, /api/me
 * (401, then 200 with a bearer token and with a cookie session), /api/admin (403 problem+json
 * for a plain user, 200 for an admin), the Server Component page showing the cookie's user, a
 * cookie write refused without the CSRF token and accepted with it, the proxy's redirect, and
 * the lazy singleton answering 503 while its data folder is unusable and starting once fixed.
 * In Chromium: a cookie login from a page of the app, the Server Component showing the user,
 * and a Server Action that reads the caller with requireAuth and renames them.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAuth } from '../../src/index.ts';
import { GOOD_PASSWORD } from '../fixtures/auth-harness.ts';
import { type LaunchedBrowser, launchBrowser, screenshotOnFailure } from '../fixtures/browser.ts';
import { registerVerified } from '../fixtures/example-process.ts';
import { buildNextExample, type NextExampleBuild, type RunningNextApp } from '../fixtures/next-example.ts';

const PROBLEM_JSON = 'application/problem+json';
/** The example's session cookie: the default name, `__Host-` because cookies are secure by default. */
const SESSION_COOKIE = '__Host-gh_session';

let build: NextExampleBuild;

before(async () => {
  build = await buildNextExample();
});

after(async () => {
  await build?.cleanup();
});

/** A verified account made before the app starts, through the library on the same data folder. */
async function seedUser(dataDir: string, email: string, roles: string[] = []): Promise<void> {
  const auth = await createAuth({ mode: 'development', dataDir, logLevel: 'silent' });
  await auth.migrate();
  await auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true, roles });
  await auth.close();
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    redirect: 'manual',
  });

async function bearerLogin(base: string, email: string): Promise<string> {
  const login = await post(`${base}/api/auth/login`, { email, password: GOOD_PASSWORD });
  const body = (await login.json()) as { accessToken?: string };
  assert.equal(login.status, 200, JSON.stringify(body));
  return String(body.accessToken);
}

/** POST /api/auth/session from the app's own origin: the cookie and the page's CSRF token. */
async function cookieLogin(base: string, email: string): Promise<{ cookie: string; csrfToken: string }> {
  const response = await post(
    `${base}/api/auth/session`,
    { email, password: GOOD_PASSWORD },
    { origin: base },
  );
  const body = (await response.json()) as { csrfToken?: string };
  assert.equal(response.status, 200, JSON.stringify(body));
  const setCookie = response.headers.getSetCookie().find((line) => line.startsWith(`${SESSION_COOKIE}=`));
  assert.ok(setCookie, 'the session cookie is set through the Next route handler');
  return { cookie: setCookie.split(';')[0] as string, csrfToken: String(body.csrfToken) };
}

async function problemCode(response: Response): Promise<string | undefined> {
  assert.equal(response.headers.get('content-type'), PROBLEM_JSON);
  return ((await response.json()) as { code?: string }).code;
}

describe('examples/next under next build && next start', () => {
  let app: RunningNextApp;
  const memberEmail = 'next-member@example.com';
  const adminEmail = 'next-admin@example.com';

  before(async () => {
    const dataDir = join(build.workDir, 'data');
    await seedUser(dataDir, adminEmail, ['admin']);
    app = await build.start(dataDir);
  });

  it("type-checks with the example's own non-strict tsconfig", async () => {
    const config = JSON.parse(await readFile(join(build.appDir, 'tsconfig.json'), 'utf8')) as {
      compilerOptions: { strict?: boolean };
    };
    assert.equal(config.compilerOptions.strict, false, "Next's default: not strict");
    const checked = build.typecheck();
    assert.equal(checked.status, 0, checked.output);
  });

  it('GET /public falls through to the app; Gatehouse answers under /api only once', async () => {
    const open = await fetch(`${app.base}/public`);
    assert.equal(open.status, 200);
    assert.deepEqual(await open.json(), { ok: true });
    assert.equal((await fetch(`${app.base}/api/health`)).status, 200);
    assert.equal((await fetch(`${app.base}/api/api/health`)).status, 404);
  });

  it('/api/me: 401 problem+json anonymous, 200 { userId } with a bearer token of a registered, verified user', async () => {
    const anonymous = await fetch(`${app.base}/api/me`);
    assert.equal(anonymous.status, 401);
    assert.equal(await problemCode(anonymous), 'UNAUTHENTICATED');

    await registerVerified(`${app.base}/api`, app.mailDir, memberEmail);
    const token = await bearerLogin(app.base, memberEmail);
    const me = await fetch(`${app.base}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200);
    const { userId } = (await me.json()) as { userId?: string };
    const profile = await fetch(`${app.base}/api/users/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(((await profile.json()) as { user: { id: string } }).user.id, userId);
  });

  it('/api/admin: 403 problem+json for a plain user, 200 for an admin', async () => {
    const member = await bearerLogin(app.base, memberEmail);
    const refused = await fetch(`${app.base}/api/admin`, { headers: { authorization: `Bearer ${member}` } });
    assert.equal(refused.status, 403);
    assert.equal(await problemCode(refused), 'INSUFFICIENT_ROLES');
    const admin = await bearerLogin(app.base, adminEmail);
    const allowed = await fetch(`${app.base}/api/admin`, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(allowed.status, 200);
    assert.equal(((await allowed.json()) as { admin?: boolean }).admin, true);
  });

  it('a cookie session: /api/me 200, the Server Component page shows its user, the proxy lets it through', async () => {
    const { cookie } = await cookieLogin(app.base, memberEmail);
    const me = await fetch(`${app.base}/api/me`, { headers: { cookie } });
    assert.equal(me.status, 200);
    const { userId } = (await me.json()) as { userId: string };

    const page = await fetch(`${app.base}/account`, { headers: { cookie }, redirect: 'manual' });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /data-testid="signed-in"/);
    assert.ok(html.includes(memberEmail), 'the page names the signed-in user');
    assert.ok(html.includes(userId));

    const anonymous = await fetch(`${app.base}/account`, { redirect: 'manual' });
    assert.equal(anonymous.status, 307, 'the proxy sends a request without a credential away');
    assert.equal(
      new URL(anonymous.headers.get('location') ?? '', app.base).searchParams.get('next'),
      '/account',
    );

    // A cookie the proxy lets through (present) but Gatehouse refuses: the page reads signed out.
    const stale = await fetch(`${app.base}/account`, {
      headers: { cookie: `${SESSION_COOKIE}=${cookie.split('=')[1]?.split('.')[0]}.forged` },
      redirect: 'manual',
    });
    assert.equal(stale.status, 200);
    assert.match(await stale.text(), /data-testid="signed-out"/);
  });

  it('a cookie write: refused without the CSRF token (403 CSRF_FAILED), accepted with it', async () => {
    const { cookie, csrfToken } = await cookieLogin(app.base, adminEmail);
    const withoutToken = await post(`${app.base}/api/admin`, {}, { cookie, origin: app.base });
    assert.equal(withoutToken.status, 403);
    assert.equal(await problemCode(withoutToken), 'CSRF_FAILED');
    const crossSite = await post(
      `${app.base}/api/admin`,
      {},
      { cookie, origin: 'https://evil.example', 'x-csrf-token': csrfToken },
    );
    assert.equal(crossSite.status, 403);
    const withToken = await post(
      `${app.base}/api/admin`,
      {},
      { cookie, origin: app.base, 'x-csrf-token': csrfToken },
    );
    assert.equal(withToken.status, 200);
    assert.equal(((await withToken.json()) as { written?: boolean }).written, true);

    // Gatehouse's own cookie write through the catch-all: sign-out needs the token too.
    const logoutWithout = await post(`${app.base}/api/auth/logout`, {}, { cookie, origin: app.base });
    assert.equal(logoutWithout.status, 403);
    assert.equal(await problemCode(logoutWithout), 'CSRF_FAILED');
    const logout = await post(
      `${app.base}/api/auth/logout`,
      {},
      { cookie, origin: app.base, 'x-csrf-token': csrfToken },
    );
    assert.ok(logout.status === 200 || logout.status === 204, `logout answered ${logout.status}`);
    assert.equal(
      (await fetch(`${app.base}/api/me`, { headers: { cookie } })).status,
      401,
      'the session ended',
    );
  });
});

describe('examples/next in Chromium: a cookie session on the page and a Server Action', () => {
  let browser: LaunchedBrowser | undefined;
  after(async () => browser?.close());

  it('signs in from a page of the app, shows the user in the Server Component, renames through a Server Action', async () => {
    const email = 'next-browser@example.com';
    const dataDir = join(build.workDir, 'browser-data');
    await seedUser(dataDir, email);
    const app = await build.start(dataDir);
    browser = await launchBrowser();
    const page = await browser.newPage();
    await screenshotOnFailure(page, join(build.workDir, 'next-browser.png'), async () => {
      await page.goto(`${app.base}/`);
      // A cookie login from the app's own origin, as its sign-in form would send it.
      const status = await page.evaluate(
        async ({ email, password }) => {
          const response = await fetch('/api/auth/session', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email, password }),
          });
          return response.status;
        },
        { email, password: GOOD_PASSWORD },
      );
      assert.equal(status, 200);
      await page.goto(`${app.base}/account`);
      assert.equal(await page.getByTestId('email').textContent(), email);

      await page.getByTestId('name-input').fill('Ada Lovelace');
      await page.getByTestId('rename').click();
      await page.getByTestId('name').filter({ hasText: 'Ada Lovelace' }).waitFor();
      const stored = await createAuth({ mode: 'development', dataDir, logLevel: 'silent' });
      try {
        assert.equal((await stored.api.users.findByEmail(email))?.name, 'Ada Lovelace');
      } finally {
        await stored.close();
      }

      // Signed out (the cookie gone): the proxy sends the page away before it renders.
      await browser?.context.clearCookies();
      await page.goto(`${app.base}/account`);
      assert.equal(new URL(page.url()).pathname, '/');
      assert.equal(new URL(page.url()).searchParams.get('next'), '/account');
    });
  });
});

describe('examples/next: the lazy singleton after a failed start', () => {
  it('answers 503 SERVICE_UNAVAILABLE with Retry-After while the data folder is unusable, and starts once it is fixed', async () => {
    // The data folder's path runs through a regular file: nothing can be created under it.
    const blocker = join(build.workDir, 'blocked');
    await writeFile(blocker, 'not a folder');
    const app = await build.start(join(blocker, 'data'));
    const refused = await fetch(`${app.base}/api/me`);
    assert.equal(refused.status, 503);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    const text = await refused.text();
    assert.equal((JSON.parse(text) as { code: string }).code, 'SERVICE_UNAVAILABLE');
    assert.ok(!text.includes(blocker), 'the cause stays in the log');

    await rm(blocker);
    const deadline = Date.now() + 10_000;
    let status = 503;
    while (status === 503 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = (await fetch(`${app.base}/api/me`)).status;
    }
    assert.equal(status, 401, 'started: /api/me now answers as Gatehouse does for an anonymous caller');
  });
});
