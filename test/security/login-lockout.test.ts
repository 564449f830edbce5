/**
 * Invariant: password guessing against one identifier stops after `maxFailures` failures in the
 * window, for existing and unknown emails alike (a lock reveals nothing), for every spelling of
 * the email and whatever X-Forwarded-For says; while locked even the right password answers
 * 429 with Retry-After; locks escalate and are capped; and the real user keeps a way in (a
 * known device's own budget, or a lifted lock after a reset). Locks are audited, identifiers
 * as keyed digests.
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditLog, GuardedSubject, LoginGuard, RequestMeta } from '../../src/core/index.ts';
import { createLoginGuard, type LockoutPolicy } from '../../src/features/lockout/index.ts';
import { createMemoryStores } from '../../src/stores/memory/index.ts';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';

const WRONG = 'definitely not the password';

describe('lockout through POST /auth/login', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({
      config: { lockout: { enabled: true, maxFailures: 3, baseLockSeconds: 1, maxLockSeconds: 2 } },
    });
  });
  after(() => h.close());

  const login = (email: string, password: string, headers: Record<string, string> = {}) =>
    h.post('/auth/login', { email, password }, { headers });
  /** An account that never signed in: no address is a known device for it yet. */
  const newAccount = async () => {
    const email = uniqueEmail('lock');
    await h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
    return { email, password: GOOD_PASSWORD };
  };

  it('lock - should refuse even the right password with 429 and Retry-After once the failures are spent', async () => {
    const me = await newAccount();
    for (let i = 0; i < 3; i++) assert.equal((await login(me.email, WRONG)).status, 401);
    const locked = await login(me.email, me.password);
    assert.equal(locked.status, 429);
    assert.equal((locked.body as { code: string }).code, 'RATE_LIMITED');
    assert.equal(locked.headers.get('retry-after'), '1');
  });

  it('lock - should behave the same for an unknown email, so a lock reveals no account', async () => {
    const known = await newAccount();
    const unknown = uniqueEmail('nobody');
    const trace = async (email: string) => {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await login(email, WRONG)).status);
      return statuses;
    };
    assert.deepEqual(await trace(known.email), [401, 401, 401, 429]);
    assert.deepEqual(await trace(unknown), [401, 401, 401, 429]);
  });

  it('lock - should count case and whitespace variants together and ignore spoofed X-Forwarded-For', async () => {
    const me = await newAccount();
    await login(me.email.toUpperCase(), WRONG, { 'X-Forwarded-For': '203.0.113.1' });
    await login(`  ${me.email}`, WRONG, { 'X-Forwarded-For': '203.0.113.2' });
    await login(me.email, WRONG, { 'X-Forwarded-For': '203.0.113.3' });
    assert.equal((await login(me.email, me.password, { 'X-Forwarded-For': '198.51.100.9' })).status, 429);
  });

  it('lock - should escalate (1 s, then 2 s) and stay capped at the maximum', async () => {
    const email = uniqueEmail('escalate');
    const lockOnce = async () => {
      for (let i = 0; i < 3; i++) assert.equal((await login(email, WRONG)).status, 401);
      const refused = await login(email, WRONG);
      assert.equal(refused.status, 429);
      return Number(refused.headers.get('retry-after'));
    };
    assert.equal(await lockOnce(), 1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal(await lockOnce(), 2);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    assert.equal(await lockOnce(), 2, 'capped at maxLockSeconds');
  });

  it('success - should reset the failure count', async () => {
    const me = await h.signedInUser();
    for (let i = 0; i < 2; i++) await login(me.email, WRONG);
    assert.equal((await login(me.email, me.password)).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await login(me.email, WRONG)).status, 401);
    assert.equal((await login(me.email, me.password)).status, 200);
  });

  it('way out - unlockLogin (what a password reset does) should lift the lock', async () => {
    const me = await newAccount();
    for (let i = 0; i < 3; i++) await login(me.email, WRONG);
    assert.equal((await login(me.email, me.password)).status, 429);
    await h.auth.api.unlockLogin(me.email.toUpperCase());
    assert.equal((await login(me.email, me.password)).status, 200);
  });
});

describe('login guard: addresses and known devices', () => {
  const policy: LockoutPolicy = {
    maxFailures: 3,
    windowSeconds: 900,
    baseLockSeconds: 60,
    maxLockSeconds: 900,
    ipMaxFailures: 5,
    knownDeviceDays: 30,
  };
  /** The guard over fresh memory stores, with an audit log that keeps what it is told. */
  const guardOver = () => {
    const stores = createMemoryStores();
    const events: { type: string; data: Readonly<Record<string, unknown>> | undefined }[] = [];
    const audit: AuditLog = {
      async record(type, _meta, details = {}) {
        events.push({ type, data: details.data });
      },
      identifierDigest: (identifier) => `digest:${Buffer.from(identifier).toString('base64url')}`,
    };
    const guard = createLoginGuard({
      policy,
      counters: stores.counters,
      keyValue: stores.keyValue,
      subjectDigest: (s) => Buffer.from(s).toString('base64url'),
      audit,
    });
    return { guard, stores, events };
  };
  const meta = (clientIp: string): RequestMeta => ({ requestId: 'r', clientIp, userAgent: null });
  const login = (identifier: string): GuardedSubject => ({ kind: 'login', identifier });
  const refused = (promise: Promise<unknown>) =>
    assert.rejects(promise, (error: { code?: string }) => error.code === 'RATE_LIMITED');
  const fail = async (guard: LoginGuard, identifier: string, ip: string) =>
    (await guard.reserve(login(identifier), meta(ip))).failed();

  it('known device - should keep its own budget while an attacker elsewhere holds the identifier locked', async () => {
    const { guard, stores, events } = guardOver();
    const id = 'victim@example.com';
    await (await guard.reserve(login(id), meta('198.51.100.10'))).succeeded(); // the owner's usual address
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push(await fail(guard, id, '203.0.113.66'));
    assert.deepEqual(
      outcomes.map((o) => o.locked),
      [false, false, true],
      'the failure that spends the last attempt locks',
    );
    assert.deepEqual(
      events.map((e) => e.type),
      ['lockout.identifier_locked'],
    );
    assert.equal(
      events[0]?.data?.identifier,
      `digest:${Buffer.from(id).toString('base64url')}`,
      'a keyed digest',
    );
    assert.equal(events[0]?.data?.lockedForSeconds, 60);
    await refused(guard.reserve(login(id), meta('203.0.113.66')));
    await refused(guard.reserve(login(id), meta('192.0.2.1'))); // any unknown address
    // The owner still gets in; the known device's own budget is bounded too, and spending it
    // does not lengthen the lock nor lock anything.
    for (let i = 0; i < 3; i++) assert.equal((await fail(guard, id, '198.51.100.10')).locked, false);
    await refused(guard.reserve(login(id), meta('198.51.100.10')));
    assert.equal(events.length, 1);
    await stores.close();
  });

  it('known device - a success should not lift the lock the attacker earned', async () => {
    const { guard, stores } = guardOver();
    const id = 'owner@example.com';
    await (await guard.reserve(login(id), meta('198.51.100.10'))).succeeded();
    for (let i = 0; i < 3; i++) await fail(guard, id, '203.0.113.66');
    await (await guard.reserve(login(id), meta('198.51.100.10'))).succeeded();
    await refused(guard.reserve(login(id), meta('203.0.113.66')));
    await stores.close();
  });

  it('address - should lock an address that fails across many identifiers, and audit it once', async () => {
    const { guard, stores, events } = guardOver();
    for (let i = 0; i < 5; i++) await fail(guard, `user${i}@example.com`, '203.0.113.200');
    await refused(guard.reserve(login('fresh@example.com'), meta('203.0.113.200')));
    await guard.reserve(login('fresh@example.com'), meta('203.0.113.201'));
    assert.deepEqual(
      events.map((e) => e.type),
      ['lockout.address_locked'],
    );
    await stores.close();
  });

  it('address - successes should give their attempts back', async () => {
    const { guard, stores } = guardOver();
    for (let i = 0; i < 20; i++) {
      await (await guard.reserve(login(`user${i}@example.com`), meta('203.0.113.210'))).succeeded();
    }
    await guard.reserve(login('another@example.com'), meta('203.0.113.210'));
    await stores.close();
  });

  it("namespaces - a typed identifier should never spend a user's second-factor budget", async () => {
    const { guard, stores } = guardOver();
    const userId = '0190a1b2-0000-7000-8000-000000000001';
    for (const typed of [`2fa:${userId}`, `2fa\u0000${userId}`, userId]) {
      for (let i = 0; i < 3; i++) await fail(guard, typed, `203.0.113.${i + 1}`);
    }
    const attempt = await guard.reserve({ kind: 'second-factor', userId }, meta('192.0.2.7'));
    await attempt.succeeded();
    await stores.close();
  });

  it('outcome - an attempt should report one outcome; a second report changes nothing', async () => {
    const { guard, stores } = guardOver();
    const id = 'twice@example.com';
    const attempt = await guard.reserve(login(id), meta('192.0.2.9'));
    await attempt.succeeded();
    for (let i = 0; i < 5; i++) assert.equal((await attempt.failed()).locked, false);
    // From another address (the first one is a known device now): the success left the whole
    // budget, and the repeated reports spent none of it.
    for (let i = 0; i < 2; i++) await fail(guard, id, '192.0.2.10');
    assert.equal((await fail(guard, id, '192.0.2.10')).locked, true);
    await refused(guard.reserve(login(id), meta('192.0.2.10')));
    await stores.close();
  });
});
