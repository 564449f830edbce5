/**
 * Passkey ceremonies across workers: two real `gatehouse serve` processes share one PostgreSQL
 * and one Redis (the ceremony's challenge lives in Redis), and a real authenticator (Chromium's
 * virtual authenticator on http://localhost:<port>, the deployment's public origin) answers.
 *
 * Invariants: options asked of one worker are finished on the other (registration and sign-in);
 * the finished challenge is then dead on both; 20 parallel finishes of one challenge split over
 * both workers sign in exactly once.
 * @see issue #17
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signInOn } from '../fixtures/api-keys.ts';
import type { LaunchedBrowser } from '../fixtures/browser.ts';
import {
  type BlankOrigin,
  launchBrowser,
  startBlankOrigin,
  type VirtualAuthenticator,
  virtualAuthenticator,
} from '../fixtures/passkeys.ts';
import { jsonCall, startTwoWorkers, type TwoWorkers } from '../fixtures/production-server.ts';

const OWNER = { email: 'passkey-fleet@example.com', password: 'harbour-Lantern-quartz-71' };

describe('passkeys across two workers sharing Redis and PostgreSQL', { timeout: 180_000 }, () => {
  let blank: BlankOrigin;
  let workers: TwoWorkers;
  let browser: LaunchedBrowser;
  let authenticator: VirtualAuthenticator;

  before(async () => {
    blank = await startBlankOrigin();
    const origin = `http://localhost:${blank.port}`;
    // The public origin is the browser's page (RP ID localhost); development mode, because
    // production wants an https baseUrl. Rate limits off: the race sends 20 at once.
    workers = await startTwoWorkers({
      users: [OWNER],
      extra: {
        GATEHOUSE_MODE: 'development',
        GATEHOUSE_BASE_URL: origin,
        GATEHOUSE_RATE_LIMITS: JSON.stringify({ enabled: false }),
      },
    });
    browser = await launchBrowser({ actionTimeoutMs: 10_000 });
    authenticator = await virtualAuthenticator(browser, origin);
  });
  after(async () => {
    await browser?.close();
    await workers?.stop();
    await blank?.close();
  });

  it('registration options from worker A finish on worker B; sign-in options from A finish on B, then are dead on both', async () => {
    const { workerA, workerB } = workers;
    const { accessToken } = await signInOn(workerA, OWNER);
    const options = await jsonCall(workerA.url, 'POST', '/users/me/passkeys/options', { token: accessToken });
    assert.equal(options.status, 200, JSON.stringify(options.body));
    const response = await authenticator.create(options.body);
    const created = await jsonCall(workerB.url, 'POST', '/users/me/passkeys', {
      token: accessToken,
      body: { response },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    const flow = await jsonCall(workerA.url, 'POST', '/auth/passkey/options', {
      body: { email: OWNER.email },
    });
    assert.equal(flow.status, 200);
    const { flowId, options: request } = flow.body as { flowId: string; options: unknown };
    const assertion = await authenticator.get(request);
    const signedIn = await jsonCall(workerB.url, 'POST', '/auth/passkey/login', {
      body: { flowId, response: assertion },
    });
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    for (const worker of [workerA, workerB]) {
      const replay = await jsonCall(worker.url, 'POST', '/auth/passkey/login', {
        body: { flowId, response: assertion },
      });
      assert.equal(replay.status, 400);
      assert.equal(replay.code, 'PASSKEY_CHALLENGE_INVALID');
    }
  });

  it('20 parallel finishes of one challenge, split over both workers: exactly one winner', async () => {
    const { workerA, workerB } = workers;
    const flow = await jsonCall(workerA.url, 'POST', '/auth/passkey/options', { body: {} });
    const { flowId, options: request } = flow.body as { flowId: string; options: unknown };
    const assertion = await authenticator.get(request);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        jsonCall((i % 2 === 0 ? workerA : workerB).url, 'POST', '/auth/passkey/login', {
          body: { flowId, response: assertion },
          timeoutMs: 10_000,
        }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(','));
    for (const loser of answers.filter((a) => a.status !== 200)) {
      assert.equal(loser.code, 'PASSKEY_CHALLENGE_INVALID', JSON.stringify(loser.body));
    }
  });
});
