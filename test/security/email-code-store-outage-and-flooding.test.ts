/**
 * Threats: an email sign-in code checked against a store that cannot answer (Redis down), where
 * a careless check would skip the attempt budget or the single-use marker and let the code in;
 * and mail bombing or code farming through the request route (many codes to one address, or
 * one client asking for many addresses).
 *
 * Invariants: with the shared store unreachable, asking for a code and checking one answer 503
 * `SERVICE_UNAVAILABLE` with `Retry-After`, never 202 or a sign-in, and once the store is back
 * the code asked before the outage still works; each address gets at most 3 codes per 15
 * minutes (`emailCodeRequest`) and each client at most 10 requests (`emailCodeRequestIp`),
 * then 429 with `Retry-After`, and no mail is sent for a refused request.
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';
import { codeMailedTo, requestCode, verifyCode } from '../fixtures/email-code.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';

describe('email codes with the store down', () => {
  let h: Harness;
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
    h = await createHarness({
      config: { emailCode: { enabled: true }, stores: { backend: 'redis', url: redis.url } },
    });
  });
  after(async () => {
    await h?.close();
    await redis?.stop();
  });

  it('answers 503 with Retry-After, never a sign-in; the code works again once the store is back', async () => {
    const email = uniqueEmail('outage');
    await h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
    assert.equal((await requestCode(h, email)).status, 202);
    const { code } = await codeMailedTo(h, email);
    redis.freeze();
    try {
      for (const reply of [await requestCode(h, uniqueEmail('outage')), await verifyCode(h, email, code)]) {
        assert.equal(reply.status, 503, reply.text);
        assert.equal(reply.body.code, 'SERVICE_UNAVAILABLE');
        assert.ok(Number(reply.headers.get('retry-after')) >= 1);
      }
    } finally {
      redis.thaw();
    }
    const signedIn = await verifyCode(h, email, code);
    assert.equal(signedIn.status, 200, signedIn.text);
  });
});

describe('email code requests are limited per address and per client', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ config: { emailCode: { enabled: true }, rateLimits: { enabled: true } } });
  });
  after(() => h.close());

  it('3 codes per address, then 429 and no mail', async () => {
    const email = uniqueEmail('bombed');
    await h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
    for (let n = 0; n < 3; n++) assert.equal((await requestCode(h, email)).status, 202);
    await codeMailedTo(h, email, 2);
    const sent = h.mail.filter((m) => m.to === email).length;
    const refused = await requestCode(h, email);
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(h.mail.filter((m) => m.to === email).length, sent);
  });

  it('one client: 10 requests for different addresses, then 429', async () => {
    const statuses: number[] = [];
    // The address limit above took 4 of this client's 10 already: count until the refusal.
    for (let n = 0; n < 12; n++) statuses.push((await requestCode(h, uniqueEmail('farm'))).status);
    const firstRefused = statuses.indexOf(429);
    assert.ok(firstRefused > 0, JSON.stringify(statuses));
    assert.ok(
      statuses.slice(firstRefused).every((status) => status === 429),
      JSON.stringify(statuses),
    );
  });
});
