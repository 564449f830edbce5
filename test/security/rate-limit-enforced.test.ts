/**
 * Invariant: a rate-limited route never lets more requests through than its slot allows —
 * whatever the spelling of the email, however many workers share the budget — answers 429
 * with Retry-After when the budget is spent, carries RateLimit-Policy / RateLimit headers, and
 * fails closed (503, never unlimited) when the store that counts is unreachable. Counters are
 * keyed by digests: the email typed by a client never reaches the store as is.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createRateLimitEnforcer } from '../../src/features/ratelimit/index.ts';
import { type AuthConfigInput, generateSecret } from '../../src/index.ts';
import { createMemoryStores } from '../../src/stores/memory/index.ts';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';

const SHARED_SECRET = generateSecret();
const LOGIN_RULE = { limit: 3, windowSeconds: 60, scope: 'ipIdentifier' } as const;

describe('rate limits on the login route', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ config: { rateLimits: { enabled: true, slots: { login: LOGIN_RULE } } } });
  });
  after(() => h.close());

  it('login - should refuse the request after the budget with 429, Retry-After and RateLimit headers', async () => {
    const email = uniqueEmail('limited');
    const statuses: number[] = [];
    let last: Awaited<ReturnType<Harness['post']>> | undefined;
    for (let i = 0; i < 5; i++) {
      last = await h.post('/auth/login', { email, password: 'not the password at all' });
      statuses.push(last.status);
      assert.equal(last.headers.get('ratelimit-policy'), '3;w=60');
      assert.match(last.headers.get('ratelimit') ?? '', /^limit=3, remaining=\d+, reset=\d+$/);
    }
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
    assert.equal((last!.body as { code: string }).code, 'RATE_LIMITED');
    const retryAfter = Number(last!.headers.get('retry-after'));
    // One request comes back every 20 s (3 per 60 s).
    assert.ok(retryAfter >= 1 && retryAfter <= 20, `Retry-After ${retryAfter}`);
  });

  it('login - should count case and whitespace variants of an email as one identifier', async () => {
    const base = uniqueEmail('variants');
    const variants = [base, base.toUpperCase(), `  ${base}  `, base.replace(/^./, (c) => c.toUpperCase())];
    const statuses: number[] = [];
    for (const email of variants)
      statuses.push((await h.post('/auth/login', { email, password: GOOD_PASSWORD })).status);
    assert.deepEqual(statuses, [401, 401, 401, 429]);
  });

  it('login - should refuse even the right password once the budget is spent', async () => {
    const me = await h.signedInUser();
    for (let i = 0; i < 2; i++)
      await h.post('/auth/login', { email: me.email, password: 'wrong password entirely' });
    assert.equal((await h.post('/auth/login', { email: me.email, password: me.password })).status, 429);
  });

  it('login - should let exactly the budget through when requests arrive all at once', async () => {
    const email = uniqueEmail('burst');
    const responses = await Promise.all(
      Array.from({ length: 30 }, () => h.post('/auth/login', { email, password: 'not the password at all' })),
    );
    assert.equal(responses.filter((r) => r.status === 401).length, 3);
    assert.equal(responses.filter((r) => r.status === 429).length, 27);
  });

  it('unlimited routes - should carry no RateLimit headers', async () => {
    const response = await h.get('/health');
    assert.equal(response.headers.get('ratelimit'), null);
  });
});

describe('rate-limit enforcer', () => {
  const digest = (subject: string) => `d.${Buffer.from(subject).toString('base64url')}`;

  it('ip scope - should put every address of one IPv6 /64 in one budget', async () => {
    const stores = createMemoryStores();
    const { hook } = createRateLimitEnforcer({
      limiter: stores.rateLimiter,
      table: { register: { limit: 10, windowSeconds: 3600, scope: 'ip' } },
      slots: { register: { limit: 2, windowSeconds: 60, scope: 'ip' } },
      subjectDigest: digest,
      ipv6PrefixLength: 64,
    });
    const outcomes = [];
    for (const ip of ['2001:db8:7:7::1', '2001:db8:7:7::2', '2001:db8:7:7:ffff::9']) {
      outcomes.push((await hook('register', { clientIp: ip, identifier: null })).retryAfterSeconds);
    }
    assert.deepEqual(
      outcomes.map((o) => o === null),
      [true, true, false],
    );
    // Another /64 and an IPv4 client have budgets of their own.
    assert.equal(
      (await hook('register', { clientIp: '2001:db8:7:8::1', identifier: null })).retryAfterSeconds,
      null,
    );
    assert.equal(
      (await hook('register', { clientIp: '198.51.100.4', identifier: null })).retryAfterSeconds,
      null,
    );
    await stores.close();
  });

  it('groups - should make slots that name one group share its budget; a turned-off slot never counts', async () => {
    const stores = createMemoryStores();
    const { hook } = createRateLimitEnforcer({
      limiter: stores.rateLimiter,
      table: {
        forgotPassword: { limit: 3, windowSeconds: 900, scope: 'identifier' },
        requestVerify: { limit: 3, windowSeconds: 900, scope: 'identifier' },
        verify: { limit: 20, windowSeconds: 900, scope: 'ip' },
      },
      slots: { forgotPassword: { group: 'mail' }, requestVerify: { group: 'mail' }, verify: false },
      groups: { mail: { limit: 2, windowSeconds: 60, scope: 'identifier' } },
      subjectDigest: digest,
      ipv6PrefixLength: 64,
    });
    const subject = { clientIp: '203.0.113.1', identifier: 'someone@example.com' };
    assert.equal((await hook('forgotPassword', subject)).retryAfterSeconds, null);
    assert.equal((await hook('requestVerify', subject)).retryAfterSeconds, null);
    assert.notEqual((await hook('forgotPassword', subject)).retryAfterSeconds, null);
    for (let i = 0; i < 50; i++)
      assert.deepEqual(await hook('verify', subject), { headers: {}, retryAfterSeconds: null });
    await assert.rejects(hook('noSuchSlot', subject), TypeError);
    await stores.close();
  });

  // A typo in an override (`logn` for `login`) would leave the operator believing a limit is
  // set while the real slot keeps its default: refused at start, naming the path.
  it('misspelled slot or unknown group - should refuse to start instead of silently applying no limit', async () => {
    const typos: NonNullable<AuthConfigInput['rateLimits']>[] = [
      { enabled: true, slots: { logn: LOGIN_RULE } },
      { enabled: false, slots: { logn: LOGIN_RULE } },
      { enabled: true, slots: { forgotPassword: { group: 'mial' } }, groups: {} },
    ];
    for (const rateLimits of typos) {
      await assert.rejects(
        createHarness({ config: { rateLimits } }),
        (error: Error & { code?: string; problems?: { path: string }[] }) => {
          assert.equal(error.code, 'ERR_INVALID_CONFIG');
          assert.match(error.problems?.[0]?.path ?? '', /^rateLimits\.slots\.(logn|forgotPassword\.group)$/);
          return true;
        },
      );
    }
  });
});

describe('rate limits shared by two workers over Redis', () => {
  let redis: RedisServer;
  let a: Harness;
  let b: Harness;
  before(async () => {
    redis = await startRedis();
    const config = {
      rateLimits: { enabled: true, slots: { login: LOGIN_RULE } },
      stores: { backend: 'redis' as const, url: redis.url, commandTimeoutMs: 300 },
      secrets: [{ id: 'k1', secret: SHARED_SECRET }],
    };
    a = await createHarness({ config });
    b = await createHarness({ config });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  it('login - should share one budget between workers', async () => {
    const email = uniqueEmail('shared');
    const statuses = [];
    for (const worker of [a, b, a, b, a]) {
      statuses.push(
        (await worker.post('/auth/login', { email, password: 'not the password at all' })).status,
      );
    }
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
  });

  it('login - should never store the typed email in Redis', async () => {
    const email = uniqueEmail('secret-address');
    await a.post('/auth/login', { email, password: 'not the password at all' });
    const client = new Redis(redis.url);
    const keys = await client.keys('*');
    client.disconnect();
    assert.ok(keys.length > 0);
    assert.ok(!keys.some((k) => k.includes(email.split('@')[0]!)), 'an email reached a Redis key');
  });

  it('outage - should answer 503 with Retry-After, never pass a limited request unlimited', async () => {
    redis.freeze();
    try {
      const response = await a.post('/auth/login', { email: uniqueEmail('outage'), password: GOOD_PASSWORD });
      assert.equal(response.status, 503);
      assert.ok(Number(response.headers.get('retry-after')) >= 1);
    } finally {
      redis.thaw();
    }
    assert.equal(
      (await a.post('/auth/login', { email: uniqueEmail('after'), password: 'not the password at all' }))
        .status,
      401,
    );
  });
});
