/**
 * Cookie sessions and CSRF through each framework adapter, from a real browser page on the
 * app's own origin: the Hono, Express and Fastify examples run as real processes (as their
 * READMEs say), each behind a small same-origin proxy that serves the page at `/` and passes
 * everything else to the example, so the page and the example's routes share one origin — the
 * one the example is told is its public origin (GATEHOUSE_BASE_URL).
 *
 * Invariant: through every adapter, a cookie login from the app's origin sets the session
 * cookie; the app's own guarded route (GET /api/me) accepts it; a cookie-authenticated write
 * without the session's X-CSRF-Token is refused with 403 problem+json CSRF_FAILED and changes
 * nothing, the same write with the token is accepted; signing out ends the session.
 *
 * @see issue #12
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
import { callFromPage, describeReply, FETCH_PAGE, type PageReply } from '../fixtures/fetch-page.ts';
import { type SameOriginProxy, startSameOriginProxy } from '../fixtures/same-origin-proxy.ts';

const COOKIE_NAME = '__Host-gh_session';
const EXAMPLES = ['hono', 'express', 'fastify'] as const;
const PROBLEM_JSON = /^application\/problem\+json/;

interface Deployment {
  readonly proxy: SameOriginProxy;
  readonly example: RunningExample;
  readonly email: string;
}

let browser: LaunchedBrowser | undefined;
let shotsDir = '';
const deployments = new Map<string, Deployment>();
const started: { proxy?: SameOriginProxy; example?: RunningExample }[] = [];

/** The proxy first (its origin is the example's public origin), then the example behind it. */
async function deploy(name: string): Promise<Deployment> {
  const slot: { proxy?: SameOriginProxy; example?: RunningExample } = {};
  started.push(slot);
  slot.proxy = await startSameOriginProxy({ page: FETCH_PAGE });
  slot.example = await startExample(name, { env: { GATEHOUSE_BASE_URL: slot.proxy.origin } });
  slot.proxy.setUpstream(slot.example.base);
  const email = `${name}-browser-${randomUUID().slice(0, 8)}@example.com`;
  await registerVerified(`${slot.example.base}/api`, slot.example.mailDir, email);
  return { proxy: slot.proxy, example: slot.example, email };
}

before(
  async () => {
    shotsDir = await mkdtemp(join(tmpdir(), 'gatehouse-e2e-adapters-shots-'));
    const [launched, ...ready] = await Promise.all([
      launchBrowser(),
      ...EXAMPLES.map((name) => deploy(name)),
    ]);
    browser = launched;
    for (const [index, deployment] of ready.entries()) deployments.set(EXAMPLES[index] as string, deployment);
  },
  { timeout: 40_000 },
);

after(async () => {
  await browser?.close();
  for (const { proxy, example } of started) {
    await proxy?.close();
    await example?.stop();
  }
  // Kept only when a failure left a screenshot in it (its path is in that failure's message).
  const shots = shotsDir ? await readdir(shotsDir).catch(() => []) : ['none'];
  if (shots.length === 0) await rm(shotsDir, { recursive: true, force: true });
});

function assertProblem(reply: PageReply, status: number, code: string, label: string): void {
  assert.equal(reply.status, status, `${label}: ${describeReply(reply)}`);
  assert.match(String(reply.contentType), PROBLEM_JSON, label);
  assert.equal((reply.body as { code?: unknown }).code, code, label);
}

for (const name of EXAMPLES) {
  describe(`examples/${name} in Chromium - cookie session and CSRF from a page on the app's origin`, {
    timeout: 20_000,
  }, () => {
    it('cookie login, guarded app route, write refused without X-CSRF-Token and accepted with it, sign-out', async () => {
      const { proxy, email } = deployments.get(name) as Deployment;
      // Cookies ignore ports: every example lives on 127.0.0.1, so each starts from an empty jar.
      await browser!.context.clearCookies();
      const page: Page = await browser!.newPage();
      try {
        await screenshotOnFailure(page, join(shotsDir, `${name}.png`), async () => {
          await page.goto(`${proxy.origin}/`);
          const call = (method: string, path: string, options = {}) =>
            callFromPage(page, method, path, options);

          const login = await call('POST', '/api/auth/session', { body: { email, password: GOOD_PASSWORD } });
          assert.equal(login.status, 200, `POST /api/auth/session: ${describeReply(login)}`);
          const { user, csrfToken } = login.body as { user: { id: string }; csrfToken: string };
          assert.equal(typeof csrfToken, 'string', 'the cookie login answered no csrfToken');
          const cookies = await browser!.context.cookies(proxy.origin);
          assert.ok(
            cookies.some((cookie) => cookie.name === COOKIE_NAME && cookie.httpOnly),
            `no HttpOnly ${COOKIE_NAME} in the browser`,
          );

          const me = await call('GET', '/api/me');
          assert.equal(me.status, 200, `GET /api/me with the cookie: ${describeReply(me)}`);
          assert.deepEqual(me.body, { userId: user.id });
          const sent = proxy.exchanges().findLast((e) => e.method === 'GET' && e.path === '/api/me');
          assert.ok(sent?.cookieNames.includes(COOKIE_NAME), 'the browser did not send the session cookie');

          const refused = await call('PATCH', '/api/users/me', { body: { name: 'Without Token' } });
          assertProblem(refused, 403, 'CSRF_FAILED', 'PATCH /api/users/me without X-CSRF-Token');
          const forged = await call('PATCH', '/api/users/me', {
            body: { name: 'Forged Token' },
            csrfToken: `${csrfToken.slice(0, -1)}${csrfToken.endsWith('A') ? 'B' : 'A'}`,
          });
          assertProblem(forged, 403, 'CSRF_FAILED', 'PATCH /api/users/me with a forged X-CSRF-Token');
          const unchanged = await call('GET', '/api/users/me');
          assert.equal(unchanged.status, 200, `GET /api/users/me: ${describeReply(unchanged)}`);
          assert.notEqual((unchanged.body as { user: { name: unknown } }).user.name, 'Without Token');
          assert.notEqual((unchanged.body as { user: { name: unknown } }).user.name, 'Forged Token');

          const accepted = await call('PATCH', '/api/users/me', { body: { name: 'With Token' }, csrfToken });
          assert.equal(
            accepted.status,
            200,
            `PATCH /api/users/me with X-CSRF-Token: ${describeReply(accepted)}`,
          );
          assert.equal((accepted.body as { user: { name: string } }).user.name, 'With Token');

          const logoutWithout = await call('DELETE', '/api/auth/session');
          assertProblem(logoutWithout, 403, 'CSRF_FAILED', 'DELETE /api/auth/session without X-CSRF-Token');
          const logout = await call('DELETE', '/api/auth/session', { csrfToken });
          assert.equal(logout.status, 204, `DELETE /api/auth/session: ${describeReply(logout)}`);
          const signedOut = await call('GET', '/api/me');
          assert.equal(signedOut.status, 401, `GET /api/me after sign-out: ${describeReply(signedOut)}`);
          assert.match(String(signedOut.contentType), PROBLEM_JSON);
        });
      } finally {
        await page.close();
      }
    });
  });
}
