/**
 * `gatehouse/client` in a real browser (headless Chromium), bundled from the sources with
 * esbuild, against the Hono example running as a real process (Gatehouse under /api).
 *
 * - Same origin: the page and the API share one origin through the same-origin proxy (which
 *   counts the requests the browser really made), as in a deployment behind one host name.
 * - Cross origin: the page comes from another loopback port and calls the example directly,
 *   which lists the page's origin in `cors.origins` (GATEHOUSE_CORS_ORIGINS). Ports make another
 *   *origin* but the same *site*, so the SameSite=Lax session cookie is sent: this is what a
 *   deployment with `app.example.com` and `api.example.com` gets. Across *sites* (the page on
 *   `localhost`, the API on `127.0.0.1`) the browser neither stores nor sends a Lax cookie on
 *   these requests — the last cookie case proves that the client then reports signed-out
 *   instead of pretending; such deployments use the bearer transport.
 *
 * Invariants: the cookie transport signs in, reads and writes (fetching and sending the CSRF
 * token itself) and signs out, same origin and cross origin; the bearer transport, once its
 * access token has expired (the page's clock moved past the lifetime), sends exactly one
 * POST /auth/refresh for N parallel calls, every one of which succeeds; a login that needs a
 * second factor stops at `two-factor-required` until a real TOTP code is verified; a refresh
 * token replayed by someone else (reuse) ends the session, and the page's session store reports
 * `signed-out` with the reason `refresh-failed` to its subscriber.
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
import { bundleForBrowser, modulePage } from '../fixtures/browser-bundle.ts';
import type { ClientPageGlobals } from '../fixtures/client-page.ts';
import { type RunningExample, registerVerified, startExample } from '../fixtures/example-process.ts';
import { type SameOriginProxy, startSameOriginProxy } from '../fixtures/same-origin-proxy.ts';
import { codeOfStep, enrollOverHttp, wallClockStep } from '../fixtures/two-factor.ts';

const COOKIE_NAME = '__Host-gh_session';
/** The example's access-token lifetime (the default, 15 minutes) and a little more. */
const PAST_ACCESS_TOKEN_LIFETIME_MS = 16 * 60_000;
const PARALLEL_CALLS = 20;

let browser: LaunchedBrowser | undefined;
let example: RunningExample | undefined;
/** The page and the API on one origin (the proxy in front of the example). */
let sameOrigin: SameOriginProxy | undefined;
/** The page alone, on another port of 127.0.0.1 (same site, other origin). */
let otherOrigin: SameOriginProxy | undefined;
/** The same page served from `localhost`: another site than the API on 127.0.0.1. */
let otherSiteOrigin = '';
let shotsDir = '';

type Transport = 'cookie' | 'bearer';

before(
  async () => {
    shotsDir = await mkdtemp(join(tmpdir(), 'gatehouse-e2e-client-shots-'));
    const page = modulePage(await bundleForBrowser(new URL('../fixtures/client-page.ts', import.meta.url)));
    [sameOrigin, otherOrigin] = await Promise.all([
      startSameOriginProxy({ page }),
      startSameOriginProxy({ page }),
    ]);
    otherSiteOrigin = otherOrigin.origin.replace('127.0.0.1', 'localhost');
    const [launched, started] = await Promise.all([
      launchBrowser(),
      startExample('hono', {
        env: {
          GATEHOUSE_BASE_URL: sameOrigin.origin,
          GATEHOUSE_CORS_ORIGINS: `${otherOrigin.origin},${otherSiteOrigin}`,
        },
      }),
    ]);
    browser = launched;
    // Installed before any page loads, so that every page's Date can be moved later (movePageClock).
    await browser.context.clock.install();
    example = started;
    sameOrigin.setUpstream(example.base);
  },
  { timeout: 40_000 },
);

after(async () => {
  await browser?.close();
  await sameOrigin?.close();
  await otherOrigin?.close();
  await example?.stop();
  const shots = shotsDir ? await readdir(shotsDir).catch(() => []) : ['none'];
  if (shots.length === 0) await rm(shotsDir, { recursive: true, force: true });
});

/** A verified account on the example, signed in nowhere yet. */
async function newAccount(label: string): Promise<string> {
  const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
  await registerVerified(`${example!.base}/api`, example!.mailDir, email);
  return email;
}

/** A fresh tab (with an empty cookie jar) on `pageOrigin`, holding a client for `apiBase`. */
async function openClientPage(pageOrigin: string, apiBase: string, transport: Transport): Promise<Page> {
  await browser!.context.clearCookies();
  const page = await browser!.newPage();
  await page.goto(`${pageOrigin}/`);
  await page.waitForFunction(() => 'clientPage' in globalThis);
  await page.evaluate(
    ([baseUrl, basePath, mode]) =>
      (globalThis as unknown as ClientPageGlobals).clientPage.create({ baseUrl, basePath, transport: mode }),
    [apiBase, '/api', transport] as const,
  );
  return page;
}

/** Runs `run` with a page, saving a screenshot on failure and closing the page either way. */
async function withPage(name: string, open: () => Promise<Page>, run: (page: Page) => Promise<void>) {
  const page = await open();
  try {
    await screenshotOnFailure(page, join(shotsDir, `${name}.png`), () => run(page));
  } finally {
    await page.close();
  }
}

/**
 * Moves the page's clock `ms` ahead of where the page's time is now, and holds it there (timers
 * keep running). The clock belongs to the browser context: later pages see the moved time too.
 */
async function movePageClock(page: Page, ms: number): Promise<void> {
  const pageNow = await page.evaluate(() => Date.now());
  await page.clock.setFixedTime(pageNow + ms);
}

interface Outcome {
  readonly ok: boolean;
  readonly status: number;
  readonly code: string | null;
  readonly data: Record<string, unknown> | null;
}

/** The session store's current state, as the page sees it. */
function sessionState(page: Page): Promise<{ status: string; reason?: string; user?: { email: string } }> {
  return page.evaluate(() => (globalThis as unknown as ClientPageGlobals).clientPage.client.session.get());
}

/**
 * Cookie transport from a page: sign in, read GET /users/me, write PATCH /users/me (the client
 * fetches and sends the CSRF token itself), list the sessions, sign out, and read again.
 */
async function cookieRoundTrip(page: Page, email: string) {
  return page.evaluate(
    async ([address, password]) => {
      const { client } = (globalThis as unknown as ClientPageGlobals).clientPage;
      const outcome = (result: { data: unknown; error: { status: number; code: string } | null }) => ({
        ok: result.error === null,
        status: result.error?.status ?? 200,
        code: result.error?.code ?? null,
        data: result.data as Record<string, unknown> | null,
      });
      const signIn = outcome(await client.signIn({ email: address, password }));
      const stateAfterSignIn = client.session.get().status;
      const me = outcome(await client.users.me.get());
      const renamed = outcome(await client.users.me.update({ name: 'Renamed In Chromium' }));
      const sessions = outcome(await client.users.me.sessions.list());
      const signOut = outcome(await client.signOut());
      const stateAfterSignOut = client.session.get();
      const afterSignOut = outcome(await client.users.me.get());
      return { signIn, stateAfterSignIn, me, renamed, sessions, signOut, stateAfterSignOut, afterSignOut };
    },
    [email, GOOD_PASSWORD] as const,
  );
}

function describeOutcome(label: string, outcome: Outcome): string {
  return `${label}: ${outcome.status} ${outcome.code ?? ''}`;
}

describe('gatehouse/client in Chromium - cookie transport', { timeout: 20_000 }, () => {
  it('same origin: sign in, read, write with the CSRF token it fetched itself, list sessions, sign out', async () => {
    const email = await newAccount('cookie-same');
    const origin = sameOrigin!.origin;
    await withPage(
      'cookie-same-origin',
      () => openClientPage(origin, '', 'cookie'),
      async (page) => {
        const mark = sameOrigin!.exchanges().length;
        const run = await cookieRoundTrip(page, email);
        assert.ok(run.signIn.ok, describeOutcome('signIn', run.signIn));
        assert.equal(run.stateAfterSignIn, 'signed-in');
        assert.equal((run.me.data?.user as { email?: string } | undefined)?.email, email);
        assert.ok(run.renamed.ok, describeOutcome('users.me.update', run.renamed));
        assert.equal((run.renamed.data?.user as { name?: string } | undefined)?.name, 'Renamed In Chromium');
        const sessions = run.sessions.data?.sessions as { current: boolean }[];
        assert.deepEqual(
          sessions.map((s) => s.current),
          [true],
        );
        assert.ok(run.signOut.ok, describeOutcome('signOut', run.signOut));
        assert.equal(run.stateAfterSignOut.status, 'signed-out');
        assert.equal(run.afterSignOut.status, 401);

        // What the browser really sent: the cookie on reads, the CSRF header on the writes.
        const sent = sameOrigin!.exchanges().slice(mark);
        const patch = sent.find((e) => e.method === 'PATCH' && e.path === '/api/users/me');
        assert.ok(patch?.cookieNames.includes(COOKIE_NAME), 'PATCH /api/users/me carried no session cookie');
        assert.equal(patch?.status, 200);
        const logout = sent.find((e) => e.method === 'DELETE' && e.path === '/api/auth/session');
        assert.equal(logout?.status, 204, 'DELETE /api/auth/session was not accepted');
        assert.equal(
          sent.filter((e) => e.status === 403).length,
          0,
          'a write was refused (CSRF) before the client retried',
        );
      },
    );
  });

  it('cross origin, same site (another port, CORS with credentials): the same round trip works', async () => {
    const email = await newAccount('cookie-cors');
    await withPage(
      'cookie-cross-origin',
      () => openClientPage(otherOrigin!.origin, example!.base, 'cookie'),
      async (page) => {
        const run = await cookieRoundTrip(page, email);
        assert.ok(run.signIn.ok, describeOutcome('signIn', run.signIn));
        assert.equal((run.me.data?.user as { email?: string } | undefined)?.email, email);
        assert.ok(run.renamed.ok, describeOutcome('users.me.update', run.renamed));
        assert.equal((run.sessions.data?.sessions as unknown[] | undefined)?.length, 1);
        assert.ok(run.signOut.ok, describeOutcome('signOut', run.signOut));
        assert.equal(run.afterSignOut.status, 401);
      },
    );
  });

  it('cross site (page on localhost, API on 127.0.0.1): the Lax cookie is not sent, so the client reports signed-out', async () => {
    const email = await newAccount('cookie-cross-site');
    await withPage(
      'cookie-cross-site',
      () => openClientPage(otherSiteOrigin, example!.base, 'cookie'),
      async (page) => {
        const run = await cookieRoundTrip(page, email);
        // The login itself succeeds (the password was right, CORS allows the origin) ...
        assert.ok(run.signIn.ok, describeOutcome('signIn', run.signIn));
        // ... but the browser kept no cookie for a cross-site answer, so nothing else is authenticated.
        assert.equal(run.me.status, 401, describeOutcome('users.me.get', run.me));
        const cookies = await browser!.context.cookies(example!.base);
        assert.ok(!cookies.some((c) => c.name === COOKIE_NAME), 'a cross-site response stored a Lax cookie');
        assert.equal((await sessionState(page)).status, 'signed-out');
      },
    );
  });
});

describe('gatehouse/client in Chromium - bearer transport', { timeout: 20_000 }, () => {
  it(`an expired access token: ${PARALLEL_CALLS} parallel calls cause exactly one POST /auth/refresh, and all succeed`, async () => {
    const email = await newAccount('bearer-expiry');
    await withPage(
      'bearer-single-flight',
      () => openClientPage(sameOrigin!.origin, '', 'bearer'),
      async (page) => {
        const signIn = await page.evaluate(
          async ([address, password]) => {
            const { client } = (globalThis as unknown as ClientPageGlobals).clientPage;
            const result = await client.signIn({ email: address, password });
            return { ok: result.error === null, status: client.session.get().status };
          },
          [email, GOOD_PASSWORD] as const,
        );
        assert.deepEqual(signIn, { ok: true, status: 'signed-in' });

        // The page's clock jumps past the access token's lifetime (as after a laptop's sleep).
        await movePageClock(page, PAST_ACCESS_TOKEN_LIFETIME_MS);
        const mark = sameOrigin!.exchanges().length;
        const results = await page.evaluate(async (count) => {
          const { client } = (globalThis as unknown as ClientPageGlobals).clientPage;
          const calls = Array.from({ length: count }, () => client.users.me.get());
          return (await Promise.all(calls)).map((result) => result.error?.code ?? 'ok');
        }, PARALLEL_CALLS);
        assert.deepEqual(results, Array(PARALLEL_CALLS).fill('ok'));

        const sent = sameOrigin!.exchanges().slice(mark);
        const refreshes = sent.filter((e) => e.method === 'POST' && e.path === '/api/auth/refresh');
        assert.equal(
          refreshes.length,
          1,
          `POST /api/auth/refresh reached the server ${refreshes.length} times`,
        );
        assert.equal(refreshes[0]?.status, 200);
        const reads = sent.filter((e) => e.method === 'GET' && e.path === '/api/users/me');
        assert.equal(reads.length, PARALLEL_CALLS, 'a call was sent more than once (or not at all)');
        assert.ok(
          sent.indexOf(refreshes[0]!) < sent.indexOf(reads[0]!),
          'a call went out with the expired token before the refresh',
        );
      },
    );
  });

  it('refresh-token reuse: a replayed refresh token ends the session and the store reports signed-out (refresh-failed)', async () => {
    const email = await newAccount('bearer-reuse');
    await withPage(
      'bearer-reuse',
      () => openClientPage(sameOrigin!.origin, '', 'bearer'),
      async (page) => {
        const signedIn = await page.evaluate(
          async ([address, password]) => {
            const { client } = (globalThis as unknown as ClientPageGlobals).clientPage;
            return (await client.signIn({ email: address, password })).error === null;
          },
          [email, GOOD_PASSWORD] as const,
        );
        assert.ok(signedIn);
        // A thief copies the page's refresh token and uses it first (the rotation hands them a new pair).
        const stolen = await page.evaluate(() =>
          (globalThis as unknown as ClientPageGlobals).clientPage.storedValues(),
        );
        const refreshToken = stolen
          .map((value) => {
            try {
              return (JSON.parse(value) as { refreshToken?: unknown }).refreshToken;
            } catch {
              return undefined;
            }
          })
          .find((value): value is string => typeof value === 'string');
        assert.ok(refreshToken, 'the bearer transport stored no refresh token');
        const thief = await fetch(`${example!.base}/api/auth/refresh`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refreshToken }),
        });
        assert.equal(thief.status, 200, 'the first use of the copied refresh token');
        const thiefPair = (await thief.json()) as { refreshToken: string };

        // The page's token expires; its refresh presents the already-used token: reuse.
        await movePageClock(page, PAST_ACCESS_TOKEN_LIFETIME_MS);
        const after = await page.evaluate(async () => {
          const { clientPage } = globalThis as unknown as ClientPageGlobals;
          const result = await clientPage.client.users.me.get();
          return {
            code: result.error?.code ?? null,
            state: clientPage.client.session.get(),
            states: clientPage.states.map(
              (state) => JSON.parse(state) as { status: string; reason?: string },
            ),
            stored: clientPage.storedValues().length,
          };
        });
        assert.notEqual(after.code, null, 'the call succeeded on a session that reuse should have ended');
        assert.deepEqual(after.state, { status: 'signed-out', reason: 'refresh-failed' });
        assert.deepEqual(after.states.at(-1), { status: 'signed-out', reason: 'refresh-failed' });
        assert.ok(
          after.states.some((state) => state.status === 'signed-in'),
          'the subscriber never saw the signed-in state',
        );
        assert.equal(after.stored, 0, 'the tokens were left in storage');

        // Reuse revoked the whole session: the thief's new pair is dead too.
        const thiefAgain = await fetch(`${example!.base}/api/auth/refresh`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refreshToken: thiefPair.refreshToken }),
        });
        assert.equal(thiefAgain.status, 401, 'the session survived the reuse');
      },
    );
  });
});

describe('gatehouse/client in Chromium - two-factor step', { timeout: 20_000 }, () => {
  for (const transport of ['cookie', 'bearer'] as const) {
    it(`${transport}: sign-in stops at two-factor-required until a real TOTP code is verified`, async () => {
      const email = await newAccount(`totp-${transport}`);
      // Confirmed with the previous step's code, so the current step's code is still unused.
      const user = await enrollOverHttp(
        `${example!.base}/api`,
        { email, password: GOOD_PASSWORD },
        { confirmOffset: -1 },
      );
      await withPage(
        `two-factor-${transport}`,
        () => openClientPage(sameOrigin!.origin, '', transport),
        async (page) => {
          const pending = await page.evaluate(
            async ([address, password]) => {
              const { client } = (globalThis as unknown as ClientPageGlobals).clientPage;
              const result = await client.signIn({ email: address, password });
              const me = await client.users.me.get();
              return {
                data: result.data as Record<string, unknown> | null,
                state: client.session.get(),
                me: me.error?.status ?? 200,
              };
            },
            [email, GOOD_PASSWORD] as const,
          );
          assert.equal(pending.data?.twoFactorRequired, true);
          assert.equal(pending.state.status, 'two-factor-required');
          assert.equal(pending.me, 401, 'the password alone authenticated a 2FA account');

          const wrong = codeOfStep(user.seed, wallClockStep() + 10);
          const code = codeOfStep(user.seed, wallClockStep());
          const verified = await page.evaluate(
            async ([bad, good]) => {
              const { client } = (globalThis as unknown as ClientPageGlobals).clientPage;
              const refused = await client.auth.twoFactor.verify({ code: bad });
              const stateAfterWrong = client.session.get().status;
              const accepted = await client.auth.twoFactor.verify({ code: good });
              const me = await client.users.me.get();
              return {
                refused: refused.error?.code ?? null,
                stateAfterWrong,
                accepted: accepted.error?.code ?? 'ok',
                state: client.session.get(),
                me: (me.data as { user?: { email?: string } } | null)?.user?.email ?? null,
              };
            },
            [wrong, code] as const,
          );
          assert.equal(verified.refused, 'TWO_FACTOR_CODE_INVALID');
          assert.equal(verified.stateAfterWrong, 'two-factor-required');
          assert.equal(verified.accepted, 'ok');
          assert.equal(verified.state.status, 'signed-in');
          assert.equal(verified.me, email);
          if (transport === 'cookie') {
            const cookies = await browser!.context.cookies(sameOrigin!.origin);
            assert.ok(
              cookies.some((c) => c.name === COOKIE_NAME),
              'no session cookie after the 2FA step',
            );
          }
        },
      );
    });
  }
});
