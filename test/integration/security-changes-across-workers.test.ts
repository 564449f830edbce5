/**
 * Threat: a security change made through one worker leaves the sessions it should end alive on
 * another — a password-only session keeps refreshing on worker B after 2FA was turned on
 * through worker A, or a session keeps working on B after 2FA was turned off on A.
 *
 * Invariant: with two real `gatehouse serve` processes on one PostgreSQL and one Redis, turning
 * 2FA on through A ends, on B at once, every other session that never passed a second factor
 * (access and refresh tokens refused), and turning 2FA off through A ends every other session
 * on B, including one that passed 2FA; the caller's session keeps working on both. The
 * production servers have no mail transport: the notices fail in the background and the
 * changes still answer as usual.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { base32Decode } from '../../src/crypto/base32.ts';
import { totpCode } from '../../src/crypto/totp.ts';
import { type Credentials, startTwoWorkers, type TwoWorkers } from '../fixtures/api-keys.ts';
import { jsonCall } from '../fixtures/production-server.ts';
import type { ServerProcess } from '../fixtures/spawn-server.ts';

const USER: Credentials = { email: 'security-changes@example.com', password: 'amber-Lighthouse-quiet-58' };

interface Tokens {
  readonly accessToken: string;
  readonly refreshToken: string;
}

const call = (
  worker: ServerProcess,
  method: string,
  path: string,
  options?: { token?: string; body?: unknown },
) => jsonCall(worker.url, method, path, options);

/** Password login on `worker` that must answer a token pair. */
async function passwordLogin(worker: ServerProcess): Promise<Tokens> {
  const login = await call(worker, 'POST', '/auth/login', { body: USER });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return { accessToken: String(login.body?.accessToken), refreshToken: String(login.body?.refreshToken) };
}

/** Asserts a session is dead on `worker`: its access token and its refresh token refused. */
async function assertEndedOn(worker: ServerProcess, tokens: Tokens): Promise<void> {
  const me = await call(worker, 'GET', '/users/me', { token: tokens.accessToken });
  assert.equal(me.status, 401, `access token on ${worker.url}`);
  assert.equal(me.code, 'INVALID_TOKEN');
  const refreshed = await call(worker, 'POST', '/auth/refresh', {
    body: { refreshToken: tokens.refreshToken },
  });
  assert.equal(refreshed.status, 401, `refresh token on ${worker.url}`);
  assert.equal(refreshed.code, 'REFRESH_TOKEN_INVALID');
}

describe('security changes end sessions on every worker', () => {
  let workers: TwoWorkers;
  before(async () => {
    workers = await startTwoWorkers({ users: [USER] });
  });
  after(async () => {
    await workers?.stop();
  });

  it('2FA on through A should end the single-factor session on B; 2FA off through A should end a 2FA session on B', async () => {
    const { workerA, workerB } = workers;
    const caller = await passwordLogin(workerA);
    const singleFactor = await passwordLogin(workerB);

    const started = await call(workerA, 'POST', '/auth/2fa/enable', {
      token: caller.accessToken,
      body: { currentPassword: USER.password },
    });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const seed = base32Decode(String(started.body?.secret));
    const confirmed = await call(workerA, 'POST', '/auth/2fa/enable/confirm', {
      token: caller.accessToken,
      body: { enrollmentToken: started.body?.enrollmentToken, code: totpCode(seed, { timeMs: Date.now() }) },
    });
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    const recoveryCodes = confirmed.body?.recoveryCodes as string[];

    await assertEndedOn(workerB, singleFactor);
    assert.equal((await call(workerB, 'GET', '/users/me', { token: caller.accessToken })).status, 200);

    // A session on B that passed the second factor (a recovery code: no wait for the next step).
    const pending = await call(workerB, 'POST', '/auth/login', { body: USER });
    assert.equal(pending.body?.twoFactorRequired, true, JSON.stringify(pending.body));
    const verified = await call(workerB, 'POST', '/auth/2fa/verify', {
      body: { pendingToken: pending.body?.pendingToken, code: recoveryCodes[0] },
    });
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    const twoFactor: Tokens = {
      accessToken: String(verified.body?.accessToken),
      refreshToken: String(verified.body?.refreshToken),
    };

    const disabled = await call(workerA, 'POST', '/auth/2fa/disable', {
      token: caller.accessToken,
      body: { code: recoveryCodes[1] },
    });
    assert.equal(disabled.status, 204, JSON.stringify(disabled.body));
    await assertEndedOn(workerB, twoFactor);
    for (const worker of [workerA, workerB]) {
      assert.equal((await call(worker, 'GET', '/users/me', { token: caller.accessToken })).status, 200);
    }
  });
});
