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
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createAuth } from '../../src/index.ts';
import { GOOD_PASSWORD } from '../fixtures/auth-harness.ts';
import { registerVerified } from '../fixtures/example-process.ts';
import { findFreePort } from '../fixtures/free-port.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NEXT_BIN = join(ROOT, 'node_modules/next/dist/bin/next');
const TSC_BIN = join(ROOT, 'node_modules/.bin/tsc');
const BUILD_TIMEOUT_MS = 240_000;
const START_TIMEOUT_MS = 30_000;
const POLL_MS = 100;
const PROBLEM_JSON = 'application/problem+json';
/** The example's session cookie: the default name, `__Host-` because cookies are secure by default. */
const SESSION_COOKIE = '__Host-gh_session';

/** Left out of the copy: what a build or a run of the example in place leaves behind. */
const NOT_COPIED = new Set(['.next', 'node_modules', 'data', 'next-env.d.ts', 'tsconfig.tsbuildinfo']);

let workDir = '';
let appDir = '';
const children: ChildProcess[] = [];

function run(command: string, args: string[], cwd: string): { status: number | null; output: string } {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: BUILD_TIMEOUT_MS,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NEXT_TELEMETRY_DISABLED: '1', HOME: process.env.HOME ?? '/' },
  });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

before(async () => {
  // Under the repository (gitignored .tmp/) so that Next's workspace root, the repository's
  // node_modules, is above it; the copy's own package.json makes `gatehouse` resolve to its dist.
  await mkdir(join(ROOT, '.tmp'), { recursive: true });
  workDir = await mkdtemp(join(ROOT, '.tmp', 'next-example-'));
  // The build of the package: its exit status is not the point (a type error elsewhere in the
  // tree is the typecheck's to report); the files the example imports are.
  run(TSC_BIN, ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(workDir, 'dist')], ROOT);
  await readFile(join(workDir, 'dist/http/adapters/next/index.js'));
  await writeFile(join(workDir, 'package.json'), await readFile(join(ROOT, 'package.json')));
  appDir = join(workDir, 'examples/next');
  await cp(join(ROOT, 'examples/next'), appDir, {
    recursive: true,
    filter: (source) => !NOT_COPIED.has(source.split('/').at(-1) ?? ''),
  });
  const built = run(process.execPath, [NEXT_BIN, 'build'], appDir);
  assert.equal(built.status, 0, `next build failed:\n${built.output}`);
});

after(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(-child.pid, 'SIGKILL');
      await once(child, 'exit');
    }
  }
  if (workDir !== '') await rm(workDir, { recursive: true, force: true });
});

interface RunningApp {
  readonly base: string;
  readonly mailDir: string;
}

/** `next start` on a free port, as the README says, waiting (bounded) until GET /public answers. */
async function startApp(dataDir: string): Promise<RunningApp> {
  const port = await findFreePort();
  const base = `http://127.0.0.1:${port}`;
  const mailDir = join(workDir, `mail-${port}`);
  const child = spawn(process.execPath, [NEXT_BIN, 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: appDir,
    // Its own process group: `next start` may run the server in a child, which goes with it.
    detached: true,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      NEXT_TELEMETRY_DISABLED: '1',
      PORT: String(port),
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_MAIL_URL: `file://${mailDir}`,
      GATEHOUSE_BASE_URL: base,
    },
  });
  children.push(child);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}`);
    const answered = await fetch(`${base}/public`).then(
      (response) => response.ok,
      () => false,
    );
    if (answered) return { base, mailDir };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`next start did not answer within ${START_TIMEOUT_MS} ms`);
}

/** An admin made before the app starts, through the library on the same data folder. */
async function seedAdmin(dataDir: string, email: string): Promise<void> {
  const auth = await createAuth({ mode: 'development', dataDir, logLevel: 'silent' });
  await auth.migrate();
  await auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true, roles: ['admin'] });
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
  let app: RunningApp;
  const memberEmail = 'next-member@example.com';
  const adminEmail = 'next-admin@example.com';

  before(async () => {
    const dataDir = join(workDir, 'data');
    await seedAdmin(dataDir, adminEmail);
    app = await startApp(dataDir);
  });

  it("type-checks with the example's own non-strict tsconfig", async () => {
    const config = JSON.parse(await readFile(join(appDir, 'tsconfig.json'), 'utf8')) as {
      compilerOptions: { strict?: boolean };
    };
    assert.equal(config.compilerOptions.strict, false, "Next's default: not strict");
    const checked = run(
      TSC_BIN,
      ['--noEmit', '--incremental', 'false', '-p', join(appDir, 'tsconfig.json')],
      appDir,
    );
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

describe('examples/next: the lazy singleton after a failed start', () => {
  it('answers 503 SERVICE_UNAVAILABLE with Retry-After while the data folder is unusable, and starts once it is fixed', async () => {
    // The data folder's path runs through a regular file: nothing can be created under it.
    const blocker = join(workDir, 'blocked');
    await writeFile(blocker, 'not a folder');
    const app = await startApp(join(blocker, 'data'));
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
