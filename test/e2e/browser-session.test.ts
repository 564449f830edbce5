/**
 * Cookie sessions and CSRF defences in a real browser (headless Chromium) against one real
 * `gatehouse serve` process in development mode (SQLite in a temp data dir).
 *
 * The legitimate page and the API share one origin through a small reverse proxy, as in a
 * deployment that serves its app and its auth server under one host name. The server's base
 * URL is the proxy's origin, so that is the only Origin it trusts.
 *
 * The attacker's pages come from another port of the same loopback address: a different
 * origin but the *same site* (ports do not make sites), so the browser's SameSite=Lax rule
 * still attaches the session cookie to their POSTs. What stops them must be the server's own
 * checks (Origin, X-CSRF-Token, JSON-only bodies) — which is what these cases exercise; the
 * proxy records that the cookie really was sent.
 *
 * Threats covered by name: session theft by script (HttpOnly), CSRF by auto-submitted
 * text/plain and urlencoded forms, CSRF by credentialed cross-origin fetch (simple and
 * preflighted), reading the CSRF token cross-origin, login CSRF, same-origin requests
 * without or with a forged X-CSRF-Token, and replay of a cookie after logout.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { type LaunchedBrowser, launchBrowser, screenshotOnFailure } from '../fixtures/browser.ts';
import { callFromPage, FETCH_PAGE, type PageCallOptions, type PageReply } from '../fixtures/fetch-page.ts';
import { type SameOriginProxy, startSameOriginProxy } from '../fixtures/same-origin-proxy.ts';
import { runGatehouse, type ServerProcess, spawnServer } from '../fixtures/spawn-server.ts';

const COOKIE_NAME = '__Host-gh_session';
const EMAIL = 'robin.browser@example.com';
const PASSWORD = 'lantern-Meadow-copper-58';
const NAME = 'Robin';
/** What a successful forgery would set: each attack aims for a change that is easy to see. */
const ATTACKER_NAME = 'Mallory';
const ATTACKER_PASSWORD = 'mallory-Owns-this-account-41';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** One forged request made by the attacker's script, as that script saw it. */
interface AttackOutcome {
  readonly label: string;
  /** Whether the browser let the attacker's script read the response. */
  readonly readable: boolean;
  readonly status?: number;
  readonly error?: string;
}

/** The globals the two test pages define (the project's TypeScript has no DOM types). */
interface PageGlobals {
  attackResults: Promise<AttackOutcome[]>;
  document: { cookie: string };
  navigator: { userAgent: string };
}

interface SessionView {
  readonly id: string;
  readonly current: boolean;
  readonly userAgent: string | null;
}

interface RawReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Record<string, unknown> | null;
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('"', '&quot;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;');
}

/** A page that submits a hidden form to `action` as soon as it loads. */
function autoSubmitPage(action: string, enctype: string, fields: readonly [string, string][]): string {
  const inputs = fields
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Win a prize</title></head><body>
<form method="POST" action="${escapeHtml(action)}" enctype="${enctype}">${inputs}</form>
<script>document.forms[0].submit();</script></body></html>`;
}

/**
 * The attacker's pages. The text/plain form uses the classic trick: the body is
 * `name=value`, so the field name carries a JSON prefix and the value closes it, and the body
 * parses as exactly `{ currentPassword, newPassword }` (the `=` lands inside the new password).
 * Every forgery uses the real current password, so it would succeed against a server that
 * relied on secrets the attacker might guess; only the CSRF defences stand in the way.
 */
function attackerPages(api: string): Record<string, string> {
  const changePassword = `${api}/users/me/change-password`;
  const textPlainName = `{"currentPassword":"${PASSWORD}","newPassword":"${ATTACKER_PASSWORD}`;
  const fetchScript = `
window.attackResults = (async () => {
  const api = ${JSON.stringify(api)};
  const results = [];
  async function attempt(label, path, init) {
    try {
      const response = await fetch(api + path, { credentials: 'include', ...init });
      const text = await response.text();
      results.push({ label, readable: true, status: response.status });
      return text;
    } catch (error) {
      results.push({ label, readable: false, error: String(error && error.name) });
      return null;
    }
  }
  // A token read cross-origin would defeat the header check: try, and use it if it works.
  let stolen = {};
  const csrf = await attempt('read GET /auth/csrf', '/auth/csrf', {});
  try { if (csrf) stolen = { 'x-csrf-token': JSON.parse(csrf).csrfToken }; } catch {}
  const json = { 'content-type': 'application/json', ...stolen };
  const passwords = JSON.stringify({ currentPassword: ${JSON.stringify(PASSWORD)}, newPassword: ${JSON.stringify(ATTACKER_PASSWORD)} });
  await attempt('PATCH /users/me (JSON)', '/users/me', {
    method: 'PATCH', headers: json, body: JSON.stringify({ name: ${JSON.stringify(ATTACKER_NAME)} }),
  });
  await attempt('POST change-password (JSON)', '/users/me/change-password', {
    method: 'POST', headers: json, body: passwords,
  });
  // text/plain needs no preflight: this one reaches the server with the cookie.
  await attempt('POST change-password (text/plain)', '/users/me/change-password', {
    method: 'POST', headers: { 'content-type': 'text/plain', ...stolen }, body: passwords,
  });
  await attempt('POST /auth/session (text/plain, login CSRF)', '/auth/session', {
    method: 'POST', headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ email: ${JSON.stringify(EMAIL)}, password: ${JSON.stringify(PASSWORD)} }),
  });
  await attempt('DELETE /auth/session (logout CSRF)', '/auth/session', { method: 'DELETE', headers: stolen });
  return results;
})();`;
  return {
    '/form-text-plain': autoSubmitPage(changePassword, 'text/plain', [[textPlainName, '"}']]),
    '/form-urlencoded': autoSubmitPage(changePassword, 'application/x-www-form-urlencoded', [
      ['currentPassword', PASSWORD],
      ['newPassword', ATTACKER_PASSWORD],
    ]),
    // A server that honoured a method-override field would turn this POST into the PATCH.
    '/form-urlencoded-profile': autoSubmitPage(
      `${api}/users/me?_method=PATCH`,
      'application/x-www-form-urlencoded',
      [
        ['_method', 'PATCH'],
        ['name', ATTACKER_NAME],
      ],
    ),
    '/fetch': `<!doctype html><html><head><meta charset="utf-8"><title>Cute cats</title></head>
<body><h1>Cute cats</h1><script>${fetchScript}</script></body></html>`,
  };
}

/** The attacker's web server: static pages on another loopback port. */
async function startAttackerServer(
  pages: () => Record<string, string>,
): Promise<{ origin: string; server: Server }> {
  const server = createServer((incoming, outgoing) => {
    incoming.resume();
    const page = pages()[incoming.url ?? ''];
    outgoing.writeHead(page === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' });
    outgoing.end(page ?? 'not found');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

let root = '';
let shotsDir = '';
let proxy: SameOriginProxy;
let attacker: { origin: string; server: Server } | undefined;
let gatehouse: ServerProcess | undefined;
let browser: LaunchedBrowser | undefined;
let appPage: Page;
let attackerPage: Page;
/** The token the login answered with; empty until a login succeeded. */
let csrfToken = '';

/** A call from the legitimate page's script (same origin, cookie attached by the browser). */
function fromApp(method: string, path: string, options: PageCallOptions = {}): Promise<PageReply> {
  return callFromPage(appPage, method, path, options);
}

/** A request from outside any browser, through the proxy, with exactly these headers. */
function rawCall(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<RawReply> {
  const { port } = new URL(proxy.origin);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port: Number(port),
        method,
        path,
        headers: {
          ...options.headers,
          ...(options.body === undefined
            ? {}
            : { 'content-length': String(Buffer.byteLength(options.body)) }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Record<string, unknown> | null = null;
          try {
            body = text ? (JSON.parse(text) as Record<string, unknown>) : null;
          } catch {
            body = { unparsed: text.slice(0, 200) };
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** The server's last logged unexpected error, for a 500's assertion message. */
function lastServerError(): string {
  const line = gatehouse
    ?.logs()
    .filter((entry) => entry.level >= 50)
    .at(-1);
  const err = line?.err as { stack?: string; message?: string } | undefined;
  return err?.stack?.split('\n').slice(0, 4).join('\n') ?? err?.message ?? line?.msg ?? 'none logged';
}

function describeReply(reply: { status: number; body: unknown }): string {
  const text = `status ${reply.status}, body ${JSON.stringify(reply.body)}`;
  return reply.status >= 500 ? `${text}\nserver error: ${lastServerError()}` : text;
}

function assertCsrfFailed(reply: PageReply | RawReply, label: string): void {
  assert.equal(reply.status, 403, `${label}: ${describeReply(reply)}`);
  const contentType = 'contentType' in reply ? reply.contentType : reply.headers['content-type'];
  assert.match(String(contentType), /^application\/problem\+json/, label);
  assert.equal((reply.body as Record<string, unknown> | null)?.code, 'CSRF_FAILED', label);
}

/** Fails clearly when the login case did not get a session, instead of a confusing cascade. */
function requireSession(): void {
  assert.ok(csrfToken, 'no cookie session: the login case failed, see its error');
}

/** What a forgery could change, as the legitimate page sees it. */
async function accountState(): Promise<{ user: unknown; sessionIds: string[] }> {
  const me = await fromApp('GET', '/users/me');
  assert.equal(me.status, 200, `GET /users/me: ${describeReply(me)}`);
  const sessions = await fromApp('GET', '/users/me/sessions');
  assert.equal(sessions.status, 200, `GET /users/me/sessions: ${describeReply(sessions)}`);
  const list = (sessions.body as { sessions: SessionView[] }).sessions;
  return { user: (me.body as { user: unknown }).user, sessionIds: list.map((s) => s.id).sort() };
}

async function sessionCookie(): Promise<{ value: string } | undefined> {
  const cookies = await browser!.context.cookies(proxy.origin);
  return cookies.find((cookie) => cookie.name === COOKIE_NAME);
}

/** Exchanges the attacker's pages caused that reached the server. */
function attackerExchanges() {
  return proxy.exchanges().filter((exchange) => exchange.origin === attacker?.origin);
}

/**
 * Opens a page that navigates away by itself (a self-submitting form). The form's navigation
 * may overtake the page's own before Playwright sees it commit; that is the page doing its
 * job, and what counts is what reached the server, which the caller checks at the proxy.
 */
async function openSelfSubmittingPage(page: Page, url: string): Promise<void> {
  try {
    await page.goto(url, { waitUntil: 'commit' });
  } catch (error) {
    const overtaken = error instanceof Error && error.message.includes('interrupted by another navigation');
    if (!overtaken) throw error;
  }
}

function screenshotPath(name: string): string {
  return join(shotsDir, `${name}.png`);
}

before(
  async () => {
    root = await mkdtemp(join(tmpdir(), 'gatehouse-e2e-browser-'));
    // Screenshots live apart from the data dir, so they can outlive the run when a case fails.
    shotsDir = await mkdtemp(join(tmpdir(), 'gatehouse-e2e-browser-shots-'));
    // The proxy first: its origin is the server's base URL.
    proxy = await startSameOriginProxy({ page: FETCH_PAGE });
    attacker = await startAttackerServer(() => attackerPages(proxy.origin));
    const env = {
      GATEHOUSE_MODE: 'development',
      GATEHOUSE_DATA_DIR: join(root, 'data'),
      GATEHOUSE_BASE_URL: proxy.origin,
      GATEHOUSE_MAIL_URL: pathToFileURL(join(root, 'mail')).href,
      GATEHOUSE_TRUSTED_PROXY_HOPS: '1',
    };
    const migrated = await runGatehouse(['migrate', 'up'], { env });
    assert.equal(migrated.code, 0, `gatehouse migrate up failed:\n${migrated.stderr}`);
    const created = await runGatehouse(['create-user', '--email', EMAIL, '--name', NAME, '--verified'], {
      env,
      input: `${PASSWORD}\n`,
    });
    assert.equal(created.code, 0, `gatehouse create-user failed:\n${created.stderr}`);
    const [server, launched] = await Promise.all([
      spawnServer({ env: { ...env, PORT: '0' } }),
      launchBrowser(),
    ]);
    gatehouse = server;
    browser = launched;
    proxy.setUpstream(server.url);
    appPage = await browser.newPage();
    attackerPage = await browser.newPage();
    await appPage.goto(`${proxy.origin}/`);
  },
  { timeout: 30_000 },
);

after(async () => {
  await browser?.close();
  await gatehouse?.kill();
  await proxy?.close();
  const attackerServer = attacker?.server;
  if (attackerServer?.listening) {
    await new Promise<void>((resolve) => {
      attackerServer.close(() => resolve());
      attackerServer.closeAllConnections();
    });
  }
  if (root) await rm(root, { recursive: true, force: true });
  // Kept only when a failure left a screenshot in it (its path is in that failure's message).
  const shots = shotsDir ? await readdir(shotsDir).catch(() => []) : ['none'];
  if (shots.length === 0) await rm(shotsDir, { recursive: true, force: true });
});

describe('cookie sessions in a real browser - same-origin app, cross-origin attacker', {
  timeout: 30_000,
}, () => {
  it('POST /auth/session - should set a __Host- cookie that is HttpOnly, Secure, SameSite=Lax, Path=/ and host-only', async () => {
    await screenshotOnFailure(appPage, screenshotPath('login'), async () => {
      const login = await fromApp('POST', '/auth/session', { body: { email: EMAIL, password: PASSWORD } });
      assert.equal(login.status, 200, `POST /auth/session: ${describeReply(login)}`);
      const body = login.body as { user?: { email?: string }; csrfToken?: unknown };
      assert.equal(body.user?.email, EMAIL);
      assert.equal(typeof body.csrfToken, 'string', 'the login answer has no csrfToken');
      assert.ok((body.csrfToken as string).length >= 16, 'the CSRF token is too short to be unguessable');

      const cookies = await browser!.context.cookies(proxy.origin);
      const cookie = cookies.find((candidate) => candidate.name === COOKIE_NAME);
      assert.ok(cookie, `no ${COOKIE_NAME} cookie in the browser; it holds: ${cookies.map((c) => c.name)}`);
      assert.equal(cookie.httpOnly, true, 'HttpOnly');
      assert.equal(cookie.secure, true, 'Secure');
      assert.equal(cookie.sameSite, 'Lax', 'SameSite');
      assert.equal(cookie.path, '/', 'Path');
      // No leading dot: a host-only cookie, as the __Host- prefix demands.
      assert.equal(cookie.domain, '127.0.0.1', 'Domain');
      assert.ok(cookie.value.length >= 20, 'the session id is too short to be unguessable');
      assert.ok(!cookie.value.includes(EMAIL), 'the cookie must be opaque');
      csrfToken = body.csrfToken as string;
    });
  });

  it('session theft by script - document.cookie should not expose the session cookie', async () => {
    requireSession();
    await screenshotOnFailure(appPage, screenshotPath('httponly'), async () => {
      const readable = await appPage.evaluate(() => (globalThis as unknown as PageGlobals).document.cookie);
      assert.ok(!readable.includes(COOKIE_NAME), 'the app page script can read the session cookie');
      // Cookies ignore ports: a page on a sibling port of the same host is in the jar's scope.
      await attackerPage.goto(`${attacker!.origin}/no-such-page`);
      const fromSibling = await attackerPage.evaluate(
        () => (globalThis as unknown as PageGlobals).document.cookie,
      );
      assert.ok(!fromSibling.includes(COOKIE_NAME), 'a page on another port can read the session cookie');
    });
  });

  it('cookie session - should authenticate reads, hand out a CSRF token, and allow a PATCH that carries it', async () => {
    requireSession();
    await screenshotOnFailure(appPage, screenshotPath('authenticated'), async () => {
      const me = await fromApp('GET', '/users/me');
      assert.equal(me.status, 200, `GET /users/me: ${describeReply(me)}`);
      assert.equal((me.body as { user: { email: string } }).user.email, EMAIL);
      const sent = proxy.exchanges().findLast((e) => e.method === 'GET' && e.path === '/users/me');
      assert.ok(sent?.cookieNames.includes(COOKIE_NAME), 'the browser did not send the session cookie');

      const csrf = await fromApp('GET', '/auth/csrf');
      assert.equal(csrf.status, 200, `GET /auth/csrf: ${describeReply(csrf)}`);
      const fresh = (csrf.body as { csrfToken?: unknown }).csrfToken;
      assert.equal(typeof fresh, 'string', 'GET /auth/csrf has no csrfToken');

      const renamed = await fromApp('PATCH', '/users/me', { body: { name: 'Robin Renamed' }, csrfToken });
      assert.equal(renamed.status, 200, `PATCH /users/me with the token: ${describeReply(renamed)}`);
      assert.equal((renamed.body as { user: { name: string } }).user.name, 'Robin Renamed');

      const sessions = await fromApp('GET', '/users/me/sessions');
      assert.equal(sessions.status, 200, `GET /users/me/sessions: ${describeReply(sessions)}`);
      const list = (sessions.body as { sessions: SessionView[] }).sessions;
      assert.equal(list.length, 1, `expected one session, got ${list.length}`);
      assert.equal(list[0]?.current, true, 'the cookie session is not marked current');
      const userAgent = await appPage.evaluate(
        () => (globalThis as unknown as PageGlobals).navigator.userAgent,
      );
      assert.equal(list[0]?.userAgent, userAgent, "the session does not record the browser's user agent");
    });
  });

  it('CSRF: same-origin PATCH without X-CSRF-Token or with a forged one - should answer 403 CSRF_FAILED and change nothing', async () => {
    requireSession();
    await screenshotOnFailure(appPage, screenshotPath('missing-token'), async () => {
      const before = await accountState();
      const missing = await fromApp('PATCH', '/users/me', { body: { name: ATTACKER_NAME } });
      assertCsrfFailed(missing, 'PATCH /users/me without X-CSRF-Token');
      // Same length and alphabet as the real token, one character changed.
      const last = csrfToken.at(-1) === 'A' ? 'B' : 'A';
      const forged = await fromApp('PATCH', '/users/me', {
        body: { name: ATTACKER_NAME },
        csrfToken: `${csrfToken.slice(0, -1)}${last}`,
      });
      assertCsrfFailed(forged, 'PATCH /users/me with a forged X-CSRF-Token');
      const logout = await fromApp('DELETE', '/auth/session');
      assertCsrfFailed(logout, 'DELETE /auth/session without X-CSRF-Token');
      assert.deepEqual(await accountState(), before, 'a refused request changed the account');
    });
  });

  it('login CSRF: POST /auth/session with a foreign or null Origin - should answer 403 CSRF_FAILED and set no cookie', async () => {
    const body = JSON.stringify({ email: EMAIL, password: PASSWORD });
    for (const origin of [attacker!.origin, 'null']) {
      const reply = await rawCall('POST', '/auth/session', {
        headers: { 'content-type': 'application/json', origin },
        body,
      });
      assertCsrfFailed(reply, `POST /auth/session with Origin ${origin}`);
      assert.equal(reply.headers['set-cookie'], undefined, `a cookie was set for Origin ${origin}`);
    }
  });

  it('CSRF: auto-submitted cross-origin forms (text/plain, urlencoded) - should be refused and change nothing', async () => {
    requireSession();
    const before = await accountState();
    const urlencoded = 'application/x-www-form-urlencoded';
    const forms: {
      page: string;
      target: string;
      contentType: string;
      refused: readonly number[] | 'any 4xx';
    }[] = [
      {
        page: '/form-text-plain',
        target: '/users/me/change-password',
        contentType: 'text/plain',
        refused: [403, 415],
      },
      {
        page: '/form-urlencoded',
        target: '/users/me/change-password',
        contentType: urlencoded,
        refused: [403, 415],
      },
      // POST is not a method of /users/me: any refusal will do, as long as nothing is applied.
      {
        page: '/form-urlencoded-profile',
        target: '/users/me?_method=PATCH',
        contentType: urlencoded,
        refused: 'any 4xx',
      },
    ];
    for (const form of forms) {
      await screenshotOnFailure(
        attackerPage,
        screenshotPath(`form${form.page.replaceAll('/', '-')}`),
        async () => {
          const mark = proxy.exchanges().length;
          await openSelfSubmittingPage(attackerPage, `${attacker!.origin}${form.page}`);
          const forged = await proxy.waitForExchange(
            (e) =>
              e.origin === attacker!.origin &&
              e.method === 'POST' &&
              e.path === form.target &&
              e.contentType === form.contentType,
            { after: mark },
          );
          const seen = `${form.page}: status ${forged.status}, body ${forged.responseBody}`;
          // Same site, so SameSite=Lax lets the cookie through: the server's check is what is tested.
          assert.ok(
            forged.cookieNames.includes(COOKIE_NAME),
            `${form.page}: the form POST carried no cookie`,
          );
          const refused =
            form.refused === 'any 4xx'
              ? forged.status >= 400 && forged.status < 500
              : form.refused.includes(forged.status);
          assert.ok(refused, seen);
          if (forged.status === 403 || forged.status === 415) {
            assert.match(forged.responseBody, /"code":"(CSRF_FAILED|UNSUPPORTED_MEDIA_TYPE)"/, seen);
          }
        },
      );
    }
    await screenshotOnFailure(appPage, screenshotPath('after-forms'), async () => {
      assert.deepEqual(await accountState(), before, 'a forged form changed the account');
    });
  });

  it('CSRF: credentialed cross-origin fetch (simple and preflighted) - should be unreadable, refused and change nothing', async () => {
    requireSession();
    const before = await accountState();
    await screenshotOnFailure(attackerPage, screenshotPath('fetch-attacks'), async () => {
      await attackerPage.goto(`${attacker!.origin}/fetch`);
      const outcomes = await attackerPage.evaluate(
        () => (globalThis as unknown as PageGlobals).attackResults,
      );
      assert.equal(
        outcomes.length,
        6,
        `the attack script did not run to the end: ${JSON.stringify(outcomes)}`,
      );
      const readable = outcomes.filter((outcome) => outcome.readable);
      assert.deepEqual(readable, [], 'the attacker origin could read API responses (CORS granted)');

      const reached = attackerExchanges();
      for (const preflight of reached.filter((e) => e.method === 'OPTIONS')) {
        const allowed = preflight.responseHeaders['access-control-allow-origin'];
        assert.ok(
          allowed !== attacker!.origin && allowed !== '*',
          `the preflight for ${preflight.path} allowed the attacker origin`,
        );
      }
      const unsafe = reached.filter((e) => !SAFE_METHODS.has(e.method));
      for (const forged of unsafe) {
        assert.ok(
          forged.status >= 400,
          `${forged.method} ${forged.path} from the attacker origin answered ${forged.status}: ${forged.responseBody}`,
        );
      }
      // The simple (non-preflighted) requests reach the server with the cookie; they must be
      // refused by the server itself.
      for (const path of ['/users/me/change-password', '/auth/session']) {
        const simple = unsafe.find(
          (e) => e.method === 'POST' && e.path === path && e.contentType === 'text/plain',
        );
        assert.ok(simple, `the text/plain POST ${path} never reached the server`);
        assert.ok(simple.cookieNames.includes(COOKIE_NAME), `the text/plain POST ${path} carried no cookie`);
        const seen = `text/plain POST ${path}: status ${simple.status}, body ${simple.responseBody}`;
        assert.ok([403, 415].includes(simple.status), seen);
        assert.match(simple.responseBody, /"code":"(CSRF_FAILED|UNSUPPORTED_MEDIA_TYPE)"/, seen);
        assert.equal(simple.responseHeaders['set-cookie'], undefined, `${seen}: a cookie was set`);
      }
    });
    await screenshotOnFailure(appPage, screenshotPath('after-fetch'), async () => {
      assert.deepEqual(await accountState(), before, 'a forged fetch changed the account');
    });
  });

  it('DELETE /auth/session - should answer 204, clear the cookie and revoke the session so a copied cookie is dead', async () => {
    requireSession();
    await screenshotOnFailure(appPage, screenshotPath('logout'), async () => {
      const copied = await sessionCookie();
      assert.ok(copied, 'no session cookie before logout');
      const csrf = await fromApp('GET', '/auth/csrf');
      const token = (csrf.body as { csrfToken?: string } | null)?.csrfToken ?? csrfToken;
      // What the page stored for the user must not outlive the session (Clear-Site-Data).
      await appPage.evaluate(() => localStorage.setItem('draft', 'kept for the signed-in user'));
      const logout = await fromApp('DELETE', '/auth/session', { csrfToken: token });
      assert.equal(logout.status, 204, `DELETE /auth/session: ${describeReply(logout)}`);
      assert.equal(await sessionCookie(), undefined, 'the session cookie is still in the browser');
      assert.equal(
        await appPage.evaluate(() => localStorage.getItem('draft')),
        null,
        'Clear-Site-Data "storage" emptied localStorage',
      );

      const me = await fromApp('GET', '/users/me');
      assert.equal(me.status, 401, `GET /users/me after logout: ${describeReply(me)}`);
      // The server must have revoked the session, not only asked the browser to forget it.
      const replayed = await rawCall('GET', '/users/me', {
        headers: { cookie: `${COOKIE_NAME}=${copied.value}` },
      });
      assert.equal(replayed.status, 401, `a copied cookie after logout: ${describeReply(replayed)}`);
    });
  });

  it('after every forgery - the original password should still sign in', async () => {
    const login = await rawCall('POST', '/auth/login', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
    });
    assert.equal(login.status, 200, `POST /auth/login with the original password: ${describeReply(login)}`);
  });
});
