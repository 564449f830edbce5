/**
 * Passkey ceremonies fail closed when the shared store is down: no challenge can be handed out
 * that no worker could check, and no finish can pass without taking its challenge out of the
 * store. Every passkey route that touches the store answers 503 SERVICE_UNAVAILABLE promptly,
 * never 200, 4xx or a hang.
 * @see issue #12
 * @see issue #17
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createHarness, type Harness } from '../fixtures/auth-harness.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';

const COMMAND_TIMEOUT_MS = 200;
const MAX_ANSWER_MS = 1_500;

describe('passkeys with the shared store down', () => {
  let redis: RedisServer;
  let h: Harness;

  before(async () => {
    redis = await startRedis();
    h = await createHarness({
      config: {
        baseUrl: 'http://localhost:8080',
        stores: {
          backend: 'redis',
          url: redis.url,
          keyPrefix: `pk-${randomUUID()}:`,
          commandTimeoutMs: COMMAND_TIMEOUT_MS,
        },
      },
    });
    const up = await h.post('/auth/passkey/options', {});
    assert.equal(up.status, 200, 'answers while the store is up');
    await redis.kill();
  });
  after(async () => {
    await h?.close();
    await redis?.stop();
  });

  const assertUnavailable = (
    answer: { status: number; body: Record<string, unknown> },
    elapsedMs: number,
  ) => {
    assert.equal(answer.status, 503, JSON.stringify(answer.body));
    assert.equal(answer.body.code, 'SERVICE_UNAVAILABLE');
    assert.ok(elapsedMs < MAX_ANSWER_MS, `answered in ${elapsedMs} ms`);
  };

  it('POST /auth/passkey/options answers 503 (no challenge it could not store)', async () => {
    const started = performance.now();
    const answer = await h.post('/auth/passkey/options', { email: 'someone@example.com' });
    assertUnavailable(answer, performance.now() - started);
  });

  it('POST /auth/passkey/login and /session answer 503 before anything is verified', async () => {
    const id = randomBytes(16).toString('base64url');
    const response = {
      id,
      rawId: id,
      type: 'public-key',
      response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' },
      clientExtensionResults: {},
    };
    const flowId = randomBytes(32).toString('base64url');
    for (const path of ['/auth/passkey/login', '/auth/passkey/session']) {
      const started = performance.now();
      const answer = await h.post(
        path,
        { flowId, response },
        { headers: { Origin: 'http://localhost:8080' } },
      );
      assertUnavailable(answer, performance.now() - started);
    }
  });
});
