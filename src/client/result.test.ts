import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAuthClient } from './auth-client.ts';
import { retryAfterSeconds } from './result.ts';

describe('retryAfterSeconds', () => {
  it('delta-seconds, an HTTP date, or null - should answer whole seconds to wait', () => {
    assert.equal(retryAfterSeconds('5'), 5);
    const now = Date.parse('2026-12-07T01:00:00Z');
    assert.equal(retryAfterSeconds('Mon, 07 Dec 2026 01:00:30 GMT', now), 30);
    assert.equal(retryAfterSeconds('Mon, 07 Dec 2026 00:59:00 GMT', now), 0);
    assert.equal(retryAfterSeconds(null), null);
    assert.equal(retryAfterSeconds('soon'), null);
  });
});

describe('client errors', () => {
  const answering = (response: () => Response) =>
    createAuthClient({
      baseUrl: 'https://api.example.test',
      transport: 'bearer',
      fetch: async () => response(),
    });

  it('a 503 problem with Retry-After - should surface the code, status, problem and seconds', async () => {
    const problem = {
      type: 'urn:gatehouse:error:service-unavailable',
      title: 'Unavailable.',
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
    };
    const client = answering(
      () =>
        new Response(JSON.stringify(problem), {
          status: 503,
          headers: { 'Retry-After': '5', 'Content-Type': 'application/problem+json' },
        }),
    );
    const { data, error } = await client.health.get();
    assert.equal(data, null);
    assert.deepEqual(
      { code: error?.code, status: error?.status, retryAfter: error?.retryAfter, message: error?.message },
      { code: 'SERVICE_UNAVAILABLE', status: 503, retryAfter: 5, message: 'Unavailable.' },
    );
    assert.deepEqual(error?.problem, problem);
  });

  it('an error answer that is not a problem - should be INVALID_RESPONSE with the status, not a throw', async () => {
    const client = answering(() => new Response('<html>Bad gateway</html>', { status: 502 }));
    const { error } = await client.health.get();
    assert.equal(error?.code, 'INVALID_RESPONSE');
    assert.equal(error?.status, 502);
    assert.equal(error?.problem, null);
  });

  it('an aborted call - should answer ABORTED', async () => {
    const client = createAuthClient({
      baseUrl: 'https://api.example.test',
      transport: 'bearer',
      fetch: (_input, init) =>
        new Promise((_resolve, reject) =>
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
        ),
    });
    const controller = new AbortController();
    const pending = client.health.get({ signal: controller.signal });
    controller.abort();
    assert.equal((await pending).error?.code, 'ABORTED');
  });
});
